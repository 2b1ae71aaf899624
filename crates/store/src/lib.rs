//! Persistence for dangjian: one `Db` over SQLite (the zero set-up default) or PostgreSQL.
//!
//! All SQL is written once in the portable dialect (`$1` placeholders, `RETURNING`, `ON CONFLICT`)
//! and run on whichever pool is open through [`on_db!`]; only where the engines really differ
//! (bulk id sequences, backups) does a function match on the engine by hand.
//!
//! Every read or write of org-owned data takes a [`Scope`] and joins `org_closure` against it in
//! the statement itself, so there is no way to fetch a row first and check afterwards.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub mod admission_plans;
pub mod applicants;
pub mod appraisal;
pub mod audit;
pub mod calls;
pub mod citus;
pub mod commits;
pub mod copy;
pub mod dues;
pub mod lost_contact;
pub mod meetings;
pub mod member_effects;
pub mod members;
pub mod memberships;
pub mod model;
pub mod orglife;
pub mod orgs;
pub mod outbox;
pub mod points;
pub mod reports;
pub mod restrictions;
pub mod rollups;
pub mod seed;
pub mod service;
pub mod sessions;
pub mod territory;
pub mod testing;
pub mod transfers;
pub mod users;

pub use applicants::{Applicant, ApplicantFilter, ApplicantStep, NewApplicant, StepRecord};
pub use calls::{
    CalendarYear, CallChange, CallEventRow, CallFilter, CallItem, CallRow, CallScope, CallUnit,
    NewCall, NewCallUnit,
};
pub use dues::{
    DuesBase, DuesExpense, DuesMonthFacts, DuesPayment, DuesRecord, DuesWaiver, NewDuesBase,
    NewExpense, NewPayment, NewWaiver,
};
pub use meetings::{Attendance, AttendanceEntry, Meeting, MeetingFields, MeetingRevision};
pub use member_effects::MemberEffect;
pub use members::{MemberImport, MemberProblem};
pub use memberships::{BranchMove, MembershipRow};
pub use model::*;
pub use orglife::{
    AttachmentMeta, ExemptionRow, MeetingVote, NewExemption, NewVote, RuleSetVersion, SignInMeeting,
};
pub use orgs::OrgLifespan;
pub use outbox::{Message, NewMessage, Recipient};
pub use reports::{NewReport, ReportEntry, StoredReport};
pub use restrictions::{
    AttendeeFacts, EndCheck, MemberRestriction, NewRestriction, RestrictionCheck, RestrictionEnd,
};
pub use rollups::{RollupMeta, RollupRow};
pub use transfers::{
    NewTransfer, Transfer, TransferFacts, TransferFilter, TransferStep, TransferStepRecord,
};

/// Settings of every PostgreSQL session. Statements are prepared once per connection; after
/// five runs PostgreSQL may switch to a generic plan, made without the parameters' values. For a
/// scope that generic plan guesses a handful of orgs, where a district holds thousands: it walks
/// every branch's members instead of the index the values point to (measured on the
/// 50,000-member demo: today's political birthdays 27 ms against 0.9 ms, and far worse at a
/// million). Planning each run with its values costs well under a millisecond.
///
/// On a Citus coordinator, a worker that is down would hold a page for Citus' default 30 s
/// before the error; 5 s is already longer than anyone waits for a page. Plain PostgreSQL keeps
/// the setting as an unused placeholder.
const PG_SESSION_SETTINGS: [(&str, &str); 2] = [
    ("plan_cache_mode", "force_custom_plan"),
    ("citus.node_connection_timeout", "5000"),
];

/// How long a request waits for a free database connection before it is told the database is
/// unavailable (sqlx waits 30 s by default, which a user takes for a hang).
const PG_ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The open database. Cheap to clone (both arms are pools).
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same block against whichever engine is open. The block is compiled once per engine,
/// which is what lets one SQL text and one row type serve both without the `Any` driver.
#[macro_export]
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}

/// Binds a slice of [`Param`] in order onto a `query` or `query_as`, for statements whose
/// filters are assembled at run time.
#[macro_export]
macro_rules! bind_params {
    ($query:expr, $params:expr) => {{
        let mut query = $query;
        for param in $params {
            query = match param {
                $crate::Param::I64(v) => query.bind(*v),
                $crate::Param::Text(v) => query.bind(v.clone()),
                $crate::Param::Bool(v) => query.bind(*v),
                $crate::Param::Date(v) => query.bind(*v),
                $crate::Param::Time(v) => query.bind(*v),
                $crate::Param::Moment(v) => query.bind(*v),
                $crate::Param::NullI64 => query.bind(None::<i64>),
                $crate::Param::NullText => query.bind(None::<String>),
                $crate::Param::NullDate => query.bind(None::<::chrono::NaiveDate>),
            };
        }
        query
    }};
}

/// A value bound into a statement built at run time.
#[derive(Debug, Clone)]
pub enum Param {
    I64(i64),
    Text(String),
    Bool(bool),
    Date(NaiveDate),
    Time(DateTime<Utc>),
    /// A local wall-clock time (a need's start and end).
    Moment(chrono::NaiveDateTime),
    /// Typed NULLs: PostgreSQL checks a parameter's declared type against its column.
    NullI64,
    NullText,
    NullDate,
}

impl Param {
    pub fn opt_i64(v: Option<i64>) -> Param {
        v.map_or(Param::NullI64, Param::I64)
    }
    pub fn opt_text(v: Option<&str>) -> Param {
        v.map_or(Param::NullText, |s| Param::Text(s.to_string()))
    }
    pub fn opt_date(v: Option<NaiveDate>) -> Param {
        v.map_or(Param::NullDate, Param::Date)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("数据库错误：{0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("数据库迁移失败：{0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("不支持的数据库地址：{0}（应以 sqlite: 或 postgres:// 开头）")]
    UnsupportedUrl(String),
    #[error("记录不存在或不在您的管理范围内")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    /// A 身份证号 that another member already holds. Its message says neither where nor that
    /// it is registered: an editor in one street must not learn who is a member elsewhere.
    #[error("该身份证号不可用，请联系上级组织核实")]
    IdNumberTaken,
}

impl StoreError {
    /// True when a unique index refused the row: callers turn that into a user-facing message.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Sqlx(sqlx::Error::Database(e)) if e.is_unique_violation())
    }

    /// True when the database (or, on a distributed one, a node behind the coordinator) could
    /// not be reached, rather than refusing the statement: the page says so, and that trying
    /// again later may work, instead of reporting an internal error.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Sqlx(
                sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed,
            ) => true,
            StoreError::Sqlx(sqlx::Error::Database(e)) => {
                let code = e.code().unwrap_or_default();
                // Class 08 is "connection exception"; 57P01–57P03 a server shutting down or
                // not yet accepting; Citus reports a worker it cannot reach as a "remote node".
                code.starts_with("08")
                    || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
                    || e.message().contains("remote node")
            }
            _ => false,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Where an actor may read and write. Built by the app layer from the logged-in user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everything at or below this org (joined through `org_closure`).
    Subtree(i64),
    /// Only this member's own record.
    SelfOnly(i64),
    /// No org-owned data at all (e.g. a department handler).
    Nothing,
}

impl Scope {
    /// SQL condition restricting `{alias}.branch_id`-style org columns to the scope, with the
    /// scope's parameter appended to `params`.
    pub fn org_condition(&self, org_column: &str, params: &mut Vec<Param>) -> String {
        match *self {
            Scope::Subtree(org) => {
                params.push(Param::I64(org));
                // An IN list rather than a correlated EXISTS: both engines then read the
                // scope's org ids once and can walk an index on the org column from them.
                format!(
                    "{org_column} IN (SELECT sc.descendant_id FROM org_closure sc WHERE sc.ancestor_id = ${})",
                    params.len()
                )
            }
            Scope::SelfOnly(_) | Scope::Nothing => "1 = 0".to_string(),
        }
    }

    /// The same restriction as [`Scope::org_condition`], written as a correlated `EXISTS`. Use it
    /// when another condition is more selective than the scope (a name prefix): SQLite then lets
    /// that condition's index drive and checks the scope per row, instead of reading every row of
    /// a large scope first (measured on 1,000,000 members: 6 ms against 240 ms).
    pub fn org_condition_correlated(&self, org_column: &str, params: &mut Vec<Param>) -> String {
        match *self {
            Scope::Subtree(org) => {
                params.push(Param::I64(org));
                format!(
                    "EXISTS (SELECT 1 FROM org_closure sc WHERE sc.ancestor_id = ${} AND sc.descendant_id = {org_column})",
                    params.len()
                )
            }
            Scope::SelfOnly(_) | Scope::Nothing => "1 = 0".to_string(),
        }
    }

    /// Like [`Scope::org_condition`] for member rows: a member may also see their own record.
    pub fn member_condition(&self, alias: &str, params: &mut Vec<Param>) -> String {
        match *self {
            Scope::SelfOnly(member) => {
                params.push(Param::I64(member));
                format!("{alias}.id = ${}", params.len())
            }
            _ => self.org_condition(&format!("{alias}.branch_id"), params),
        }
    }

    /// [`Scope::member_condition`] in the correlated form (see [`Scope::org_condition_correlated`]).
    pub fn member_condition_correlated(&self, alias: &str, params: &mut Vec<Param>) -> String {
        match *self {
            Scope::SelfOnly(_) => self.member_condition(alias, params),
            _ => self.org_condition_correlated(&format!("{alias}.branch_id"), params),
        }
    }
}

/// Starts a transaction that is going to write.
///
/// SQLite's default `BEGIN` is deferred: the transaction takes a read lock at its first read
/// (usually the scope check) and asks for the write lock only at its first write. If another
/// writer committed in between, SQLite cannot wait for it and answers "database is locked" at
/// once; two clients saving members together lost up to three quarters of their saves that
/// way. `BEGIN IMMEDIATE` takes the write lock first, so writers queue behind each other
/// within the busy timeout. PostgreSQL's row locks already make writers wait.
pub(crate) trait BeginWrite {
    type Database: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<
        Output = std::result::Result<sqlx::Transaction<'static, Self::Database>, sqlx::Error>,
    > + Send;
}

impl BeginWrite for SqlitePool {
    type Database = sqlx::Sqlite;
    async fn begin_write(
        &self,
    ) -> std::result::Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for PgPool {
    type Database = sqlx::Postgres;
    async fn begin_write(
        &self,
    ) -> std::result::Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }
}

pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Today in China (UTC+8, no daylight saving), the calendar every date in the data follows.
pub fn today() -> NaiveDate {
    (Utc::now() + chrono::Duration::hours(8)).date_naive()
}

impl Db {
    /// Opens (creating the SQLite file if needed) and migrates to the latest schema.
    pub async fn open(url: &str) -> Result<Db> {
        let db = Db::connect(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Opens without touching the schema (the migrations of a test that upgrades an old one).
    pub async fn connect(url: &str) -> Result<Db> {
        let db = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // Reads served from the OS page cache instead of a small per-connection cache.
                .pragma("mmap_size", "1073741824")
                .pragma("cache_size", "-32000");
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await?;
            Db::Sqlite(pool)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)?.options(PG_SESSION_SETTINGS);
            Db::Postgres(
                PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(PG_ACQUIRE_TIMEOUT)
                    .connect_with(options)
                    .await?,
            )
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        Ok(db)
    }

    /// Opens a PostgreSQL database inside its own schema, so that parallel tests never see each
    /// other's rows. The schema is created if missing.
    pub async fn open_postgres_schema(url: &str, schema: &str) -> Result<Db> {
        let db = Db::connect_postgres_schema(url, schema).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// [`Db::open_postgres_schema`] without touching the schema's tables.
    pub async fn connect_postgres_schema(url: &str, schema: &str) -> Result<Db> {
        let admin = PgPoolOptions::new().max_connections(1).connect(url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS \"{schema}\""
        )))
        .execute(&admin)
        .await?;
        admin.close().await;
        // Named after the schema, so that whoever drops the schema can end its sessions first.
        let options = PgConnectOptions::from_str(url)?
            .options(PG_SESSION_SETTINGS)
            .options([("search_path", schema)])
            .application_name(schema);
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        let db = Db::Postgres(pool);
        Ok(db)
    }

    /// Brings the schema only up to migration `version`: an upgrade test first builds the
    /// schema a release had, fills it, and then migrates the rest of the way.
    pub async fn migrate_until(&self, version: i64) -> Result<()> {
        fn until(mut m: sqlx::migrate::Migrator, version: i64) -> sqlx::migrate::Migrator {
            m.migrations = std::borrow::Cow::Owned(
                m.migrations
                    .iter()
                    .filter(|migration| migration.version <= version)
                    .cloned()
                    .collect(),
            );
            m
        }
        match self {
            Db::Sqlite(pool) => {
                until(sqlx::migrate!("../../migrations/sqlite"), version)
                    .run(pool)
                    .await?
            }
            Db::Postgres(pool) => {
                until(sqlx::migrate!("../../migrations/postgres"), version)
                    .run(pool)
                    .await?
            }
        }
        Ok(())
    }

    pub async fn migrate(&self) -> Result<()> {
        match self {
            Db::Sqlite(pool) => sqlx::migrate!("../../migrations/sqlite").run(pool).await?,
            Db::Postgres(pool) => {
                sqlx::migrate!("../../migrations/postgres")
                    .run(pool)
                    .await?
            }
        }
        Ok(())
    }

    /// How many values to bind in one statement. SQLite looks each parameter up by walking its
    /// list, so binding cost grows with the square of the count: many small statements are far
    /// faster there (measured: 50,000 demo members took 51 s at 30,000 values per statement).
    /// PostgreSQL allows 65,535 and prefers fewer round trips.
    pub fn max_params_per_statement(&self) -> usize {
        match self {
            Db::Sqlite(_) => 999,
            Db::Postgres(_) => 30_000,
        }
    }

    /// The clause that locks the rows a write transaction read, so that a concurrent writer
    /// waits for this one. PostgreSQL needs it: an UPDATE that re-checks its scope join after
    /// waiting for another writer compares the new row with the join's old partner row and
    /// silently skips it when the other writer moved the member. Lock by primary key alone and
    /// read with the scope afterwards. SQLite has no row locks and needs none, since
    /// [`BeginWrite`] already holds the database's write lock.
    pub(crate) fn for_update(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "",
            Db::Postgres(_) => " FOR UPDATE",
        }
    }

    pub fn engine(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "SQLite",
            Db::Postgres(_) => "PostgreSQL",
        }
    }

    pub async fn close(&self) {
        on_db!(self, pool => pool.close().await)
    }

    /// A consistent copy of a live SQLite database (`VACUUM INTO` reads one snapshot while
    /// writers carry on). PostgreSQL has `pg_dump` for this.
    pub async fn backup_sqlite(&self, out: &str) -> Result<()> {
        match self {
            Db::Sqlite(pool) => {
                sqlx::query("VACUUM INTO $1")
                    .bind(out)
                    .execute(pool)
                    .await?;
                Ok(())
            }
            Db::Postgres(_) => Err(StoreError::Invalid(
                "PostgreSQL 请使用 pg_dump 备份；backup 命令只用于内置的 SQLite 数据库".into(),
            )),
        }
    }
}
