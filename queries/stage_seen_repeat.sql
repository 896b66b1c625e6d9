-- name: stage_seen_repeat
-- A staged id that an earlier file of the same multi-file ingest already holds, and
-- the number of that earlier file.
-- params: (none)
-- returns: prediction_id, part
SELECT s.prediction_id, min(t.part) AS part
FROM stage s JOIN stage_seen t ON t.prediction_id = s.prediction_id
GROUP BY s.prediction_id ORDER BY s.prediction_id LIMIT 1
