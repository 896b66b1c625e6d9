-- name: baseline_drop_key
-- Drops a model's cached bins of one baseline key (stale: its window gained rows).
-- params: model, baseline_key
-- returns: (nothing)
DELETE FROM baseline_bins WHERE model = $model AND baseline_key = $baseline_key
