-- name: probe_parquet
-- The first two rows of a Parquet file (1-based) that fail a check (optionally only those whose raw value equals `needle`), with the raw value.
-- `partition` holds the Hive partition values the file's path gives (may be empty).
-- hive_partitioning = false: the private copy's folder may be named key=value; partition
-- values come only from the user's own path, bound as `partition`.
-- params: path, partition, needle
-- fragments: probe_list, condition
-- returns: row_no, raw_value
SELECT row_no, raw_value FROM (
    SELECT row_number() OVER () AS row_no, {{probe_list}} FROM (
        SELECT *, CAST($partition AS VARCHAR[]) AS __oncall_partition FROM read_parquet($path, hive_partitioning = false)
    )
) WHERE {{condition}} AND ($needle IS NULL OR raw_value = $needle)
ORDER BY row_no LIMIT 2
