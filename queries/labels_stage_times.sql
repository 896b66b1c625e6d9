-- name: labels_stage_times
-- Gives each staged label its prediction's time, `pred_ts` (NULL while the prediction
-- has not arrived): the one read of the model's predictions a labels file needs; every
-- later statement of the ingest is bounded by these times. The predictions are read
-- only between the least and greatest staged id (the join implies it; the bound lets
-- the scan skip row groups by their id statistics). (The stage is rebuilt with the
-- column: an UPDATE of a large temp table through a join is far slower.)
-- params: lo, hi
-- fragments: table
-- returns: (nothing)
CREATE OR REPLACE TEMP TABLE stage AS
SELECT s.*, p.ts AS pred_ts
FROM stage s
LEFT JOIN (
    SELECT prediction_id, ts FROM {{table}} WHERE prediction_id BETWEEN $lo AND $hi
) p ON p.prediction_id = s.prediction_id
