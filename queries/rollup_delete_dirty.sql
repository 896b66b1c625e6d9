-- name: rollup_delete_dirty
-- Removes the rollup rows of a model's dirty days.
-- params: model
-- fragments: rollups
-- returns: (nothing)
DELETE FROM {{rollups}} WHERE day IN (SELECT day FROM rollup_dirty WHERE model = $model)
