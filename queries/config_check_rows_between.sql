-- name: config_check_rows_between
-- Stored predictions served in [start, end) (of one model version when `version` is
-- not NULL): what a baseline window holds.
-- params: start, end, version
-- fragments: table
-- returns: n
SELECT count(*) AS n
FROM {{table}}
WHERE ts >= $start AND ts < $end AND ($version IS NULL OR model_version = $version)
