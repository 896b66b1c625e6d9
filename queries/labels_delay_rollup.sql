-- name: labels_delay_rollup
-- The same histogram as labels_delay_hist, summed from the daily delay rollups over
-- whole days [since, until) except `skip` (a day that raw rows answer); a day's
-- unlabelled rows are overdue when the whole day is at or before `cutoff`.
-- params: since, until, skip, cutoff, by
-- fragments: delays, group_select
-- returns: day, grp, horizon, bucket, n, overdue
SELECT p.day, {{group_select}} p.horizon, p.bucket, sum(p.n)::BIGINT AS n,
       coalesce(sum(p.n) FILTER (WHERE p.horizon IS NULL
                                 AND p.day + INTERVAL 1 day <= $cutoff), 0)::BIGINT AS overdue
FROM {{delays}} p
WHERE p.day >= $since AND p.day < $until AND p.day IS DISTINCT FROM $skip
  AND p.grouped_by IS NOT DISTINCT FROM $by
GROUP BY ALL
