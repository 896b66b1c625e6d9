-- name: store_bump_changes
-- Bumps the change counter; run by every write transaction before it commits.
-- params: (none)
-- returns: (nothing)
UPDATE store_state SET changes = changes + 1 WHERE id = 1
