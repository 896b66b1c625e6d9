-- name: labels_insert_new
-- Inserts staged labels for predictions that had none.
-- params: model, now, ingest_id
-- returns: (nothing)
INSERT INTO labels
SELECT $model, s.prediction_id, s.label, s.label_value, s.labeled_at, $now, $ingest_id
FROM stage s
WHERE NOT EXISTS (
    SELECT 1 FROM labels l WHERE l.model = $model AND l.prediction_id = s.prediction_id
)
