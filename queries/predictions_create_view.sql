-- name: predictions_create_view
-- (Re)creates the `predictions` view: every model's rows with a `model` column.
-- params: (none)
-- fragments: union
-- returns: (nothing)
CREATE OR REPLACE VIEW predictions AS {{union}}
