-- name: baseline_reference_rows
-- The labelled rows of a staged reference dataset: score, prediction and label.
-- params: (none)
-- returns: prediction_id, score, prediction, label
SELECT prediction_id, score, prediction, label FROM stage
WHERE label IS NOT NULL
ORDER BY prediction_id
