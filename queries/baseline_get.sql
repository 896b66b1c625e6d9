-- name: baseline_get
-- Cached baseline histograms of a model.
-- params: model, baseline_key
-- returns: feature, edges, categories, counts
SELECT feature, edges, categories, counts FROM baseline_bins
WHERE model = $model AND baseline_key = $baseline_key
