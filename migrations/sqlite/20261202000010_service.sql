-- 一呼百应 (DOMAIN.md §10): in-service members' 报到 where they live, needs that members claim,
-- 微心愿, and the volunteer hours the posting unit confirms.

-- A tree's configuration (`domain::service::ServiceRules` as JSON); the defaults when absent.
CREATE TABLE service_rules (
    root_org_id   INTEGER PRIMARY KEY,
    body          TEXT NOT NULL,
    saved_by      TEXT NOT NULL,
    saved_at      TEXT NOT NULL
);

-- A member's registration with the community where they live. Their 组织关系 stays with
-- `branch_id` (the unit branch that held them when they registered); the two are kept apart.
CREATE TABLE service_registrations (
    id             INTEGER PRIMARY KEY,
    root_org_id    INTEGER NOT NULL,
    member_id      INTEGER NOT NULL REFERENCES members(id),
    branch_id      INTEGER NOT NULL REFERENCES orgs(id),
    community_id   INTEGER NOT NULL REFERENCES orgs(id),
    grid_id        INTEGER REFERENCES territories(id),
    skills         TEXT NOT NULL,
    availability   TEXT NOT NULL,
    phone          TEXT NOT NULL,
    state          TEXT NOT NULL,
    registered_on  TEXT NOT NULL,
    confirmed_on   TEXT,
    confirmed_by   TEXT,
    ended_on       TEXT,
    created_at     TEXT NOT NULL
);
CREATE UNIQUE INDEX service_registrations_one_live ON service_registrations(member_id) WHERE state <> 'ended';
CREATE INDEX service_registrations_community ON service_registrations(community_id, state);
CREATE INDEX service_registrations_branch ON service_registrations(branch_id, state);

-- Each time a registered member reports (the confirmed registration is the first).
CREATE TABLE service_reports (
    id               INTEGER PRIMARY KEY,
    registration_id  INTEGER NOT NULL REFERENCES service_registrations(id),
    reported_on      TEXT NOT NULL,
    note             TEXT NOT NULL,
    recorded_by      TEXT NOT NULL,
    recorded_at      TEXT NOT NULL,
    UNIQUE (registration_id, reported_on)
);

-- The community's quarterly word on a registered member, for their unit.
CREATE TABLE service_feedback (
    id               INTEGER PRIMARY KEY,
    registration_id  INTEGER NOT NULL REFERENCES service_registrations(id),
    quarter          TEXT NOT NULL,
    rating           TEXT NOT NULL,
    comment          TEXT NOT NULL,
    given_by         TEXT NOT NULL,
    given_at         TEXT NOT NULL,
    UNIQUE (registration_id, quarter)
);

-- A need a community, a resident unit (named in `poster_unit`) or a member unit of the 大党委
-- (`org_id`) posts: an offer members claim, never an assignment.
CREATE TABLE service_needs (
    id                INTEGER PRIMARY KEY,
    root_org_id       INTEGER NOT NULL,
    org_id            INTEGER NOT NULL REFERENCES orgs(id),
    community_id      INTEGER NOT NULL REFERENCES orgs(id),
    poster_unit       TEXT NOT NULL,
    title             TEXT NOT NULL,
    detail            TEXT NOT NULL,
    place             TEXT NOT NULL,
    station           TEXT NOT NULL,
    starts_at         TEXT NOT NULL,
    ends_at           TEXT NOT NULL,
    people_needed     INTEGER NOT NULL,
    skills            TEXT NOT NULL,
    call_id           INTEGER REFERENCES calls(id),
    state             TEXT NOT NULL,
    claims_active     INTEGER NOT NULL DEFAULT 0,
    first_claimed_at  TEXT,
    fulfilled_at      TEXT,
    posted_by         TEXT NOT NULL,
    posted_at         TEXT NOT NULL
);
CREATE INDEX service_needs_community ON service_needs(community_id, starts_at);
CREATE INDEX service_needs_org ON service_needs(org_id);
CREATE INDEX service_needs_call ON service_needs(call_id);

-- A member's claim on a need: 已认领 → 已完成待确认 → 已确认, or 已退出.
CREATE TABLE service_claims (
    id                 INTEGER PRIMARY KEY,
    root_org_id        INTEGER NOT NULL,
    need_id            INTEGER NOT NULL REFERENCES service_needs(id),
    member_id          INTEGER NOT NULL REFERENCES members(id),
    branch_id          INTEGER NOT NULL REFERENCES orgs(id),
    state              TEXT NOT NULL,
    claimed_at         TEXT NOT NULL,
    checked_in_at      TEXT,
    checked_out_at     TEXT,
    travel_minutes     INTEGER NOT NULL DEFAULT 0,
    proposed_minutes   INTEGER,
    confirmed_minutes  INTEGER,
    confirmed_by       TEXT,
    confirmed_at       TEXT,
    service_year       INTEGER NOT NULL,
    ended_at           TEXT
);
CREATE UNIQUE INDEX service_claims_once ON service_claims(need_id, member_id) WHERE state <> 'withdrawn';
CREATE INDEX service_claims_member ON service_claims(member_id, state);
CREATE INDEX service_claims_need ON service_claims(need_id);

-- 微心愿: posted through the community after it verified them. `wisher` and `story` are what
-- the resident agreed to show on the wall; `contact` is shown only to the member who claims
-- it and to the community.
CREATE TABLE service_wishes (
    id             INTEGER PRIMARY KEY,
    root_org_id    INTEGER NOT NULL,
    community_id   INTEGER NOT NULL REFERENCES orgs(id),
    title          TEXT NOT NULL,
    story          TEXT NOT NULL,
    wisher         TEXT NOT NULL,
    contact        TEXT NOT NULL,
    state          TEXT NOT NULL,
    posted_on      TEXT NOT NULL,
    claimed_by     INTEGER REFERENCES members(id),
    claimed_on     TEXT,
    contacted_on   TEXT,
    contact_note   TEXT,
    fulfilled_on   TEXT,
    lapses         INTEGER NOT NULL DEFAULT 0,
    posted_by      TEXT NOT NULL,
    posted_at      TEXT NOT NULL
);
CREATE INDEX service_wishes_community ON service_wishes(community_id, state);
CREATE INDEX service_wishes_member ON service_wishes(claimed_by);
