-- name: focus_slices
-- Per slice over a window: its rows, how many of them are an alert's evidence (the
-- focus: nulls, out-of-range or unexpected values, rows in shifted bins, rows without
-- a label) and the latest row's time.
-- params: model, since, until, now, values, focus_num, focus_text, focus_known
-- fragments: table, groups, group_by, filters, focus
-- returns: slice columns, n, offending, last_ts
SELECT {{groups}} count(*) AS n, count(*) FILTER (WHERE {{focus}}) AS offending,
       max(p.ts) AS last_ts
FROM {{table}} p
LEFT JOIN labels l
       ON l.model = $model AND l.prediction_id = p.prediction_id AND l.labeled_at <= $now
      AND l.pred_ts >= $since AND l.pred_ts < $until
WHERE p.ts >= $since AND p.ts < $until
  AND {{filters}}
{{group_by}}
