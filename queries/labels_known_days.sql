-- name: labels_known_days
-- The first prediction time in [since, until) with a label not yet known by `now`
-- (NULL when every label of the window was known). Rollups hold every stored label,
-- so they answer only the days before it. Labels arrive roughly in time order, so the
-- condition on labeled_at keeps the scan to the newest row groups.
-- params: model, since, until, now
-- returns: first_late
SELECT min(pred_ts) AS first_late
FROM labels
WHERE model = $model AND labeled_at > $now AND pred_ts >= $since AND pred_ts < $until
