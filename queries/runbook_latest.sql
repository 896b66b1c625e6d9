-- name: runbook_latest
-- The latest runbook note of every alert type.
-- params: (none)
-- returns: model, kind, feature, text, author, written_at
SELECT model, kind, feature, arg_max(text, written_at) AS text,
       arg_max(author, written_at) AS author, max(written_at) AS written_at
FROM runbook_notes GROUP BY model, kind, feature
