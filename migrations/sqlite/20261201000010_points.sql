-- 党员积分制 (DOMAIN.md §5): the schemes an org sets for its members, versioned by the year
-- they apply from, so that a past year is always scored by the scheme it had.
CREATE TABLE points_schemes (
    id            INTEGER PRIMARY KEY,
    root_org_id   INTEGER NOT NULL,
    org_id        INTEGER NOT NULL REFERENCES orgs(id),
    -- NULL: every category of member the org holds; otherwise one member category's own scheme.
    category      TEXT,
    from_year     INTEGER NOT NULL,
    preset        TEXT,
    body          TEXT NOT NULL,
    saved_by      TEXT NOT NULL,
    saved_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX points_schemes_version ON points_schemes(org_id, COALESCE(category, ''), from_year);

-- The points ledger. Append-only: a correction is a reversing entry, never an edit or a
-- delete, and the triggers below make that true whatever code runs against the database.
CREATE TABLE points_entries (
    id            INTEGER PRIMARY KEY,
    root_org_id   INTEGER NOT NULL,
    member_id     INTEGER NOT NULL REFERENCES members(id),
    -- The branch that held the member when the fact happened: a later transfer does not move
    -- a branch's past points.
    branch_id     INTEGER NOT NULL REFERENCES orgs(id),
    year          INTEGER NOT NULL,
    on_date       TEXT NOT NULL,
    item_code     TEXT NOT NULL,
    points        INTEGER NOT NULL,
    source        TEXT NOT NULL,
    -- What produced an automatic entry (a meeting's attendance, a dues payment), so that each
    -- fact gives its entry exactly once.
    source_key    TEXT,
    -- The record the fact is part of (the meeting), to find what a source already gave.
    source_id     INTEGER,
    reason        TEXT NOT NULL,
    approver      TEXT,
    reverses      INTEGER REFERENCES points_entries(id),
    recorded_by   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX points_entries_source ON points_entries(member_id, source_key) WHERE source_key IS NOT NULL;
CREATE UNIQUE INDEX points_entries_reverses ON points_entries(reverses) WHERE reverses IS NOT NULL;
CREATE INDEX points_entries_member_year ON points_entries(member_id, year);
CREATE INDEX points_entries_branch_year ON points_entries(branch_id, year);
CREATE INDEX points_entries_source_record ON points_entries(source, source_id) WHERE source_id IS NOT NULL;
CREATE TRIGGER points_entries_no_update BEFORE UPDATE ON points_entries
BEGIN SELECT RAISE(ABORT, 'points entries are append-only'); END;
CREATE TRIGGER points_entries_no_delete BEFORE DELETE ON points_entries
BEGIN SELECT RAISE(ABORT, 'points entries are append-only'); END;

-- 一月一登记: the branch confirms a month's entries.
CREATE TABLE points_registers (
    id            INTEGER PRIMARY KEY,
    root_org_id   INTEGER NOT NULL,
    branch_id     INTEGER NOT NULL REFERENCES orgs(id),
    month         TEXT NOT NULL,
    entries       INTEGER NOT NULL,
    confirmed_by  TEXT NOT NULL,
    confirmed_at  TEXT NOT NULL,
    UNIQUE (branch_id, month)
);
