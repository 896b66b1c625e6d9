-- name: rollup_staged_rows
-- The stored predictions of a staged file (the file's own rows, or the predictions its
-- labels belong to), in [lo, hi): one read of the predictions for every rollup query
-- of the ingest that adds them.
-- params: lo, hi
-- fragments: table
-- returns: (nothing)
CREATE OR REPLACE TEMP TABLE rollup_staged AS
SELECT p.* FROM {{table}} p
WHERE p.ts >= $lo AND p.ts < $hi AND p.prediction_id IN (SELECT prediction_id FROM stage)
