-- name: store_sequences
-- Every id sequence and the last value it handed out (NULL before the first).
-- params: (none)
-- returns: sequence_name, last_value
SELECT sequence_name, last_value FROM duckdb_sequences() ORDER BY sequence_name
