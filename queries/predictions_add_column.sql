-- name: predictions_add_column
-- Adds a declared slice or feature column to a model's predictions table.
-- params: (none)
-- fragments: table, column, column_type
-- returns: (nothing)
ALTER TABLE {{table}} ADD COLUMN IF NOT EXISTS {{column}} {{column_type}}
