-- name: checks_score_auc
-- Positives and negatives per distinct score, per window, overall and per value of
-- each slice column (for the exact AUC of SLO and offline-gap windows). Labels count
-- only if known by `now`; rows without a score are left out.
-- params: model, positive, start, end, step, now
-- fragments: table, slice_keys, grouping_sets
-- returns: w, slice columns with g__ flags, score, pos, neg
SELECT time_bucket(to_seconds($step), p.ts) AS w, {{slice_keys}}
       p.score,
       count(*) FILTER (WHERE l.label = $positive) AS pos,
       count(*) FILTER (WHERE l.label <> $positive) AS neg
FROM {{table}} p
JOIN labels l
  ON l.model = $model AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now
 AND l.pred_ts >= $start AND l.pred_ts < $end
WHERE p.ts >= $start AND p.ts < $end AND p.score IS NOT NULL
GROUP BY GROUPING SETS ({{grouping_sets}})
