-- Use of party dues (党费使用), published with the year's collection (DOMAIN.md §1.3).

CREATE TABLE dues_expenses (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    root_org_id INTEGER NOT NULL,
    spent_on    TEXT NOT NULL,
    amount_fen  INTEGER NOT NULL,
    purpose     TEXT NOT NULL,
    approved_by TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX dues_expenses_org_spent ON dues_expenses(org_id, spent_on);
