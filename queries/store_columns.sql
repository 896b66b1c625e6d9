-- name: store_columns
-- The columns of one store table with their types.
-- params: table_name
-- returns: column_name, data_type
SELECT column_name, data_type
FROM information_schema.columns
WHERE table_name = $table_name
ORDER BY ordinal_position
