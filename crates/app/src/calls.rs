//! Residents' calls (你呼我应, 三级联动): intake from the public form, the staff UI and Open311;
//! routing to the community of the place first; the holders' actions, escalation up to the
//! street and the district's departments, a street's 吹哨, returns and arbitration; closure with
//! the resident's rating; the figures per unit. The lifecycle and its clocks are the domain's
//! (`domain::calls`, `domain::workcal`); here they meet the database and the actors.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::limits::RateLimiter;
use crate::members::today;
use crate::{Actor, App, AppError, Result};
use domain::calls::{
    self, Arbitration, Case, Escalation, Event, Figures, Level, MAX_TAIL_FAILURES, Rating,
    SlaPolicy, SlaState, Status, auto_escalation, sla_state,
};
use domain::personal::mask_numbers_in_text;
use domain::workcal::{WorkCalendar, YearArrangement, china_2026};
use domain::{OrgKind, Role};
use store::{
    Author, CallChange, CallEventRow, CallItem, CallRow, CallScope, CallUnit, NewCall, NewCallUnit,
    Scope, StoreError,
};

/// Photos a resident may attach to one call, each at most [`MAX_PHOTO_BYTES`].
pub const MAX_PHOTOS: usize = 3;
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// Calls one client may send through the public form per hour. An office or a family behind one
/// address reports a few matters a day; a script reports hundreds.
pub const SUBMISSIONS_PER_CLIENT: u32 = 10;
/// Calls one phone number may be given for per day, from any address.
pub const SUBMISSIONS_PER_PHONE: u32 = 5;
/// Phone-tail checks (viewing the details, rating) one client may make per hour, over all
/// calls: a resident needs two or three per call.
pub const TAIL_CHECKS_PER_CLIENT: u32 = 20;
/// 查询码 that match no call, per client an hour, on the tracking page and in Open311. A
/// resident mistypes a code once or twice; there are about a million codes a day, so a client
/// guessing them would find one of the day's calls once in tens of thousands of tries.
pub const CODE_MISSES_PER_CLIENT: u32 = 30;
/// Photos stored from the public form per day, in MB, unless the instance says otherwise
/// (`--public-upload-mb-per-day`). Shrunk photos are 0.2 to 0.5 MB, so this holds several
/// hundred calls with photos a day.
pub const DEFAULT_PUBLIC_UPLOAD_MB_PER_DAY: u64 = 200;
/// The channel of calls from the public form, whose photos the daily cap counts.
pub const PUBLIC_CHANNEL: &str = "web";

const HOUR: Duration = Duration::from_secs(3600);
/// Clients and phones remembered at once per limiter; see [`RateLimiter`].
const LIMITER_KEYS: usize = 20_000;

/// What the public call pages count per client and per phone, in memory. A restart forgets
/// these counts, which gives an attacker no more than waiting would; what must outlive a
/// restart (a call's wrong phone tails, the day's photo bytes) is counted in the database.
pub struct PublicCallLimits {
    submissions_per_client: RateLimiter,
    submissions_per_phone: RateLimiter,
    tail_checks_per_client: RateLimiter,
    code_misses_per_client: RateLimiter,
    /// Decoding a photo takes a core and up to [`crate::photos::DECODE_MAX_ALLOC`] of memory:
    /// two at a time, whatever the number of submissions.
    photo_work: tokio::sync::Semaphore,
    /// One submission at a time checks the day's photo bytes and stores its photos, so that
    /// parallel submissions cannot all pass the same check.
    upload_cap: tokio::sync::Mutex<()>,
}

impl Default for PublicCallLimits {
    fn default() -> Self {
        PublicCallLimits {
            submissions_per_client: RateLimiter::new(SUBMISSIONS_PER_CLIENT, HOUR, LIMITER_KEYS),
            submissions_per_phone: RateLimiter::new(SUBMISSIONS_PER_PHONE, 24 * HOUR, LIMITER_KEYS),
            tail_checks_per_client: RateLimiter::new(TAIL_CHECKS_PER_CLIENT, HOUR, LIMITER_KEYS),
            code_misses_per_client: RateLimiter::new(CODE_MISSES_PER_CLIENT, HOUR, LIMITER_KEYS),
            photo_work: tokio::sync::Semaphore::new(2),
            upload_cap: tokio::sync::Mutex::new(()),
        }
    }
}

/// "25 分钟" or "3 小时", rounded up, for "请 … 后再试".
fn wait_text(wait: Duration) -> String {
    let minutes = wait.as_secs().div_ceil(60).max(1);
    if minutes > 90 {
        format!("{} 小时", minutes.div_ceil(60))
    } else {
        format!("{minutes} 分钟")
    }
}

/// Midnight of today in China, when the public photo cap starts again.
fn start_of_today() -> DateTime<Utc> {
    let midnight = local_now().date().and_time(chrono::NaiveTime::MIN);
    Shanghai
        .from_local_datetime(&midnight)
        .single()
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc))
}

/// District departments that answer calls, seeded once per instance; admins add more. Local
/// practice \[L\]: the departments a Chinese district government has for the catalogue's items.
pub const DEFAULT_DEPARTMENTS: &[&str] = &[
    "区城市管理和综合执法局",
    "区住房和城乡建设局",
    "区民政局",
    "区卫生健康局",
    "区教育局",
    "区人力资源和社会保障局",
    "区市场监督管理局",
    "区交通运输局",
    "公安分局",
    "区应急管理局",
    "区司法局",
];

/// Now in China's time, which is what the work calendar counts in.
pub fn local_now() -> NaiveDateTime {
    Utc::now().with_timezone(&Shanghai).naive_local()
}

pub fn local(at: DateTime<Utc>) -> NaiveDateTime {
    at.with_timezone(&Shanghai).naive_local()
}

/// What a resident or a staff member types in.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CallInput {
    pub item_code: String,
    /// The community (or a grid or building in it) where the matter is.
    pub territory_id: Option<i64>,
    #[serde(default)]
    pub address: String,
    pub description: String,
    #[serde(default)]
    pub resident_name: String,
    pub phone: String,
}

/// A call as staff see it, with its parsed state and clocks.
#[derive(Debug, Clone, Serialize)]
pub struct CallView {
    pub row: CallRow,
    pub case: Case,
    pub sla: SlaPolicy,
    pub clocks: SlaState,
}

impl CallView {
    pub fn status(&self) -> Status {
        self.case.status
    }

    /// The clock that matters now, for lists: acknowledging until done, then resolving.
    pub fn countdown(&self) -> String {
        if self.case.status.is_terminal() {
            return String::new();
        }
        if matches!(self.case.status, Status::Resolved) {
            return String::new();
        }
        if self.clocks.paused {
            return "已暂停（等待群众）".into();
        }
        let timer = if self.case.acknowledged_at.is_none() {
            &self.clocks.acknowledge
        } else {
            &self.clocks.resolve
        };
        let what = if self.case.acknowledged_at.is_none() {
            "签收"
        } else {
            "办结"
        };
        match timer.deadline {
            Some(deadline) => format!(
                "{}（{}前）",
                minutes_text(what, timer.remaining_minutes),
                deadline.format("%m月%d日 %H:%M")
            ),
            None => minutes_text(what, timer.remaining_minutes),
        }
    }

    pub fn overdue(&self) -> bool {
        !self.case.status.is_terminal()
            && self.case.status != Status::Resolved
            && (self.clocks.acknowledge.breached && self.case.acknowledged_at.is_none()
                || self.clocks.resolve.breached)
    }
}

/// "距办结时限还有 2 个工作日 3 小时" or "办结已超时 40 分钟", counting a working day as the
/// calendar's default 7 hours.
pub fn minutes_text(what: &str, remaining: i64) -> String {
    let amount = |m: i64| work_time_text(m);
    if remaining >= 0 {
        format!("距{what}时限 {}", amount(remaining))
    } else {
        format!("{what}已超时 {}", amount(-remaining))
    }
}

/// Working minutes as a time limit reads: "2 个工作日 3 小时".
pub fn work_time_text(minutes: i64) -> String {
    let day = domain::workcal::WorkHours::default().minutes_per_day();
    domain::workcal::work_time_text(minutes, day)
}

/// A time limit as typed in the catalogue ("1 个工作日", "2 小时", or minutes).
pub fn parse_work_time(text: &str) -> Option<i64> {
    let day = domain::workcal::WorkHours::default().minutes_per_day();
    domain::workcal::parse_work_time(text, day)
}

/// Calls on one page of the list.
pub const CALL_PAGE: i64 = 50;
/// How many open calls the overdue filter reads, and the most an export writes.
pub const CALL_SCAN: i64 = 5_000;

/// The call list's filters as the page's query string has them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CallListQuery {
    /// Non-empty: closed and merged calls too.
    #[serde(default)]
    pub all: String,
    /// A status code (`submitted`, `in_progress`, …).
    #[serde(default)]
    pub status: String,
    /// A catalogue 大类 (`C05`).
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub unit_id: String,
    /// Submitted on or after / on or before these days (China time).
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    /// `1`: only calls past a time limit.
    #[serde(default)]
    pub overdue: String,
    pub page: Option<i64>,
}

impl CallListQuery {
    fn filter(&self) -> Result<store::CallFilter> {
        let day = |text: &str, what: &str| -> Result<Option<DateTime<Utc>>> {
            match text.trim() {
                "" => Ok(None),
                t => {
                    let d = crate::members::parse_date_cn(t).ok_or_else(|| {
                        invalid(format!(
                            "{what}「{}」无效，格式如 2026-03-01",
                            domain::text::echo(t)
                        ))
                    })?;
                    Ok(Some(china_midnight(d)))
                }
            }
        };
        let status = match self.status.trim() {
            "" => None,
            t => Some(
                Status::from_label(t)
                    .ok_or_else(|| invalid("请选择状态"))?
                    .code()
                    .to_string(),
            ),
        };
        Ok(store::CallFilter {
            open: self.all.is_empty() && status.is_none(),
            status,
            category: Some(self.category.trim().to_uppercase()).filter(|c| !c.is_empty()),
            holder_unit_id: self.unit_id.trim().parse().ok(),
            submitted_from: day(&self.from, "起始日期")?,
            submitted_before: day(&self.to, "截止日期")?.map(|d| d + chrono::Duration::days(1)),
        })
    }

    /// The filters as a query string (not the page), for links that keep them.
    pub fn query_string(&self) -> String {
        [
            ("all", &self.all),
            ("status", &self.status),
            ("category", &self.category),
            ("unit_id", &self.unit_id),
            ("from", &self.from),
            ("to", &self.to),
            ("overdue", &self.overdue),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", crate::query_value(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// Midnight of `day` in China, as the instant stored times are compared with.
fn china_midnight(day: chrono::NaiveDate) -> DateTime<Utc> {
    Shanghai
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map_or_else(
            || day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
            |t| t.with_timezone(&Utc),
        )
}

/// One page of the call list.
#[derive(Debug, Clone)]
pub struct CallList {
    pub calls: Vec<CallView>,
    pub page: i64,
    pub more: bool,
}

/// The actions [`ActionInput::action`] names, in the order the doc comment explains them.
pub const ACTIONS: &[&str] = &[
    "acknowledge",
    "respond",
    "pause",
    "resume",
    "resolve",
    "escalate",
    "whistle",
    "return",
    "reassign",
    "sustain",
    "rate",
    "contact_attempt",
    "close_unreachable",
    "merge",
];

/// A staff action on a call, as posted by the case page.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ActionInput {
    /// `acknowledge` 签收, `respond` 答复, `pause` 请群众补充, `resume` 恢复办理, `resolve` 办结,
    /// `escalate` 上报, `whistle` 吹哨, `return` 退回, `reassign` 改派, `sustain` 退回不成立,
    /// `rate` 电话回访评价, `contact_attempt` 回访未联系上, `close_unreachable` 回访未果办结,
    /// `merge` 合并到另一件呼声.
    pub action: String,
    #[serde(default)]
    pub text: String,
    /// Target unit: escalation, 吹哨 lead, reassignment.
    #[serde(default, deserialize_with = "crate::whole::opt_i64")]
    pub unit_id: Option<i64>,
    /// 吹哨 supporting departments.
    #[serde(default, deserialize_with = "crate::whole::vec_i64")]
    pub supporting: Vec<i64>,
    #[serde(default)]
    pub rating: String,
    /// Merge target: the other call's tracking code.
    #[serde(default)]
    pub into: String,
}

/// What the tracking page shows. Anyone with the 查询码 sees how the call is going; what the
/// resident wrote, and where, only the resident after the phone check. Numbers typed into any
/// of it are masked.
#[derive(Debug, Clone, Serialize)]
pub struct PublicCall {
    pub tracking_code: String,
    pub item_name: String,
    pub status: Status,
    pub holder_name: String,
    pub submitted_at: DateTime<Utc>,
    /// Countdown to the current holder's resolve deadline, if still running.
    pub countdown: String,
    pub history: Vec<(DateTime<Utc>, String)>,
    pub may_rate: bool,
    /// Too many wrong phone tails: the call is no longer checked, shown or rated online.
    pub locked: bool,
    /// After the resident's phone check.
    pub details: Option<PublicDetails>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicDetails {
    pub address: String,
    pub description: String,
}

/// A call checked and routed, not yet stored.
struct Intake {
    item: CallItem,
    place: i64,
    community: CallUnit,
    holder: CallUnit,
    level: Level,
    phone: String,
}

/// One line of the figures table.
#[derive(Debug, Clone, Serialize)]
pub struct FigureRow {
    pub unit_id: Option<i64>,
    pub name: String,
    pub level: String,
    pub figures: Figures,
}

impl FigureRow {
    pub fn rate(&self, which: &str) -> String {
        let value = match which {
            "closure" => self.figures.closure_rate_permille,
            "on_time" => self.figures.on_time_rate_permille,
            _ => self.figures.satisfaction_rate_permille,
        };
        crate::permille_text(value)
    }

    pub fn average(&self) -> String {
        self.figures
            .average_minutes_to_close
            .map(|m| {
                minutes_text("", m)
                    .trim_start_matches("距时限 ")
                    .to_string()
            })
            .unwrap_or_else(|| "—".into())
    }
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::Invalid(message.into())
}

fn too_frequent(wait: Duration) -> AppError {
    AppError::TooMany(format!(
        "提交过于频繁，请 {}后再试；紧急情况请直接拨打 110、119、120",
        wait_text(wait)
    ))
}

fn parse_state(row: &CallRow) -> Result<(Case, SlaPolicy)> {
    let case: Case = serde_json::from_str(&row.state)
        .map_err(|e| invalid(format!("呼声 {} 的状态无法读取：{e}", row.tracking_code)))?;
    let sla: SlaPolicy = serde_json::from_str(&row.sla)
        .map_err(|e| invalid(format!("呼声 {} 的时限无法读取：{e}", row.tracking_code)))?;
    Ok((case, sla))
}

fn level_of(code: &str) -> Result<Level> {
    Level::from_code(code).ok_or_else(|| invalid(format!("层级「{code}」无效")))
}

impl App {
    /// Which calls an actor sees: org admins those located in their subtree, a department
    /// handler those their unit holds or supports.
    pub fn call_scope(actor: &Actor) -> CallScope {
        match actor.role {
            Role::Admin | Role::OrgAdmin => CallScope::Orgs(actor.org_id),
            Role::DeptHandler => actor
                .call_unit_id
                .map_or(CallScope::Nothing, CallScope::Unit),
            Role::BranchOfficer | Role::Member => CallScope::Nothing,
        }
    }

    /// The work calendar: the built-in 2026 arrangement, overridden and extended by the years
    /// the admin entered.
    pub async fn work_calendar(&self, root_org_id: i64) -> Result<WorkCalendar> {
        let mut calendar = china_2026();
        for year in self.db.work_calendar_years(root_org_id).await? {
            let arrangement = YearArrangement {
                year: i32::try_from(year.year).unwrap_or(0),
                holidays: serde_json::from_str(&year.holidays).unwrap_or_default(),
                makeup_workdays: serde_json::from_str(&year.makeup_workdays).unwrap_or_default(),
            };
            calendar
                .configure(&arrangement)
                .map_err(|e| invalid(format!("{} 年工作日历有误：{e}", year.year)))?;
        }
        Ok(calendar)
    }

    /// Saves a year's holiday arrangement (system admin). Dates are typed one per line or
    /// separated by commas.
    pub async fn save_work_calendar(
        &self,
        actor: &Actor,
        year: i32,
        holidays: &str,
        makeup: &str,
    ) -> Result<()> {
        if actor.role != Role::Admin {
            return Err(AppError::Forbidden);
        }
        let parse = |text: &str, what: &str| -> Result<Vec<chrono::NaiveDate>> {
            text.split([',', '，', '\n', ' ', '、'])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| {
                    crate::members::parse_date_cn(t)
                        .ok_or_else(|| invalid(format!("{what}「{t}」不是有效日期")))
                })
                .collect()
        };
        let arrangement = YearArrangement {
            year,
            holidays: parse(holidays, "放假日期")?,
            makeup_workdays: parse(makeup, "调休上班日期")?,
        };
        // Checked by the domain before anything is saved.
        china_2026()
            .configure(&arrangement)
            .map_err(|e| invalid(e.to_string()))?;
        let root = self.root_of(actor).await?;
        let json = |dates: &[chrono::NaiveDate]| serde_json::to_string(dates).unwrap_or_default();
        self.db
            .work_calendar_save(
                root,
                year,
                &json(&arrangement.holidays),
                &json(&arrangement.makeup_workdays),
                &actor.author(),
            )
            .await?;
        // Working time to close is counted on this calendar.
        if let Err(e) = self.rollups_refresh_calls(root).await {
            tracing::warn!(root, error = %e, "call figures not refreshed after a calendar change");
        }
        Ok(())
    }

    /// The top organisation whose calls, catalogue, units and calendar a member of staff works
    /// with: their own district's, never the first district's of an instance that holds several.
    pub async fn root_of(&self, actor: &Actor) -> Result<i64> {
        Ok(self
            .db
            .org_get(Scope::Subtree(actor.org_id), actor.org_id)
            .await?
            .root_org_id)
    }

    /// Makes sure an instance can take calls: the catalogue (seeded with the 12 × 42 items),
    /// a unit for every street and community committee and for the district, and the district
    /// departments. Idempotent; new committees get their unit on the next run.
    pub async fn ensure_call_setup(&self, root_org_id: i64) -> Result<()> {
        let author = store::users::system_author();
        if self.db.call_items(root_org_id).await?.is_empty() {
            let items: Vec<CallItem> = calls::default_catalogue()
                .into_iter()
                .flat_map(|category| {
                    let (code, name) = (category.code.clone(), category.name.clone());
                    category.items.into_iter().map(move |item| CallItem {
                        code: item.code,
                        category_code: code.clone(),
                        category_name: name.clone(),
                        name: item.name,
                        first_level: item.first_level.code().into(),
                        acknowledge_minutes: item.sla.acknowledge_minutes.into(),
                        respond_minutes: item.sla.respond_minutes.into(),
                        resolve_minutes: item.sla.resolve_minutes.into(),
                        active: true,
                    })
                })
                .collect();
            self.db
                .call_items_save(root_org_id, &items, &author)
                .await?;
        }
        let mut units = self.db.call_units(root_org_id).await?;
        let unit_of_org = |units: &[CallUnit], org: i64| {
            units.iter().find(|u| u.org_id == Some(org)).map(|u| u.id)
        };
        let root = self
            .db
            .org_get(Scope::Subtree(root_org_id), root_org_id)
            .await?;
        let district = match unit_of_org(&units, root.id) {
            Some(id) => id,
            None => {
                let new = NewCallUnit {
                    level: Level::District.code().into(),
                    kind: "committee".into(),
                    name: root.name.clone(),
                    org_id: Some(root.id),
                    territory_id: root.territory_id,
                    parent_id: None,
                };
                self.db.call_unit_insert(root_org_id, &new, &author).await?
            }
        };
        if !units.iter().any(|u| u.kind == "department") {
            for name in DEFAULT_DEPARTMENTS {
                let new = NewCallUnit {
                    level: Level::District.code().into(),
                    kind: "department".into(),
                    name: name.to_string(),
                    org_id: None,
                    territory_id: None,
                    parent_id: Some(district),
                };
                self.db.call_unit_insert(root_org_id, &new, &author).await?;
            }
        }
        units = self.db.call_units(root_org_id).await?;
        let whole = Scope::Subtree(root_org_id);
        for kind in [OrgKind::StreetCommittee, OrgKind::TownCommittee] {
            for street in self.db.org_list_kind(whole, kind.code()).await? {
                if unit_of_org(&units, street.id).is_none() {
                    let new = NewCallUnit {
                        level: Level::Street.code().into(),
                        kind: "committee".into(),
                        name: street.name.clone(),
                        org_id: Some(street.id),
                        territory_id: street.territory_id,
                        parent_id: Some(district),
                    };
                    self.db.call_unit_insert(root_org_id, &new, &author).await?;
                }
            }
        }
        units = self.db.call_units(root_org_id).await?;
        for kind in [OrgKind::CommunityCommittee, OrgKind::VillageCommittee] {
            for community in self.db.org_list_kind(whole, kind.code()).await? {
                if unit_of_org(&units, community.id).is_some() {
                    continue;
                }
                let street = community
                    .parent_id
                    .and_then(|p| unit_of_org(&units, p))
                    .unwrap_or(district);
                let new = NewCallUnit {
                    level: Level::Community.code().into(),
                    kind: "committee".into(),
                    name: community.name.clone(),
                    org_id: Some(community.id),
                    territory_id: community.territory_id,
                    parent_id: Some(street),
                };
                self.db.call_unit_insert(root_org_id, &new, &author).await?;
            }
        }
        Ok(())
    }

    /// The whole catalogue, inactive items included, for the admin's page.
    pub async fn call_catalogue_all(&self, actor: &Actor) -> Result<Vec<CallItem>> {
        if actor.role != Role::Admin {
            return Err(AppError::Forbidden);
        }
        let root = self.root_of(actor).await?;
        Ok(self.db.call_items(root).await?)
    }

    /// Saves edited catalogue items (system admin). Time limits are working minutes and must
    /// grow from acknowledging to resolving; an item is retired by deactivating it, never
    /// deleted, because past calls name it.
    pub async fn save_call_catalogue(&self, actor: &Actor, items: &[CallItem]) -> Result<()> {
        if actor.role != Role::Admin {
            return Err(AppError::Forbidden);
        }
        for item in items {
            let code_ok = item.code.len() == 6
                && item.code.starts_with('C')
                && item.code.as_bytes()[3] == b'-'
                && item.code[1..3].bytes().all(|b| b.is_ascii_digit())
                && item.code[4..].bytes().all(|b| b.is_ascii_digit())
                && item.code[..3] == item.category_code;
            if !code_ok {
                return Err(invalid(format!(
                    "事项编号「{}」应为“大类编号-两位序号”，如 C01-06",
                    item.code
                )));
            }
            if item.name.trim().is_empty() || item.category_name.trim().is_empty() {
                return Err(invalid(format!(
                    "请填写事项 {} 的名称和所属大类",
                    item.code
                )));
            }
            level_of(&item.first_level)?;
            let (a, r, z) = (
                item.acknowledge_minutes,
                item.respond_minutes,
                item.resolve_minutes,
            );
            if !(1 <= a && a <= r && r <= z && z <= 100_000) {
                return Err(invalid(format!(
                    "事项「{}」的时限应填如“2 小时”“1 个工作日 3 小时”，且签收不长于答复、答复不长于办结，最长 {}",
                    item.name,
                    work_time_text(100_000)
                )));
            }
        }
        let root = self.root_of(actor).await?;
        Ok(self
            .db
            .call_items_save(root, items, &actor.author())
            .await?)
    }

    /// The catalogue's active items, for forms.
    pub async fn call_catalogue(&self, root_org_id: i64) -> Result<Vec<CallItem>> {
        Ok(self
            .db
            .call_items(root_org_id)
            .await?
            .into_iter()
            .filter(|i| i.active)
            .collect())
    }

    /// The district the residents' pages serve: the only top organisation, or the first. Staff
    /// pages use [`App::root_of`] instead.
    pub async fn public_root(&self) -> Result<i64> {
        self.db
            .org_root_ids()
            .await?
            .first()
            .copied()
            .ok_or(AppError::NotFound)
    }

    /// The district a resident's call goes to: the one whose community the chosen place lies
    /// in, when the instance holds several districts; the only one otherwise. A place in no
    /// district's communities goes to the first, whose intake then says so in words.
    pub async fn public_root_of(&self, territory_id: Option<i64>) -> Result<i64> {
        let roots = self.db.org_root_ids().await?;
        let first = *roots.first().ok_or(AppError::NotFound)?;
        let (true, Some(place)) = (roots.len() > 1, territory_id) else {
            return Ok(first);
        };
        let Some(community) = self.db.territory_community_of(place).await? else {
            return Ok(first);
        };
        for root in roots {
            if self
                .db
                .call_units(root)
                .await?
                .iter()
                .any(|u| u.level == Level::Community.code() && u.territory_id == Some(community))
            {
                return Ok(root);
            }
        }
        Ok(first)
    }

    /// Every district's communities for the public form, each named after its district too
    /// when there is more than one ("长宁区 · 东湖街道 · 丽源社区").
    pub async fn public_communities(&self) -> Result<Vec<(CallUnit, String)>> {
        let roots = self.db.org_root_ids().await?;
        let mut all = Vec::new();
        for root in &roots {
            let communities = self.call_communities(*root).await?;
            if roots.len() == 1 {
                return Ok(communities);
            }
            let district = self.db.org_get(Scope::Subtree(*root), *root).await?;
            let name = match district.territory_id {
                Some(t) => self.db.territory_get(None, t).await?.name,
                None => district.name,
            };
            all.extend(
                communities
                    .into_iter()
                    .map(|(unit, label)| (unit, format!("{name} · {label}"))),
            );
        }
        Ok(all)
    }

    /// Communities a resident can pick, for the public form: each community unit with the
    /// place names a resident knows ("东湖街道 · 丽源社区"), sorted by street and name.
    pub async fn call_communities(&self, root_org_id: i64) -> Result<Vec<(CallUnit, String)>> {
        let units = self.db.call_units(root_org_id).await?;
        let communities = self.db.territory_list_level(None, "community").await?;
        let streets: HashMap<i64, String> = self
            .db
            .territory_list_level(None, "street")
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect();
        let place: HashMap<i64, (String, String)> = communities
            .into_iter()
            .map(|t| {
                let street = t
                    .parent_id
                    .and_then(|p| streets.get(&p).cloned())
                    .unwrap_or_default();
                (t.id, (street, t.name))
            })
            .collect();
        let mut out: Vec<(CallUnit, String, String)> = units
            .into_iter()
            .filter(|u| u.level == Level::Community.code())
            .filter_map(|u| {
                let (street, name) = place.get(&u.territory_id?)?.clone();
                Some((u, street, name))
            })
            .collect();
        out.sort_by(|a, b| (&a.1, &a.2).cmp(&(&b.1, &b.2)));
        Ok(out
            .into_iter()
            .map(|(u, street, name)| (u, format!("{street} · {name}")))
            .collect())
    }

    /// Records a new call and routes it: to the community of the place first, or to its street
    /// for items that start there. `author` is the staff member or API client entering it, who
    /// must be an org admin of the community (or above); `None` is a resident the caller has
    /// already limited (the demo, tests): the public form goes through
    /// [`App::submit_public_call`]. Returns the id and the tracking code.
    pub async fn submit_call(
        &self,
        root_org_id: i64,
        input: &CallInput,
        photos: &[(String, Vec<u8>)],
        channel: &str,
        author: Option<&Actor>,
    ) -> Result<(i64, String)> {
        let intake = self.check_intake(root_org_id, input, photos).await?;
        if let Some(actor) = author {
            self.check_intake_scope(actor, &intake.community).await?;
        }
        let photos = self.shrink_photos(photos).await?;
        self.store_call(root_org_id, input, &intake, &photos, channel, author)
            .await
    }

    /// Whether a client may post the public form now; checked before the form is read, so a
    /// client over its limit costs the server no upload.
    pub fn public_submission_allowed(&self, client: &str) -> Result<()> {
        match self
            .public_calls
            .submissions_per_client
            .blocked_for(client, Instant::now())
        {
            Some(wait) => Err(too_frequent(wait)),
            None => Ok(()),
        }
    }

    /// A resident's call from the public form, from `client` (their address). Limited per
    /// client and per phone number; photos are shrunk, and refused once the day's public
    /// photos reach the instance's cap.
    pub async fn submit_public_call(
        &self,
        root_org_id: i64,
        input: &CallInput,
        photos: &[(String, Vec<u8>)],
        client: &str,
    ) -> Result<(i64, String)> {
        self.public_submission_allowed(client)?;
        let intake = self.check_intake(root_org_id, input, photos).await?;
        let limits = &self.public_calls;
        let now = Instant::now();
        limits
            .submissions_per_client
            .hit(client, now)
            .map_err(too_frequent)?;
        limits
            .submissions_per_phone
            .hit(&intake.phone, now)
            .map_err(|wait| {
                AppError::TooMany(format!(
                    "该手机号近一天提交的呼声已有 {SUBMISSIONS_PER_PHONE} 条，请 {}后再试；\
                     急事请直接联系社区，紧急情况请拨打 110、119、120",
                    wait_text(wait)
                ))
            })?;
        let photos = self.shrink_photos(photos).await?;
        let _turn = if photos.is_empty() {
            None
        } else {
            let turn = limits.upload_cap.lock().await;
            let used = self
                .db
                .call_photo_bytes_since(root_org_id, PUBLIC_CHANNEL, start_of_today())
                .await?;
            let adding: usize = photos.iter().map(|(_, b)| b.len()).sum();
            let total = u64::try_from(used)
                .unwrap_or(0)
                .saturating_add(u64::try_from(adding).unwrap_or(u64::MAX));
            if self.public_upload_bytes_per_day == 0 {
                return Err(invalid(
                    "网上反映暂不接收照片，请去掉照片后提交；办理人员需要时会联系您补充",
                ));
            }
            if total > self.public_upload_bytes_per_day {
                return Err(invalid(
                    "今天网上提交的照片已达上限，暂时不能再上传照片。请去掉照片后提交，\
                     或明天再上传；办理人员需要时会联系您补充",
                ));
            }
            Some(turn)
        };
        self.store_call(root_org_id, input, &intake, &photos, PUBLIC_CHANNEL, None)
            .await
    }

    /// Checks what was typed and routes the call, without storing anything.
    async fn check_intake(
        &self,
        root_org_id: i64,
        input: &CallInput,
        photos: &[(String, Vec<u8>)],
    ) -> Result<Intake> {
        let item = self
            .call_catalogue(root_org_id)
            .await?
            .into_iter()
            .find(|i| i.code == input.item_code.trim())
            .ok_or_else(|| invalid("请选择呼声事项"))?;
        let description = input.description.trim();
        if description.chars().count() < 5 {
            return Err(invalid("请描述具体情况（至少 5 个字）"));
        }
        if description.chars().count() > 2000 {
            return Err(invalid("情况描述不超过 2000 字"));
        }
        let phone = domain::personal::parse_mobile_phone(&input.phone)
            .map_err(|e| invalid(format!("联系电话：{e}")))?;
        let photos: Vec<&Vec<u8>> = photos
            .iter()
            .map(|(_, b)| b)
            .filter(|b| !b.is_empty())
            .collect();
        if photos.len() > MAX_PHOTOS {
            return Err(invalid(format!("最多上传 {MAX_PHOTOS} 张照片")));
        }
        for bytes in photos {
            if bytes.len() > MAX_PHOTO_BYTES {
                return Err(invalid("每张照片不超过 5 MB"));
            }
            if !crate::meeting_extras::sniff_attachment(bytes)
                .is_some_and(|t| t.starts_with("image/"))
            {
                return Err(invalid("只能上传照片（JPG、PNG、WebP）"));
            }
        }
        let place = input
            .territory_id
            .ok_or_else(|| invalid("请选择所在社区"))?;
        let community_territory = self
            .db
            .territory_community_of(place)
            .await?
            .ok_or_else(|| invalid("所选地点不在任何社区内"))?;
        let units = self.db.call_units(root_org_id).await?;
        let community = units
            .iter()
            .find(|u| {
                u.level == Level::Community.code() && u.territory_id == Some(community_territory)
            })
            .ok_or_else(|| invalid("该社区尚未开通呼声受理"))?
            .clone();
        let first_level = level_of(&item.first_level)?;
        let holder = if first_level == Level::Community {
            community.clone()
        } else {
            community
                .parent_id
                .and_then(|p| units.iter().find(|u| u.id == p))
                .unwrap_or(&community)
                .clone()
        };
        let level = level_of(&holder.level)?;
        Ok(Intake {
            item,
            place,
            community,
            holder,
            level,
            phone,
        })
    }

    /// Staff and API clients register calls for communities in their own subtree: an org admin
    /// for theirs, the system admin for all. Department handlers and branch officers answer
    /// calls; they do not take them in.
    async fn check_intake_scope(&self, actor: &Actor, community: &CallUnit) -> Result<()> {
        if !matches!(actor.role, Role::Admin | Role::OrgAdmin) {
            return Err(AppError::Forbidden);
        }
        let org = community.org_id.ok_or(AppError::Forbidden)?;
        match self.db.org_get(actor.scope(), org).await {
            Ok(_) => Ok(()),
            Err(StoreError::NotFound) => Err(AppError::Forbidden),
            Err(e) => Err(e.into()),
        }
    }

    /// The communities an actor may register calls for, for the staff form.
    pub async fn call_communities_for(&self, actor: &Actor) -> Result<Vec<(CallUnit, String)>> {
        if !matches!(actor.role, Role::Admin | Role::OrgAdmin) {
            return Err(AppError::Forbidden);
        }
        let root = self.root_of(actor).await?;
        let mut orgs = HashSet::new();
        for kind in [OrgKind::CommunityCommittee, OrgKind::VillageCommittee] {
            for org in self.db.org_list_kind(actor.scope(), kind.code()).await? {
                orgs.insert(org.id);
            }
        }
        Ok(self
            .call_communities(root)
            .await?
            .into_iter()
            .filter(|(u, _)| u.org_id.is_some_and(|o| orgs.contains(&o)))
            .collect())
    }

    /// Photos as stored: shrunk and re-encoded (see [`crate::photos`]), a few at a time and off
    /// the async threads.
    async fn shrink_photos(&self, photos: &[(String, Vec<u8>)]) -> Result<Vec<(String, Vec<u8>)>> {
        let mut out = Vec::new();
        for (_, bytes) in photos.iter().filter(|(_, b)| !b.is_empty()) {
            let _permit = self
                .public_calls
                .photo_work
                .acquire()
                .await
                .map_err(|_| invalid("照片处理暂不可用，请稍后再试"))?;
            let bytes = bytes.clone();
            let jpeg = tokio::task::spawn_blocking(move || crate::photos::shrink_photo(&bytes))
                .await
                .map_err(|_| invalid("照片处理失败，请换一张照片再试"))??;
            out.push(("image/jpeg".to_string(), jpeg));
        }
        Ok(out)
    }

    /// Stores a checked call with its first event and photos.
    async fn store_call(
        &self,
        root_org_id: i64,
        input: &CallInput,
        intake: &Intake,
        photos: &[(String, Vec<u8>)],
        channel: &str,
        author: Option<&Actor>,
    ) -> Result<(i64, String)> {
        let Intake {
            item,
            place,
            community,
            holder,
            level,
            phone,
        } = intake;
        let now = local_now();
        let case = Case::new(now, *level, holder.id);
        let sla = SlaPolicy {
            acknowledge_minutes: u32::try_from(item.acknowledge_minutes).unwrap_or(u32::MAX),
            respond_minutes: u32::try_from(item.respond_minutes).unwrap_or(u32::MAX),
            resolve_minutes: u32::try_from(item.resolve_minutes).unwrap_or(u32::MAX),
        };
        let state = serde_json::to_string(&case).map_err(|e| invalid(e.to_string()))?;
        let sla_json = serde_json::to_string(&sla).map_err(|e| invalid(e.to_string()))?;
        let by = author.map_or_else(
            || Author {
                user_id: None,
                name: "群众（网上提交）".into(),
            },
            |a| a.author(),
        );
        let community_org = community
            .org_id
            .ok_or_else(|| invalid("社区办理单位缺少党组织"))?;
        let calendar = self.work_calendar(root_org_id).await?;
        let first = CallChange {
            kind: "submit".into(),
            event: "{\"kind\":\"submit\"}".into(),
            public_note: format!("已受理，派至{}", holder.name),
            status: Status::Submitted.code().into(),
            level: level.code().into(),
            holder_unit_id: holder.id,
            state: state.clone(),
            supporting: vec![],
            rollup: crate::rollups::call_figures(community_org, &case, &sla, &calendar),
        };
        // Codes are random within a day; on the rare collision, draw again.
        for _ in 0..5 {
            let code = calls::tracking_code(today(), rand::rng().random());
            let new = NewCall {
                root_org_id,
                tracking_code: code.clone(),
                item_code: item.code.clone(),
                item_name: format!("{} · {}", item.category_name, item.name),
                territory_id: Some(*place),
                community_unit_id: community.id,
                org_id: community_org,
                address: input.address.trim().chars().take(200).collect(),
                description: input.description.trim().into(),
                resident_name: input.resident_name.trim().chars().take(40).collect(),
                phone: phone.clone(),
                channel: channel.into(),
                status: Status::Submitted.code().into(),
                level: level.code().into(),
                holder_unit_id: holder.id,
                state: state.clone(),
                sla: sla_json.clone(),
            };
            match self.db.call_create(&new, &first, photos, &by).await {
                Ok(id) => {
                    self.notify_holder(id, &code, &new.item_name, holder.id, "新的居民呼声待签收")
                        .await;
                    return Ok((id, code));
                }
                Err(e) if e.is_unique_violation() => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(invalid("查询码生成失败，请重试"))
    }

    fn view(&self, row: CallRow, calendar: &WorkCalendar, now: NaiveDateTime) -> Result<CallView> {
        let (case, sla) = parse_state(&row)?;
        let clocks = sla_state(&case, &sla, calendar, now);
        Ok(CallView {
            row,
            case,
            sla,
            clocks,
        })
    }

    /// Calls in the actor's scope, newest first.
    pub async fn calls(&self, actor: &Actor, open: bool) -> Result<Vec<CallView>> {
        let scope = Self::call_scope(actor);
        if scope == CallScope::Nothing {
            return Err(AppError::Forbidden);
        }
        let rows = self.db.calls_list(scope, open, 500, 0).await?;
        let Some(first) = rows.first() else {
            return Ok(Vec::new());
        };
        let calendar = self.work_calendar(first.root_org_id).await?;
        let now = local_now();
        rows.into_iter()
            .map(|row| self.view(row, &calendar, now))
            .collect()
    }

    /// A page of the calls in the actor's scope that match a list's filters, newest first.
    /// Overdue is a matter of working time, so that filter is applied to the open calls read
    /// (up to [`CALL_SCAN`]) rather than in the statement.
    pub async fn calls_filtered(&self, actor: &Actor, q: &CallListQuery) -> Result<CallList> {
        self.calls_page(actor, q, crate::page_number(q.page), CALL_PAGE)
            .await
    }

    /// Page `page` of `per_page` calls matching the filters.
    async fn calls_page(
        &self,
        actor: &Actor,
        q: &CallListQuery,
        page: i64,
        per_page: i64,
    ) -> Result<CallList> {
        let scope = Self::call_scope(actor);
        if scope == CallScope::Nothing {
            return Err(AppError::Forbidden);
        }
        let filter = q.filter()?;
        let overdue = q.overdue == "1";
        let skipped = (page - 1) * per_page;
        let (limit, offset) = if overdue {
            (CALL_SCAN, 0)
        } else {
            (per_page + 1, skipped)
        };
        let rows = self.db.calls_search(scope, &filter, limit, offset).await?;
        let mut calls = match rows.first() {
            None => Vec::new(),
            Some(first) => {
                let calendar = self.work_calendar(first.root_org_id).await?;
                let now = local_now();
                rows.into_iter()
                    .map(|row| self.view(row, &calendar, now))
                    .collect::<Result<Vec<_>>>()?
            }
        };
        let per_page = usize::try_from(per_page).unwrap_or(0);
        if overdue {
            calls.retain(CallView::overdue);
            calls = calls
                .into_iter()
                .skip(usize::try_from(skipped).unwrap_or(0))
                .take(per_page + 1)
                .collect();
        }
        let more = calls.len() > per_page;
        calls.truncate(per_page);
        Ok(CallList { calls, page, more })
    }

    /// The calls the list's filters match, up to [`CALL_SCAN`], as a workbook: one read, not a
    /// read per page.
    pub async fn calls_xlsx(&self, actor: &Actor, q: &CallListQuery) -> Result<Vec<u8>> {
        use crate::tabular::{Figure, FigureSheet, figures_xlsx};
        let list = self.calls_page(actor, q, 1, CALL_SCAN).await?;
        let rows: Vec<Vec<Figure>> = list
            .calls
            .iter()
            .map(|c| {
                vec![
                    Figure::Text(c.row.tracking_code.clone()),
                    Figure::Text(c.row.item_name.clone()),
                    Figure::Text(c.status().label().to_string()),
                    Figure::Text(c.row.holder_name.clone()),
                    Figure::Text(c.countdown()),
                    Figure::Text(
                        c.row
                            .submitted_at
                            .with_timezone(&Shanghai)
                            .format("%Y-%m-%d %H:%M")
                            .to_string(),
                    ),
                ]
            })
            .collect();
        figures_xlsx(&[FigureSheet {
            name: "居民呼声".into(),
            title: format!("居民呼声（{} 件）", rows.len()),
            headers: ["查询码", "事项", "状态", "当前办理", "时限", "提交时间"]
                .map(String::from)
                .to_vec(),
            rows,
        }])
    }

    /// One call in the actor's scope, with its history and photo ids.
    pub async fn call(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<(CallView, Vec<CallEventRow>, Vec<i64>)> {
        let row = self.db.call_get(Self::call_scope(actor), id).await?;
        let calendar = self.work_calendar(row.root_org_id).await?;
        let events = self.db.call_events(id).await?;
        let photos = self.db.call_photo_ids(id).await?;
        Ok((self.view(row, &calendar, local_now())?, events, photos))
    }

    pub async fn call_photo(&self, actor: &Actor, id: i64) -> Result<(String, Vec<u8>)> {
        Ok(self.db.call_photo_get(Self::call_scope(actor), id).await?)
    }

    /// Whether the actor may act for a unit: its own committee's admin, its department's
    /// handler, or the system admin.
    pub fn acts_for(actor: &Actor, unit: &CallUnit) -> bool {
        match actor.role {
            Role::Admin => true,
            Role::OrgAdmin => unit.org_id == Some(actor.org_id),
            Role::DeptHandler => actor.call_unit_id == Some(unit.id),
            _ => false,
        }
    }

    /// Carries out a holder's (or, for arbitration, the level above's) action on a call.
    pub async fn act_on_call(&self, actor: &Actor, id: i64, input: &ActionInput) -> Result<()> {
        let scope = Self::call_scope(actor);
        let row = self.db.call_get(scope, id).await?;
        let (case, _) = parse_state(&row)?;
        let holder = self.db.call_unit_get(row.holder_unit_id).await?;
        let parent = match holder.parent_id {
            Some(p) => Some(self.db.call_unit_get(p).await?),
            None => None,
        };
        let text = input.text.trim().to_string();
        let unit = |id: Option<i64>| async move {
            let id = id.ok_or_else(|| invalid("请选择单位"))?;
            let unit = self.db.call_unit_get(id).await?;
            if unit.root_org_id != row.root_org_id {
                return Err(AppError::NotFound);
            }
            Ok::<CallUnit, AppError>(unit)
        };
        let (event, note) = match input.action.as_str() {
            "acknowledge" => (Event::Acknowledge, format!("{}已签收", holder.name)),
            "respond" => (
                Event::Respond { note: text.clone() },
                format!("{}答复：{text}", holder.name),
            ),
            "pause" => (
                Event::PauseForResident {
                    question: text.clone(),
                },
                format!("请群众补充情况：{text}"),
            ),
            "resume" => (Event::Resume, "群众已补充，恢复办理".into()),
            "resolve" => (
                Event::Resolve {
                    answer: text.clone(),
                },
                format!("{}已办结：{text}", holder.name),
            ),
            "escalate" => {
                let target = match input.unit_id {
                    Some(_) => unit(input.unit_id).await?,
                    None => parent
                        .clone()
                        .ok_or_else(|| invalid("已是最高一级，不能再上报"))?,
                };
                // Up one step: the unit above, or from a street a district department.
                let allowed = Some(target.id) == holder.parent_id
                    || (target.kind == "department" && holder.level == Level::Street.code());
                if !allowed {
                    return Err(invalid("只能上报到上一级单位"));
                }
                (
                    Event::Escalate {
                        to_unit: target.id,
                        reason: Escalation::Manual {
                            reason: text.clone(),
                        },
                    },
                    format!("{}上报{}：{text}", holder.name, target.name),
                )
            }
            "whistle" => {
                let lead = unit(input.unit_id).await?;
                let mut called = vec![lead.clone()];
                for s in &input.supporting {
                    called.push(unit(Some(*s)).await?);
                }
                if called.iter().any(|u| u.kind != "department") {
                    return Err(invalid("吹哨只能叫区级职能部门报到"));
                }
                let names: Vec<String> = called.into_iter().map(|u| u.name).collect();
                (
                    Event::Whistle {
                        lead: lead.id,
                        supporting: input.supporting.clone(),
                        reason: text.clone(),
                    },
                    format!("{}吹哨，{}报到：{text}", holder.name, names.join("、")),
                )
            }
            "return" => (
                Event::Return {
                    reason: text.clone(),
                },
                format!("{}退回：{text}", holder.name),
            ),
            "reassign" => {
                let target = unit(input.unit_id).await?;
                // The arbiter assigns within its own reach: itself or a unit directly below it.
                let arbiter = parent.as_ref().map(|p| p.id);
                if arbiter.is_none() || !(Some(target.id) == arbiter || target.parent_id == arbiter)
                {
                    return Err(invalid("只能改派给本级或直属下级单位"));
                }
                (
                    Event::Arbitrate {
                        decision: Arbitration::Reassign {
                            unit: target.id,
                            level: level_of(&target.level)?,
                        },
                    },
                    format!("上级裁定改派{}", target.name),
                )
            }
            "sustain" => (
                Event::Arbitrate {
                    decision: Arbitration::Sustain,
                },
                format!("上级裁定仍由{}办理", holder.name),
            ),
            "rate" => {
                let rating =
                    Rating::from_code(&input.rating).ok_or_else(|| invalid("请选择群众评价"))?;
                (
                    Event::Rate { rating },
                    format!("回访群众评价：{}", rating.label()),
                )
            }
            "contact_attempt" => (Event::RecordContactAttempt, "回访未能联系上群众".into()),
            "close_unreachable" => (Event::CloseUnreachable, "多次回访未果，办结归档".into()),
            "merge" => {
                let other = self
                    .db
                    .call_by_tracking_code(input.into.trim())
                    .await
                    .map_err(|_| invalid("未找到要合并到的呼声（请填写其查询码）"))?;
                if other.id == row.id || other.root_org_id != row.root_org_id {
                    return Err(invalid("不能合并到自身"));
                }
                (
                    Event::Merge { into: other.id },
                    format!("与重复呼声合并，请查询 {}", other.tracking_code),
                )
            }
            other => return Err(invalid(format!("未知操作「{other}」"))),
        };
        // Who may do it: arbitration is the level above's; a rating taken by phone may be
        // entered by the holder or the level above; everything else is the holder's.
        let allowed = match &event {
            Event::Arbitrate { .. } => parent.as_ref().is_some_and(|p| Self::acts_for(actor, p)),
            Event::Rate { .. } => {
                Self::acts_for(actor, &holder)
                    || parent.as_ref().is_some_and(|p| Self::acts_for(actor, p))
            }
            _ => Self::acts_for(actor, &holder),
        };
        if !allowed {
            return Err(AppError::Forbidden);
        }
        let next = calls::apply(&case, &event, local_now()).map_err(|e| invalid(e.to_string()))?;
        self.record_transition(scope, &row, &event, &next, note, &actor.author())
            .await
    }

    async fn record_transition(
        &self,
        scope: CallScope,
        row: &CallRow,
        event: &Event,
        next: &Case,
        note: String,
        author: &Author,
    ) -> Result<()> {
        let supporting = match event {
            Event::Whistle { supporting, .. } => supporting.clone(),
            _ => Vec::new(),
        };
        let (before, sla) = parse_state(row)?;
        let calendar = self.work_calendar(row.root_org_id).await?;
        let rollup = domain::rollups::difference(
            &crate::rollups::call_figures(row.org_id, &before, &sla, &calendar),
            &crate::rollups::call_figures(row.org_id, next, &sla, &calendar),
        );
        let change = CallChange {
            kind: serde_json::to_value(event)
                .ok()
                .and_then(|v| v.get("kind").and_then(|k| k.as_str().map(String::from)))
                .unwrap_or_default(),
            event: serde_json::to_string(event).map_err(|e| invalid(e.to_string()))?,
            public_note: note,
            status: next.status.code().into(),
            level: next.level.code().into(),
            holder_unit_id: next.holder,
            state: serde_json::to_string(next).map_err(|e| invalid(e.to_string()))?,
            supporting,
            rollup,
        };
        self.db
            .call_transition(scope, row.id, &row.state, &change, author)
            .await?;
        if next.holder != before.holder {
            let what = match event {
                Event::Escalate { .. } => "居民呼声上报至本单位",
                Event::Return { .. } => "居民呼声退回本单位",
                _ => "居民呼声改派至本单位",
            };
            self.notify_holder(
                row.id,
                &row.tracking_code,
                &row.item_name,
                next.holder,
                what,
            )
            .await;
        }
        Ok(())
    }

    /// Puts a message in the inbox of everyone who handles calls for `unit_id`: the org admins
    /// of its committee, or the handlers of a department. A failure to notify is logged and
    /// never undoes the call's change, which is already saved.
    async fn notify_holder(&self, call_id: i64, code: &str, item: &str, unit_id: i64, what: &str) {
        if let Err(e) = self
            .try_notify_holder(call_id, code, item, unit_id, what)
            .await
        {
            tracing::warn!(call_id, unit_id, error = %e, "could not notify the unit holding a call");
        }
    }

    async fn try_notify_holder(
        &self,
        call_id: i64,
        code: &str,
        item: &str,
        unit_id: i64,
        what: &str,
    ) -> Result<()> {
        let unit = self.db.call_unit_get(unit_id).await?;
        let (scope, org) = match unit.org_id {
            Some(org) => (store::Scope::Subtree(org), org),
            None => (store::Scope::Subtree(unit.root_org_id), unit.root_org_id),
        };
        let recipients = self.db.user_list(scope).await?.into_iter().filter(|u| {
            u.active
                && ((u.role == Role::OrgAdmin.code() && u.org_id == org && unit.org_id.is_some())
                    || (u.role == Role::DeptHandler.code() && u.call_unit_id == Some(unit.id)))
        });
        let at = Utc::now().timestamp_millis();
        for user in recipients {
            self.db
                .outbox_enqueue(&store::NewMessage {
                    org_id: org,
                    recipient_user_id: Some(user.id),
                    recipient_member_id: None,
                    channel: crate::reminders::INBOX.into(),
                    kind: "call".into(),
                    dedupe_key: format!("call:{call_id}:{unit_id}:{}:{at}", user.id),
                    title: format!("{what}：{item}（{code}）"),
                    body: format!("{}收到一件居民呼声，请按时限签收办理。", unit.name),
                    link: format!("/calls/{call_id}"),
                })
                .await?;
        }
        self.deliver_outbox(&[&crate::reminders::InboxChannel])
            .await?;
        Ok(())
    }

    /// Refuses a look-up by 查询码 from a client that has had too many codes match nothing.
    pub fn code_lookups_allowed(&self, client: &str) -> Result<()> {
        match self
            .public_calls
            .code_misses_per_client
            .blocked_for(client, Instant::now())
        {
            Some(wait) => Err(AppError::TooMany(format!(
                "查询码核对错误次数过多，请 {}后再试",
                wait_text(wait)
            ))),
            None => Ok(()),
        }
    }

    /// Counts a 查询码 from `client` that matched no call.
    pub fn code_lookup_missed(&self, client: &str) {
        // Past the limit the client is refused before the next look-up; nothing more to do.
        let _ = self
            .public_calls
            .code_misses_per_client
            .hit(client, Instant::now());
    }

    /// A call by the 查询码 a resident typed, for the public pages.
    async fn call_by_code(&self, code: &str, client: &str) -> Result<CallRow> {
        self.code_lookups_allowed(client)?;
        let found = match calls::check_tracking_code(code) {
            Ok(code) => self.db.call_by_tracking_code(&code).await.ok(),
            Err(e) => {
                self.code_lookup_missed(client);
                return Err(invalid(e.to_string()));
            }
        };
        found.ok_or_else(|| {
            self.code_lookup_missed(client);
            invalid("没有找到这个查询码的呼声，请核对")
        })
    }

    /// The tracking page for anyone with the 查询码: how the call is going, not what the
    /// resident wrote.
    pub async fn track_call(&self, code: &str, client: &str) -> Result<PublicCall> {
        let row = self.call_by_code(code, client).await?;
        self.public_call(row, false).await
    }

    /// The tracking page for the resident, who proved it with the last four digits of their
    /// phone: with the description and the address.
    pub async fn track_call_as_resident(
        &self,
        code: &str,
        phone_tail: &str,
        client: &str,
    ) -> Result<PublicCall> {
        let row = self.call_by_code(code, client).await?;
        self.check_phone_tail(&row, phone_tail, client).await?;
        self.public_call(row, true).await
    }

    async fn public_call(&self, row: CallRow, with_details: bool) -> Result<PublicCall> {
        let calendar = self.work_calendar(row.root_org_id).await?;
        let view = self.view(row, &calendar, local_now())?;
        let history = self
            .db
            .call_events(view.row.id)
            .await?
            .into_iter()
            .map(|e| (e.at, mask_numbers_in_text(&e.public_note)))
            .collect();
        let locked = view.row.tail_failures >= MAX_TAIL_FAILURES;
        Ok(PublicCall {
            countdown: view.countdown(),
            may_rate: view.case.status == Status::Resolved && !locked,
            locked,
            tracking_code: view.row.tracking_code.clone(),
            item_name: view.row.item_name.clone(),
            status: view.case.status,
            holder_name: view.row.holder_name.clone(),
            submitted_at: view.row.submitted_at,
            history,
            details: with_details.then(|| PublicDetails {
                address: mask_numbers_in_text(&view.row.address),
                description: mask_numbers_in_text(&view.row.description),
            }),
        })
    }

    /// The resident's proof: the last four digits of the phone they gave. Each client has a
    /// few checks an hour over all calls, and each call a few wrong ones for good, counted in
    /// the database; the attempt is taken before the digits are compared and given back when
    /// they were right.
    async fn check_phone_tail(&self, row: &CallRow, phone_tail: &str, client: &str) -> Result<()> {
        let locked = format!(
            "该呼声的手机号验证错误次数过多，已锁定网上查看和评价。\
             {}回访时可以电话评价，也可以直接联系{}",
            row.holder_name, row.holder_name
        );
        if let Err(wait) = self
            .public_calls
            .tail_checks_per_client
            .hit(client, Instant::now())
        {
            return Err(AppError::TooMany(format!(
                "验证次数过多，请 {}后再试",
                wait_text(wait)
            )));
        }
        let Some(taken) = self.db.call_tail_attempt(row.id, MAX_TAIL_FAILURES).await? else {
            return Err(invalid(locked));
        };
        if calls::phone_tail_matches(&row.phone, phone_tail) {
            self.db.call_tail_refund(row.id).await?;
            return Ok(());
        }
        match MAX_TAIL_FAILURES - taken {
            0 => Err(invalid(format!("手机号后四位不符。{locked}"))),
            left => Err(invalid(format!("手机号后四位不符，还可再试 {left} 次"))),
        }
    }

    /// The resident rates the answer, after the same phone check as for the details, so a
    /// guessed 查询码 is not enough to close someone else's call.
    pub async fn rate_call(
        &self,
        code: &str,
        phone_tail: &str,
        rating: &str,
        client: &str,
    ) -> Result<()> {
        let row = self.call_by_code(code, client).await?;
        let rating = Rating::from_code(rating).ok_or_else(|| invalid("请选择评价"))?;
        let (case, _) = parse_state(&row)?;
        let event = Event::Rate { rating };
        // A call that cannot be rated now costs the resident no attempt.
        let next = calls::apply(&case, &event, local_now()).map_err(|e| invalid(e.to_string()))?;
        self.check_phone_tail(&row, phone_tail, client).await?;
        let author = Author {
            user_id: None,
            name: "群众（网上评价）".into(),
        };
        let note = if rating.is_satisfied() {
            format!("群众评价：{}，呼声关闭", rating.label())
        } else {
            "群众评价：不满意，重新办理".to_string()
        };
        self.record_transition(
            CallScope::Orgs(row.root_org_id),
            &row,
            &event,
            &next,
            note,
            &author,
        )
        .await
    }

    /// Escalates every open call whose clock ran out at `now` (China time), one level up. Run
    /// by the sweep.
    pub async fn escalate_overdue_calls(
        &self,
        root_org_id: i64,
        now: NaiveDateTime,
    ) -> Result<usize> {
        let calendar = self.work_calendar(root_org_id).await?;
        let units = self.units_by_id(root_org_id).await?;
        let author = Author {
            user_id: None,
            name: "系统（超时自动上报）".into(),
        };
        let mut escalated = 0;
        for row in self.db.calls_open(root_org_id).await? {
            let (case, sla) = parse_state(&row)?;
            let Some(upper) = units.get(&case.holder).and_then(|u| u.parent_id) else {
                continue;
            };
            let Some(event) = auto_escalation(&case, &sla, &calendar, now, upper) else {
                continue;
            };
            let Ok(next) = calls::apply(&case, &event, now) else {
                continue;
            };
            let to = units
                .get(&upper)
                .map(|u| u.name.clone())
                .unwrap_or_default();
            let reason = match &event {
                Event::Escalate { reason, .. } => reason.text(next.level),
                _ => String::new(),
            };
            let note = format!("{reason}（{to}）");
            match self
                .record_transition(
                    CallScope::Orgs(root_org_id),
                    &row,
                    &event,
                    &next,
                    note,
                    &author,
                )
                .await
            {
                Ok(()) => escalated += 1,
                // Someone acted on it meanwhile; the next sweep looks again.
                Err(AppError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(escalated)
    }

    /// Figures per unit that holds calls in the actor's scope, per level, and in total.
    pub async fn call_figures(&self, actor: &Actor, year: i32) -> Result<Vec<FigureRow>> {
        let year = crate::orglife::kept_year(year)?;
        let scope = Self::call_scope(actor);
        if scope == CallScope::Nothing {
            return Err(AppError::Forbidden);
        }
        let rows = self.db.calls_list(scope, false, i64::MAX / 2, 0).await?;
        let rows: Vec<CallRow> = rows
            .into_iter()
            .filter(|r| r.submitted_at.with_timezone(&Shanghai).year() == year)
            .collect();
        let Some(first) = rows.first() else {
            return Ok(Vec::new());
        };
        let calendar = self.work_calendar(first.root_org_id).await?;
        let units = self.units_by_id(first.root_org_id).await?;
        let parsed: Vec<(i64, Case, SlaPolicy)> = rows
            .iter()
            .map(|r| parse_state(r).map(|(c, s)| (r.holder_unit_id, c, s)))
            .collect::<Result<_>>()?;
        let mut out = Vec::new();
        let mut unit_ids: Vec<i64> = parsed.iter().map(|(u, _, _)| *u).collect();
        unit_ids.sort_unstable();
        unit_ids.dedup();
        for level in [Level::Community, Level::Street, Level::District] {
            for unit in &unit_ids {
                let Some(u) = units.get(unit).filter(|u| u.level == level.code()) else {
                    continue;
                };
                out.push(FigureRow {
                    unit_id: Some(u.id),
                    name: u.name.clone(),
                    level: level.label().into(),
                    figures: calls::figures(
                        parsed
                            .iter()
                            .filter(|(h, _, _)| h == unit)
                            .map(|(_, c, s)| (c, s)),
                        &calendar,
                    ),
                });
            }
            out.push(FigureRow {
                unit_id: None,
                name: format!("{}级合计", level.label()),
                level: level.label().into(),
                figures: calls::figures(
                    parsed
                        .iter()
                        .filter(|(_, c, _)| c.level == level)
                        .map(|(_, c, s)| (c, s)),
                    &calendar,
                ),
            });
        }
        out.push(FigureRow {
            unit_id: None,
            name: "总计".into(),
            level: String::new(),
            figures: calls::figures(parsed.iter().map(|(_, c, s)| (c, s)), &calendar),
        });
        Ok(out)
    }

    /// The figures as an xlsx report (audited).
    pub async fn call_figures_xlsx(&self, actor: &Actor, year: i32) -> Result<(Vec<u8>, String)> {
        let rows = self.call_figures(actor, year).await?;
        let lines: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.name.clone(),
                    r.level.clone(),
                    r.figures.received.to_string(),
                    r.figures.closed.to_string(),
                    r.rate("closure"),
                    r.figures.closed_on_time.to_string(),
                    r.rate("on_time"),
                    r.average(),
                    r.figures.rated.to_string(),
                    r.rate("satisfaction"),
                ]
            })
            .collect();
        let title = format!("{year} 年群众呼声办理情况");
        let bytes = crate::tabular::report_xlsx(
            "呼声办理",
            &title,
            &[
                "办理单位",
                "层级",
                "受理",
                "办结",
                "办结率",
                "按时办结",
                "按时率",
                "平均办结用时",
                "已评价",
                "满意率",
            ],
            &lines,
            &[(0, 30.0), (7, 22.0)],
        )?;
        self.db
            .audit_event(
                actor.org_id,
                &actor.author(),
                "export",
                "call_figures",
                &title,
            )
            .await?;
        Ok((bytes, format!("群众呼声办理情况{year}.xlsx")))
    }

    async fn units_by_id(&self, root_org_id: i64) -> Result<HashMap<i64, CallUnit>> {
        Ok(self
            .db
            .call_units(root_org_id)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect())
    }

    /// Units an action may target: the level above for escalation, departments for a 吹哨,
    /// the arbiter's reach for reassignment.
    pub async fn call_units_of(&self, root_org_id: i64) -> Result<Vec<CallUnit>> {
        Ok(self.db.call_units(root_org_id).await?)
    }
}
