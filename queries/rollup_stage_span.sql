-- name: rollup_stage_span
-- The first and last prediction time of the staged file: `ts` for predictions,
-- `pred_ts` for labels (NULL for labels whose prediction has not arrived).
-- params: (none)
-- fragments: time
-- returns: lo, hi
SELECT min({{time}}) AS lo, max({{time}}) AS hi FROM stage
