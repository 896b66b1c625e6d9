-- name: doctor_orphans
-- Rows that point at something the store does not hold, per kind: how many, and one id.
-- params: (none)
-- returns: kind, n, example
WITH found AS (
    SELECT 'bug link to a missing bug' AS kind, l.bug_id::VARCHAR AS id
    FROM bug_links l ANTI JOIN bugs b ON b.bug_id = l.bug_id
    UNION ALL
    SELECT 'bug link naming a missing bug', l.target
    FROM bug_links l
    WHERE l.kind = 'bug' AND TRY_CAST(l.target AS BIGINT) NOT IN (SELECT bug_id FROM bugs)
    UNION ALL
    SELECT 'bug link naming a missing alert', l.target
    FROM bug_links l
    WHERE l.kind = 'alert' AND TRY_CAST(l.target AS BIGINT) NOT IN (SELECT alert_id FROM alerts)
    UNION ALL
    SELECT 'bug event of a missing bug', e.event_id::VARCHAR
    FROM bug_events e ANTI JOIN bugs b ON b.bug_id = e.bug_id
    UNION ALL
    SELECT 'alert event of a missing alert', e.event_id::VARCHAR
    FROM alert_events e ANTI JOIN alerts a ON a.alert_id = e.alert_id
    UNION ALL
    SELECT 'bug event without its seal', e.event_id::VARCHAR
    FROM bug_events e ANTI JOIN bug_events_seal s ON s.event_id = e.event_id
    UNION ALL
    SELECT 'alert event without its seal', e.event_id::VARCHAR
    FROM alert_events e ANTI JOIN alert_events_seal s ON s.event_id = e.event_id
)
SELECT kind, count(*) AS n, min(id) AS example FROM found GROUP BY kind ORDER BY kind
