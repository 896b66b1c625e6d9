-- name: baseline_window_state
-- What a baseline window holds now: its rows and the newest ingest among them, so a
-- cached baseline can tell that late rows (or rows ingested again) changed it.
-- params: start, end
-- fragments: table
-- returns: n, last_ingest
SELECT count(*) AS n, coalesce(max(ingest_id), 0) AS last_ingest
FROM {{table}}
WHERE ts >= $start AND ts < $end
