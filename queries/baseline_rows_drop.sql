-- name: baseline_rows_drop
-- Drops the temporary `baseline_rows` table once its histograms are computed.
-- params: (none)
-- returns: (nothing)
DROP TABLE IF EXISTS baseline_rows
