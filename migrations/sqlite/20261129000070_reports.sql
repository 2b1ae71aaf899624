-- Weekly and monthly reports (issue 11), archived with their figures frozen as of the day they
-- were made: a report sent upward must read the same a year later, whatever was corrected since.
-- `figures` is the dashboard's overview as JSON; `period` is '2026-W48' or '2026-11'. A report
-- made before its period ended (on demand, mid-period) may be replaced by a later one; once made
-- after the end (`as_of` > `period_end`) it is final.
CREATE TABLE reports (
    id          INTEGER PRIMARY KEY,
    root_org_id INTEGER NOT NULL REFERENCES orgs(id),
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    kind        TEXT NOT NULL CHECK (kind IN ('weekly', 'monthly')),
    period      TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end  TEXT NOT NULL,
    as_of       TEXT NOT NULL,
    figures     TEXT NOT NULL,
    made_by     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (org_id, kind, period)
);
CREATE INDEX reports_by_org ON reports (org_id, kind, period_end);
