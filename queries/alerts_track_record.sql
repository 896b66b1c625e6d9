-- name: alerts_track_record
-- Per alert type (model, kind, feature): episodes, how many were acted on (acked with a
-- note, turned into a bug, marked actionable), how many were noise (marked noise, or
-- resolved by themselves with no human touching them), the median time to resolve,
-- and, for alerts on estimates, how many were checked against the labels since
-- arrived and how many of those the estimate got right.
-- params: (none)
-- returns: model, kind, feature, episodes, acted, noise, median_minutes, last_noise_by, last_noise_at, estimates_checked, estimates_right
WITH human AS (
    SELECT alert_id,
           bool_or(action = 'ack' AND json_extract_string(detail, '$.note') <> '') AS acked_note,
           bool_or(action = 'bug_filed') AS bug,
           count(*) FILTER (WHERE actor <> 'oncall') AS touches
    FROM alert_events GROUP BY alert_id
)
SELECT a.model, a.kind, a.feature,
       count(*) AS episodes,
       count(*) FILTER (WHERE coalesce(h.acked_note, false) OR coalesce(h.bug, false)
                        OR a.marked = 'actionable') AS acted,
       count(*) FILTER (WHERE a.marked = 'noise'
                        OR (a.state = 'resolved' AND a.resolved_by IS NULL
                            AND coalesce(h.touches, 0) = 0)) AS noise,
       median(epoch(a.resolved_at - a.first_seen) / 60) AS median_minutes,
       arg_max(a.marked_by, a.last_seen) FILTER (WHERE a.marked = 'noise') AS last_noise_by,
       max(a.last_seen) FILTER (WHERE a.marked = 'noise') AS last_noise_at,
       count(*) FILTER (WHERE json_extract_string(a.detail, '$.estimate_right')
                              IN ('true', 'false')) AS estimates_checked,
       count(*) FILTER (WHERE json_extract_string(a.detail, '$.estimate_right') = 'true')
           AS estimates_right
FROM alerts a LEFT JOIN human h USING (alert_id)
WHERE a.state <> 'retracted'
GROUP BY a.model, a.kind, a.feature
