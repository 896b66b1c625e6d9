-- name: baseline_rows_between
-- Copies the stored predictions served in [start, end) into the temporary
-- `baseline_rows` table, leaving out those served in any of the spans
-- [skip_starts[i], skip_ends[i]) (windows when a drift or data-quality alert fired).
-- params: start, end, skip_starts, skip_ends
-- fragments: table
-- returns: (nothing)
CREATE OR REPLACE TEMP TABLE baseline_rows AS
SELECT * FROM {{table}} p
WHERE p.ts >= $start AND p.ts < $end
  AND NOT EXISTS (
      SELECT 1
      FROM (SELECT unnest($skip_starts::TIMESTAMP[]) AS s, unnest($skip_ends::TIMESTAMP[]) AS e) x
      WHERE p.ts >= x.s AND p.ts < x.e
  )
