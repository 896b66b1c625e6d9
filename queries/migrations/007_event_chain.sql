-- A hash chain over the append-only histories (alert_events, bug_events): one row per
-- event, hash = sha256(previous hash + the event's content), added by every write
-- transaction before it commits. `oncall doctor` recomputes it, so an event deleted or
-- changed after its seal was deleted shows as a broken chain naming the event.
CREATE TABLE event_chain (
    table_name VARCHAR NOT NULL,               -- alert_events | bug_events
    event_id   BIGINT NOT NULL,
    hash       VARCHAR NOT NULL,               -- hex sha256
    PRIMARY KEY (table_name, event_id)
);
