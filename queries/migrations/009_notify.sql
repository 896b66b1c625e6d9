-- Notifications to the on-call (alerting.notify): one row per message a route is to
-- get about an alert event (or a test or a shift's handoff), written in the same
-- transaction as the alert change, and marked sent only once the receiver answered 2xx.
-- Times here are the wall clock (when it was queued, tried, sent), not the data's "now".
CREATE SEQUENCE notify_seq START 1;

CREATE TABLE notifications (
    notification_id BIGINT PRIMARY KEY,
    route           VARCHAR NOT NULL,
    model           VARCHAR,             -- the group is (route, model); NULL for test/handoff
    alert_id        BIGINT,
    fingerprint     VARCHAR,             -- the receiver's dedup key
    event           VARCHAR NOT NULL,    -- trigger | escalate | acknowledge | resolve | retract | repeat | test | handoff
    event_id        BIGINT,              -- the alert event it tells of
    body            VARCHAR NOT NULL,    -- the text of a test or handoff ('' for an alert)
    state           VARCHAR NOT NULL,    -- pending | sending | sent | failed | held | skipped
    reason          VARCHAR NOT NULL,    -- why held, skipped or failed; the last error
    created_at      TIMESTAMP NOT NULL,
    next_attempt_at TIMESTAMP,           -- not tried again before this
    attempts        INTEGER NOT NULL,
    claimed_by      VARCHAR,             -- host:pid of the sender while it is sending
    claimed_at      TIMESTAMP,
    sent_at         TIMESTAMP,
    status_code     INTEGER              -- the receiver's last HTTP status
);

-- The last alert event turned into notifications: every later one is still to be read.
-- It starts at the newest event, so an upgraded store does not page its whole history.
CREATE TABLE notify_cursor (last_event_id BIGINT NOT NULL);
INSERT INTO notify_cursor SELECT coalesce(max(event_id), 0) FROM alert_events;
