-- name: lake_store_delete
-- Removes a lake model's aggregate rows of the days [lo, hi) (a rollup or delay table)
-- before the sync writes them again.
-- params: lo, hi
-- fragments: table
-- returns: (nothing)
DELETE FROM {{table}} WHERE day >= $lo AND day < $hi
