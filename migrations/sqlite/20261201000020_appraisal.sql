-- 一季一公开: a branch's points published for a quarter, frozen as published (names, totals
-- and ranks only: a 公示 shows no personal data).
CREATE TABLE points_publications (
    id            INTEGER PRIMARY KEY,
    root_org_id   INTEGER NOT NULL,
    branch_id     INTEGER NOT NULL REFERENCES orgs(id),
    period        TEXT NOT NULL,
    from_on       TEXT NOT NULL,
    until_on      TEXT NOT NULL,
    standings     TEXT NOT NULL,
    published_by  TEXT NOT NULL,
    published_at  TEXT NOT NULL,
    UNIQUE (branch_id, period)
);

-- 一年一评审: the grade the 支部党员大会 decided for each member, beside the total and the
-- grade the program proposed. Once decided, a year's totals are these, whatever a scheme
-- saved later says.
CREATE TABLE points_reviews (
    id            INTEGER PRIMARY KEY,
    root_org_id   INTEGER NOT NULL,
    branch_id     INTEGER NOT NULL REFERENCES orgs(id),
    member_id     INTEGER NOT NULL REFERENCES members(id),
    year          INTEGER NOT NULL,
    total         INTEGER,
    proposed      TEXT,
    decided       TEXT NOT NULL,
    decided_on    TEXT NOT NULL,
    meeting       TEXT NOT NULL,
    recorded_by   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    UNIQUE (member_id, year)
);
CREATE INDEX points_reviews_branch_year ON points_reviews(branch_id, year);

-- 民主评议党员 (DOMAIN.md §2): one campaign per branch and year. Ballots are sealed while it is
-- open: only how many have voted may be read until it closes.
CREATE TABLE appraisal_campaigns (
    id            INTEGER PRIMARY KEY,
    root_org_id   INTEGER NOT NULL,
    branch_id     INTEGER NOT NULL REFERENCES orgs(id),
    year          INTEGER NOT NULL,
    state         TEXT NOT NULL,
    weights       TEXT NOT NULL,
    grade_points  TEXT NOT NULL,
    opened_by     TEXT NOT NULL,
    opened_at     TEXT NOT NULL,
    closed_at     TEXT,
    UNIQUE (branch_id, year)
);

-- One appraiser's grade for one member: a member's self-review and peer ballot, the branch
-- committee's (组织评价). `rater_key` names the appraiser so that nobody votes twice.
CREATE TABLE appraisal_ballots (
    id                 INTEGER PRIMARY KEY,
    campaign_id        INTEGER NOT NULL REFERENCES appraisal_campaigns(id),
    grp                TEXT NOT NULL,
    rater_key          TEXT NOT NULL,
    subject_member_id  INTEGER NOT NULL REFERENCES members(id),
    grade              TEXT NOT NULL,
    comment            TEXT,
    cast_at            TEXT NOT NULL,
    UNIQUE (campaign_id, grp, rater_key, subject_member_id)
);

-- 群众评议 collected on paper and counted by the branch: per member, how many of each grade.
CREATE TABLE appraisal_masses (
    campaign_id        INTEGER NOT NULL REFERENCES appraisal_campaigns(id),
    subject_member_id  INTEGER NOT NULL REFERENCES members(id),
    excellent          INTEGER NOT NULL,
    qualified          INTEGER NOT NULL,
    basic              INTEGER NOT NULL,
    unqualified        INTEGER NOT NULL,
    recorded_by        TEXT NOT NULL,
    recorded_at        TEXT NOT NULL,
    PRIMARY KEY (campaign_id, subject_member_id)
);
