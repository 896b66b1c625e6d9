-- name: rollup_delta_merge
-- Sums the rows of the temp tables `rollup_plus` (added) and `rollup_minus` (taken
-- away) into the stored rows of the days they touch, as `rollup_merged`: a group whose
-- rows all went away (count 0) is dropped, as a rebuild would not have it.
-- params: (none)
-- fragments: rollups, sums, negated
-- returns: (nothing)
CREATE OR REPLACE TEMP TABLE rollup_merged AS
SELECT * FROM (
    SELECT {{sums}}
    FROM (
        SELECT * FROM {{rollups}}
        WHERE day IN (SELECT day FROM rollup_plus UNION SELECT day FROM rollup_minus)
        UNION ALL BY NAME SELECT * FROM rollup_plus
        UNION ALL BY NAME SELECT {{negated}} FROM rollup_minus
    ) d
    GROUP BY ALL
)
WHERE n <> 0
