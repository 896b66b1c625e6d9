-- name: predictions_other_class
-- One stored class value of a binary model other than its positive class, from its
-- predictions or its labels: the model's negative class as the store knows it.
-- params: model, positive
-- fragments: table
-- returns: value
SELECT value FROM (
    (SELECT prediction AS value FROM {{table}} WHERE prediction <> $positive LIMIT 1)
    UNION ALL
    (SELECT label AS value FROM labels WHERE model = $model AND label <> $positive LIMIT 1)
) ORDER BY value LIMIT 1
