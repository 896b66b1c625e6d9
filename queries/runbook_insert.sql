-- name: runbook_insert
-- Writes a runbook note for an alert type.
-- params: model, kind, feature, text, author, at
-- returns: (nothing)
INSERT INTO runbook_notes VALUES ($model, $kind, $feature, $text, $author, $at)
