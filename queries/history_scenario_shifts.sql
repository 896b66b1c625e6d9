-- name: history_scenario_shifts
-- Past primary shifts from a scenario, with the note the primary leaves on noise.
-- params: (none)
-- returns: shift_id, engineer, started_at, ended_at
SELECT shift_id, engineer, started_at, ended_at FROM shifts
WHERE source = 'scenario' AND role = 'primary' ORDER BY started_at
