-- name: checks_bin_counts
-- Rows per window, numeric column and bin (bins from the cached baseline edges, which
-- the `bins` fragment reads from the bound list `$edges`); nulls left out.
-- params: start, end, step, edges
-- fragments: table, bins, bin_columns
-- returns: w, feature, bin, n
SELECT w, feature, bin, count(*) AS n
FROM (
    UNPIVOT (
        SELECT time_bucket(to_seconds($step), ts) AS w, {{bins}}
        FROM {{table}} WHERE ts >= $start AND ts < $end
    ) ON {{bin_columns}} INTO NAME feature VALUE bin
)
GROUP BY ALL
