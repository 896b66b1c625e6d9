-- name: probe_csv
-- The first two data rows of a CSV file (1-based, header excluded) that fail a check (optionally only those whose raw value equals `needle`).
-- `partition` holds the Hive partition values the file's path gives (may be empty).
-- hive_partitioning = false: the private copy's folder may be named key=value; partition
-- values come only from the user's own path, bound as `partition`.
-- params: path, partition, needle
-- fragments: csv_columns, probe_list, condition
-- returns: row_no, raw_value
SELECT row_no, raw_value FROM (
    SELECT row_number() OVER () AS row_no, {{probe_list}}
    FROM (SELECT *, CAST($partition AS VARCHAR[]) AS __oncall_partition FROM read_csv(
        $path, header = true, auto_detect = false, columns = {{csv_columns}},
        delim = ',', quote = '"', escape = '"', strict_mode = true,
        null_padding = false, ignore_errors = false, hive_partitioning = false
    ))
) WHERE {{condition}} AND ($needle IS NULL OR raw_value = $needle)
ORDER BY row_no LIMIT 2
