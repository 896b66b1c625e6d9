-- name: shift_open_primary
-- The open live primary shift, if any.
-- params: (none)
-- returns: shift_id, engineer, role, primary_of, started_at, ended_at, source
SELECT * FROM shifts WHERE role = 'primary' AND ended_at IS NULL
ORDER BY started_at DESC LIMIT 1
