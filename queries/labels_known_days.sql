-- name: labels_known_days
-- Per prediction day in [since, until): the latest time any of its labels became known
-- (read only within the window's prediction times). A day whose labels were all known
-- by `now` can be answered from the rollups, which hold every stored label.
-- params: model, since, until
-- returns: day, last_labeled_at
SELECT date_trunc('day', pred_ts) AS day, max(labeled_at) AS last_labeled_at
FROM labels
WHERE model = $model AND pred_ts >= $since AND pred_ts < $until
GROUP BY ALL
