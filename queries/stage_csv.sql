-- name: stage_csv
-- Reads a CSV file strictly into the temporary `stage` table: no sniffing, no skipped
-- or padded rows; columns get positional names c0, c1, … and are cast afterwards.
-- params: path
-- fragments: csv_columns, select_list
-- returns: (nothing)
CREATE OR REPLACE TEMP TABLE stage AS
SELECT {{select_list}}
FROM read_csv(
    $path, header = true, auto_detect = false, columns = {{csv_columns}},
    delim = ',', quote = '"', escape = '"', strict_mode = true,
    null_padding = false, ignore_errors = false
)
