-- name: labels_merge_counts
-- Sorts staged labels into new, replacing (different label, not older) and unchanged.
-- Only the stored labels whose prediction time lies in the staged span are read.
-- params: model, lo, hi
-- fragments: bound
-- returns: added, replaced, unchanged
SELECT
    count(*) FILTER (WHERE l.prediction_id IS NULL) AS added,
    count(*) FILTER (WHERE l.prediction_id IS NOT NULL AND s.label IS DISTINCT FROM l.label
                     AND s.labeled_at >= l.labeled_at) AS replaced,
    count(*) FILTER (WHERE l.prediction_id IS NOT NULL AND NOT (s.label IS DISTINCT FROM l.label
                     AND s.labeled_at >= l.labeled_at)) AS unchanged
FROM stage s
LEFT JOIN (SELECT * FROM labels l WHERE l.model = $model AND {{bound}}) l
       ON l.prediction_id = s.prediction_id
