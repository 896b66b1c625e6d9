-- name: predictions_overlap
-- How many staged predictions are already stored for the model.
-- params: (none)
-- fragments: table
-- returns: n
SELECT count(*) AS n FROM stage s
WHERE s.prediction_id IN (SELECT prediction_id FROM {{table}})
