-- name: labels_stage_span
-- The span of the staged labels' prediction times, and whether any has no prediction.
-- params: (none)
-- returns: lo, hi, orphans
SELECT min(pred_ts) AS lo, max(pred_ts) AS hi, count(*) FILTER (WHERE pred_ts IS NULL) AS orphans
FROM stage
