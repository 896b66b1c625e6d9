-- name: stage_check_labels
-- One pass over staged labels: rows, distinct ids and the first failed check.
-- params: (none)
-- returns: n, min_ts, max_ts, distinct_ids, first_bad, bad_rows
SELECT count(*) AS n, NULL::TIMESTAMP AS min_ts, NULL::TIMESTAMP AS max_ts,
       count(DISTINCT prediction_id) AS distinct_ids,
       min(_bad) AS first_bad, count(_bad) AS bad_rows
FROM stage
