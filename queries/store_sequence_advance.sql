-- name: store_sequence_advance
-- Draws `n` values from a sequence so the next id is past the ones already handed out.
-- params: sequence_name, n
-- returns: last_value
SELECT max(nextval($sequence_name)) AS last_value FROM range($n)
