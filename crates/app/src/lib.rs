//! Use cases of dangjian. Each one checks what the actor may do, makes the change through the
//! store (which writes the audit row in the same transaction), and returns plain data for the
//! web layer or the CLI to show.

use domain::Role;
use store::{Author, Db, Scope, StoreError};

pub mod admission;
pub mod admission_plans;
pub mod appraisal;
pub mod audit;
pub mod auth;
pub mod birthdays;
pub mod calls;
pub mod dashboard;
pub mod demo;
pub mod dues;
pub mod export;
pub mod freshness;
pub mod import;
pub mod limits;
pub mod lost_contact;
pub mod meeting_extras;
pub mod members;
pub mod orglife;
pub mod orglife_rules;
pub mod orgs;
pub mod photos;
pub mod points;
pub mod reminders;
pub mod reports;
pub mod restrictions;
pub mod rollups;
pub mod service;
pub mod tabular;
pub mod transfers;
pub mod users;
pub mod whole;
pub mod workbench;

/// The logged-in user as every use case sees them.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub org_id: i64,
    pub member_id: Option<i64>,
    /// The unit a department handler answers residents' calls for.
    pub call_unit_id: Option<i64>,
}

impl Actor {
    pub fn scope(&self) -> Scope {
        match self.role {
            Role::Admin | Role::OrgAdmin | Role::BranchOfficer => Scope::Subtree(self.org_id),
            Role::Member => self.member_id.map_or(Scope::Nothing, Scope::SelfOnly),
            Role::DeptHandler => Scope::Nothing,
        }
    }

    pub fn author(&self) -> Author {
        Author {
            user_id: Some(self.user_id),
            name: format!("{}（{}）", self.display_name, self.username),
        }
    }

    /// Staff who work on org data (everyone but members and department handlers).
    pub fn is_staff(&self) -> bool {
        matches!(
            self.role,
            Role::Admin | Role::OrgAdmin | Role::BranchOfficer
        )
    }

    pub fn require_staff(&self) -> Result<()> {
        if self.is_staff() {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Org admins and system admins: tree edits, users, imports, the audit log.
    pub fn require_org_admin(&self) -> Result<()> {
        if matches!(self.role, Role::Admin | Role::OrgAdmin) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn may_see_personal_data(&self) -> bool {
        self.role.may_see_personal_data()
    }
}

/// One problem in one row of an import file (rows counted as a spreadsheet shows them).
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("请先登录")]
    Unauthenticated,
    #[error("您没有权限进行此操作")]
    Forbidden,
    #[error("记录不存在或不在您的管理范围内")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    /// Well-formed, but a rule of the domain refuses it (a 发展党员 step out of order or out of
    /// time); the message names the rule and its source.
    #[error("{0}")]
    Refused(String),
    #[error("登录失败次数过多，请 {0} 分钟后再试")]
    Throttled(i64),
    /// Too many requests from one client or for one key (the public call pages); the message
    /// says when to try again.
    #[error("{0}")]
    TooMany(String),
    #[error("文件有 {} 处错误，未导入任何数据", .0.len())]
    ImportRejected(Vec<RowError>),
    /// A request or upload beyond what the server accepts (HTTP 413).
    #[error("{0}")]
    TooLarge(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict(m) => AppError::Conflict(m),
            StoreError::Invalid(m) => AppError::Invalid(m),
            e @ StoreError::IdNumberTaken => AppError::Conflict(e.to_string()),
            other => AppError::Store(other),
        }
    }
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// A free-text field checked against its length ([`domain::text`]).
pub(crate) fn within(limit: domain::text::TextLimit, text: &str) -> Result<()> {
    limit
        .check(text)
        .map_err(|e| AppError::Invalid(e.to_string()))
}

/// The running application: the database and in-memory state shared by all requests.
#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub throttle: std::sync::Arc<auth::LoginThrottle>,
    /// The instance's dues rules: the cap, the farmers' amount and the fixing rule.
    pub dues: dues::DuesSettings,
    /// Days after a meeting within which its record may be entered.
    pub backfill_days: i64,
    /// Whether the server sits behind a reverse proxy whose `X-Forwarded-For` names the client.
    /// Off by default: anyone could otherwise claim any address and escape per-client limits.
    pub trust_proxy: bool,
    /// Whether browsers reach the server over HTTPS (directly or through a proxy): cookies are
    /// then marked `Secure` and responses carry HSTS. Off by default, since the zero set-up
    /// default is plain HTTP on 127.0.0.1, where a `Secure` cookie would never be sent back.
    pub secure_cookies: bool,
    /// Bytes of photos the public call form may store per day, counted from the database.
    pub public_upload_bytes_per_day: u64,
    /// Per-client and per-phone counts of the public call pages.
    pub public_calls: std::sync::Arc<calls::PublicCallLimits>,
    /// The database's generation, under which looked-up sessions and drawn pages are kept.
    pub changes: std::sync::Arc<freshness::Changes>,
    /// Sessions looked up: the actor, the CSRF token and when the session ends, by token hash.
    sessions_seen:
        std::sync::Arc<freshness::Recent<(Actor, String, chrono::DateTime<chrono::Utc>)>>,
    /// Pages drawn from the roll-ups (the dashboards, the organisational-life roll-up), by the
    /// session and the address they were drawn for.
    pub pages: std::sync::Arc<freshness::Recent<String>>,
}

impl App {
    pub fn new(db: Db) -> App {
        App {
            throttle: Default::default(),
            dues: Default::default(),
            backfill_days: orglife::DEFAULT_BACKFILL_DAYS,
            trust_proxy: false,
            secure_cookies: false,
            public_upload_bytes_per_day: calls::DEFAULT_PUBLIC_UPLOAD_MB_PER_DAY * 1024 * 1024,
            public_calls: Default::default(),
            changes: std::sync::Arc::new(freshness::Changes::new(db.clone())),
            // A session is a few hundred bytes, a dashboard some tens of kilobytes.
            sessions_seen: std::sync::Arc::new(freshness::Recent::new(10_000)),
            pages: std::sync::Arc::new(freshness::Recent::new(300)),
            db,
        }
    }
}

/// The page a list was asked for, 1-based: anything below 1 is the first page, and an absurd
/// number is held to a page far past any list, so that its offset cannot overflow.
pub fn page_number(asked: Option<i64>) -> i64 {
    const LAST_PAGE: i64 = 1_000_000;
    asked.unwrap_or(1).clamp(1, LAST_PAGE)
}

/// A value percent-encoded for a query string: what list filters hold (dates, codes, Chinese
/// labels) in links that keep the filters.
pub fn query_value(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A rate in ‰ as a percentage with one decimal ("87.5%"), or "—" when there is none.
pub fn permille_text<T: Into<u64>>(rate: Option<T>) -> String {
    rate.map(Into::into)
        .map(|r: u64| format!("{}.{}%", r / 10, r % 10))
        .unwrap_or_else(|| "—".into())
}
