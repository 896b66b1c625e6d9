-- name: history_decision_insert
-- Records what a veteran did about an incident in a past scenario shift.
-- params: shift_id, incident_id, model, kind, action, root_cause, note, delay_minutes, bug_title, priority, mitigation
-- returns: (nothing)
INSERT INTO scenario_decisions
VALUES ($shift_id, $incident_id, $model, $kind, $action, $root_cause, $note, $delay_minutes,
        $bug_title, $priority, $mitigation)
