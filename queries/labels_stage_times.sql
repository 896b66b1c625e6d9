-- name: labels_stage_times
-- Gives each staged label its prediction's time, `pred_ts` (NULL while the prediction
-- has not arrived): the one read of the model's predictions a labels file needs; every
-- later statement of the ingest is bounded by these times. (The stage is rebuilt with
-- the column: an UPDATE of a large temp table through a join is far slower.)
-- params: (none)
-- fragments: table
-- returns: (nothing)
CREATE OR REPLACE TEMP TABLE stage AS
SELECT s.*, p.ts AS pred_ts
FROM stage s
LEFT JOIN {{table}} p ON p.prediction_id = s.prediction_id
