-- name: baseline_drop_version
-- Drops a model's cached bins of one model version's baseline other than the key
-- `keep`: the version's first week was still filling when they were computed.
-- params: model, prefix, keep
-- returns: (nothing)
DELETE FROM baseline_bins
WHERE model = $model AND starts_with(baseline_key, $prefix)
  AND baseline_key <> $keep
