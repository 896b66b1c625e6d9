-- The OS login beside every alert and bug event (who ran the tool, besides who it acted
-- for). A side table keyed by the event, append-only like the events: every column is
-- NOT NULL and covered by a unique key the seal table references, so UPDATE and DELETE
-- of a recorded login fail in the store itself. Events written before this migration
-- have no row here.
CREATE TABLE event_logins (
    kind     VARCHAR NOT NULL,             -- alert | bug
    event_id BIGINT NOT NULL,
    login    VARCHAR NOT NULL,
    PRIMARY KEY (kind, event_id),
    UNIQUE (kind, event_id, login)
);
CREATE TABLE event_logins_seal (
    kind     VARCHAR NOT NULL,
    event_id BIGINT NOT NULL,
    login    VARCHAR NOT NULL,
    FOREIGN KEY (kind, event_id, login) REFERENCES event_logins (kind, event_id, login)
);
