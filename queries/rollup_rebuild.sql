-- name: rollup_rebuild
-- Rebuilds the rollups of a run of whole dirty days [lo, hi) of a model from raw rows
-- and current labels (after rollup_delete_dirty removed their old rows). Both sides
-- are bounded by the run: a one-day rebuild reads that day's predictions and labels.
-- (`table`: the model's predictions, or only those of a file an ingest adds;
-- `labels`: the labels table, only those predictions' labels, or none, for what they
-- were before their labels came.)
-- params: model, regression, lo, hi
-- fragments: table, labels, rollups, slice_select
-- returns: (nothing)
INSERT INTO {{rollups}} BY NAME
SELECT date_trunc('day', p.ts) AS day, p.model_version, {{slice_select}}
       CASE WHEN $regression THEN NULL ELSE p.prediction END AS prediction,
       CASE WHEN $regression THEN (CASE WHEN l.prediction_id IS NULL THEN NULL ELSE '*' END)
            ELSE l.label END AS label,
       least(floor(p.score * 20), 19)::INTEGER AS score_bin,
       count(*) AS n,
       sum(p.score) AS sum_score,
       sum(abs(p.prediction_value - l.label_value)) AS abs_err,
       sum((p.prediction_value - l.label_value) ^ 2) AS sq_err,
       sum(p.prediction_value - l.label_value) AS err,
       sum((p.prediction_value - l.label_value) ^ 4) AS quad_err
FROM {{table}} p
LEFT JOIN {{labels}} l ON l.model = $model AND l.prediction_id = p.prediction_id
      AND l.pred_ts >= $lo AND l.pred_ts < $hi
WHERE p.ts >= $lo AND p.ts < $hi
GROUP BY ALL
