-- name: stage_json
-- Reads a JSON-lines file into the temporary `stage` table, cast to the declared types.
-- params: path
-- fragments: select_list
-- returns: (nothing)
CREATE OR REPLACE TEMP TABLE stage AS
SELECT {{select_list}} FROM read_json($path, format = 'newline_delimited', sample_size = -1)
