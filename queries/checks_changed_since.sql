-- name: checks_changed_since
-- The first prediction in [start, end) whose row or label changed since a run that saw
-- ingests up to $ingest_id and labels known by $judged_now: rows ingested since, labels
-- ingested since, and labels that became known between that run's "now" and this one's.
-- A handful of new labels, found by their ingest or time (both follow the order rows
-- are appended in, so most of the table is skipped), then their predictions; the
-- caller asks one day at a time from the earliest, as the answer is most often early.
-- params: model, start, end, ingest_id, judged_now, now
-- fragments: table
-- returns: first_ts
WITH touched AS (
    SELECT prediction_id FROM labels WHERE model = $model AND ingest_id > $ingest_id
    UNION ALL
    SELECT prediction_id FROM labels
    WHERE model = $model AND labeled_at > $judged_now AND labeled_at <= $now
)
SELECT min(ts) AS first_ts FROM (
    SELECT ts FROM {{table}}
    WHERE ts >= $start AND ts < $end AND ingest_id > $ingest_id
    UNION ALL
    SELECT p.ts FROM {{table}} p SEMI JOIN touched t ON t.prediction_id = p.prediction_id
    WHERE p.ts >= $start AND p.ts < $end
)
