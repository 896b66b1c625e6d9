-- name: rollup_staged_labels
-- The labels of the staged file's predictions (rollup_staged), read once for every
-- rollup query of the ingest that adds them: a labels file's own rows (all of them
-- new, each with its prediction's time), or for a predictions file the labels that
-- came before it.
-- params: model, lo, hi
-- fragments: source
-- returns: (nothing)
CREATE OR REPLACE TEMP TABLE rollup_staged_labels AS
SELECT $model AS model, l.prediction_id, l.label, l.label_value, l.labeled_at, l.pred_ts
FROM {{source}} l
WHERE l.pred_ts >= $lo AND l.pred_ts < $hi
  AND l.prediction_id IN (SELECT prediction_id FROM rollup_staged)
