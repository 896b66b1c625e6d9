-- name: rollup_delta_create
-- An empty temp table shaped like a model's rollup (or delay) table, to hold the rows
-- an ingest adds to it (or takes from it) before they are merged in.
-- params: (none)
-- fragments: delta, rollups
-- returns: (nothing)
CREATE OR REPLACE TEMP TABLE {{delta}} AS SELECT * FROM {{rollups}} LIMIT 0
