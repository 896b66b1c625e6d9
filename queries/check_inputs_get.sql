-- name: check_inputs_get
-- What each re-judging check kind of a model last judged its windows on.
-- params: model
-- returns: kind, judged_now, ingest_id, config
SELECT kind, judged_now, ingest_id, config FROM check_inputs WHERE model = $model
