-- The foundation: predictions, labels, the ingest log, schema findings, shifts and
-- the ground truth of planted incidents. `predictions` and `labels` are a documented
-- interface: users may query them with any DuckDB client. Feature and slice columns
-- are real typed columns, added when a config declares them.

CREATE TABLE schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       VARCHAR NOT NULL,
    applied_at TIMESTAMP NOT NULL
);

-- One row; every write transaction bumps `changes` so readers can tell when to re-query.
CREATE TABLE store_state (
    id      INTEGER PRIMARY KEY,
    changes BIGINT NOT NULL
);
INSERT INTO store_state VALUES (1, 0);

CREATE SEQUENCE ingest_seq START 1;

-- Each model's predictions live in their own table, `predictions__<model>`, holding
-- only that model's declared columns (a shared wide table made every insert pay for
-- every other model's empty columns). The `predictions` view joins them with a
-- `model` column; ingest recreates it whenever a model or column is added.
CREATE VIEW predictions AS
SELECT NULL::VARCHAR AS model, NULL::VARCHAR AS prediction_id, NULL::TIMESTAMP AS ts,
       NULL::VARCHAR AS prediction, NULL::DOUBLE AS prediction_value, NULL::DOUBLE AS score,
       NULL::VARCHAR AS model_version, NULL::BIGINT AS ingest_id
WHERE false;

CREATE TABLE labels (
    model         VARCHAR NOT NULL,
    prediction_id VARCHAR NOT NULL,
    label         VARCHAR NOT NULL,
    label_value   DOUBLE,                  -- numeric label (regression)
    labeled_at    TIMESTAMP NOT NULL,      -- when the label became known (UTC)
    ingested_at   TIMESTAMP NOT NULL,
    ingest_id     BIGINT NOT NULL
);

-- Every label that was replaced by a later one.
CREATE TABLE label_history (
    model          VARCHAR NOT NULL,
    prediction_id  VARCHAR NOT NULL,
    old_label      VARCHAR NOT NULL,
    old_labeled_at TIMESTAMP NOT NULL,
    new_label      VARCHAR NOT NULL,
    new_labeled_at TIMESTAMP NOT NULL,
    replaced_at    TIMESTAMP NOT NULL,
    ingest_id      BIGINT NOT NULL
);

CREATE TABLE ingest_log (
    ingest_id      BIGINT PRIMARY KEY,
    model          VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,       -- predictions | labels
    path           VARCHAR NOT NULL,
    sha256         VARCHAR NOT NULL,
    rows_in_file   BIGINT NOT NULL,
    rows_added     BIGINT NOT NULL,
    rows_replaced  BIGINT NOT NULL,
    rows_unchanged BIGINT NOT NULL,
    min_ts         TIMESTAMP,
    max_ts         TIMESTAMP,
    ingested_at    TIMESTAMP NOT NULL,
    seconds        DOUBLE NOT NULL,
    actor          VARCHAR NOT NULL
);

-- Declared columns a file lacked, and columns it had that nobody declared.
CREATE TABLE schema_findings (
    ingest_id   BIGINT NOT NULL,
    model       VARCHAR NOT NULL,
    path        VARCHAR NOT NULL,
    column_name VARCHAR NOT NULL,
    finding     VARCHAR NOT NULL,          -- missing | unexpected | type_change
    detail      VARCHAR NOT NULL,
    min_ts      TIMESTAMP,
    max_ts      TIMESTAMP,
    found_at    TIMESTAMP NOT NULL
);

CREATE SEQUENCE shift_seq START 1;

CREATE TABLE shifts (
    shift_id   BIGINT PRIMARY KEY,
    engineer   VARCHAR NOT NULL,
    role       VARCHAR NOT NULL,           -- primary | shadow
    primary_of BIGINT,                     -- a shadow's primary shift
    started_at TIMESTAMP NOT NULL,
    ended_at   TIMESTAMP,
    source     VARCHAR NOT NULL            -- live | scenario
);

-- The planted incidents of a simulated scenario (demo, drills): the ground truth.
CREATE TABLE scenario_incidents (
    incident_id VARCHAR PRIMARY KEY,
    model       VARCHAR NOT NULL,
    type        VARCHAR NOT NULL,
    feature     VARCHAR,
    slice       VARCHAR,                   -- JSON object, e.g. {"region": "EU"}
    start_ts    TIMESTAMP NOT NULL,
    end_ts      TIMESTAMP NOT NULL,
    root_cause  VARCHAR NOT NULL,
    title       VARCHAR NOT NULL
);

-- What the veteran did in a past scenario shift, keyed by incident (or by alert kind for noise).
CREATE TABLE scenario_decisions (
    shift_id    BIGINT NOT NULL,
    incident_id VARCHAR,
    model       VARCHAR,
    kind        VARCHAR,
    action      VARCHAR NOT NULL,          -- acted | bug | noise | ignored
    root_cause  VARCHAR,
    note        VARCHAR NOT NULL,
    delay_minutes INTEGER NOT NULL,
    bug_title   VARCHAR,
    priority    VARCHAR,
    mitigation  VARCHAR
);
