-- name: predictions_delete_changed
-- Removes the stored rows that a staged file replaces.
-- params: model
-- returns: (nothing)
DELETE FROM predictions
WHERE model = $model AND prediction_id IN (SELECT prediction_id FROM changed)
