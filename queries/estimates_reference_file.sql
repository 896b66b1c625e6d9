-- name: estimates_reference_file
-- The labelled rows of a staged reference dataset (a baseline file), with what a
-- calibration map or a loss model is fitted on.
-- params: (none)
-- fragments: columns
-- returns: model_version, score, prediction, prediction_value, label, label_value, and the asked-for columns
SELECT model_version, score, prediction, prediction_value, label, label_value {{columns}}
FROM stage
WHERE label IS NOT NULL
