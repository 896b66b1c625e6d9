-- name: file_columns_json
-- The columns of a JSON-lines file, typed by scanning every line.
-- hive_partitioning = false: a folder named key=value must not add a column.
-- params: path
-- returns: column_name, column_type, null, key, default, extra
DESCRIBE SELECT * FROM read_json(
    $path, format = 'newline_delimited', sample_size = -1, hive_partitioning = false
)
