-- name: stage_csv
-- Reads a CSV file strictly into the temporary `stage` table: no sniffing, no skipped
-- or padded rows; columns get positional names c0, c1, … and are cast afterwards.
-- `partition` holds the Hive partition values the file's path gives (may be empty).
-- hive_partitioning = false: the private copy's folder may be named key=value; partition
-- values come only from the user's own path, bound as `partition`.
-- params: path, partition
-- fragments: csv_columns, select_list
-- returns: (nothing)
CREATE OR REPLACE TEMP TABLE stage AS
SELECT {{select_list}}
FROM (SELECT *, CAST($partition AS VARCHAR[]) AS __oncall_partition FROM read_csv(
    $path, header = true, auto_detect = false, columns = {{csv_columns}},
    delim = ',', quote = '"', escape = '"', strict_mode = true,
    null_padding = false, ignore_errors = false, hive_partitioning = false
))
