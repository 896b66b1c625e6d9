-- name: labels_stage_ids
-- The least and greatest staged prediction id: bounds that let the read of the
-- predictions skip the row groups whose ids lie outside them (ids that grow with time,
-- as most do, then keep the read to the staged labels' part of history).
-- params: (none)
-- returns: lo, hi
SELECT min(prediction_id) AS lo, max(prediction_id) AS hi FROM stage
