-- name: lake_files_of
-- The Parquet files the last sync of a lake model read, with their times and sizes.
-- params: model
-- returns: kind, path, mtime_ns, size, rows, first_day, last_day
SELECT kind, path, mtime_ns, size, rows, first_day, last_day FROM lake_files WHERE model = $model
