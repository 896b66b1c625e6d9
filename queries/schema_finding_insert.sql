-- name: schema_finding_insert
-- Records a declared column a file lacked, or an undeclared one it had.
-- params: ingest_id, model, path, column_name, finding, detail, min_ts, max_ts, found_at
-- returns: (nothing)
INSERT INTO schema_findings VALUES (
    $ingest_id, $model, $path, $column_name, $finding, $detail, $min_ts, $max_ts, $found_at
)
