-- Foundation: the two trees, members, users, sessions, tokens and the audit log.
-- Kept column-for-column in step with migrations/postgres so the same SQL runs on both.

CREATE TABLE territories (
    id          INTEGER PRIMARY KEY,
    parent_id   INTEGER REFERENCES territories(id),
    root_id     INTEGER NOT NULL,
    level       TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX territories_parent ON territories(parent_id);

CREATE TABLE territory_closure (
    ancestor_id   INTEGER NOT NULL REFERENCES territories(id),
    descendant_id INTEGER NOT NULL REFERENCES territories(id),
    depth         INTEGER NOT NULL,
    PRIMARY KEY (ancestor_id, descendant_id)
);
CREATE INDEX territory_closure_descendant ON territory_closure(descendant_id);

CREATE TABLE orgs (
    id            INTEGER PRIMARY KEY,
    parent_id     INTEGER REFERENCES orgs(id),
    root_org_id   INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    branch_kind   TEXT,
    name          TEXT NOT NULL,
    territory_id  INTEGER REFERENCES territories(id),
    founded_on    TEXT,
    secretary     TEXT,
    phone         TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX orgs_parent ON orgs(parent_id);
CREATE INDEX orgs_territory ON orgs(territory_id);

CREATE TABLE org_closure (
    ancestor_id   INTEGER NOT NULL REFERENCES orgs(id),
    descendant_id INTEGER NOT NULL REFERENCES orgs(id),
    depth         INTEGER NOT NULL,
    PRIMARY KEY (ancestor_id, descendant_id)
);
CREATE INDEX org_closure_descendant ON org_closure(descendant_id);

-- 大党委 兼职委员: party leaders of resident units seated on a community or street committee.
CREATE TABLE concurrent_members (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    root_org_id INTEGER NOT NULL,
    name        TEXT NOT NULL,
    unit        TEXT NOT NULL,
    post        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX concurrent_members_org ON concurrent_members(org_id);

CREATE TABLE members (
    id                      INTEGER PRIMARY KEY,
    root_org_id             INTEGER NOT NULL,
    branch_id               INTEGER NOT NULL REFERENCES orgs(id),
    name                    TEXT NOT NULL,
    name_pinyin             TEXT NOT NULL,
    name_initials           TEXT NOT NULL,
    gender                  TEXT NOT NULL,
    id_number               TEXT NOT NULL UNIQUE,
    birth_date              TEXT NOT NULL,
    phone                   TEXT,
    category                TEXT NOT NULL,
    management_mode         TEXT NOT NULL,
    status                  TEXT NOT NULL,
    admitted_on             TEXT NOT NULL,
    full_on                 TEXT,
    lost_contact            INTEGER NOT NULL DEFAULT 0,
    pocket                  INTEGER NOT NULL DEFAULT 0,
    work_unit               TEXT,
    registered_community_id INTEGER REFERENCES territories(id),
    registered_on           TEXT,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);
CREATE INDEX members_branch ON members(branch_id);
CREATE INDEX members_name ON members(name);
CREATE INDEX members_pinyin ON members(name_pinyin);
CREATE INDEX members_initials ON members(name_initials);
CREATE INDEX members_registered ON members(registered_community_id);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    org_id        INTEGER NOT NULL REFERENCES orgs(id),
    member_id     INTEGER REFERENCES members(id),
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL
);
CREATE INDEX users_org ON users(org_id);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    csrf_token  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT
);

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    root_org_id   INTEGER NOT NULL,
    org_id        INTEGER NOT NULL,
    actor_user_id INTEGER,
    actor_name    TEXT NOT NULL,
    action        TEXT NOT NULL,
    entity        TEXT NOT NULL,
    entity_id     INTEGER,
    summary       TEXT NOT NULL,
    changes       TEXT NOT NULL,
    at            TEXT NOT NULL
);
CREATE INDEX audit_log_org_at ON audit_log(org_id, at);
CREATE INDEX audit_log_at ON audit_log(at);
