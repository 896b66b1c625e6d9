-- name: lake_rollup
-- The daily rollup rows (the columns of rollups__<model>, see rollup_rebuild) of the
-- predictions in [lo, hi) of a lake model, computed where the data lives: written once
-- in DuckDB's dialect, run as is on DuckDB and transpiled by SQLGlot for Spark (so it
-- keeps to functions both know, plus epoch_us, which the Spark engine renames). Reads
-- the views lake_predictions and lake_labels; each prediction takes its newest label
-- (a lake may keep every version of a label). A NaN score counts as no score. As at
-- ingest, a regression model's values are its prediction and label read as numbers.
-- params: regression, lo, hi
-- fragments: slice_select, slice_columns
-- returns: day, model_version, (slice columns), prediction, label, score_bin, n, sum_score, abs_err, sq_err, err, quad_err
WITH newest AS (
    SELECT prediction_id, label, label_value
    FROM (
        SELECT CAST(prediction_id AS VARCHAR) AS prediction_id, CAST(label AS VARCHAR) AS label,
               TRY_CAST(label AS DOUBLE) AS label_value,
               row_number() OVER (PARTITION BY CAST(prediction_id AS VARCHAR)
                                  ORDER BY labeled_at DESC, CAST(label AS VARCHAR) DESC) AS pick
        FROM lake_labels
        -- Only the labels of this span's predictions are ranked (a semi-join first: a
        -- day's sync does not sort every label the lake holds).
        WHERE CAST(prediction_id AS VARCHAR) IN (
            SELECT CAST(prediction_id AS VARCHAR) FROM lake_predictions
            WHERE ts >= CAST($lo AS TIMESTAMP) AND ts < CAST($hi AS TIMESTAMP)
        )
    ) ranked
    WHERE pick = 1
),
r AS (
    SELECT date_trunc('day', p.ts) AS day,
           coalesce(CAST(p.model_version AS VARCHAR), 'unknown') AS model_version,
           {{slice_select}}
           CASE WHEN $regression THEN NULL ELSE CAST(p.prediction AS VARCHAR) END AS prediction,
           CASE WHEN $regression THEN (CASE WHEN l.prediction_id IS NULL THEN NULL ELSE '*' END)
                ELSE l.label END AS label,
           CASE WHEN isnan(p.score) THEN NULL ELSE CAST(p.score AS DOUBLE) END AS score,
           -- As rollup_rebuild bins it (least() skips a NULL there too).
           CAST(least(floor(CASE WHEN isnan(p.score) THEN NULL ELSE p.score END * 20), 19)
                AS INTEGER) AS score_bin,
           CASE WHEN $regression THEN TRY_CAST(p.prediction AS DOUBLE) END - l.label_value AS e
    FROM lake_predictions p
    LEFT JOIN newest l ON l.prediction_id = CAST(p.prediction_id AS VARCHAR)
    WHERE p.ts >= CAST($lo AS TIMESTAMP) AND p.ts < CAST($hi AS TIMESTAMP)
)
SELECT day, model_version, {{slice_columns}} prediction, label, score_bin,
       count(*) AS n,
       sum(score) AS sum_score,
       sum(abs(e)) AS abs_err,
       sum(power(e, 2)) AS sq_err,
       sum(e) AS err,
       sum(power(e, 4)) AS quad_err
FROM r
GROUP BY day, model_version, {{slice_columns}} prediction, label, score_bin
