-- name: rollup_clear_dirty
-- Forgets a model's dirty days once they are rebuilt.
-- params: model
-- returns: (nothing)
DELETE FROM rollup_dirty WHERE model = $model
