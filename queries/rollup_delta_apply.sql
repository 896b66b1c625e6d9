-- name: rollup_delta_apply
-- Replaces the stored rows of the days in `rollup_merged` (rollup_delta_merge) with it.
-- params: (none)
-- fragments: rollups
-- returns: (nothing)
DELETE FROM {{rollups}}
WHERE day IN (SELECT day FROM rollup_plus UNION SELECT day FROM rollup_minus);
INSERT INTO {{rollups}} BY NAME SELECT * FROM rollup_merged;
DROP TABLE rollup_merged;
DROP TABLE rollup_plus;
DROP TABLE rollup_minus
