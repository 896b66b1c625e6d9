-- name: labels_insert_new
-- Inserts staged labels for predictions that had none, with their prediction's time
-- (NULL until the prediction arrives; see labels_fill_times), in the order of that time:
-- each row group then spans few days, and a window's label join skips the others.
-- params: model, now, ingest_id, lo, hi
-- fragments: bound
-- returns: (nothing)
INSERT INTO labels BY NAME
SELECT $model AS model, s.prediction_id, s.label, s.label_value, s.labeled_at,
       $now AS ingested_at, $ingest_id AS ingest_id, s.pred_ts
FROM stage s
WHERE NOT EXISTS (
    SELECT 1 FROM labels l
    WHERE l.model = $model AND l.prediction_id = s.prediction_id AND {{bound}}
)
ORDER BY s.pred_ts
