-- name: stage_add_pred_ts
-- A column for the staged labels' prediction times (filled by labels_stage_times).
-- params: (none)
-- returns: (nothing)
ALTER TABLE stage ADD COLUMN pred_ts TIMESTAMP
