-- name: estimates_multiclass
-- A multiclass model's per-class scores per window (and slice value): for each class
-- (by its position in the config's list), rows per model version, prediction, whether
-- labelled, and fine bin of that class's score, with the score sum (for the estimate);
-- and, in its own grouping set, the (prediction, label) pairs of labelled rows (for
-- the realised metrics), in one grouped scan. Labels are read only within the window
-- of prediction times.
-- params: model, since, until, now, version, step, origin, values, bins
-- fragments: table, slice_keys, grouping_sets, filters, class_scores
-- returns: w, slice columns with g__ flags, model_version, prediction, label, labelled, k, bin, n, pairs, sum_score
SELECT w, {{slice_keys}}
       model_version, prediction, label, labelled, k,
       least(floor(s * $bins), $bins - 1)::INTEGER AS bin,
       count(*) AS n, count(*) FILTER (WHERE k = 0) AS pairs, sum(s) AS sum_score
FROM (
    SELECT time_bucket(to_seconds($step), p.ts, $origin) AS w, p.*,
           l.label, l.prediction_id IS NOT NULL AS labelled,
           unnest({{class_scores}}, recursive := true)
    FROM {{table}} p
    LEFT JOIN labels l
           ON l.model = $model AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now
          AND l.pred_ts >= $since AND l.pred_ts < $until
    WHERE p.ts >= $since AND p.ts < $until
      AND ($version IS NULL OR p.model_version = $version)
      AND {{filters}}
) p
GROUP BY GROUPING SETS ({{grouping_sets}})
