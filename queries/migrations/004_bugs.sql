-- The bug queue: bugs (current state), their append-only history, links to alerts,
-- predictions, slices and other bugs, and runbook notes per alert type.

CREATE SEQUENCE bug_seq START 1;

CREATE TABLE bugs (
    bug_id          BIGINT PRIMARY KEY,
    title           VARCHAR NOT NULL,
    description     VARCHAR NOT NULL,
    model           VARCHAR NOT NULL,
    priority        VARCHAR NOT NULL,      -- P0 | P1 | P2 | P3
    tags            VARCHAR[] NOT NULL,
    status          VARCHAR NOT NULL,      -- new | triaged | in_progress | mitigated | resolved | wontfix | duplicate
    duplicate_of    BIGINT,
    assignee        VARCHAR,
    reporter        VARCHAR NOT NULL,
    root_cause      VARCHAR,
    mitigation      VARCHAR,               -- rule_or_filter | fallback_model | rollback | retrain | data_fix | none
    mitigation_note VARCHAR,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    version         BIGINT NOT NULL        -- bumped by every change; edits name the one they read
);

CREATE SEQUENCE bug_event_seq START 1;

-- Append-only, like alert_events: the seal references every column.
CREATE TABLE bug_events (
    event_id BIGINT PRIMARY KEY,
    bug_id   BIGINT NOT NULL,
    acted_at TIMESTAMP NOT NULL,
    actor    VARCHAR NOT NULL,
    action   VARCHAR NOT NULL,             -- created | changed | comment | link | closed
    detail   VARCHAR NOT NULL,             -- JSON object
    version  BIGINT NOT NULL,              -- the bug's version after this event
    UNIQUE (event_id, bug_id, acted_at, actor, action, detail, version)
);
CREATE TABLE bug_events_seal (
    event_id BIGINT NOT NULL,
    bug_id   BIGINT NOT NULL,
    acted_at TIMESTAMP NOT NULL,
    actor    VARCHAR NOT NULL,
    action   VARCHAR NOT NULL,
    detail   VARCHAR NOT NULL,
    version  BIGINT NOT NULL,
    FOREIGN KEY (event_id, bug_id, acted_at, actor, action, detail, version)
        REFERENCES bug_events (event_id, bug_id, acted_at, actor, action, detail, version)
);

CREATE TABLE bug_links (
    bug_id       BIGINT NOT NULL,
    kind         VARCHAR NOT NULL,         -- alert | prediction | slice | bug
    target       VARCHAR NOT NULL,         -- alert id, prediction id, slice filter JSON, bug id
    window_start TIMESTAMP,                -- for slice links
    window_end   TIMESTAMP,
    created_at   TIMESTAMP NOT NULL,
    created_by   VARCHAR NOT NULL
);

CREATE TABLE runbook_notes (
    model     VARCHAR NOT NULL,
    kind      VARCHAR NOT NULL,
    feature   VARCHAR NOT NULL,            -- '' when the type has no feature
    text      VARCHAR NOT NULL,
    author    VARCHAR NOT NULL,
    written_at TIMESTAMP NOT NULL
);
