-- Rollups: daily counts per model, version, slice combination, prediction, label and
-- score bin (one table per model, `rollups__NAME`, created with its slice columns).
-- Ingest marks the days it touched here; the next reader that wants rollups rebuilds
-- those days first, so rollups never disagree with the raw rows.
CREATE TABLE rollup_dirty (
    model VARCHAR NOT NULL,
    day   TIMESTAMP NOT NULL,
    PRIMARY KEY (model, day)
);
