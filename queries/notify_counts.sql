-- name: notify_counts
-- How many notifications each route has in each state.
-- params: (none)
-- returns: route, state, n
SELECT route, state, count(*) AS n FROM notifications GROUP BY route, state ORDER BY route, state
