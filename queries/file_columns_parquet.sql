-- name: file_columns_parquet
-- The columns of a Parquet file and their types.
-- hive_partitioning = false: a folder named key=value must not add a column.
-- params: path
-- returns: column_name, column_type, null, key, default, extra
DESCRIBE SELECT * FROM read_parquet($path, hive_partitioning = false)
