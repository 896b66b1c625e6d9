-- name: store_facts
-- How many bugs and alerts a store holds (for backup and restore messages).
-- params: (none)
-- returns: bugs, alerts
SELECT (SELECT count(*) FROM bugs) AS bugs, (SELECT count(*) FROM alerts) AS alerts
