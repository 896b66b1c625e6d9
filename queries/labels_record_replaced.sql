-- name: labels_record_replaced
-- Keeps each label that a later, different one replaces.
-- params: model, now, ingest_id
-- returns: (nothing)
INSERT INTO label_history
SELECT $model, l.prediction_id, l.label, l.labeled_at, s.label, s.labeled_at, $now, $ingest_id
FROM stage s
JOIN labels l ON l.model = $model AND l.prediction_id = s.prediction_id
WHERE s.label IS DISTINCT FROM l.label AND s.labeled_at >= l.labeled_at
