-- name: baseline_put
-- Caches one baseline histogram.
-- params: model, feature, baseline_key, edges, categories, counts, computed_at
-- returns: (nothing)
INSERT OR REPLACE INTO baseline_bins
VALUES ($model, $feature, $baseline_key, $edges, $categories, $counts, $computed_at)
