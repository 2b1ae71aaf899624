-- 发展党员 (DOMAIN.md §3): an applicant's file. `file` is the domain's record of dated facts
-- (domain::admission::File, as JSON) as it stands after the last step; `stage` and `next_due_*`
-- copy from it what lists and timers filter on. Steps are appended to applicant_steps and never
-- rewritten; `version` keeps two officers from recording on the same file at once.
CREATE TABLE applicants (
    id            INTEGER PRIMARY KEY,
    root_org_id   INTEGER NOT NULL,
    branch_id     INTEGER NOT NULL REFERENCES orgs(id),
    name          TEXT NOT NULL,
    id_number     TEXT NOT NULL,
    phone         TEXT,
    work_unit     TEXT,
    category      TEXT NOT NULL,
    rule_version  TEXT NOT NULL,
    stage         TEXT NOT NULL,
    applied_on    TEXT NOT NULL,
    next_due_on   TEXT,
    next_due_what TEXT,
    file          TEXT NOT NULL,
    -- The member record made when the 上级党委 approved the admission.
    member_id     INTEGER REFERENCES members(id),
    version       INTEGER NOT NULL DEFAULT 1,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX applicants_branch ON applicants(branch_id, stage);
CREATE INDEX applicants_due ON applicants(next_due_on);

CREATE TABLE applicant_steps (
    id           INTEGER PRIMARY KEY,
    applicant_id INTEGER NOT NULL REFERENCES applicants(id),
    action       TEXT NOT NULL,
    on_date      TEXT NOT NULL,
    -- Who did it (the person who held the talk, the body that decided) and the document.
    handled_by   TEXT NOT NULL,
    document     TEXT NOT NULL,
    -- The step as the domain took it (domain::admission::Action, as JSON).
    detail       TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX applicant_steps_applicant ON applicant_steps(applicant_id, id);
