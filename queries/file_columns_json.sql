-- name: file_columns_json
-- The columns of a JSON-lines file, typed by scanning every line.
-- params: path
-- returns: column_name, column_type, null, key, default, extra
DESCRIBE SELECT * FROM read_json($path, format = 'newline_delimited', sample_size = -1)
