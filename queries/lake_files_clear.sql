-- name: lake_files_clear
-- Forgets the files a lake model's last sync read (before recording this sync's).
-- params: model
-- returns: (nothing)
DELETE FROM lake_files WHERE model = $model
