-- name: labels_insert_all
-- Inserts every staged label (none of their predictions had a label: the merge counts
-- said so, so the anti-join of labels_insert_new would keep them all), with their
-- prediction's time, in the order of that time (see labels_insert_new).
-- params: model, now, ingest_id
-- returns: (nothing)
INSERT INTO labels BY NAME
SELECT $model AS model, s.prediction_id, s.label, s.label_value, s.labeled_at,
       $now AS ingested_at, $ingest_id AS ingest_id, s.pred_ts
FROM stage s
ORDER BY s.pred_ts
