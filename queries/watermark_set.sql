-- name: watermark_set
-- Moves a check kind's watermark (never backwards).
-- params: model, kind, until
-- returns: (nothing)
INSERT INTO check_watermarks VALUES ($model, $kind, $until)
ON CONFLICT (model, kind) DO UPDATE
SET evaluated_until = greatest(check_watermarks.evaluated_until, excluded.evaluated_until)
