-- name: stage_check_predictions
-- One pass over staged predictions: rows, time range, distinct ids, and the first
-- failed check (`_bad` holds the number of the first check a row fails).
-- params: (none)
-- returns: n, min_ts, max_ts, distinct_ids, first_bad, bad_rows
SELECT count(*) AS n, min(ts) AS min_ts, max(ts) AS max_ts,
       count(DISTINCT prediction_id) AS distinct_ids,
       min(_bad) AS first_bad, count(_bad) AS bad_rows
FROM stage
