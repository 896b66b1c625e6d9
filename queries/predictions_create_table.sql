-- name: predictions_create_table
-- Creates one model's predictions table with the contract's columns; slice and
-- feature columns are added by predictions_add_column.
-- params: (none)
-- fragments: table
-- returns: (nothing)
CREATE TABLE IF NOT EXISTS {{table}} (
    prediction_id    VARCHAR NOT NULL,
    ts               TIMESTAMP NOT NULL,   -- UTC
    prediction       VARCHAR NOT NULL,     -- class label, or the value as text
    prediction_value DOUBLE,               -- numeric prediction (regression)
    score            DOUBLE,               -- probability of the positive class (binary)
    model_version    VARCHAR NOT NULL,
    ingest_id        BIGINT NOT NULL
)
