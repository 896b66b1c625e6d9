-- name: labels_delay_rollup
-- The same histogram as labels_delay_hist, summed from the daily delay rollups over
-- whole days [since, until); unlabelled rows are overdue when their whole hour is at or
-- before `cutoff` (labels_overdue_raw adds the hour that holds `cutoff`).
-- params: since, until, cutoff, by
-- fragments: delays, group_select
-- returns: day, grp, horizon, bucket, n, overdue
SELECT p.day, {{group_select}} p.horizon, p.bucket, sum(p.n)::BIGINT AS n,
       coalesce(sum(p.n) FILTER (WHERE p.horizon IS NULL
                                 AND p.day + (p.hour + 1) * INTERVAL 1 hour <= $cutoff),
                0)::BIGINT AS overdue
FROM {{delays}} p
WHERE p.day >= $since AND p.day < $until
  AND p.grouped_by IS NOT DISTINCT FROM $by
GROUP BY ALL
