-- name: predictions_add_column
-- Adds a declared slice or feature column to the wide predictions table.
-- params: (none)
-- fragments: column, column_type
-- returns: (nothing)
ALTER TABLE predictions ADD COLUMN IF NOT EXISTS {{column}} {{column_type}}
