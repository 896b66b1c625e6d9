-- name: predictions_overlap
-- How many staged predictions already exist for the model.
-- params: model
-- returns: n
SELECT count(*) AS n FROM stage s
WHERE s.prediction_id IN (SELECT prediction_id FROM predictions WHERE model = $model)
