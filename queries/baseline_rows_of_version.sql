-- name: baseline_rows_of_version
-- Copies the stored predictions of one model version served in [start, end) (its first
-- week) into the temporary `baseline_rows` table: the rows a `model_version` baseline
-- is computed from.
-- params: model_version, start, end
-- fragments: table
-- returns: (nothing)
CREATE OR REPLACE TEMP TABLE baseline_rows AS
SELECT * FROM {{table}}
WHERE model_version = $model_version AND ts >= $start AND ts < $end
