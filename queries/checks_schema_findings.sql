-- name: checks_schema_findings
-- Schema findings of files whose rows fall in [start, end).
-- params: model, start, end
-- returns: column_name, finding, detail, min_ts, max_ts, path
SELECT column_name, finding, detail, min_ts, max_ts, path
FROM schema_findings
WHERE model = $model AND min_ts < $end AND max_ts >= $start
ORDER BY column_name, finding
