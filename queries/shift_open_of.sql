-- name: shift_open_of
-- The open shift of an engineer, if any.
-- params: engineer
-- returns: shift_id, engineer, role, primary_of, started_at, ended_at, source
SELECT * FROM shifts WHERE engineer = $engineer AND ended_at IS NULL
ORDER BY started_at DESC LIMIT 1
