-- Residents' calls (你呼我应, 三级联动; issue 5): the units that answer them, the configurable
-- catalogue, the work calendar, the calls with their event log, and photos.

-- Who can hold a call: a community's or a street's party committee, the district's, or a
-- district department. Committee units point at their org, which is what scopes staff to them.
CREATE TABLE call_units (
    id           INTEGER PRIMARY KEY,
    root_org_id  INTEGER NOT NULL,
    level        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL,
    org_id       INTEGER REFERENCES orgs(id),
    territory_id INTEGER REFERENCES territories(id),
    parent_id    INTEGER REFERENCES call_units(id),
    created_at   TEXT NOT NULL
);
CREATE INDEX call_units_org ON call_units(org_id);
CREATE INDEX call_units_territory ON call_units(territory_id);

-- A department handler (部门办理人) acts for one unit.
ALTER TABLE users ADD COLUMN call_unit_id INTEGER REFERENCES call_units(id);

CREATE TABLE call_items (
    id                  INTEGER PRIMARY KEY,
    root_org_id         INTEGER NOT NULL,
    code                TEXT NOT NULL,
    category_code       TEXT NOT NULL,
    category_name       TEXT NOT NULL,
    name                TEXT NOT NULL,
    first_level         TEXT NOT NULL,
    acknowledge_minutes INTEGER NOT NULL,
    respond_minutes     INTEGER NOT NULL,
    resolve_minutes     INTEGER NOT NULL,
    active              INTEGER NOT NULL,
    UNIQUE (root_org_id, code)
);

-- The State Council's holiday arrangement of a year, as the admin entered it.
CREATE TABLE work_calendar_years (
    root_org_id     INTEGER NOT NULL,
    year            INTEGER NOT NULL,
    holidays        TEXT NOT NULL,
    makeup_workdays TEXT NOT NULL,
    updated_by      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (root_org_id, year)
);

-- One row per call. `state` is the domain's Case as JSON and `sla` the item's time limits when
-- the call was made, so a later catalogue edit does not rewrite past figures. The other columns
-- repeat what lists filter and sort on.
CREATE TABLE calls (
    id                INTEGER PRIMARY KEY,
    root_org_id       INTEGER NOT NULL,
    tracking_code     TEXT NOT NULL UNIQUE,
    item_code         TEXT NOT NULL,
    item_name         TEXT NOT NULL,
    territory_id      INTEGER REFERENCES territories(id),
    community_unit_id INTEGER NOT NULL REFERENCES call_units(id),
    org_id            INTEGER NOT NULL REFERENCES orgs(id),
    address           TEXT NOT NULL,
    description       TEXT NOT NULL,
    resident_name     TEXT NOT NULL,
    phone             TEXT NOT NULL,
    channel           TEXT NOT NULL,
    status            TEXT NOT NULL,
    level             TEXT NOT NULL,
    holder_unit_id    INTEGER NOT NULL REFERENCES call_units(id),
    state             TEXT NOT NULL,
    sla               TEXT NOT NULL,
    submitted_at      TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX calls_holder ON calls(holder_unit_id, status);
CREATE INDEX calls_org ON calls(org_id, submitted_at);
CREATE INDEX calls_status ON calls(status);

-- Departments called in by a street's 吹哨 besides the lead: they see the case too.
CREATE TABLE call_supporting_units (
    call_id INTEGER NOT NULL REFERENCES calls(id),
    unit_id INTEGER NOT NULL REFERENCES call_units(id),
    PRIMARY KEY (call_id, unit_id)
);
CREATE INDEX call_supporting_units_unit ON call_supporting_units(unit_id);

-- Every transition, in order. `public_note` is what the resident sees of it.
CREATE TABLE call_events (
    id             INTEGER PRIMARY KEY,
    call_id        INTEGER NOT NULL REFERENCES calls(id),
    at             TEXT NOT NULL,
    actor          TEXT NOT NULL,
    actor_user_id  INTEGER,
    kind           TEXT NOT NULL,
    event          TEXT NOT NULL,
    public_note    TEXT NOT NULL,
    status_after   TEXT NOT NULL,
    holder_unit_id INTEGER NOT NULL
);
CREATE INDEX call_events_call ON call_events(call_id, id);

CREATE TABLE call_photos (
    id           INTEGER PRIMARY KEY,
    call_id      INTEGER NOT NULL REFERENCES calls(id),
    content_type TEXT NOT NULL,
    size_bytes   INTEGER NOT NULL,
    content      BLOB NOT NULL,
    uploaded_at  TEXT NOT NULL
);
CREATE INDEX call_photos_call ON call_photos(call_id);
