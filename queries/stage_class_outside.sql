-- name: stage_class_outside
-- Distinct staged class values (of the fragment's column) that are not in `allowed`,
-- first few in order.
-- params: allowed
-- fragments: column
-- returns: value
SELECT DISTINCT {{column}} AS value FROM stage
WHERE {{column}} IS NOT NULL AND NOT list_contains($allowed, {{column}})
ORDER BY value LIMIT 3
