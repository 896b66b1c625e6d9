-- name: notify_cursor_get
-- The last alert event already turned into notifications.
-- params: (none)
-- returns: last_event_id
SELECT last_event_id FROM notify_cursor
