-- name: stage_problems
-- How many staged rows fail each check (`_bad` holds the first failed check's number).
-- params: (none)
-- returns: bad, n
SELECT _bad AS bad, count(*) AS n FROM stage WHERE _bad IS NOT NULL GROUP BY _bad ORDER BY _bad
