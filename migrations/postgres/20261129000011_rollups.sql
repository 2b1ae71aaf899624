-- Roll-ups (issue 11): every figure a dashboard, report or roll-up shows, per org node and
-- period, kept current by the writes themselves (see domain::rollups). `period` is 'now', a
-- month 'YYYY-MM' or a year 'YYYY'; `metric` names the figure (members, category.retired,
-- dues.collected_fen, orglife.red, calls.closed, ...).
CREATE TABLE rollups (
    root_org_id BIGINT NOT NULL,
    org_id      BIGINT NOT NULL,
    period      TEXT COLLATE "C" NOT NULL,
    metric      TEXT COLLATE "C" NOT NULL,
    value       BIGINT NOT NULL,
    PRIMARY KEY (root_org_id, org_id, period, metric)
);

-- As of when the figures of a tree were taken: the month the member and dues figures were
-- computed for (writes keep using it until the sweep takes the next month's), the dues fixing
-- rule they were computed with, and the day the ledger lights were last refreshed.
CREATE TABLE rollup_meta (
    root_org_id BIGINT PRIMARY KEY,
    month       TEXT NOT NULL,
    fixing      TEXT NOT NULL,
    orglife_day TEXT,
    updated_at  TIMESTAMPTZ NOT NULL
);

-- The month a dues base was first on record: months before it are 未核定, not in arrears.
ALTER TABLE dues_bases ADD COLUMN assessed_from TEXT;
UPDATE dues_bases SET assessed_from = to_char(set_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM');
