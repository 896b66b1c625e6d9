-- name: predictions_mark_changed
-- Staged predictions whose stored row differs, collected into the temp table `changed`.
-- params: (none)
-- fragments: table, differs
-- returns: (nothing)
CREATE OR REPLACE TEMP TABLE changed AS
SELECT s.prediction_id FROM stage s
JOIN {{table}} p ON p.prediction_id = s.prediction_id
WHERE {{differs}}
