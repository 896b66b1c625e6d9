-- name: probe_csv_head
-- The first line of a compressed text file (zstd, which Python 3.11 cannot read),
-- decompressed by DuckDB, as one raw string: no delimiter or quote is recognised.
-- hive_partitioning = false: a folder named key=value must not add a column.
-- params: path
-- returns: line
SELECT line FROM read_csv(
    $path, header = false, auto_detect = false, columns = {'line': 'VARCHAR'},
    delim = chr(1), quote = '', escape = '', strict_mode = false,
    null_padding = false, ignore_errors = false, hive_partitioning = false
) LIMIT 1
