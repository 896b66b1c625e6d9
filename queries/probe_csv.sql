-- name: probe_csv
-- The first two data rows of a CSV file (1-based, header excluded) that fail a check (optionally only those whose raw value equals `needle`).
-- params: path, needle
-- fragments: csv_columns, probe_list, condition
-- returns: row_no, raw_value
SELECT row_no, raw_value FROM (
    SELECT row_number() OVER () AS row_no, {{probe_list}}
    FROM read_csv(
        $path, header = true, auto_detect = false, columns = {{csv_columns}},
        delim = ',', quote = '"', escape = '"', strict_mode = true,
        null_padding = false, ignore_errors = false
    )
) WHERE {{condition}} AND ($needle IS NULL OR raw_value = $needle)
ORDER BY row_no LIMIT 2
