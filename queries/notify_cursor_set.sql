-- name: notify_cursor_set
-- Moves the notification cursor past the events just read.
-- params: event_id
-- returns: (nothing)
UPDATE notify_cursor SET last_event_id = greatest(last_event_id, $event_id)
