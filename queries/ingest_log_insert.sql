-- name: ingest_log_insert
-- Records one ingested file.
-- params: ingest_id, model, kind, path, sha256, rows_in_file, rows_added, rows_replaced, rows_unchanged, min_ts, max_ts, ingested_at, seconds, actor
-- returns: (nothing)
INSERT INTO ingest_log VALUES (
    $ingest_id, $model, $kind, $path, $sha256, $rows_in_file, $rows_added, $rows_replaced,
    $rows_unchanged, $min_ts, $max_ts, $ingested_at, $seconds, $actor
)
