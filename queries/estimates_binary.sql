-- name: estimates_binary
-- A binary model's rows per window (and slice value) split by model version,
-- prediction, label (known by `now`; NULL when not yet) and fine score bin, with the
-- sum of raw scores: what a calibrated confidence-based estimate and the realised
-- metrics of every window are computed from, in one grouped scan. Labels are read only
-- within the window of prediction times.
-- params: model, since, until, now, version, step, origin, values, bins
-- fragments: table, slice_keys, grouping_sets, filters
-- returns: w, slice columns with g__ flags, model_version, prediction, label, bin, n, sum_score
SELECT time_bucket(to_seconds($step), p.ts, $origin) AS w, {{slice_keys}}
       p.model_version, p.prediction, l.label,
       least(floor(p.score * $bins), $bins - 1)::INTEGER AS bin,
       count(*) AS n, sum(p.score) AS sum_score
FROM {{table}} p
LEFT JOIN labels l
       ON l.model = $model AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now
      AND l.pred_ts >= $since AND l.pred_ts < $until
WHERE p.ts >= $since AND p.ts < $until
  AND ($version IS NULL OR p.model_version = $version)
  AND {{filters}}
GROUP BY GROUPING SETS ({{grouping_sets}})
