-- name: file_schema_parquet
-- A Parquet file's raw schema elements in file order (the root first), with the
-- names as the file spells them, before DuckDB renames duplicates.
-- params: path
-- returns: name, num_children
SELECT name, num_children FROM parquet_schema($path)
