-- name: baseline_get_latest
-- The most recently computed cached baseline of a model whose key starts with `prefix`
-- and ends with `suffix` (a rolling baseline whose left-out spans have since changed).
-- params: model, prefix, suffix
-- returns: feature, edges, categories, counts
SELECT feature, edges, categories, counts FROM baseline_bins
WHERE model = $model AND baseline_key = (
    SELECT baseline_key FROM baseline_bins
    WHERE model = $model AND starts_with(baseline_key, $prefix)
      AND ends_with(baseline_key, $suffix)
    ORDER BY computed_at DESC, baseline_key DESC
    LIMIT 1
)
