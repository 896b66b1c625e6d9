-- name: lake_delays
-- The daily label-delay histogram rows (the columns of label_delays__<model>, see
-- rollup_rebuild_delays and tui.core.ingest.rollups) of the predictions in [lo, hi) of
-- a lake model: overall and per value of each slice column, rows per delay horizon (1,
-- 3, 7, 14 days, 99 beyond) and log-spaced bucket ($steps to each factor of e,
-- $zero_bucket for a delay of 0 or less: a label that came before its prediction),
-- unlabelled rows per hour of the day. One text for DuckDB and (through SQLGlot) Spark;
-- the delay is taken in microseconds, which both engines count exactly.
-- params: lo, hi, steps, zero_bucket
-- fragments: slice_select, slice_columns, grouped_by, grouping_sets
-- returns: day, grouped_by, (slice columns), horizon, bucket, hour, n
WITH newest AS (
    SELECT prediction_id, labeled_at
    FROM (
        SELECT CAST(prediction_id AS VARCHAR) AS prediction_id, labeled_at,
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
d AS (
    SELECT date_trunc('day', p.ts) AS day, {{slice_select}}
           l.prediction_id IS NOT NULL AS labelled,
           (epoch_us(l.labeled_at) - epoch_us(p.ts)) / 1000000.0 AS delay,
           hour(p.ts) AS hour_of_day
    FROM lake_predictions p
    LEFT JOIN newest l ON l.prediction_id = CAST(p.prediction_id AS VARCHAR)
    WHERE p.ts >= CAST($lo AS TIMESTAMP) AND p.ts < CAST($hi AS TIMESTAMP)
),
h AS (
    SELECT day, {{slice_columns}}
           CASE WHEN NOT labelled THEN NULL
                WHEN delay <= 86400 THEN 1 WHEN delay <= 259200 THEN 3
                WHEN delay <= 604800 THEN 7 WHEN delay <= 1209600 THEN 14
                ELSE 99 END AS horizon,
           CASE WHEN NOT labelled THEN NULL WHEN delay <= 0 THEN $zero_bucket
                ELSE CAST(floor(ln(delay / 3600) * $steps) AS INTEGER) END AS bucket,
           CASE WHEN NOT labelled THEN hour_of_day END AS hour
    FROM d
)
SELECT day, {{grouped_by}} AS grouped_by, {{slice_columns}} horizon, bucket, hour, count(*) AS n
FROM h
GROUP BY GROUPING SETS ({{grouping_sets}})
