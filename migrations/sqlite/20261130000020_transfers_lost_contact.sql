-- 组织关系转接 (DOMAIN.md §8) and the search for 失联 members (§17).
--
-- A transfer is a record of its own: the member stays with the sending branch until the letter
-- is received, so the branch changes (a new membership span) only then. `from_org_id` and
-- `to_org_id` are branches in this database; an organisation outside it is named in
-- `from_text`/`to_text`. Steps are appended to transfer_steps and never rewritten.
CREATE TABLE transfers (
    id            INTEGER PRIMARY KEY,
    root_org_id   INTEGER NOT NULL,
    direction     TEXT NOT NULL,
    -- The member record; for a letter registered from outside, made when it is received.
    member_id     INTEGER REFERENCES members(id),
    name          TEXT NOT NULL,
    id_number     TEXT NOT NULL,
    from_org_id   INTEGER REFERENCES orgs(id),
    from_text     TEXT,
    to_org_id     INTEGER REFERENCES orgs(id),
    to_text       TEXT,
    reach         TEXT NOT NULL,
    state         TEXT NOT NULL,
    reason        TEXT NOT NULL,
    requested_on  TEXT NOT NULL,
    issued_on     TEXT,
    valid_until   TEXT,
    reissued      INTEGER NOT NULL DEFAULT 0,
    received_on   TEXT,
    receipt_on    TEXT,
    withdrawn_on  TEXT,
    letter_number TEXT,
    -- An incoming member's record as the letter gives it (status, dates, category), as JSON.
    incoming      TEXT,
    version       INTEGER NOT NULL DEFAULT 1,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX transfers_from ON transfers(from_org_id, state);
CREATE INDEX transfers_to ON transfers(to_org_id, state);
CREATE INDEX transfers_member ON transfers(member_id);

CREATE TABLE transfer_steps (
    id          INTEGER PRIMARY KEY,
    transfer_id INTEGER NOT NULL REFERENCES transfers(id),
    action      TEXT NOT NULL,
    on_date     TEXT NOT NULL,
    handled_by  TEXT NOT NULL,
    document    TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX transfer_steps_transfer ON transfer_steps(transfer_id, id);

-- A member whose relationship went to an organisation outside this database: kept with their
-- history (the last span ends that day) but no longer on any branch's roll.
ALTER TABLE members ADD COLUMN left_on TEXT;

-- A 摸查 (reconciliation) under one organisation: the suspects found in the data on the day it
-- started, each followed as a case until found or settled.
CREATE TABLE lost_contact_campaigns (
    id          INTEGER PRIMARY KEY,
    root_org_id INTEGER NOT NULL,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    title       TEXT NOT NULL,
    started_on  TEXT NOT NULL,
    -- Months without 组织生活 or dues that make a member a suspect.
    quiet_months INTEGER NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE lost_contact_cases (
    id            INTEGER PRIMARY KEY,
    campaign_id   INTEGER NOT NULL REFERENCES lost_contact_campaigns(id),
    member_id     INTEGER NOT NULL REFERENCES members(id),
    branch_id     INTEGER NOT NULL REFERENCES orgs(id),
    why           TEXT NOT NULL,
    last_activity TEXT,
    state         TEXT NOT NULL,
    cause         TEXT,
    found_on      TEXT,
    lost_on       TEXT,
    suspended_on  TEXT,
    removed_on    TEXT,
    version       INTEGER NOT NULL DEFAULT 1,
    updated_at    TEXT NOT NULL
);
CREATE INDEX lost_contact_cases_campaign ON lost_contact_cases(campaign_id, state);
CREATE INDEX lost_contact_cases_branch ON lost_contact_cases(branch_id, state);

CREATE TABLE lost_contact_attempts (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES lost_contact_cases(id),
    on_date     TEXT NOT NULL,
    method      TEXT NOT NULL,
    reached     INTEGER NOT NULL,
    note        TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX lost_contact_attempts_case ON lost_contact_attempts(case_id, id);
