-- name: lake_store_insert
-- Writes aggregate rows an engine computed (registered as `lake_rows`) into a lake
-- model's rollup or delay table, by column name.
-- params: (none)
-- fragments: table
-- returns: (nothing)
INSERT INTO {{table}} BY NAME SELECT * FROM lake_rows
