-- name: lake_state_get
-- The shape a lake model's aggregates were last written in, and when.
-- params: model
-- returns: shape, synced_at
SELECT shape, synced_at FROM lake_state WHERE model = $model
