-- name: stage_json
-- Reads a JSON-lines file into the temporary `stage` table, cast to the declared types.
-- `partition` holds the Hive partition values the file's path gives (may be empty).
-- hive_partitioning = false: the private copy's folder may be named key=value; partition
-- values come only from the user's own path, bound as `partition`.
-- params: path, partition
-- fragments: select_list
-- returns: (nothing)
CREATE OR REPLACE TEMP TABLE stage AS
SELECT {{select_list}} FROM (
    SELECT *, CAST($partition AS VARCHAR[]) AS __oncall_partition
    FROM read_json(
        $path, format = 'newline_delimited', sample_size = -1, hive_partitioning = false
    )
)
