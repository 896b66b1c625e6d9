-- name: silences_all
-- Every silence, newest first.
-- params: (none)
-- returns: silence_id, matchers, starts_at, ends_at, created_by, note, expired_at, expired_by
SELECT * FROM silences ORDER BY silence_id DESC
