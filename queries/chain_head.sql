-- name: chain_head
-- The last chained event of an append-only table and its hash (no row when none).
-- params: table_name
-- returns: event_id, hash
SELECT event_id, hash FROM event_chain
WHERE table_name = $table_name
ORDER BY event_id DESC
LIMIT 1
