//! What templates show: labels for stored codes, dates and times in China's time zone, and the
//! page frame every template extends.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Asia::Shanghai;

use crate::auth::Session;
use domain::{
    BranchKind, ManagementMode, MemberCategory, MemberStatus, OrgKind, Role, TerritoryLevel,
};

/// The page frame: who is logged in, the CSRF token for forms, which menu item is current.
pub struct Layout {
    pub title: String,
    pub user: String,
    pub role: &'static str,
    pub csrf: String,
    pub staff: bool,
    pub org_admin: bool,
    pub active: &'static str,
    pub flash: String,
}

impl Layout {
    pub fn new(session: &Session, title: impl Into<String>, active: &'static str) -> Layout {
        let actor = &session.actor;
        Layout {
            title: title.into(),
            user: actor.display_name.clone(),
            role: actor.role.label(),
            csrf: session.csrf.clone(),
            staff: actor.is_staff(),
            org_admin: matches!(actor.role, Role::Admin | Role::OrgAdmin),
            active,
            flash: String::new(),
        }
    }

    /// The navigation entry of the page, for the phone's menu button ("菜单 · 党员").
    pub fn section(&self) -> &'static str {
        match self.active {
            "home" => "首页",
            "reports" => "统计报告",
            "orgs" => "党组织",
            "territory" => "区域网格",
            "members" => "党员",
            "birthdays" => "政治生日",
            "admission" => "发展党员",
            "transfers" => "组织关系转接",
            "lost_contact" => "失联排查",
            "import" => "导入导出",
            "users" => "用户",
            "audit" => "审计日志",
            "orglife" => "组织生活",
            "dues" => "党费",
            "points" => "党员积分",
            "calls" => "居民呼声",
            "tokens" => "API",
            "me" => "我的",
            "inbox" => "消息",
            _ => "",
        }
    }

    pub fn with_flash(mut self, flash: impl Into<String>) -> Layout {
        self.flash = flash.into();
        self
    }
}

/// What a searchable picker matches an option by besides its name: the full pinyin and the
/// initials ("chunshan cs").
pub fn search_keys(name: &str) -> String {
    let keys = domain::names::name_keys(name);
    format!("{} {}", keys.full, keys.initials)
}

pub fn org_kind(code: &str) -> &'static str {
    OrgKind::from_code(code).map(|k| k.label()).unwrap_or("")
}

pub fn branch_kind(code: &Option<String>) -> &'static str {
    code.as_deref()
        .and_then(BranchKind::from_code)
        .map(|k| k.label())
        .unwrap_or("")
}

/// "党支部 · 网格支部" for branches, the kind alone otherwise.
pub fn org_kind_full(kind: &str, branch: &Option<String>) -> String {
    match branch_kind(branch) {
        "" => org_kind(kind).to_string(),
        b => format!("{} · {}", org_kind(kind), b),
    }
}

pub fn territory_level(code: &str) -> &'static str {
    TerritoryLevel::from_code(code)
        .map(|k| k.label())
        .unwrap_or("")
}

pub fn category(code: &str) -> &'static str {
    MemberCategory::from_code(code)
        .map(|k| k.label())
        .unwrap_or("")
}

pub fn mode(code: &str) -> &'static str {
    ManagementMode::from_code(code)
        .map(|k| k.label())
        .unwrap_or("")
}

pub fn status(code: &str) -> &'static str {
    MemberStatus::from_code(code)
        .map(|k| k.label())
        .unwrap_or("")
}

pub fn role(code: &str) -> &'static str {
    Role::from_code(code).map(|k| k.label()).unwrap_or("")
}

pub fn gender(code: &str) -> &'static str {
    domain::Gender::from_code(code)
        .map(|k| k.label())
        .unwrap_or("")
}

pub fn education(code: &str) -> &'static str {
    domain::record::Education::from_code(code)
        .map(|k| k.label())
        .unwrap_or("")
}

pub fn party_post(code: &str) -> &'static str {
    domain::record::PartyPost::from_code(code)
        .map(|k| k.label())
        .unwrap_or("")
}

pub fn membership_reason(code: &str) -> &'static str {
    domain::membership::MembershipReason::from_code(code)
        .map(|k| k.label())
        .unwrap_or("")
}

/// The last day of a span whose stored end is the first day after it.
pub fn day_before(d: &NaiveDate) -> String {
    d.pred_opt().map(|d| d.to_string()).unwrap_or_default()
}

pub fn date(d: &Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// Stored times are UTC; people read them in Beijing time.
pub fn time(t: &DateTime<Utc>) -> String {
    t.with_timezone(&Shanghai)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Options of a `<select>` for an enumeration: (code, label, selected).
pub fn options<T: Copy + PartialEq>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
    selected: Option<T>,
) -> Vec<(&'static str, &'static str, bool)> {
    all.iter()
        .map(|v| (code(*v), label(*v), Some(*v) == selected))
        .collect()
}

/// 分 as 元 with two decimals.
/// A rate in ‰ as "87.5%", or "—" when there is nothing to count.
pub fn permille(rate: &Option<u32>) -> String {
    app::permille_text(*rate)
}

/// Working minutes as a time limit reads: "2 个工作日 3 小时", or "—" when there is none.
pub fn minutes(m: &Option<i64>) -> String {
    m.map_or_else(|| "—".into(), app::calls::work_time_text)
}

pub fn work_time(m: impl Into<i64>) -> String {
    app::calls::work_time_text(m.into())
}

pub fn fen(amount: &i64) -> String {
    domain::dues::Fen(*amount).to_string()
}

/// The audit log's action in Chinese.
pub fn action(code: &str) -> &'static str {
    match code {
        "create" => "新建",
        "update" => "修改",
        "login" => "登录",
        "export" => "导出",
        "import" => "导入",
        "unlock" => "解锁",
        "revoke" => "撤销",
        "refuse" => "拒绝",
        _ => "其他",
    }
}
