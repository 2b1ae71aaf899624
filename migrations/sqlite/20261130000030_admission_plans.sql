-- A 党委's yearly 发展党员 plan (DOMAIN.md §3): how many 入党积极分子, 发展对象 and new 预备党员
-- it means to have in the year. What was done is counted from the files' steps, never stored.
CREATE TABLE admission_plans (
    id            INTEGER PRIMARY KEY,
    root_org_id   INTEGER NOT NULL,
    org_id        INTEGER NOT NULL REFERENCES orgs(id),
    year          INTEGER NOT NULL,
    activists     INTEGER NOT NULL,
    dev_objects   INTEGER NOT NULL,
    probationary  INTEGER NOT NULL,
    updated_by    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (org_id, year)
);

-- A 社区党委 or 村党委 given the power to approve admissions by the 县级党委组织部
-- (DOMAIN.md §3.2 (f)): with it, the committee may approve as a 乡镇 committee does.
CREATE TABLE admission_grants (
    org_id      INTEGER PRIMARY KEY REFERENCES orgs(id),
    document    TEXT NOT NULL,
    granted_by  TEXT NOT NULL,
    granted_at  TEXT NOT NULL
);

CREATE INDEX applicant_steps_action_on ON applicant_steps(action, on_date);
