-- name: labels_stage_times
-- Gives each staged label its prediction's time (NULL while the prediction has not
-- arrived): the one read of the model's predictions a labels file needs; every later
-- statement of the ingest is bounded by these times.
-- params: (none)
-- fragments: table
-- returns: (nothing)
UPDATE stage SET pred_ts = p.ts
FROM {{table}} p
WHERE p.prediction_id = stage.prediction_id
