-- name: rollup_dirty_days
-- The days of a model whose rollups must be rebuilt.
-- params: model
-- returns: day
SELECT day FROM rollup_dirty WHERE model = $model ORDER BY day
