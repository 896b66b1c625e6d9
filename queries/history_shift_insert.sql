-- name: history_shift_insert
-- Records a shift (live or from a scenario's history).
-- params: engineer, role, primary_of, started_at, ended_at, source
-- returns: shift_id
INSERT INTO shifts
VALUES (nextval('shift_seq'), $engineer, $role, $primary_of, $started_at, $ended_at, $source)
RETURNING shift_id
