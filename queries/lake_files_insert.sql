-- name: lake_files_insert
-- Records one Parquet file a sync read.
-- params: model, kind, path, mtime_ns, size, rows, first_day, last_day
-- returns: (nothing)
INSERT INTO lake_files VALUES ($model, $kind, $path, $mtime_ns, $size, $rows, $first_day, $last_day)
