-- name: estimates_reference_stored
-- Stored predictions served in [start, end) with their labels known by `now`: the
-- labelled rows a calibration map or a loss model is fitted on when the baseline is
-- a window, a model version or the latest labelled days. Labels are read only within
-- [start, end) of prediction times.
-- params: model, start, end, now, version
-- fragments: table, columns
-- returns: model_version, score, prediction, prediction_value, label, label_value, and the asked-for columns
SELECT p.model_version, p.score, p.prediction, p.prediction_value, l.label, l.label_value
       {{columns}}
FROM {{table}} p
JOIN labels l
  ON l.model = $model AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now
 AND l.pred_ts >= $start AND l.pred_ts < $end
WHERE p.ts >= $start AND p.ts < $end
  AND ($version IS NULL OR p.model_version = $version)
