-- name: rollup_staged_drop
-- Drops the staged file's predictions and labels read for the rollups
-- (rollup_staged_rows, rollup_staged_labels).
-- params: (none)
-- returns: (nothing)
DROP TABLE IF EXISTS rollup_staged;
DROP TABLE IF EXISTS rollup_staged_labels
