-- name: check_inputs_set
-- Records what a re-judging check kind judged its windows on.
-- params: model, kind, judged_now, ingest_id, config
-- returns: (nothing)
INSERT OR REPLACE INTO check_inputs VALUES ($model, $kind, $judged_now, $ingest_id, $config)
