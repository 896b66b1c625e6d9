-- name: baseline_alerted_spans
-- The windows of a model's alert episodes of the given kinds that overlap [start, end):
-- from the first failing window's start to the end of the last failing one. Retracted
-- episodes (judged again as passing) are left out.
-- params: model, kinds, start, end
-- returns: span_start, span_end
SELECT first_window_start AS span_start, last_seen AS span_end
FROM alerts
WHERE model = $model AND list_contains($kinds, kind) AND state <> 'retracted'
  AND first_window_start < $end AND last_seen > $start
ORDER BY span_start, span_end
