-- name: chain_insert
-- Adds links to the chain, in one statement: the i-th event id with the i-th hash.
-- params: table_name, event_ids, hashes
-- returns: (nothing)
INSERT INTO event_chain
SELECT $table_name, unnest($event_ids::BIGINT[]), unnest($hashes::VARCHAR[])
