-- name: labels_record_replaced
-- Keeps each label that a later, different one replaces (stored labels read only
-- within the staged span of prediction times).
-- params: model, now, ingest_id, lo, hi
-- fragments: bound
-- returns: (nothing)
INSERT INTO label_history
SELECT $model, l.prediction_id, l.label, l.labeled_at, s.label, s.labeled_at, $now, $ingest_id
FROM stage s
JOIN labels l ON l.model = $model AND l.prediction_id = s.prediction_id AND {{bound}}
WHERE s.label IS DISTINCT FROM l.label AND s.labeled_at >= l.labeled_at
