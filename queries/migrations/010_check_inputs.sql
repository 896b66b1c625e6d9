-- What a check kind that re-judges past windows (as late labels arrive) last judged
-- them on: the run's "now", the last ingest it saw, and a digest of the model's config.
-- The next run re-judges only the windows whose rows or labels changed since then.
CREATE TABLE check_inputs (
    model      VARCHAR NOT NULL,
    kind       VARCHAR NOT NULL,
    judged_now TIMESTAMP NOT NULL,  -- the "now" of the run (labels known by then)
    ingest_id  BIGINT NOT NULL,     -- the last ingest (of any kind) the run saw
    config     VARCHAR NOT NULL,    -- digest of the model's config when it judged
    PRIMARY KEY (model, kind)
);
