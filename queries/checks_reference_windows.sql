-- name: checks_reference_windows
-- Baseline rows per reference window, feature and cell, for thresholds derived from the
-- baseline itself. Window k covers [start + k*step, start + (k+1)*step), counted from the
-- baseline's own start (not from time_bucket's origin). A cell is a numeric feature's
-- bin over the baseline's edges (the `cells` fragment reads them from the bound list
-- `$edges`), as text, or a categorical feature's value; nulls left out.
-- params: start, end, step, edges
-- fragments: table, cells, cell_columns
-- returns: k, feature, cell, n
SELECT k, feature, cell, count(*) AS n
FROM (
    UNPIVOT (
        SELECT CAST(floor((epoch(ts) - epoch(CAST($start AS TIMESTAMP))) / $step) AS BIGINT) AS k,
               {{cells}}
        FROM {{table}} WHERE ts >= $start AND ts < $end
    ) ON {{cell_columns}} INTO NAME feature VALUE cell
)
GROUP BY ALL
