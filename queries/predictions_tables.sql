-- name: predictions_tables
-- The per-model predictions tables in the store.
-- params: (none)
-- returns: table_name
SELECT table_name FROM information_schema.tables
WHERE table_name LIKE 'predictions\_\_%' ESCAPE '\' AND table_type = 'BASE TABLE'
ORDER BY table_name
