-- name: watermark_get
-- Where each check kind of a model has been evaluated up to.
-- params: model
-- returns: kind, evaluated_until
SELECT kind, evaluated_until FROM check_watermarks WHERE model = $model
