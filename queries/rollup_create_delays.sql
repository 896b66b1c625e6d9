-- name: rollup_create_delays
-- Creates a model's label-delay table with its slice columns: per prediction day, over
-- all rows (grouped_by NULL) and per value of each slice column (grouped_by names it;
-- the other slice columns NULL), the rows per delay horizon and log-spaced delay bucket
-- (both NULL for rows without a label), and for rows without a label the hour of the
-- day they were predicted in (so overdue, which splits a day at an instant, is read from
-- whole hours).
-- params: (none)
-- fragments: table, slice_columns
-- returns: (nothing)
CREATE TABLE IF NOT EXISTS {{table}} (
    day        TIMESTAMP NOT NULL,
    grouped_by VARCHAR,
    {{slice_columns}}
    horizon    INTEGER,                  -- 1, 3, 7, 14 (days) or 99; NULL: unlabelled
    bucket     INTEGER,                  -- floor(ln(delay hours) * steps); NULL: unlabelled
    hour       INTEGER,                  -- unlabelled rows: the hour of day (0-23); else NULL
    n          BIGINT NOT NULL
)
