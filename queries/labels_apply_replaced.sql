-- name: labels_apply_replaced
-- Overwrites labels that a later, different one replaces (stored labels read only
-- within the staged span of prediction times).
-- params: model, now, ingest_id, lo, hi
-- fragments: bound
-- returns: (nothing)
UPDATE labels AS l
SET label = s.label, label_value = s.label_value, labeled_at = s.labeled_at,
    ingested_at = $now, ingest_id = $ingest_id
FROM stage s
WHERE l.model = $model AND l.prediction_id = s.prediction_id AND {{bound}}
  AND s.label IS DISTINCT FROM l.label AND s.labeled_at >= l.labeled_at
