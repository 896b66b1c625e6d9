-- name: checks_changed_any
-- Whether anything a re-judged window depends on changed since a run that saw ingests
-- up to $ingest_id and labels known by $judged_now: found by ingest id and label time,
-- which follow the order rows are appended in, so most of each table is skipped.
-- params: model, start, end, ingest_id, judged_now, now
-- fragments: table
-- returns: changed
SELECT EXISTS (SELECT 1 FROM labels WHERE model = $model AND ingest_id > $ingest_id)
    OR EXISTS (
        SELECT 1 FROM labels
        WHERE model = $model AND labeled_at > $judged_now AND labeled_at <= $now
    )
    OR EXISTS (
        SELECT 1 FROM {{table}} WHERE ts >= $start AND ts < $end AND ingest_id > $ingest_id
    ) AS changed
