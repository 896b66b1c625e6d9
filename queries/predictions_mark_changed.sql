-- name: predictions_mark_changed
-- Staged predictions whose stored row differs, collected into the temp table `changed`.
-- params: model
-- fragments: differs
-- returns: (nothing)
CREATE OR REPLACE TEMP TABLE changed AS
SELECT s.prediction_id FROM stage s
JOIN predictions p ON p.model = $model AND p.prediction_id = s.prediction_id
WHERE {{differs}}
