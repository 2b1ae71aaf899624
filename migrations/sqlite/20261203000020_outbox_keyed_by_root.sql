-- A message's dedupe key is unique within its top organisation rather than across the whole
-- database: the keys name the org, member or meeting they are about, which belong to one tree,
-- so nothing that was sent once can be sent twice. On Citus every unique key of a distributed
-- table must hold the distribution column (docs/SCALE.md, "What has to change", step 1); the
-- file keeps the same keys so that a copy between them means the same. SQLite cannot drop a
-- column's UNIQUE, so the table is rebuilt with the same columns in the same order.
CREATE TABLE outbox_keyed (
    id                  INTEGER PRIMARY KEY,
    root_org_id         INTEGER NOT NULL,
    org_id              INTEGER NOT NULL,
    recipient_user_id   INTEGER REFERENCES users(id),
    recipient_member_id INTEGER REFERENCES members(id),
    channel             TEXT NOT NULL,
    kind                TEXT NOT NULL,
    dedupe_key          TEXT NOT NULL,
    title               TEXT NOT NULL,
    body                TEXT NOT NULL,
    link                TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    delivered_at        TEXT,
    attempts            INTEGER NOT NULL DEFAULT 0,
    last_error          TEXT,
    read_at             TEXT
);
INSERT INTO outbox_keyed (id, root_org_id, org_id, recipient_user_id, recipient_member_id, channel,
    kind, dedupe_key, title, body, link, created_at, delivered_at, attempts, last_error, read_at)
SELECT id, root_org_id, org_id, recipient_user_id, recipient_member_id, channel,
    kind, dedupe_key, title, body, link, created_at, delivered_at, attempts, last_error, read_at
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_keyed RENAME TO outbox;
CREATE UNIQUE INDEX outbox_dedupe ON outbox(root_org_id, dedupe_key);
CREATE INDEX outbox_user ON outbox(recipient_user_id, created_at);
CREATE INDEX outbox_member ON outbox(recipient_member_id, created_at);
CREATE INDEX outbox_undelivered ON outbox(channel, delivered_at);
