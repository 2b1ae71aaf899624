-- Party dues (DOMAIN.md §1): each member's base history with the fixed monthly amount and its
-- working, payments per month, and approved hardship waivers. Months are 'YYYY-MM' text.

CREATE TABLE dues_bases (
    id              INTEGER PRIMARY KEY,
    member_id       INTEGER NOT NULL REFERENCES members(id),
    root_org_id     INTEGER NOT NULL,
    effective_month TEXT NOT NULL,
    category        TEXT NOT NULL,
    base_fen        INTEGER,
    monthly_fen     INTEGER NOT NULL,
    working         TEXT NOT NULL,
    rule_version    TEXT NOT NULL,
    set_by          TEXT NOT NULL,
    set_at          TEXT NOT NULL,
    UNIQUE (member_id, effective_month)
);

CREATE TABLE dues_payments (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members(id),
    branch_id   INTEGER NOT NULL REFERENCES orgs(id),
    root_org_id INTEGER NOT NULL,
    month       TEXT NOT NULL,
    amount_fen  INTEGER NOT NULL,
    paid_on     TEXT NOT NULL,
    method      TEXT NOT NULL,
    proxy_name  TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (member_id, month)
);
CREATE INDEX dues_payments_branch_month ON dues_payments(branch_id, month);

CREATE TABLE dues_waivers (
    id           INTEGER PRIMARY KEY,
    member_id    INTEGER NOT NULL REFERENCES members(id),
    root_org_id  INTEGER NOT NULL,
    from_month   TEXT NOT NULL,
    to_month     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    approved_by  TEXT NOT NULL,
    approval_ref TEXT NOT NULL,
    approved_on  TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX dues_waivers_member ON dues_waivers(member_id);
