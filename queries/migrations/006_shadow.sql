-- Shadow mode: a trainee's sessions (replays of past shifts, following a live one,
-- drills) and the calls they made, with when, to score against the veteran.
CREATE SEQUENCE shadow_session_seq START 1;

CREATE TABLE shadow_sessions (
    session_id  BIGINT PRIMARY KEY,
    trainee     VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,          -- replay | follow | drill
    shift_id    BIGINT,
    scenario    VARCHAR,
    started_at  TIMESTAMP NOT NULL,
    scored_at   TIMESTAMP,
    score       VARCHAR                    -- JSON object
);

CREATE TABLE shadow_calls (
    session_id       BIGINT NOT NULL,
    alert_id         BIGINT NOT NULL,
    call             VARCHAR NOT NULL,     -- act | watch | ignore | bug
    note             VARCHAR NOT NULL,
    called_at        TIMESTAMP NOT NULL,
    decision_seconds DOUBLE
);
