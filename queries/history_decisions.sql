-- name: history_decisions
-- The veterans' decisions of past scenario shifts with their incidents and shifts.
-- params: (none)
-- returns: shift_id, engineer, started_at, ended_at, incident_id, model, type, feature, slice, start_ts, end_ts, root_cause, title, action, note, delay_minutes, bug_title, priority, mitigation
SELECT d.shift_id, s.engineer, s.started_at, s.ended_at, i.incident_id, i.model, i.type,
       i.feature, i.slice, i.start_ts, i.end_ts, i.root_cause, i.title, d.action, d.note,
       d.delay_minutes, d.bug_title, d.priority, d.mitigation
FROM scenario_decisions d
JOIN shifts s ON s.shift_id = d.shift_id
JOIN scenario_incidents i ON i.incident_id = d.incident_id
ORDER BY i.start_ts
