-- name: store_changes
-- The change counter; it moves whenever anything is written.
-- params: (none)
-- returns: changes
SELECT changes FROM store_state WHERE id = 1
