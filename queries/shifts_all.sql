-- name: shifts_all
-- Every shift, newest first.
-- params: (none)
-- returns: shift_id, engineer, role, primary_of, started_at, ended_at, source
SELECT * FROM shifts ORDER BY started_at DESC, shift_id DESC
