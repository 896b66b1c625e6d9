-- name: rollup_rebuild_delays
-- Rebuilds the label-delay histograms of a run of whole dirty days [lo, hi) of a model
-- from raw rows and current labels (after rollup_delete_dirty removed their old rows),
-- overall and per value of each slice column (unlabelled rows per hour of the day);
-- both sides bounded by the run.
-- (`table`: the model's predictions, or only those of a file an ingest adds;
-- `labels`: the labels table, only those predictions' labels, or none, for what they
-- were before their labels came.)
-- params: model, lo, hi
-- fragments: table, labels, delays, slice_select, slice_columns, grouped_by, grouping_sets, horizon, bucket
-- returns: (nothing)
INSERT INTO {{delays}} BY NAME
SELECT day, {{grouped_by}} AS grouped_by, {{slice_columns}} horizon, bucket, hour, count(*) AS n
FROM (
    SELECT date_trunc('day', p.ts) AS day, {{slice_select}}
           {{horizon}} AS horizon, {{bucket}} AS bucket,
           CASE WHEN l.prediction_id IS NULL THEN hour(p.ts) END AS hour
    FROM {{table}} p
    LEFT JOIN {{labels}} l ON l.model = $model AND l.prediction_id = p.prediction_id
          AND l.pred_ts >= $lo AND l.pred_ts < $hi
    WHERE p.ts >= $lo AND p.ts < $hi
) p
GROUP BY GROUPING SETS ({{grouping_sets}})
