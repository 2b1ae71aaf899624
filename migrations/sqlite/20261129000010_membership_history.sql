-- Membership history (issue 10): the branch holding a member is a fact with validity dates, so
-- a ledger, a dues notice or a roll-up of a past month counts the member where they were then.
-- `members.branch_id` stays as the current branch (what scope and search read); it always
-- equals the branch of the open span below.

CREATE TABLE memberships (
    id          INTEGER PRIMARY KEY,
    root_org_id INTEGER NOT NULL,
    member_id   INTEGER NOT NULL REFERENCES members(id),
    branch_id   INTEGER NOT NULL REFERENCES orgs(id),
    -- First day in the branch, and the first day no longer in it (NULL while it holds them).
    from_on     TEXT NOT NULL,
    until_on    TEXT,
    reason      TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX memberships_member ON memberships(member_id, from_on);
CREATE INDEX memberships_branch ON memberships(branch_id, from_on);

-- Existing members: today's branch becomes a span from the admission date, the earliest date
-- the old schema knew.
INSERT INTO memberships (root_org_id, member_id, branch_id, from_on, until_on, reason, recorded_by, recorded_at)
SELECT root_org_id, id, branch_id, admitted_on, NULL, 'admission', '系统升级（按原组织关系补建）',
       strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
FROM members;

-- The last day an org (a 党小组, a branch) existed; the ledger owes nothing after it.
ALTER TABLE orgs ADD COLUMN dissolved_on TEXT;
