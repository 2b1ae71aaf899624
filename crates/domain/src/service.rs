//! 一呼百应 volunteer service: who must report (报到) to the community where they live, the
//! reporting periods and what a missed one does to the 民主评议 grade, claims on the needs a
//! community posts, volunteer hours, and the 微心愿 wall.
//!
//! A need is an offer and a claim is the member's own choice, never an assignment (志愿服务条例
//! Art25, DOMAIN.md §10.1, §10.6), so nothing here places a member on a need. Hours are rounded
//! down, because a 志愿服务记录证明 must never state more than was served (Art19 "如实",
//! DOMAIN.md §10.5). Every yearly figure is local practice \[L\] and lives in [`ServiceRules`].

use std::cmp::Reverse;

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime};

use crate::enums::{MemberCategory, code_enum};
use crate::points::Grade;

/// Version of the service rules: periods aligned to 1 January, a missed report caps the grade at
/// 基本合格, hours rounded down to the unit with travel excluded, wish contact counted in days
/// after the claim. Store it with every saved report status, hour record or figure.
pub const RULE_VERSION: &str = "service-2026.1";

// ---------------------------------------------------------------------------
// Rules

/// A locality's configuration (DOMAIN.md §10.4, §10.5, §10.6). Defaults: 佛山-style half-yearly
/// reporting, only 在职 members obliged, cap of 3 open claims, hours counted in 30-minute units,
/// 7 days to contact a wish's family, wish rounds of one calendar month, no hour target.
///
/// Missing fields take their defaults when deserialised, so a stored configuration survives new
/// settings being added.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ServiceRules {
    /// Months per reporting period; must divide 12 so periods align to the calendar year.
    /// 佛山 2020 reports every half year (DOMAIN.md §10.4).
    pub report_every_months: u32,
    /// Categories that must report where they live. 机关/事业/国企 in-service members everywhere;
    /// some places add 非公 members (DOMAIN.md §10.2). Never 流动: they follow S22 Art33.
    pub obliged_categories: Vec<MemberCategory>,
    /// Claims a member may hold open at once, so one eager member cannot take every place.
    pub open_claim_cap: u32,
    /// Unit the hours are counted in; DOMAIN.md §10.5 defaults to half hours.
    pub hour_unit_minutes: u32,
    /// Days after claiming a wish by which the family must be contacted (上高县敖山镇: 7,
    /// DOMAIN.md §10.6).
    pub wish_contact_days: u32,
    /// Months per wish round; unclaimed wishes carry into the next round with priority.
    pub wish_round_months: u32,
    /// Yearly confirmed-hours target (邢台桥西: 50 h). No national figure exists, so none by
    /// default (DOMAIN.md §10.4).
    pub hour_target_minutes: Option<u32>,
}

impl Default for ServiceRules {
    fn default() -> Self {
        ServiceRules {
            report_every_months: 6,
            obliged_categories: vec![MemberCategory::InService],
            open_claim_cap: 3,
            hour_unit_minutes: 30,
            wish_contact_days: 7,
            wish_round_months: 1,
            hour_target_minutes: None,
        }
    }
}

/// Period lengths that tile a calendar year for reporting. DOMAIN.md §10.4.
const REPORT_MONTHS: [u32; 6] = [1, 2, 3, 4, 6, 12];
/// Wish rounds: the lengths communities use (month, two months, quarter, half year, year).
/// DOMAIN.md §10.6.
const WISH_ROUND_MONTHS: [u32; 5] = [1, 2, 3, 6, 12];
/// Above this a member could hoard places on a small community's list. DOMAIN.md §10.6.
const MAX_OPEN_CLAIMS: u32 = 20;
const MAX_WISH_CONTACT_DAYS: u32 = 30;
/// 1 to 1000 hours: 桥西's 50 h sits well inside; beyond 1000 h a year no one could meet it.
const MIN_TARGET_MINUTES: u32 = 60;
const MAX_TARGET_MINUTES: u32 = 1000 * 60;

impl ServiceRules {
    /// Refuses a configuration the rules below cannot honour; the first problem found is
    /// returned as a sentence for the person editing it. DOMAIN.md §10.2, §10.4–§10.6.
    pub fn validate(&self) -> Result<(), ServiceError> {
        let bad = |message: &str| Err(ServiceError::Rules(message.to_owned()));
        if !REPORT_MONTHS.contains(&self.report_every_months) {
            return bad("报到周期须为 1、2、3、4、6 或 12 个月");
        }
        if self.obliged_categories.contains(&MemberCategory::Mobile) {
            return bad(
                "须报到的党员类别不能包括流动党员：流动党员按流动党员管理，到居住地党组织报到",
            );
        }
        if !(1..=MAX_OPEN_CLAIMS).contains(&self.open_claim_cap) {
            return bad("同时认领上限须在 1 至 20 项之间");
        }
        if !(1..=60).contains(&self.hour_unit_minutes) || 60 % self.hour_unit_minutes != 0 {
            return bad("服务时长计量单位须为能整除 60 的分钟数（如 15、30 或 60 分钟）");
        }
        if !(1..=MAX_WISH_CONTACT_DAYS).contains(&self.wish_contact_days) {
            return bad("微心愿联系期限须在 1 至 30 天之间");
        }
        if !WISH_ROUND_MONTHS.contains(&self.wish_round_months) {
            return bad("微心愿轮次须为 1、2、3、6 或 12 个月");
        }
        if let Some(target) = self.hour_target_minutes
            && !(MIN_TARGET_MINUTES..=MAX_TARGET_MINUTES).contains(&target)
        {
            return bad("年度服务时长目标须在 1 至 1000 小时之间");
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Errors

/// Why a configuration, claim or claim step was refused; shown to users as-is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// A configuration problem, already phrased for the person editing it.
    #[error("{0}")]
    Rules(String),
    #[error("该需求认领人数已满")]
    Full,
    /// What the need clashes with, e.g. "支部党员大会 11月3日 14:00".
    #[error("与“{0}”时间冲突")]
    Clash(String),
    /// The cap on open claims.
    #[error("同时认领的需求最多 {0} 项，请先完成或退出已认领的需求")]
    OverCap(u32),
    #[error("该需求已关闭或已取消")]
    Closed,
    #[error("您已认领该需求")]
    AlreadyClaimed,
    #[error("该需求的服务时间已过")]
    Ended,
    #[error("只有认领人本人可以办理")]
    NotYourClaim,
    #[error("不能确认自己认领的服务")]
    SelfConfirm,
    #[error("只有发布需求的单位可以确认")]
    NotPoster,
    #[error("该认领当前为“{}”，不能{action}", from.label())]
    WrongState {
        from: ClaimState,
        action: &'static str,
    },
    /// Checking in twice, or withdrawing after checking in: the member is on site, so the only
    /// way out is checking out.
    #[error("已签到，请在服务结束后签退")]
    AlreadyCheckedIn,
    #[error("尚未签到，不能签退")]
    NotCheckedIn,
    #[error("签退时间不能早于签到时间")]
    CheckOutBeforeIn,
    #[error("服务时长无效，请填写不小于 0 的整分钟数")]
    BadMinutes,
}

// ---------------------------------------------------------------------------
// Who reports

code_enum! {
    /// Whether a member must report to the community where they live. DOMAIN.md §10.2.
    pub enum Obligation {
        Obliged => ("obliged", "须到居住地社区报到"),
        OwnCommunity => ("own_community", "组织关系在社区，无需报到"),
        Mobile => ("mobile", "流动党员，按流动党员管理"),
        NotObliged => ("not_obliged", "不在报到范围"),
    }
}

/// Whether a member must report. `branch_in_community`: the member's branch lies under a 社区/村
/// party committee, i.e. their 组织关系 is already in a community, so they are its own members
/// whatever their category (DOMAIN.md §10.2 Excluded, §10.7 vector 2). Mobile members follow
/// S22 Art33 instead (DOMAIN.md §10.1, §10.2). Everyone else reports if the locality lists their
/// category (DOMAIN.md §10.2 Who).
pub fn obligation(
    category: MemberCategory,
    branch_in_community: bool,
    rules: &ServiceRules,
) -> Obligation {
    if branch_in_community {
        Obligation::OwnCommunity
    } else if category == MemberCategory::Mobile {
        Obligation::Mobile
    } else if rules.obliged_categories.contains(&category) {
        Obligation::Obliged
    } else {
        Obligation::NotObliged
    }
}

// ---------------------------------------------------------------------------
// Reporting periods

/// A calendar reporting period (also used for wish rounds).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ReportPeriod {
    pub from: NaiveDate,
    /// Inclusive last day.
    pub until: NaiveDate,
    /// "2024年下半年", "2024年第3季度", "2024年", "2024年11月", "2024年第2期".
    pub label: String,
    /// Within the year: "H1", "H2", "Q3", "Y", "M11", "P2".
    pub code: String,
}

impl ReportPeriod {
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.until
    }
}

/// A length that does not tile the year cannot produce calendar periods; the whole year is the
/// one reading that never invents a deadline. Callers validate [`ServiceRules`] first.
fn tiling_months(every_months: u32) -> u32 {
    if REPORT_MONTHS.contains(&every_months) {
        every_months
    } else {
        12
    }
}

fn period_at(year: i32, index: u32, every_months: u32) -> ReportPeriod {
    let first_month = (index - 1) * every_months + 1;
    let last_month = index * every_months;
    let from = NaiveDate::from_ymd_opt(year, first_month, 1).expect("year within chrono's range");
    let until = last_day_of_month(year, last_month);
    let (label, code) = match every_months {
        1 => (format!("{year}年{index}月"), format!("M{index}")),
        3 => (format!("{year}年第{index}季度"), format!("Q{index}")),
        6 if index == 1 => (format!("{year}年上半年"), "H1".to_owned()),
        6 => (format!("{year}年下半年"), "H2".to_owned()),
        12 => (format!("{year}年"), "Y".to_owned()),
        _ => (format!("{year}年第{index}期"), format!("P{index}")),
    };
    ReportPeriod {
        from,
        until,
        label,
        code,
    }
}

fn last_day_of_month(year: i32, month: u32) -> NaiveDate {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.pred_opt())
        .expect("year within chrono's range")
}

/// The period containing `day`. Periods are aligned to 1 January because inspections read "每半年"
/// against the calendar: every 6 months → 上半年 (Jan–Jun) and 下半年 (Jul–Dec); 3 → quarters;
/// 12 → the year; 1 → months; 2 and 4 → numbered 期. A length that does not divide 12 is read as
/// 12. DOMAIN.md §10.4.
///
/// # Panics
/// If `day` lies in a year at the edge of chrono's range.
pub fn report_period(day: NaiveDate, every_months: u32) -> ReportPeriod {
    let every = tiling_months(every_months);
    period_at(day.year(), day.month0() / every + 1, every)
}

/// Every period of `year`, in order; together they cover the year without gaps or overlaps.
/// DOMAIN.md §10.4.
///
/// # Panics
/// If `year` is at the edge of chrono's range.
pub fn periods_of_year(year: i32, every_months: u32) -> Vec<ReportPeriod> {
    let every = tiling_months(every_months);
    (1..=12 / every)
        .map(|i| period_at(year, i, every))
        .collect()
}

/// A member's reporting state in the current period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ReportStatus {
    Reported { on: NaiveDate },
    Due { by: NaiveDate },
    NotYetRegistered,
}

/// Status in the period containing `today`: Reported (on the first report in it) if some report
/// date lies in it; Due by the period's last day otherwise. `registered_on` None →
/// NotYetRegistered. The registration is itself a report and belongs in `reports`, so this and
/// [`missed_periods`] agree. DOMAIN.md §10.3, §10.4.
pub fn report_status(
    registered_on: Option<NaiveDate>,
    reports: &[NaiveDate],
    today: NaiveDate,
    every_months: u32,
) -> ReportStatus {
    if registered_on.is_none() {
        return ReportStatus::NotYetRegistered;
    }
    let period = report_period(today, every_months);
    match reports.iter().filter(|&&r| period.contains(r)).min() {
        Some(&on) => ReportStatus::Reported { on },
        None => ReportStatus::Due { by: period.until },
    }
}

/// The periods of `year` that have ended on or before `today` with no report in them, counting
/// only periods that end on or after `obliged_from` (the day the member became obliged, e.g.
/// joined or became 在职): a member is not faulted for periods before. Returned whole so a caller
/// can show "2024年下半年未报到". DOMAIN.md §10.4, §10.7 vector 1.
pub fn missed_periods(
    obliged_from: NaiveDate,
    reports: &[NaiveDate],
    year: i32,
    today: NaiveDate,
    every_months: u32,
) -> Vec<ReportPeriod> {
    periods_of_year(year, every_months)
        .into_iter()
        .filter(|p| p.until <= today && p.until >= obliged_from)
        .filter(|p| !reports.iter().any(|&r| p.contains(r)))
        .collect()
}

/// 佛山 2020: an in-service member who did not report as required cannot be rated 合格 or above,
/// so the best grade is 基本合格. Some(Grade::Basic) when `missed` is non-empty, else None.
/// DOMAIN.md §10.3 (Consequences), §10.7 vector 1.
pub fn appraisal_cap(missed: &[ReportPeriod]) -> Option<Grade> {
    (!missed.is_empty()).then_some(Grade::Basic)
}

/// The worse of `grade` and `cap`: a cap only ever lowers a grade. DOMAIN.md §10.3.
pub fn capped(grade: Grade, cap: Option<Grade>) -> Grade {
    match cap {
        Some(cap) if grade_rank(cap) > grade_rank(grade) => cap,
        _ => grade,
    }
}

/// 0 for the best grade; [`Grade::ALL`] is best first.
fn grade_rank(grade: Grade) -> usize {
    Grade::ALL
        .iter()
        .position(|&g| g == grade)
        .unwrap_or(usize::MAX)
}

// ---------------------------------------------------------------------------
// Claims

code_enum! {
    /// A claim on a need. A need with free places is the OFFERED state; claiming creates a
    /// claim in `Claimed`. DOMAIN.md §10.6 (OFFERED → CLAIMED → DONE → CONFIRMED).
    pub enum ClaimState {
        Claimed => ("claimed", "已认领"),
        Done => ("done", "已完成待确认"),
        Confirmed => ("confirmed", "已确认"),
        Withdrawn => ("withdrawn", "已退出"),
    }
}

code_enum! {
    /// A step on a claim; the label names it in refusals.
    pub enum ClaimAction {
        CheckIn => ("check_in", "签到"),
        CheckOut => ("check_out", "签退"),
        Withdraw => ("withdraw", "退出认领"),
        Confirm => ("confirm", "确认完成"),
    }
}

/// A span of time, half-open: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Slot {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

impl Slot {
    /// Half-open, so a need ending at 14:00 does not clash with a meeting starting at 14:00. A
    /// zero-length slot inside another still overlaps it: a meeting with no recorded end still
    /// occupies its start.
    pub fn overlaps(&self, other: &Slot) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// The part of its day a branch meeting keeps a member busy, for the clash check of a claim
/// (DOMAIN.md §10.6: orders are offers a member takes when free). Meetings are recorded by day,
/// with no time of day, so the whole day counts — except that a meeting is recorded once it has
/// been held: recorded on its own day, it was over by the time of the recording, and the rest of
/// that day is free. A correction recorded later only lengthens the span, which stays on the safe
/// side.
pub fn meeting_busy_slot(held_on: NaiveDate, recorded_at: NaiveDateTime) -> Slot {
    let start = held_on.and_time(chrono::NaiveTime::MIN);
    let whole_day = start + chrono::Duration::days(1);
    let end = if recorded_at.date() == held_on {
        recorded_at.min(whole_day)
    } else {
        whole_day
    };
    Slot { start, end }
}

/// Something already in the member's diary: a meeting or another active claim.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Busy {
    pub slot: Slot,
    /// Chinese description shown in the refusal, e.g. "支部党员大会 11月3日 14:00".
    pub what: String,
}

/// What [`check_claim`] needs to know about a member claiming a need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimAttempt<'a> {
    /// The need is neither cancelled nor closed.
    pub need_open: bool,
    pub need_slot: Slot,
    pub people_needed: u32,
    /// Claims on this need that are not Withdrawn.
    pub active_claims: u32,
    /// This member holds a non-withdrawn claim on it.
    pub already_claimed: bool,
    /// The member's meetings and other active claims.
    pub busy: &'a [Busy],
    /// The member's claims in state Claimed.
    pub open_claims: u32,
    pub now: NaiveDateTime,
}

/// Whether the member may claim the need. Checks in this order: Closed, Ended (the slot's end is
/// not after `now`), AlreadyClaimed, Full, OverCap, Clash (the first busy slot overlapping, named
/// in the message). The member chooses; this only refuses what cannot be honoured.
/// DOMAIN.md §10.1 (志愿服务条例 Art25), §10.6.
pub fn check_claim(attempt: &ClaimAttempt, rules: &ServiceRules) -> Result<(), ServiceError> {
    if !attempt.need_open {
        return Err(ServiceError::Closed);
    }
    if attempt.need_slot.end <= attempt.now {
        return Err(ServiceError::Ended);
    }
    if attempt.already_claimed {
        return Err(ServiceError::AlreadyClaimed);
    }
    if attempt.active_claims >= attempt.people_needed {
        return Err(ServiceError::Full);
    }
    if attempt.open_claims >= rules.open_claim_cap {
        return Err(ServiceError::OverCap(rules.open_claim_cap));
    }
    if let Some(busy) = attempt
        .busy
        .iter()
        .find(|b| b.slot.overlaps(&attempt.need_slot))
    {
        return Err(ServiceError::Clash(busy.what.clone()));
    }
    Ok(())
}

/// A claim as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClaimFacts {
    pub state: ClaimState,
    pub checked_in: Option<NaiveDateTime>,
    /// For [`ClaimAction::CheckOut`], the check-out time being recorded.
    pub checked_out: Option<NaiveDateTime>,
}

/// The state a claim moves to, or why the step is refused. The claimer checks in (Claimed, not
/// yet checked in; the state stays Claimed), checks out (Claimed and checked in → Done; the
/// check-out time in `facts.checked_out`, when given, must not be before the check-in), and
/// withdraws (Claimed and not yet checked in: once on site, the only way out is checking out).
/// The posting unit confirms (Done → Confirmed); the claimer may never confirm their own service,
/// even as an officer of the posting unit, because the record is the unit's word on it
/// ("谁记录谁证明", DOMAIN.md §10.5). Who may act is checked before the state.
/// DOMAIN.md §10.5, §10.6.
pub fn next_state(
    facts: &ClaimFacts,
    action: ClaimAction,
    is_claimer: bool,
    is_poster: bool,
) -> Result<ClaimState, ServiceError> {
    let wrong = || ServiceError::WrongState {
        from: facts.state,
        action: action.label(),
    };
    if action == ClaimAction::Confirm {
        return if is_claimer {
            Err(ServiceError::SelfConfirm)
        } else if !is_poster {
            Err(ServiceError::NotPoster)
        } else if facts.state == ClaimState::Done {
            Ok(ClaimState::Confirmed)
        } else {
            Err(wrong())
        };
    }
    if !is_claimer {
        return Err(ServiceError::NotYourClaim);
    }
    if facts.state != ClaimState::Claimed {
        return Err(wrong());
    }
    match (facts.checked_in, facts.checked_out) {
        (Some(_), _) if action != ClaimAction::CheckOut => Err(ServiceError::AlreadyCheckedIn),
        (Some(check_in), Some(check_out)) if check_out < check_in => {
            Err(ServiceError::CheckOutBeforeIn)
        }
        (Some(_), _) => Ok(ClaimState::Done),
        (None, _) => match action {
            ClaimAction::CheckOut => Err(ServiceError::NotCheckedIn),
            ClaimAction::Withdraw => Ok(ClaimState::Withdrawn),
            // Check-in (confirming returned above) leaves the state; the caller stamps the time.
            _ => Ok(ClaimState::Claimed),
        },
    }
}

// ---------------------------------------------------------------------------
// Hours

/// Minutes served between check-in and check-out less the travel the member declares, never
/// negative: the record counts actual service time, travel excluded. Seconds are dropped.
/// DOMAIN.md §10.5.
pub fn served_minutes(
    check_in: NaiveDateTime,
    check_out: NaiveDateTime,
    travel_minutes: u32,
) -> u32 {
    let on_site = (check_out - check_in).num_minutes().max(0);
    u32::try_from(on_site)
        .unwrap_or(u32::MAX)
        .saturating_sub(travel_minutes)
}

/// Rounds down to whole units, because a certificate must never state more than was served
/// (志愿服务条例 Art19 "如实"): 74 min with 30-min units → 60. A unit of 0 leaves the minutes as
/// they are. DOMAIN.md §10.5.
pub fn round_to_unit(minutes: u32, unit_minutes: u32) -> u32 {
    if unit_minutes == 0 {
        minutes
    } else {
        minutes - minutes % unit_minutes
    }
}

/// "1.5 小时", "2 小时", "0 小时": hours with at most two decimals, trailing zeros dropped. The
/// hundredths are cut, not rounded (20 min → "0.33 小时"), for the same reason hours are rounded
/// down. Integer arithmetic only, so the label matches what an auditor recomputes. DOMAIN.md
/// §10.5.
pub fn hours_label(minutes: i64) -> String {
    let hundredths = u128::from(minutes.unsigned_abs()) * 100 / 60;
    let sign = if minutes < 0 { "-" } else { "" };
    let (whole, frac) = (hundredths / 100, hundredths % 100);
    match frac {
        0 => format!("{sign}{whole} 小时"),
        _ if frac % 10 == 0 => format!("{sign}{whole}.{} 小时", frac / 10),
        _ => format!("{sign}{whole}.{frac:02} 小时"),
    }
}

code_enum! {
    /// A member's confirmed hours against the locality's yearly target. DOMAIN.md §10.4.
    pub enum TargetState {
        NoTarget => ("no_target", "未设目标"),
        Met => ("met", "已达标"),
        NotMet => ("not_met", "未达标"),
    }
}

/// Met when the confirmed minutes reach the target; the target itself counts (桥西: 50 h is
/// 达标). Only confirmed hours count, as only the posting unit's word is on record.
/// DOMAIN.md §10.4, §10.7 vector 3.
pub fn target_state(confirmed_minutes: i64, target_minutes: Option<u32>) -> TargetState {
    match target_minutes {
        None => TargetState::NoTarget,
        Some(target) if confirmed_minutes >= i64::from(target) => TargetState::Met,
        Some(_) => TargetState::NotMet,
    }
}

// ---------------------------------------------------------------------------
// 微心愿

/// The last day to contact the wish's family: `days` after the claim (上高县敖山镇: 7).
/// DOMAIN.md §10.6.
pub fn wish_contact_due(claimed_on: NaiveDate, days: u32) -> NaiveDate {
    claimed_on
        .checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MAX)
}

/// The claim lapses, and the wish goes back on the wall, when no contact was recorded and the due
/// day has passed. A contact recorded late still saves the claim: the family was reached.
/// DOMAIN.md §10.6.
pub fn wish_claim_lapsed(
    claimed_on: NaiveDate,
    contacted_on: Option<NaiveDate>,
    today: NaiveDate,
    days: u32,
) -> bool {
    contacted_on.is_none() && today > wish_contact_due(claimed_on, days)
}

/// The wish round containing `day`: calendar periods of `round_months` aligned to 1 January,
/// labelled like report periods ("2026年11月", "2026年第4季度"). DOMAIN.md §10.6.
pub fn wish_round(day: NaiveDate, round_months: u32) -> ReportPeriod {
    report_period(day, round_months)
}

/// How many rounds an unclaimed wish has been carried over: 0 in the round it was posted, 1 in
/// the next, and so on across years. Carried wishes go first on the wall (上高县敖山镇: unclaimed
/// wishes roll into the next round with priority). DOMAIN.md §10.6.
pub fn wish_carried_rounds(posted_on: NaiveDate, today: NaiveDate, round_months: u32) -> u32 {
    let every = i64::from(tiling_months(round_months));
    let round_index = |d: NaiveDate| (i64::from(d.year()) * 12 + i64::from(d.month0())) / every;
    let carried = round_index(today) - round_index(posted_on);
    u32::try_from(carried.max(0)).unwrap_or(u32::MAX)
}

/// Sort key for the wish wall: carried rounds descending, then the longest-waiting first, then
/// id, so the order is total and stable between page loads. DOMAIN.md §10.6.
pub fn wish_wall_key(
    carried: u32,
    posted_on: NaiveDate,
    id: i64,
) -> (Reverse<u32>, NaiveDate, i64) {
    (Reverse(carried), posted_on, id)
}

// ---------------------------------------------------------------------------
// Figures

/// A rate in per mille (‰), rounded half up (away from zero) in integer arithmetic, so the
/// figure a report shows is the one an inspector recomputes (桥西 judges units on a 95% rate,
/// DOMAIN.md §10.4). None when nothing is due (a denominator of 0 or less).
pub fn rate_permille(numerator: i64, denominator: i64) -> Option<i64> {
    if denominator <= 0 {
        return None;
    }
    let (n, d) = (
        u128::from(numerator.unsigned_abs()),
        u128::from(denominator.unsigned_abs()),
    );
    let magnitude = i128::try_from((n * 2000 + d) / (d * 2)).unwrap_or(i128::MAX);
    let signed = if numerator < 0 { -magnitude } else { magnitude };
    Some(i64::try_from(signed).unwrap_or(if signed < 0 { i64::MIN } else { i64::MAX }))
}

/// Whole hours from posting a need or wish to its fulfilment, rounded down; 0 if fulfilment is
/// recorded before posting (clock skew between devices). DOMAIN.md §10.6.
pub fn hours_to_fulfil(posted: NaiveDateTime, fulfilled: NaiveDateTime) -> i64 {
    (fulfilled - posted).num_hours().max(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn t(y: i32, m: u32, day: u32, h: u32, min: u32) -> NaiveDateTime {
        d(y, m, day).and_hms_opt(h, min, 0).unwrap()
    }

    fn slot(start: NaiveDateTime, end: NaiveDateTime) -> Slot {
        Slot { start, end }
    }

    fn codes(periods: &[ReportPeriod]) -> Vec<&str> {
        periods.iter().map(|p| p.code.as_str()).collect()
    }

    // -- §10.7 vectors ---------------------------------------------------------

    #[test]
    fn v1_foshan_h2_missed_caps_grade_at_basic() {
        let rules = ServiceRules::default();
        assert_eq!(rules.report_every_months, 6);
        assert_eq!(
            obligation(MemberCategory::InService, false, &rules),
            Obligation::Obliged
        );
        let reports = [d(2024, 4, 15)];
        for today in [d(2024, 12, 31), d(2025, 1, 1), d(2026, 6, 1)] {
            let missed = missed_periods(d(2024, 1, 1), &reports, 2024, today, 6);
            assert_eq!(codes(&missed), ["H2"], "{today}");
            assert_eq!(missed[0].label, "2024年下半年");
            let cap = appraisal_cap(&missed);
            assert_eq!(cap, Some(Grade::Basic));
            assert_eq!(capped(Grade::Excellent, cap), Grade::Basic);
            assert_eq!(capped(Grade::Qualified, cap), Grade::Basic);
            assert_eq!(capped(Grade::Basic, cap), Grade::Basic);
            assert_eq!(capped(Grade::Unqualified, cap), Grade::Unqualified);
        }
        // The day before H2 ends, nothing is missed yet.
        assert!(missed_periods(d(2024, 1, 1), &reports, 2024, d(2024, 12, 30), 6).is_empty());
    }

    #[test]
    fn v2_retired_in_community_not_obliged() {
        let rules = ServiceRules::default();
        assert_eq!(
            obligation(MemberCategory::Retired, true, &rules),
            Obligation::OwnCommunity
        );
        assert_ne!(
            obligation(MemberCategory::Retired, true, &rules),
            Obligation::Obliged
        );
    }

    #[test]
    fn v3_qiaoxi_fifty_hours() {
        let target = Some(50 * 60);
        assert_eq!(target_state(49 * 60 + 30, target), TargetState::NotMet);
        assert_eq!(target_state(50 * 60, target), TargetState::Met);
        let rules = ServiceRules {
            hour_target_minutes: target,
            ..ServiceRules::default()
        };
        assert_eq!(rules.validate(), Ok(()));
    }

    // -- Obligation ---------------------------------------------------------------

    #[test]
    fn obligation_order() {
        let rules = ServiceRules::default();
        for &c in MemberCategory::ALL {
            assert_eq!(
                obligation(c, true, &rules),
                Obligation::OwnCommunity,
                "{c:?}"
            );
        }
        assert_eq!(
            obligation(MemberCategory::Mobile, false, &rules),
            Obligation::Mobile
        );
        for c in [
            MemberCategory::NoPost,
            MemberCategory::NonPublic,
            MemberCategory::ElderlyInfirm,
            MemberCategory::Retired,
            MemberCategory::Farmer,
            MemberCategory::Student,
        ] {
            assert_eq!(
                obligation(c, false, &rules),
                Obligation::NotObliged,
                "{c:?}"
            );
        }
        // 门头沟 adds 非公 members.
        let wider = ServiceRules {
            obliged_categories: vec![MemberCategory::InService, MemberCategory::NonPublic],
            ..ServiceRules::default()
        };
        assert_eq!(
            obligation(MemberCategory::NonPublic, false, &wider),
            Obligation::Obliged
        );
        // Even a (refused) configuration listing 流动 does not oblige them.
        let bad = ServiceRules {
            obliged_categories: vec![MemberCategory::Mobile],
            ..ServiceRules::default()
        };
        assert_eq!(
            obligation(MemberCategory::Mobile, false, &bad),
            Obligation::Mobile
        );
    }

    // -- Periods --------------------------------------------------------------------

    #[test]
    fn period_labels_and_codes() {
        let p = report_period(d(2024, 11, 3), 6);
        assert_eq!((p.from, p.until), (d(2024, 7, 1), d(2024, 12, 31)));
        assert_eq!((p.label.as_str(), p.code.as_str()), ("2024年下半年", "H2"));
        let p = report_period(d(2024, 6, 30), 6);
        assert_eq!((p.label.as_str(), p.code.as_str()), ("2024年上半年", "H1"));
        let p = report_period(d(2024, 8, 1), 3);
        assert_eq!((p.label.as_str(), p.code.as_str()), ("2024年第3季度", "Q3"));
        assert_eq!((p.from, p.until), (d(2024, 7, 1), d(2024, 9, 30)));
        let p = report_period(d(2024, 2, 29), 12);
        assert_eq!((p.label.as_str(), p.code.as_str()), ("2024年", "Y"));
        let p = report_period(d(2024, 11, 30), 1);
        assert_eq!((p.label.as_str(), p.code.as_str()), ("2024年11月", "M11"));
        let p = report_period(d(2024, 2, 10), 1);
        assert_eq!(p.until, d(2024, 2, 29));
        let p = report_period(d(2024, 4, 10), 2);
        assert_eq!((p.label.as_str(), p.code.as_str()), ("2024年第2期", "P2"));
        assert_eq!((p.from, p.until), (d(2024, 3, 1), d(2024, 4, 30)));
        let p = report_period(d(2024, 5, 1), 4);
        assert_eq!((p.label.as_str(), p.code.as_str()), ("2024年第2期", "P2"));
        assert_eq!((p.from, p.until), (d(2024, 5, 1), d(2024, 8, 31)));
        // A length that does not tile the year reads as the whole year.
        assert_eq!(report_period(d(2024, 5, 1), 5).code, "Y");
        assert_eq!(report_period(d(2024, 5, 1), 0).code, "Y");
        assert_eq!(codes(&periods_of_year(2024, 3)), ["Q1", "Q2", "Q3", "Q4"]);
        assert_eq!(periods_of_year(2024, 1).len(), 12);
    }

    #[test]
    fn status_in_current_period() {
        let reports = [d(2024, 4, 15), d(2024, 5, 20)];
        assert_eq!(
            report_status(None, &reports, d(2024, 5, 1), 6),
            ReportStatus::NotYetRegistered
        );
        let reg = Some(d(2024, 4, 15));
        assert_eq!(
            report_status(reg, &reports, d(2024, 6, 1), 6),
            ReportStatus::Reported { on: d(2024, 4, 15) }
        );
        assert_eq!(
            report_status(reg, &reports, d(2024, 7, 1), 6),
            ReportStatus::Due {
                by: d(2024, 12, 31)
            }
        );
        assert_eq!(
            report_status(reg, &reports, d(2024, 7, 1), 3),
            ReportStatus::Due { by: d(2024, 9, 30) }
        );
        use serde::Deserialize;
        use serde::de::value::{Error as DeError, MapDeserializer};
        let tagged = |pairs: Vec<(&'static str, &'static str)>| {
            ReportStatus::deserialize(MapDeserializer::<_, DeError>::new(pairs.into_iter()))
        };
        assert_eq!(
            tagged(vec![("state", "due"), ("by", "2024-12-31")]),
            Ok(ReportStatus::Due {
                by: d(2024, 12, 31)
            })
        );
        assert_eq!(
            tagged(vec![("state", "not_yet_registered")]),
            Ok(ReportStatus::NotYetRegistered)
        );
    }

    #[test]
    fn missed_respects_obliged_from_and_today() {
        // Became 在职 in August: H1 is not held against them.
        let missed = missed_periods(d(2024, 8, 1), &[], 2024, d(2025, 1, 5), 6);
        assert_eq!(codes(&missed), ["H2"]);
        // Obliged all year and never reported.
        let missed = missed_periods(d(2023, 3, 1), &[], 2024, d(2025, 1, 5), 6);
        assert_eq!(codes(&missed), ["H1", "H2"]);
        // Mid-year: only the ended period counts.
        let missed = missed_periods(d(2023, 3, 1), &[], 2024, d(2024, 8, 1), 3);
        assert_eq!(codes(&missed), ["Q1", "Q2"]);
        // Obliged from the last day of a period: that period still counts.
        let missed = missed_periods(d(2024, 6, 30), &[], 2024, d(2024, 7, 1), 6);
        assert_eq!(codes(&missed), ["H1"]);
        // Reports in other years do not help.
        let missed = missed_periods(d(2023, 3, 1), &[d(2023, 12, 1)], 2024, d(2025, 1, 1), 12);
        assert_eq!(codes(&missed), ["Y"]);
        assert_eq!(appraisal_cap(&[]), None);
        assert_eq!(capped(Grade::Excellent, None), Grade::Excellent);
    }

    // -- Claims ---------------------------------------------------------------------

    fn meeting() -> Busy {
        Busy {
            slot: slot(t(2026, 11, 3, 14, 0), t(2026, 11, 3, 16, 0)),
            what: "支部党员大会 11月3日 14:00".to_owned(),
        }
    }

    fn attempt(busy: &[Busy]) -> ClaimAttempt<'_> {
        ClaimAttempt {
            need_open: true,
            need_slot: slot(t(2026, 11, 3, 9, 0), t(2026, 11, 3, 11, 0)),
            people_needed: 5,
            active_claims: 2,
            already_claimed: false,
            busy,
            open_claims: 1,
            now: t(2026, 11, 1, 8, 0),
        }
    }

    #[test]
    fn claim_allowed() {
        let busy = [meeting()];
        assert_eq!(
            check_claim(&attempt(&busy), &ServiceRules::default()),
            Ok(())
        );
    }

    #[test]
    fn claim_checks_each_fire() {
        let rules = ServiceRules::default();
        let busy = [meeting()];
        let a = attempt(&busy);
        let closed = ClaimAttempt {
            need_open: false,
            ..a
        };
        assert_eq!(check_claim(&closed, &rules), Err(ServiceError::Closed));
        let ended = ClaimAttempt {
            now: a.need_slot.end,
            ..a
        };
        assert_eq!(check_claim(&ended, &rules), Err(ServiceError::Ended));
        // Under way but not over: still claimable.
        let under_way = ClaimAttempt {
            now: t(2026, 11, 3, 10, 0),
            ..a
        };
        assert_eq!(check_claim(&under_way, &rules), Ok(()));
        let again = ClaimAttempt {
            already_claimed: true,
            ..a
        };
        assert_eq!(
            check_claim(&again, &rules),
            Err(ServiceError::AlreadyClaimed)
        );
        let full = ClaimAttempt {
            active_claims: 5,
            ..a
        };
        assert_eq!(check_claim(&full, &rules), Err(ServiceError::Full));
        let over = ClaimAttempt {
            open_claims: 3,
            ..a
        };
        assert_eq!(check_claim(&over, &rules), Err(ServiceError::OverCap(3)));
        let clash = ClaimAttempt {
            need_slot: slot(t(2026, 11, 3, 15, 0), t(2026, 11, 3, 17, 0)),
            ..a
        };
        let err = check_claim(&clash, &rules).unwrap_err();
        assert_eq!(
            err,
            ServiceError::Clash("支部党员大会 11月3日 14:00".to_owned())
        );
        assert_eq!(err.to_string(), "与“支部党员大会 11月3日 14:00”时间冲突");
    }

    #[test]
    fn claim_check_order() {
        let rules = ServiceRules::default();
        let busy = [meeting()];
        let mut a = ClaimAttempt {
            need_open: false,
            need_slot: busy[0].slot,
            people_needed: 1,
            active_claims: 1,
            already_claimed: true,
            busy: &busy,
            open_claims: 3,
            now: t(2026, 11, 3, 16, 0),
        };
        let expected = [
            ServiceError::Closed,
            ServiceError::Ended,
            ServiceError::AlreadyClaimed,
            ServiceError::Full,
            ServiceError::OverCap(3),
            ServiceError::Clash("支部党员大会 11月3日 14:00".to_owned()),
        ];
        for (step, want) in expected.into_iter().enumerate() {
            assert_eq!(check_claim(&a, &rules), Err(want), "step {step}");
            match step {
                0 => a.need_open = true,
                1 => a.now = t(2026, 11, 1, 8, 0),
                2 => a.already_claimed = false,
                3 => a.people_needed = 2,
                4 => a.open_claims = 2,
                _ => a.busy = &[],
            }
        }
        assert_eq!(check_claim(&a, &rules), Ok(()));
    }

    #[test]
    fn clash_names_first_overlap_and_touching_is_fine() {
        let rules = ServiceRules::default();
        let busy = [
            Busy {
                slot: slot(t(2026, 11, 3, 7, 0), t(2026, 11, 3, 9, 0)),
                what: "早班".to_owned(),
            },
            Busy {
                slot: slot(t(2026, 11, 3, 11, 0), t(2026, 11, 3, 12, 0)),
                what: "午间".to_owned(),
            },
            Busy {
                slot: slot(t(2026, 11, 3, 10, 0), t(2026, 11, 3, 10, 30)),
                what: "党小组会 11月3日 10:00".to_owned(),
            },
            Busy {
                slot: slot(t(2026, 11, 3, 8, 30), t(2026, 11, 3, 12, 0)),
                what: "另一项认领".to_owned(),
            },
        ];
        // The need is 09:00–11:00: the first two only touch it.
        assert_eq!(check_claim(&attempt(&busy[..2]), &rules), Ok(()));
        assert_eq!(
            check_claim(&attempt(&busy), &rules),
            Err(ServiceError::Clash("党小组会 11月3日 10:00".to_owned()))
        );
        let a = slot(t(2026, 1, 1, 9, 0), t(2026, 1, 1, 10, 0));
        let b = slot(t(2026, 1, 1, 10, 0), t(2026, 1, 1, 11, 0));
        assert!(!a.overlaps(&b) && !b.overlaps(&a));
        let c = slot(t(2026, 1, 1, 9, 59), t(2026, 1, 1, 10, 1));
        assert!(a.overlaps(&c) && c.overlaps(&a) && b.overlaps(&c));
        assert!(a.overlaps(&a));
    }

    #[test]
    fn cap_follows_rules() {
        let busy = [];
        let rules = ServiceRules {
            open_claim_cap: 1,
            ..ServiceRules::default()
        };
        let err = check_claim(&attempt(&busy), &rules).unwrap_err();
        assert_eq!(err, ServiceError::OverCap(1));
        assert_eq!(
            err.to_string(),
            "同时认领的需求最多 1 项，请先完成或退出已认领的需求"
        );
    }

    // -- State machine ------------------------------------------------------------

    fn facts(state: ClaimState, checked_in: Option<NaiveDateTime>) -> ClaimFacts {
        ClaimFacts {
            state,
            checked_in,
            checked_out: None,
        }
    }

    fn wrong(from: ClaimState, action: ClaimAction) -> Result<ClaimState, ServiceError> {
        Err(ServiceError::WrongState {
            from,
            action: action.label(),
        })
    }

    #[test]
    fn claimer_steps_from_claimed() {
        use ClaimAction::*;
        let at = t(2026, 11, 3, 9, 0);
        let fresh = facts(ClaimState::Claimed, None);
        let on_site = facts(ClaimState::Claimed, Some(at));
        assert_eq!(
            next_state(&fresh, CheckIn, true, false),
            Ok(ClaimState::Claimed)
        );
        assert_eq!(
            next_state(&on_site, CheckIn, true, false),
            Err(ServiceError::AlreadyCheckedIn)
        );
        assert_eq!(
            next_state(&fresh, CheckOut, true, false),
            Err(ServiceError::NotCheckedIn)
        );
        assert_eq!(
            next_state(&on_site, CheckOut, true, false),
            Ok(ClaimState::Done)
        );
        let leaving = ClaimFacts {
            checked_out: Some(t(2026, 11, 3, 11, 0)),
            ..on_site
        };
        assert_eq!(
            next_state(&leaving, CheckOut, true, false),
            Ok(ClaimState::Done)
        );
        let same_minute = ClaimFacts {
            checked_out: Some(at),
            ..on_site
        };
        assert_eq!(
            next_state(&same_minute, CheckOut, true, false),
            Ok(ClaimState::Done)
        );
        let backwards = ClaimFacts {
            checked_out: Some(t(2026, 11, 3, 8, 59)),
            ..on_site
        };
        assert_eq!(
            next_state(&backwards, CheckOut, true, false),
            Err(ServiceError::CheckOutBeforeIn)
        );
        assert_eq!(
            next_state(&fresh, Withdraw, true, false),
            Ok(ClaimState::Withdrawn)
        );
        assert_eq!(
            next_state(&on_site, Withdraw, true, false),
            Err(ServiceError::AlreadyCheckedIn)
        );
        // The claimer can never confirm their own claim.
        assert_eq!(
            next_state(&fresh, Confirm, true, false),
            Err(ServiceError::SelfConfirm)
        );
    }

    #[test]
    fn every_action_in_every_state() {
        use ClaimAction::*;
        use ClaimState::*;
        let at = Some(t(2026, 11, 3, 9, 0));
        let out = Some(t(2026, 11, 3, 11, 0));
        let closed_states = [
            ClaimFacts {
                state: Done,
                checked_in: at,
                checked_out: out,
            },
            ClaimFacts {
                state: Confirmed,
                checked_in: at,
                checked_out: out,
            },
            facts(Withdrawn, None),
        ];
        for f in closed_states {
            for action in [CheckIn, CheckOut, Withdraw] {
                assert_eq!(next_state(&f, action, true, false), wrong(f.state, action));
                assert_eq!(
                    next_state(&f, action, false, true),
                    Err(ServiceError::NotYourClaim)
                );
                assert_eq!(
                    next_state(&f, action, false, false),
                    Err(ServiceError::NotYourClaim)
                );
            }
        }
        for f in [facts(Claimed, None), facts(Claimed, at)] {
            for action in [CheckIn, CheckOut, Withdraw] {
                assert_eq!(
                    next_state(&f, action, false, true),
                    Err(ServiceError::NotYourClaim)
                );
            }
        }
        // Confirm: only the poster, only from Done, never the claimer.
        let done = ClaimFacts {
            state: Done,
            checked_in: at,
            checked_out: out,
        };
        assert_eq!(next_state(&done, Confirm, false, true), Ok(Confirmed));
        assert_eq!(
            next_state(&done, Confirm, true, true),
            Err(ServiceError::SelfConfirm)
        );
        assert_eq!(
            next_state(&done, Confirm, true, false),
            Err(ServiceError::SelfConfirm)
        );
        assert_eq!(
            next_state(&done, Confirm, false, false),
            Err(ServiceError::NotPoster)
        );
        for f in [
            facts(Claimed, None),
            facts(Claimed, at),
            ClaimFacts {
                state: Confirmed,
                ..done
            },
            facts(Withdrawn, None),
        ] {
            assert_eq!(
                next_state(&f, Confirm, false, true),
                wrong(f.state, Confirm)
            );
            assert_eq!(
                next_state(&f, Confirm, true, true),
                Err(ServiceError::SelfConfirm)
            );
        }
    }

    #[test]
    fn messages_are_plain_chinese() {
        let e = ServiceError::WrongState {
            from: ClaimState::Confirmed,
            action: ClaimAction::Withdraw.label(),
        };
        assert_eq!(e.to_string(), "该认领当前为“已确认”，不能退出认领");
        assert_eq!(
            ServiceError::SelfConfirm.to_string(),
            "不能确认自己认领的服务"
        );
        assert_eq!(
            ServiceError::Rules("报到周期须为 1、2、3、4、6 或 12 个月".into()).to_string(),
            "报到周期须为 1、2、3、4、6 或 12 个月"
        );
        for e in [
            ServiceError::Full,
            ServiceError::Closed,
            ServiceError::AlreadyClaimed,
            ServiceError::Ended,
            ServiceError::NotYourClaim,
            ServiceError::NotPoster,
            ServiceError::AlreadyCheckedIn,
            ServiceError::NotCheckedIn,
            ServiceError::CheckOutBeforeIn,
            ServiceError::BadMinutes,
        ] {
            let s = e.to_string();
            assert!(!s.is_empty() && !s.is_ascii(), "{e:?}: {s}");
        }
    }

    // -- Hours ----------------------------------------------------------------------

    #[test]
    fn served_minutes_excludes_travel() {
        let (a, b) = (t(2026, 11, 3, 9, 0), t(2026, 11, 3, 11, 14));
        assert_eq!(served_minutes(a, b, 0), 134);
        assert_eq!(served_minutes(a, b, 20), 114);
        assert_eq!(served_minutes(a, b, 500), 0);
        assert_eq!(served_minutes(b, a, 0), 0);
        let with_seconds = d(2026, 11, 3).and_hms_opt(9, 59, 59).unwrap();
        assert_eq!(served_minutes(a, with_seconds, 0), 59);
    }

    #[test]
    fn rounding_units() {
        let default_unit = ServiceRules::default().hour_unit_minutes;
        assert_eq!(default_unit, 30);
        for (minutes, unit, want) in [
            (74, default_unit, 60),
            (89, 30, 60),
            (90, 30, 90),
            (29, 30, 0),
            (74, 15, 60),
            (75, 15, 75),
            (14, 15, 0),
            (119, 60, 60),
            (120, 60, 120),
            (59, 60, 0),
            (0, 30, 0),
            (7, 1, 7),
            (7, 0, 7),
        ] {
            assert_eq!(round_to_unit(minutes, unit), want, "{minutes} / {unit}");
        }
    }

    #[test]
    fn labels_for_hours() {
        for (minutes, want) in [
            (0, "0 小时"),
            (90, "1.5 小时"),
            (120, "2 小时"),
            (75, "1.25 小时"),
            (45, "0.75 小时"),
            (20, "0.33 小时"),
            (40, "0.66 小时"),
            (2970, "49.5 小时"),
            (3000, "50 小时"),
            (-90, "-1.5 小时"),
            (1, "0.01 小时"),
            (-1, "-0.01 小时"),
        ] {
            assert_eq!(hours_label(minutes), want, "{minutes}");
        }
        assert!(!hours_label(i64::MIN).is_empty());
    }

    #[test]
    fn targets() {
        assert_eq!(target_state(0, None), TargetState::NoTarget);
        assert_eq!(target_state(100_000, None), TargetState::NoTarget);
        assert_eq!(target_state(-30, Some(60)), TargetState::NotMet);
        assert_eq!(target_state(61, Some(60)), TargetState::Met);
    }

    // -- 微心愿 ---------------------------------------------------------------------

    #[test]
    fn seven_day_contact_rule() {
        let claimed = d(2026, 11, 1);
        assert_eq!(wish_contact_due(claimed, 7), d(2026, 11, 8));
        // Day 7 after claiming: still in time.
        assert!(!wish_claim_lapsed(claimed, None, d(2026, 11, 8), 7));
        // Day 8: lapsed.
        assert!(wish_claim_lapsed(claimed, None, d(2026, 11, 9), 7));
        assert!(!wish_claim_lapsed(claimed, None, claimed, 7));
        // Contacted: never lapses, even long after.
        for contacted in [d(2026, 11, 2), d(2026, 11, 8)] {
            for today in [d(2026, 11, 9), d(2027, 3, 1)] {
                assert!(!wish_claim_lapsed(claimed, Some(contacted), today, 7));
            }
        }
        assert_eq!(wish_contact_due(d(2026, 12, 28), 7), d(2027, 1, 4));
    }

    #[test]
    fn wish_rounds_and_carry_over() {
        let r = wish_round(d(2026, 11, 20), 1);
        assert_eq!(r.label, "2026年11月");
        assert_eq!(wish_round(d(2026, 11, 20), 3).label, "2026年第4季度");
        // Across the year boundary.
        let posted = d(2026, 11, 20);
        assert_eq!(wish_carried_rounds(posted, d(2026, 11, 30), 1), 0);
        assert_eq!(wish_carried_rounds(posted, d(2026, 12, 1), 1), 1);
        assert_eq!(wish_carried_rounds(posted, d(2027, 1, 1), 1), 2);
        assert_eq!(wish_carried_rounds(posted, d(2027, 2, 15), 1), 3);
        assert_eq!(wish_carried_rounds(posted, d(2026, 12, 31), 3), 0);
        assert_eq!(wish_carried_rounds(posted, d(2027, 1, 1), 3), 1);
        assert_eq!(wish_carried_rounds(posted, d(2027, 1, 1), 12), 1);
        assert_eq!(wish_carried_rounds(posted, d(2027, 1, 1), 6), 1);
        assert_eq!(wish_carried_rounds(posted, d(2028, 7, 1), 6), 4);
        // Clock skew: never negative.
        assert_eq!(wish_carried_rounds(posted, d(2026, 1, 1), 1), 0);
    }

    #[test]
    fn wall_order() {
        let mut wall = [
            (1, 0, d(2026, 11, 5)),
            (2, 2, d(2026, 9, 1)),
            (3, 1, d(2026, 10, 3)),
            (4, 2, d(2026, 9, 1)),
            (5, 2, d(2026, 8, 30)),
            (6, 0, d(2026, 11, 1)),
        ];
        wall.sort_by_key(|&(id, carried, posted)| wish_wall_key(carried, posted, id));
        let ids: Vec<_> = wall.iter().map(|w| w.0).collect();
        assert_eq!(ids, [5, 2, 4, 3, 6, 1]);
    }

    // -- Figures ----------------------------------------------------------------------

    #[test]
    fn figures() {
        assert_eq!(rate_permille(0, 0), None);
        assert_eq!(rate_permille(3, -1), None);
        assert_eq!(rate_permille(1, 2), Some(500));
        assert_eq!(rate_permille(2, 3), Some(667));
        assert_eq!(rate_permille(1, 3), Some(333));
        assert_eq!(rate_permille(1, 2000), Some(1));
        assert_eq!(rate_permille(1, 2001), Some(0));
        assert_eq!(rate_permille(19, 20), Some(950));
        assert_eq!(rate_permille(-1, 2000), Some(-1));
        assert_eq!(rate_permille(i64::MAX, 1), Some(i64::MAX));
        let posted = t(2026, 11, 3, 9, 0);
        assert_eq!(hours_to_fulfil(posted, t(2026, 11, 3, 10, 59)), 1);
        assert_eq!(hours_to_fulfil(posted, t(2026, 11, 5, 9, 0)), 48);
        assert_eq!(hours_to_fulfil(posted, t(2026, 11, 3, 8, 0)), 0);
    }

    // -- Rules ------------------------------------------------------------------------

    #[test]
    fn rules_validation() {
        let ok = ServiceRules::default();
        assert_eq!(ok.validate(), Ok(()));
        let msg = |r: ServiceRules| match r.validate() {
            Err(ServiceError::Rules(m)) => m,
            other => panic!("{other:?}"),
        };
        for every in [1, 2, 3, 4, 6, 12] {
            let r = ServiceRules {
                report_every_months: every,
                ..ok.clone()
            };
            assert_eq!(r.validate(), Ok(()), "{every}");
        }
        for every in [0, 5, 7, 24] {
            let r = ServiceRules {
                report_every_months: every,
                ..ok.clone()
            };
            assert_eq!(msg(r), "报到周期须为 1、2、3、4、6 或 12 个月");
        }
        let m = msg(ServiceRules {
            obliged_categories: vec![MemberCategory::InService, MemberCategory::Mobile],
            ..ok.clone()
        });
        assert!(m.contains("流动党员"), "{m}");
        assert_eq!(
            ServiceRules {
                obliged_categories: vec![],
                ..ok.clone()
            }
            .validate(),
            Ok(())
        );
        for cap in [0, 21] {
            let m = msg(ServiceRules {
                open_claim_cap: cap,
                ..ok.clone()
            });
            assert!(m.contains("同时认领上限"), "{m}");
        }
        for cap in [1, 20] {
            let r = ServiceRules {
                open_claim_cap: cap,
                ..ok.clone()
            };
            assert_eq!(r.validate(), Ok(()));
        }
        for unit in [0, 7, 45, 61, 120] {
            let m = msg(ServiceRules {
                hour_unit_minutes: unit,
                ..ok.clone()
            });
            assert!(m.contains("计量单位"), "{unit}: {m}");
        }
        for unit in [1, 5, 10, 15, 20, 30, 60] {
            let r = ServiceRules {
                hour_unit_minutes: unit,
                ..ok.clone()
            };
            assert_eq!(r.validate(), Ok(()), "{unit}");
        }
        for days in [0, 31] {
            let m = msg(ServiceRules {
                wish_contact_days: days,
                ..ok.clone()
            });
            assert!(m.contains("微心愿联系期限"), "{m}");
        }
        for months in [0, 4, 5, 24] {
            let m = msg(ServiceRules {
                wish_round_months: months,
                ..ok.clone()
            });
            assert!(m.contains("微心愿轮次"), "{months}: {m}");
        }
        for target in [0, 59, 60_001] {
            let m = msg(ServiceRules {
                hour_target_minutes: Some(target),
                ..ok.clone()
            });
            assert!(m.contains("年度服务时长目标"), "{target}: {m}");
        }
        for target in [60, 3000, 60_000] {
            let r = ServiceRules {
                hour_target_minutes: Some(target),
                ..ok.clone()
            };
            assert_eq!(r.validate(), Ok(()));
        }
    }

    #[test]
    fn enums_round_trip() {
        for &v in Obligation::ALL {
            assert_eq!(Obligation::from_code(v.code()), Some(v));
        }
        for &v in ClaimState::ALL {
            assert_eq!(ClaimState::from_label(v.label()), Some(v));
        }
        for &v in TargetState::ALL {
            assert_eq!(TargetState::from_code(v.code()), Some(v));
        }
        assert_eq!(ClaimState::Done.label(), "已完成待确认");
    }

    // -- Properties -------------------------------------------------------------------

    fn any_every() -> impl Strategy<Value = u32> {
        prop::sample::select(vec![1u32, 2, 3, 4, 6, 12])
    }

    fn any_day() -> impl Strategy<Value = NaiveDate> {
        (1990i32..2100, 0u64..366).prop_map(|(y, offset)| {
            let first = d(y, 1, 1);
            let last = d(y, 12, 31);
            first
                .checked_add_days(Days::new(offset))
                .filter(|&day| day <= last)
                .unwrap_or(last)
        })
    }

    #[test]
    fn a_meeting_recorded_on_its_day_frees_the_rest_of_it() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let at = |d: NaiveDate, h, m| d.and_hms_opt(h, m, 0).unwrap();
        let recorded_same_day = meeting_busy_slot(day, at(day, 11, 30));
        assert_eq!(recorded_same_day.start, at(day, 0, 0));
        assert_eq!(recorded_same_day.end, at(day, 11, 30));
        let afternoon = Slot {
            start: at(day, 14, 0),
            end: at(day, 16, 0),
        };
        let morning = Slot {
            start: at(day, 9, 0),
            end: at(day, 11, 0),
        };
        assert!(!recorded_same_day.overlaps(&afternoon));
        assert!(recorded_same_day.overlaps(&morning));
        // Recorded ahead of the day, or only afterwards: the whole day is held.
        let next = day.succ_opt().unwrap();
        for recorded in [at(day.pred_opt().unwrap(), 20, 0), at(next, 9, 0)] {
            let slot = meeting_busy_slot(day, recorded);
            assert_eq!((slot.start, slot.end), (at(day, 0, 0), at(next, 0, 0)));
            assert!(slot.overlaps(&afternoon));
        }
    }

    proptest! {
        #[test]
        fn a_meeting_holds_its_day_and_nothing_else(
            day_offset in 0i64..3_000,
            recorded_minutes in -5_000i64..5_000,
        ) {
            let held_on = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Duration::days(day_offset);
            let midnight = held_on.and_hms_opt(0, 0, 0).unwrap();
            let recorded = midnight + chrono::Duration::minutes(recorded_minutes);
            let slot = meeting_busy_slot(held_on, recorded);
            prop_assert_eq!(slot.start, midnight);
            prop_assert!(slot.end >= slot.start);
            prop_assert!(slot.end <= midnight + chrono::Duration::days(1));
            // Anything before the recording on that day is always covered.
            if recorded.date() == held_on {
                prop_assert_eq!(slot.end, recorded);
            }
        }

        #[test]
        fn round_to_unit_never_adds(minutes in 0u32..1_000_000, unit in 1u32..=120) {
            let r = round_to_unit(minutes, unit);
            prop_assert!(r <= minutes);
            prop_assert_eq!(r % unit, 0);
            prop_assert!(minutes - r < unit);
        }

        #[test]
        fn served_within_attendance(
            start in 0i64..10_000_000,
            len in -100_000i64..100_000,
            secs in 0i64..60,
            travel in 0u32..10_000,
        ) {
            let base = t(2020, 1, 1, 0, 0);
            let a = base + chrono::Duration::minutes(start);
            let b = a + chrono::Duration::minutes(len) + chrono::Duration::seconds(secs);
            let served = i64::from(served_minutes(a, b, travel));
            prop_assert!(served >= 0);
            prop_assert!(served * 60 <= (b - a).num_seconds().max(0));
        }

        #[test]
        fn rate_within_bounds(
            (denominator, numerator) in (1i64..1_000_000_000_000).prop_flat_map(|d| (Just(d), 0..=d)),
        ) {
            let rate = rate_permille(numerator, denominator).unwrap();
            prop_assert!((0..=1000).contains(&rate));
        }

        #[test]
        fn period_contains_day(day in any_day(), every in any_every()) {
            let p = report_period(day, every);
            prop_assert!(p.contains(day));
            prop_assert!(periods_of_year(day.year(), every).contains(&p));
        }

        #[test]
        fn periods_tile_the_year(year in 1900i32..2200, every in any_every()) {
            let periods = periods_of_year(year, every);
            prop_assert_eq!(periods.len() as u32, 12 / every);
            prop_assert_eq!(periods[0].from, d(year, 1, 1));
            prop_assert_eq!(periods.last().unwrap().until, d(year, 12, 31));
            for w in periods.windows(2) {
                prop_assert_eq!(w[0].until.succ_opt().unwrap(), w[1].from);
            }
            for p in &periods {
                prop_assert!(p.from <= p.until);
            }
        }

        #[test]
        fn carried_zero_iff_same_round(a in any_day(), b in any_day(), months in prop::sample::select(vec![1u32, 2, 3, 6, 12])) {
            let (posted, today) = if a <= b { (a, b) } else { (b, a) };
            prop_assert_eq!(wish_carried_rounds(posted, posted, months), 0);
            let carried = wish_carried_rounds(posted, today, months);
            let same = wish_round(posted, months) == wish_round(today, months);
            prop_assert_eq!(carried == 0, same);
        }
    }
}
