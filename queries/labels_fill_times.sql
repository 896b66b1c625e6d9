-- name: labels_fill_times
-- Gives the labels of the staged predictions their prediction's time: labels that came
-- before their prediction (pred_ts NULL) and, with `moved`, labels of re-ingested
-- predictions whose time changed (their old times lie in [lo, hi]). Only those labels
-- are read: the bound keeps the scan to the row groups that can hold them.
-- params: model, lo, hi
-- fragments: moved
-- returns: (nothing)
UPDATE labels AS l SET pred_ts = s.ts
FROM stage s
WHERE l.model = $model AND l.prediction_id = s.prediction_id
  AND (l.pred_ts IS NULL {{moved}})
  AND l.pred_ts IS DISTINCT FROM s.ts
