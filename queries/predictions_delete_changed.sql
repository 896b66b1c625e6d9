-- name: predictions_delete_changed
-- Removes the stored rows that a staged file replaces.
-- params: (none)
-- fragments: table
-- returns: (nothing)
DELETE FROM {{table}} WHERE prediction_id IN (SELECT prediction_id FROM changed)
