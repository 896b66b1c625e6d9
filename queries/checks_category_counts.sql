-- name: checks_category_counts
-- Rows per window, categorical feature and value (nulls left out).
-- params: start, end, step
-- fragments: table, columns
-- returns: w, feature, value, n
SELECT w, feature, value, count(*) AS n
FROM (
    UNPIVOT (
        SELECT time_bucket(to_seconds($step), ts) AS w, {{columns}}
        FROM {{table}} WHERE ts >= $start AND ts < $end
    ) ON {{columns}} INTO NAME feature VALUE value
)
GROUP BY ALL
