-- Each label carries its prediction's timestamp (`pred_ts`), so a label join can be
-- bounded by the window on both sides: the labels scan keeps only the row groups whose
-- pred_ts falls in the window instead of hashing every label of the model.
-- A label whose prediction has not arrived yet has pred_ts NULL; ingesting that
-- prediction fills it (and a prediction re-ingested with another ts moves it), so a
-- label with a prediction always has that prediction's ts. Joins therefore match on
-- (model, prediction_id) and filter pred_ts by the window: a NULL pred_ts has no
-- prediction to join.
ALTER TABLE labels ADD COLUMN pred_ts TIMESTAMP;

UPDATE labels AS l SET pred_ts = p.ts
FROM predictions p
WHERE p.model = l.model AND p.prediction_id = l.prediction_id;
