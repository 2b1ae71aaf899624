-- Organisational life, second part (issue 3): rule sets that admins edit and that are kept by
-- version, approved exemptions, votes on a meeting's resolutions, attachments, members signing
-- in on their own phone, and the outbox that reminders and greetings go out through.

-- One row per saved version. A ledger for a year uses, for each branch kind, the newest version
-- whose effective_year is not after that year, so last year's ledger keeps last year's rules.
CREATE TABLE orglife_rule_sets (
    id             INTEGER PRIMARY KEY,
    root_org_id    INTEGER NOT NULL,
    branch_kind    TEXT NOT NULL,
    effective_year INTEGER NOT NULL,
    version        INTEGER NOT NULL,
    rules          TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    UNIQUE (root_org_id, branch_kind, version)
);

CREATE TABLE orglife_exemptions (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    root_org_id INTEGER NOT NULL,
    institution TEXT,
    from_date   TEXT NOT NULL,
    to_date     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    approval    TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX orglife_exemptions_org ON orglife_exemptions(org_id);

CREATE TABLE meeting_votes (
    id           INTEGER PRIMARY KEY,
    meeting_id   INTEGER NOT NULL REFERENCES meetings(id),
    decision     TEXT NOT NULL,
    subject      TEXT NOT NULL,
    expected     INTEGER NOT NULL,
    present      INTEGER NOT NULL,
    yes          INTEGER NOT NULL,
    against      INTEGER NOT NULL,
    abstain      INTEGER NOT NULL,
    written_yes  INTEGER NOT NULL,
    passed       INTEGER NOT NULL,
    rule_version TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX meeting_votes_meeting ON meeting_votes(meeting_id);

CREATE TABLE meeting_attachments (
    id           INTEGER PRIMARY KEY,
    meeting_id   INTEGER NOT NULL REFERENCES meetings(id),
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes   INTEGER NOT NULL,
    content      BLOB NOT NULL,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  TEXT NOT NULL
);
CREATE INDEX meeting_attachments_meeting ON meeting_attachments(meeting_id);

-- Set when the member signed in on their own phone rather than being ticked by the recorder.
ALTER TABLE meeting_attendance ADD COLUMN signed_in_at TEXT;

-- Messages to users or members. dedupe_key is unique so that a sweep run twice, or by two
-- processes at once, sends each reminder once.
CREATE TABLE outbox (
    id                  INTEGER PRIMARY KEY,
    root_org_id         INTEGER NOT NULL,
    org_id              INTEGER NOT NULL,
    recipient_user_id   INTEGER REFERENCES users(id),
    recipient_member_id INTEGER REFERENCES members(id),
    channel             TEXT NOT NULL,
    kind                TEXT NOT NULL,
    dedupe_key          TEXT NOT NULL UNIQUE,
    title               TEXT NOT NULL,
    body                TEXT NOT NULL,
    link                TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    delivered_at        TEXT,
    attempts            INTEGER NOT NULL DEFAULT 0,
    last_error          TEXT,
    read_at             TEXT
);
CREATE INDEX outbox_user ON outbox(recipient_user_id, created_at);
CREATE INDEX outbox_member ON outbox(recipient_member_id, created_at);
CREATE INDEX outbox_undelivered ON outbox(channel, delivered_at);
