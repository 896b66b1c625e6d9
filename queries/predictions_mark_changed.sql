-- name: predictions_mark_changed
-- Staged predictions whose stored row differs, collected into the temp table `changed`
-- with the stored row's time (their labels carry it until labels_fill_times moves it).
-- params: (none)
-- fragments: table, differs
-- returns: (nothing)
CREATE OR REPLACE TEMP TABLE changed AS
SELECT s.prediction_id, p.ts AS old_ts FROM stage s
JOIN {{table}} p ON p.prediction_id = s.prediction_id
WHERE {{differs}}
