-- name: silence_insert
-- Creates a silence.
-- params: matchers, starts_at, ends_at, created_by, note
-- returns: silence_id
INSERT INTO silences (silence_id, matchers, starts_at, ends_at, created_by, note)
VALUES (nextval('silence_seq'), $matchers, $starts_at, $ends_at, $created_by, $note)
RETURNING silence_id
