-- name: summary_counts
-- Counts of the store's records besides predictions.
-- params: (none)
-- returns: files, labels, incidents, shifts
SELECT (SELECT count(*) FROM ingest_log) AS files,
       (SELECT count(*) FROM labels) AS labels,
       (SELECT count(*) FROM scenario_incidents) AS incidents,
       (SELECT count(*) FROM shifts) AS shifts
