-- name: rollup_mark_label_days
-- Marks dirty the days of the predictions whose labels a staged labels file touches.
-- params: model
-- fragments: table
-- returns: (nothing)
INSERT OR IGNORE INTO rollup_dirty
SELECT DISTINCT $model, date_trunc('day', p.ts)
FROM stage s JOIN {{table}} p ON p.prediction_id = s.prediction_id
