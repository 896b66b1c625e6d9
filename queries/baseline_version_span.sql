-- name: baseline_version_span
-- How many stored predictions one model version has, and when they were served.
-- params: model_version
-- fragments: table
-- returns: n, first_ts, last_ts
SELECT count(*) AS n, min(ts) AS first_ts, max(ts) AS last_ts
FROM {{table}} WHERE model_version = $model_version
