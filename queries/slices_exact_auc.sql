-- name: slices_exact_auc
-- Positives and negatives per distinct score and group (for exact AUC).
-- params: model, positive, since, until, now, version, values
-- fragments: table, group_select, grouping_sets, filters
-- returns: group columns with g__ flags, score, pos, neg
SELECT {{group_select}} p.score,
       count(*) FILTER (WHERE l.label = $positive) AS pos,
       count(*) FILTER (WHERE l.label <> $positive) AS neg
FROM {{table}} p
JOIN labels l
  ON l.model = $model AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now
 AND l.pred_ts >= $since AND l.pred_ts < $until
WHERE p.ts >= $since AND p.ts < $until AND p.score IS NOT NULL
  AND ($version IS NULL OR p.model_version = $version)
  AND {{filters}}
GROUP BY GROUPING SETS ({{grouping_sets}})
