-- name: rollup_mark_stage_days
-- Marks the days of the staged predictions dirty.
-- params: model
-- returns: (nothing)
INSERT OR IGNORE INTO rollup_dirty
SELECT DISTINCT $model, date_trunc('day', ts) FROM stage
