-- name: history_incident_insert
-- Records a planted incident of a scenario (the ground truth for tests and drills).
-- params: incident_id, model, type, feature, slice, start_ts, end_ts, root_cause, title
-- returns: (nothing)
INSERT OR REPLACE INTO scenario_incidents
VALUES ($incident_id, $model, $type, $feature, $slice, $start_ts, $end_ts, $root_cause, $title)
