-- name: shift_end
-- Ends a shift.
-- params: shift_id, at
-- returns: (nothing)
UPDATE shifts SET ended_at = $at WHERE shift_id = $shift_id
