-- Actions that waited in a client's outbox while the store was busy: the id of each
-- applied one, recorded in the same transaction as the action, so it runs exactly once.
CREATE TABLE applied_actions (
    action_id  VARCHAR PRIMARY KEY,
    kind       VARCHAR NOT NULL,
    actor      VARCHAR NOT NULL,
    applied_at TIMESTAMP NOT NULL
);
