-- name: rollup_create_table
-- Creates a model's rollup table with its slice columns.
-- params: (none)
-- fragments: table, slice_columns
-- returns: (nothing)
CREATE TABLE IF NOT EXISTS {{table}} (
    day           TIMESTAMP NOT NULL,
    model_version VARCHAR NOT NULL,
    {{slice_columns}}
    prediction    VARCHAR,                 -- NULL for regression (values do not group)
    label         VARCHAR,                 -- NULL when unlabelled; '*' labelled (regression)
    score_bin     INTEGER,                 -- 20 bins of the score; NULL without a score
    n             BIGINT NOT NULL,
    sum_score     DOUBLE,
    abs_err       DOUBLE,
    sq_err        DOUBLE,
    err           DOUBLE,
    quad_err      DOUBLE
)
