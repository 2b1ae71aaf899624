-- Organisational life (DOMAIN.md §2): meeting records with attendance, and each record's earlier
-- versions, so an amended record keeps its history.

CREATE TABLE meetings (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    root_org_id INTEGER NOT NULL,
    institution TEXT NOT NULL,
    held_on     TEXT NOT NULL,
    place       TEXT NOT NULL,
    chair       TEXT NOT NULL,
    recorder    TEXT NOT NULL,
    agenda      TEXT NOT NULL,
    minutes     TEXT NOT NULL,
    resolutions TEXT NOT NULL,
    revision    INTEGER NOT NULL DEFAULT 1,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX meetings_org_held ON meetings(org_id, held_on);

CREATE TABLE meeting_attendance (
    meeting_id     INTEGER NOT NULL REFERENCES meetings(id),
    member_id      INTEGER NOT NULL REFERENCES members(id),
    present        INTEGER NOT NULL,
    absence_reason TEXT,
    PRIMARY KEY (meeting_id, member_id)
);

CREATE TABLE meeting_revisions (
    id          INTEGER PRIMARY KEY,
    meeting_id  INTEGER NOT NULL REFERENCES meetings(id),
    revision    INTEGER NOT NULL,
    snapshot    TEXT NOT NULL,
    replaced_by TEXT NOT NULL,
    replaced_at TEXT NOT NULL
);
CREATE INDEX meeting_revisions_meeting ON meeting_revisions(meeting_id);
