-- name: baseline_reference_auc
-- Labelled positives and negatives per distinct score of a staged reference dataset,
-- in score order (for the exact AUC).
-- params: positive
-- returns: score, pos, neg
SELECT score,
       count(*) FILTER (WHERE label = $positive) AS pos,
       count(*) FILTER (WHERE label <> $positive) AS neg
FROM stage
WHERE label IS NOT NULL AND score IS NOT NULL
GROUP BY score
ORDER BY score
