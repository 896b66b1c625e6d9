-- name: store_id_highs
-- The highest id in use per id sequence, read from the rows themselves.
-- params: (none)
-- returns: sequence_name, high
SELECT 'bug_seq' AS sequence_name, max(bug_id) AS high FROM bugs
UNION ALL SELECT 'bug_event_seq', max(event_id) FROM bug_events
UNION ALL SELECT 'alert_seq', max(alert_id) FROM alerts
UNION ALL SELECT 'alert_event_seq', max(event_id) FROM alert_events
UNION ALL SELECT 'silence_seq', max(silence_id) FROM silences
UNION ALL SELECT 'shift_seq', max(shift_id) FROM shifts
UNION ALL SELECT 'ingest_seq', max(ingest_id) FROM ingest_log
UNION ALL SELECT 'shadow_session_seq', max(session_id) FROM shadow_sessions
UNION ALL SELECT 'notify_seq', max(notification_id) FROM notifications
