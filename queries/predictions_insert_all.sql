-- name: predictions_insert_all
-- Inserts every staged prediction (none of them is stored yet).
-- params: ingest_id
-- fragments: table, stage_columns
-- returns: (nothing)
INSERT INTO {{table}} BY NAME
SELECT $ingest_id AS ingest_id, {{stage_columns}} FROM stage s
