-- Checks and alerts: the result time series, watermarks, cached baseline histograms,
-- alerts (one row per episode), their append-only event history, and silences.

CREATE TABLE check_results (
    fingerprint  VARCHAR NOT NULL,
    model        VARCHAR NOT NULL,
    check_name   VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,
    feature      VARCHAR,
    slice        VARCHAR,                  -- JSON object, e.g. {"region": "EU"}
    window_start TIMESTAMP NOT NULL,
    window_end   TIMESTAMP NOT NULL,
    known_at     TIMESTAMP NOT NULL,       -- when the result could first be known
    value        DOUBLE,
    threshold    DOUBLE,
    status       VARCHAR NOT NULL,         -- pass | warning | critical | insufficient | covered
    n            BIGINT,
    detail       VARCHAR NOT NULL,
    evaluated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (fingerprint, window_start)
);

CREATE TABLE check_watermarks (
    model           VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL,
    evaluated_until TIMESTAMP NOT NULL,
    PRIMARY KEY (model, kind)
);

-- Baseline histograms, computed once per baseline and reused by every drift check.
CREATE TABLE baseline_bins (
    model        VARCHAR NOT NULL,
    feature      VARCHAR NOT NULL,
    baseline_key VARCHAR NOT NULL,
    edges        DOUBLE[],                 -- numeric: inner bin edges
    categories   VARCHAR[],                -- categorical: the baseline's values
    counts       BIGINT[] NOT NULL,
    computed_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (model, feature, baseline_key)
);

CREATE SEQUENCE alert_seq START 1;

-- One row per episode of a fingerprint: opened by a failing window, closed after
-- `alerting.resolve_after` passing windows or by hand.
CREATE TABLE alerts (
    alert_id           BIGINT PRIMARY KEY,
    fingerprint        VARCHAR NOT NULL,
    model              VARCHAR NOT NULL,
    check_name         VARCHAR NOT NULL,
    kind               VARCHAR NOT NULL,
    feature            VARCHAR,
    slice              VARCHAR,
    severity           VARCHAR NOT NULL,   -- worst so far: warning | critical
    state              VARCHAR NOT NULL,   -- open | resolved | retracted
    first_window_start TIMESTAMP NOT NULL,
    first_seen         TIMESTAMP NOT NULL, -- end of the first failing window
    last_seen          TIMESTAMP NOT NULL, -- end of the last failing window
    count              BIGINT NOT NULL,    -- failing windows in the episode
    value              DOUBLE,             -- the latest failing value
    worst_value        DOUBLE,
    threshold          DOUBLE,
    detail             VARCHAR NOT NULL,
    resolved_at        TIMESTAMP,
    resolved_by        VARCHAR,            -- NULL when it resolved by itself
    acked_at           TIMESTAMP,
    acked_by           VARCHAR,
    snoozed_until      TIMESTAMP,
    marked             VARCHAR,            -- noise | actionable
    marked_by          VARCHAR,
    created_at         TIMESTAMP NOT NULL
);

CREATE SEQUENCE alert_event_seq START 1;

-- Append-only: every column is NOT NULL and covered by a unique key that the seal
-- table references, so UPDATE and DELETE of an event fail in the store itself.
CREATE TABLE alert_events (
    event_id BIGINT PRIMARY KEY,
    alert_id BIGINT NOT NULL,
    acted_at TIMESTAMP NOT NULL,
    actor    VARCHAR NOT NULL,
    action   VARCHAR NOT NULL,
    detail   VARCHAR NOT NULL,             -- JSON object
    UNIQUE (event_id, alert_id, acted_at, actor, action, detail)
);
CREATE TABLE alert_events_seal (
    event_id BIGINT NOT NULL,
    alert_id BIGINT NOT NULL,
    acted_at TIMESTAMP NOT NULL,
    actor    VARCHAR NOT NULL,
    action   VARCHAR NOT NULL,
    detail   VARCHAR NOT NULL,
    FOREIGN KEY (event_id, alert_id, acted_at, actor, action, detail)
        REFERENCES alert_events (event_id, alert_id, acted_at, actor, action, detail)
);

CREATE SEQUENCE silence_seq START 1;

CREATE TABLE silences (
    silence_id BIGINT PRIMARY KEY,
    matchers   VARCHAR NOT NULL,           -- JSON object: key -> value, all must match
    starts_at  TIMESTAMP NOT NULL,
    ends_at    TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL,
    note       VARCHAR NOT NULL,
    expired_at TIMESTAMP,
    expired_by VARCHAR
);
