-- name: rollup_drop_table
-- Drops a model's rollup table (its slice columns changed; it is rebuilt).
-- params: (none)
-- fragments: table
-- returns: (nothing)
DROP TABLE IF EXISTS {{table}}
