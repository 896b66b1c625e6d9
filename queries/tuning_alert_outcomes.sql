-- name: tuning_alert_outcomes
-- Every stored alert that was not retracted, with what people did with it: acted on
-- (acked with a note, a bug filed, marked actionable) and when first, marked noise, or
-- ignored (resolved by itself with no human touching it). The record a back-test and
-- the surfacing policy learn from.
-- params: (none)
-- returns: alert_id, fingerprint, model, kind, feature, slice, severity, state, first_window_start, first_seen, last_seen, resolved_at, resolved_by, acted, acted_at, noise, ignored
WITH human AS (
    SELECT alert_id,
           min(acted_at) FILTER (WHERE (action = 'ack'
                                        AND json_extract_string(detail, '$.note') <> '')
                                       OR action IN ('bug_filed', 'mark_actionable'))
               AS first_act,
           bool_or(action = 'ack' AND json_extract_string(detail, '$.note') <> '') AS acked_note,
           bool_or(action = 'bug_filed') AS bug,
           count(*) FILTER (WHERE actor <> 'oncall') AS touches
    FROM alert_events GROUP BY alert_id
)
SELECT a.alert_id, a.fingerprint, a.model, a.kind, a.feature, a.slice, a.severity, a.state,
       a.first_window_start, a.first_seen, a.last_seen, a.resolved_at, a.resolved_by,
       (coalesce(h.acked_note, false) OR coalesce(h.bug, false)
        OR a.marked = 'actionable') AS acted,
       h.first_act AS acted_at,
       (a.marked = 'noise') IS TRUE AS noise,
       (a.state = 'resolved' AND a.resolved_by IS NULL
        AND coalesce(h.touches, 0) = 0) AS ignored
FROM alerts a LEFT JOIN human h USING (alert_id)
WHERE a.state <> 'retracted'
ORDER BY a.model, a.kind, a.feature, a.first_seen, a.alert_id
