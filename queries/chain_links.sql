-- name: chain_links
-- Every link of one table's chain, in order.
-- params: table_name
-- returns: event_id, hash
SELECT event_id, hash FROM event_chain WHERE table_name = $table_name ORDER BY event_id
