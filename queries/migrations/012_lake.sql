-- Lake models (`models.M.source`): their daily aggregates are computed where the data
-- lives and written by `oncall sync`. lake_files records each Parquet file a sync read
-- (its modification time and size, and the first and last day of its predictions), so
-- the next sync recomputes only the days whose files changed; lake_state records the shape the aggregates were written in (slice
-- columns, task), so a config change recomputes every day.
CREATE TABLE lake_files (
    model    VARCHAR NOT NULL,
    kind     VARCHAR NOT NULL,             -- predictions | labels
    path     VARCHAR NOT NULL,
    mtime_ns BIGINT NOT NULL,
    size     BIGINT NOT NULL,
    rows     BIGINT,                       -- predictions: rows in its footer
    first_day TIMESTAMP,                   -- predictions: the days its rows span
    last_day  TIMESTAMP,                   -- (NULL: unknown, or a labels file)
    PRIMARY KEY (model, kind, path)
);

CREATE TABLE lake_state (
    model     VARCHAR PRIMARY KEY,
    shape     VARCHAR NOT NULL,
    synced_at TIMESTAMP NOT NULL
);
