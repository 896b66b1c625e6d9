-- name: chain_insert
-- Adds one link to the chain.
-- params: table_name, event_id, hash
-- returns: (nothing)
INSERT INTO event_chain VALUES ($table_name, $event_id, $hash)
