-- name: rollup_mark_all_days
-- Marks every day of a model dirty (after its rollup table was recreated).
-- params: model
-- fragments: table
-- returns: (nothing)
INSERT OR IGNORE INTO rollup_dirty
SELECT DISTINCT $model, date_trunc('day', ts) FROM {{table}}
