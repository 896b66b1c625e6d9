-- name: checks_changed_since
-- The first prediction in [start, end) whose row or label changed since a run that saw
-- ingests up to $ingest_id and labels known by $judged_now: rows ingested since, labels
-- ingested since, and labels that became known between that run's "now" and this one's.
-- A label carries its prediction's time (pred_ts), so the labels are read directly,
-- bounded by the span; ingest id and label time follow the order rows are appended in,
-- so most of each table is skipped. A label whose prediction has not arrived (pred_ts
-- NULL) changes no window: its prediction's arrival is a row ingested since.
-- params: model, start, end, ingest_id, judged_now, now
-- fragments: table
-- returns: first_ts
SELECT min(ts) AS first_ts FROM (
    SELECT min(ts) AS ts FROM {{table}}
    WHERE ts >= $start AND ts < $end AND ingest_id > $ingest_id
    UNION ALL
    SELECT min(pred_ts) FROM labels
    WHERE model = $model AND pred_ts >= $start AND pred_ts < $end
      AND (ingest_id > $ingest_id OR (labeled_at > $judged_now AND labeled_at <= $now))
)
