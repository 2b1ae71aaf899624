-- Restrictions of a member's rights (DOMAIN.md §2.1): 留党察看 and 停止党员权利. Members under
-- either have no vote. Each is a dated fact: it runs from from_date until ended_on, the day the
-- member's rights were restored (open while NULL). Rows are never rewritten except to record
-- that end, so a past meeting's voters can be counted as they were.
CREATE TABLE member_restrictions (
    id           INTEGER PRIMARY KEY,
    member_id    INTEGER NOT NULL REFERENCES members(id),
    root_org_id  INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    from_date    TEXT NOT NULL,
    -- The 留党察看 term in months (12 or 24); NULL for a suspension.
    term_months  INTEGER,
    reason       TEXT NOT NULL,
    approval     TEXT NOT NULL,
    ended_on     TEXT,
    end_approval TEXT,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    ended_by     TEXT,
    ended_at     TEXT
);
CREATE INDEX member_restrictions_member ON member_restrictions(member_id);
