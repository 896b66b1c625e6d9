-- name: predictions_insert_new
-- Inserts the staged predictions that are not stored yet (after changed ones were removed).
-- params: ingest_id
-- fragments: table, stage_columns
-- returns: (nothing)
INSERT INTO {{table}} BY NAME
SELECT $ingest_id AS ingest_id, {{stage_columns}}
FROM stage s
WHERE NOT EXISTS (SELECT 1 FROM {{table}} p WHERE p.prediction_id = s.prediction_id)
