-- name: lake_state_put
-- Records a lake model's sync: the shape its aggregates were written in, and when.
-- params: model, shape, synced_at
-- returns: (nothing)
INSERT OR REPLACE INTO lake_state VALUES ($model, $shape, $synced_at)
