-- name: checks_quantiles
-- Inner bin edges of numeric columns over the baseline: one quantile list per column.
-- params: start, end, probabilities
-- fragments: table, quantiles
-- returns: one list of edges per column
SELECT {{quantiles}} FROM {{table}} WHERE ts >= $start AND ts < $end
