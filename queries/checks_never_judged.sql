-- name: checks_never_judged
-- Per check of a model, over every stored window: how many windows it was evaluated
-- for, how many of its results were judged (anything but insufficient), its first
-- window and last window end, its step, and the mean rows of its insufficient
-- whole-model results (of all its insufficient results when it has no whole-model
-- one). SLO and offline-gap windows count only once their labels had time to come
-- (ending by `settled`); volume windows only from `volume_from` (a week of history
-- comes first). The never_judged findings themselves are left out. Only the result
-- kinds in `kinds` are read: the ones a run left unjudged, or said never judged before.
-- params: model, settled, volume_from, kinds
-- returns: check_name, kind, windows, judged, first_window, last_window_end, step_seconds, mean_n
SELECT check_name, kind,
       count(DISTINCT window_start) AS windows,
       count(*) FILTER (WHERE status <> 'insufficient') AS judged,
       min(window_start) AS first_window,
       max(window_end) AS last_window_end,
       max(epoch(window_end - window_start)) AS step_seconds,
       coalesce(avg(n) FILTER (WHERE status = 'insufficient' AND slice IS NULL),
                avg(n) FILTER (WHERE status = 'insufficient')) AS mean_n
FROM check_results
WHERE model = $model AND kind <> 'never_judged' AND list_contains($kinds, kind)
  AND (kind NOT IN ('slo', 'offline_gap') OR window_end <= $settled)
  AND (kind <> 'volume' OR window_start >= $volume_from)
GROUP BY check_name, kind
ORDER BY check_name
