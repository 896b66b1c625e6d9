-- name: rollup_mark_label_days
-- Marks dirty the days of the predictions whose labels a staged labels file touches
-- (their times were staged by labels_stage_times; a label without a prediction
-- touches no day until the prediction arrives and marks its own day).
-- params: model
-- returns: (nothing)
INSERT OR IGNORE INTO rollup_dirty
SELECT DISTINCT $model, date_trunc('day', pred_ts) FROM stage WHERE pred_ts IS NOT NULL
