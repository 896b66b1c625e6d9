-- name: stage_label_values
-- The distinct class labels in a staged labels file (first few).
-- params: (none)
-- returns: label
SELECT DISTINCT label FROM stage ORDER BY label LIMIT 20
