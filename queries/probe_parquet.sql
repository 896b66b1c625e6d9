-- name: probe_parquet
-- The first two rows of a Parquet file (1-based) that fail a check (optionally only those whose raw value equals `needle`), with the raw value.
-- params: path, needle
-- fragments: probe_list, condition
-- returns: row_no, raw_value
SELECT row_no, raw_value FROM (
    SELECT row_number() OVER () AS row_no, {{probe_list}} FROM read_parquet($path)
) WHERE {{condition}} AND ($needle IS NULL OR raw_value = $needle)
ORDER BY row_no LIMIT 2
