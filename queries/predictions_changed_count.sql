-- name: predictions_changed_count
-- How many staged predictions differ from the stored ones (see predictions_mark_changed).
-- params: (none)
-- returns: n
SELECT count(*) AS n FROM changed
