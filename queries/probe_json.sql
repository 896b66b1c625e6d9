-- name: probe_json
-- The first two lines of a JSON-lines file (1-based) that fail a check (optionally only those whose raw value equals `needle`), with the raw value.
-- params: path, needle
-- fragments: probe_list, condition
-- returns: row_no, raw_value
SELECT row_no, raw_value FROM (
    SELECT row_number() OVER () AS row_no, {{probe_list}}
    FROM read_json($path, format = 'newline_delimited', sample_size = -1)
) WHERE {{condition}} AND ($needle IS NULL OR raw_value = $needle)
ORDER BY row_no LIMIT 2
