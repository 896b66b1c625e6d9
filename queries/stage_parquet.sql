-- name: stage_parquet
-- Reads a Parquet file into the temporary `stage` table, cast to the declared types.
-- params: path
-- fragments: select_list
-- returns: (nothing)
CREATE OR REPLACE TEMP TABLE stage AS
SELECT {{select_list}} FROM read_parquet($path)
