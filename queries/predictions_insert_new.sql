-- name: predictions_insert_new
-- Inserts the staged predictions that are not stored yet (after changed ones were removed).
-- params: model, ingest_id
-- fragments: stage_columns
-- returns: (nothing)
INSERT INTO predictions BY NAME
SELECT $model AS model, $ingest_id AS ingest_id, {{stage_columns}}
FROM stage s
WHERE NOT EXISTS (
    SELECT 1 FROM predictions p WHERE p.model = $model AND p.prediction_id = s.prediction_id
)
