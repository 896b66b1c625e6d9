-- name: predictions_insert_all
-- Inserts every staged prediction (none of them is stored yet).
-- params: model, ingest_id
-- fragments: stage_columns
-- returns: (nothing)
INSERT INTO predictions BY NAME
SELECT $model AS model, $ingest_id AS ingest_id, {{stage_columns}} FROM stage s
