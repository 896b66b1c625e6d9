-- name: stage_duplicate_ids
-- A prediction id that appears more than once in the staged file.
-- params: (none)
-- returns: prediction_id, n
SELECT prediction_id, count(*) AS n FROM stage
GROUP BY prediction_id HAVING count(*) > 1
ORDER BY prediction_id LIMIT 1
