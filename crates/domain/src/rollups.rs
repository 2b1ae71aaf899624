//! What each record adds to the figures of the org tree (DESIGN.md, "Time, history and
//! roll-ups"). Every figure a dashboard, a report or a roll-up shows is a sum of
//! contributions: a member adds 1 to the members of their branch, a paid month adds its amount
//! to the collection of the branch that held the member that month, a closed call adds 1 to
//! its community's closures. The store keeps the sums per org node and period and moves them by
//! the difference between a record's contributions before and after each write; a rebuild sums
//! the contributions of every record, and a verification compares the two. Because all three
//! read the same functions below, they cannot disagree about what a figure means.
//!
//! A contribution names the org it belongs to directly (a branch, or a call's community); the
//! store adds it to that org and every ancestor.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::dates::years_since;
use crate::dues::Fen;
use crate::dues_ledger::{AmountChange, FixingRule, Month, amount_due};
use crate::membership::{Span, branch_of_month, branch_on};
use crate::orglife::{Cell, Institution, Rag, Status, rag};

pub const RULE_VERSION: &str = "rollups-2026.1";

/// The period of the figures that describe the register as it stands now.
pub const NOW: &str = "now";

/// One addition to one figure of one org.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Contribution {
    pub org_id: i64,
    /// [`NOW`], a month (`2026-11`) or a year (`2026`).
    pub period: String,
    pub metric: String,
    pub value: i64,
}

/// Figures keyed by (org, period, metric).
pub type Totals = HashMap<(i64, String, String), i64>;

/// Adds contributions into totals, with a sign (+1 after a write, -1 for what it replaced).
pub fn add_into(totals: &mut Totals, contributions: &[Contribution], sign: i64) {
    for c in contributions {
        *totals
            .entry((c.org_id, c.period.clone(), c.metric.clone()))
            .or_insert(0) += sign * c.value;
    }
}

/// What changes when `before` becomes `after`: only figures that moved, with their difference.
pub fn difference(before: &[Contribution], after: &[Contribution]) -> Vec<Contribution> {
    let mut totals = Totals::new();
    add_into(&mut totals, after, 1);
    add_into(&mut totals, before, -1);
    let mut out: Vec<Contribution> = totals
        .into_iter()
        .filter(|(_, v)| *v != 0)
        .map(|((org_id, period, metric), value)| Contribution {
            org_id,
            period,
            metric,
            value,
        })
        .collect();
    out.sort();
    out
}

/// When the figures are taken: `today`, the months kept month by month (from January of last
/// year to this month, so a year's trend and last year's comparison are always there), and the
/// instance's dues fixing rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupContext {
    pub today: NaiveDate,
    pub fixing: FixingRule,
}

impl RollupContext {
    /// The first day of this month: ages and 党龄 are counted as of it, so they stay the same
    /// all month and move on the 1st, when the figures are taken afresh.
    pub fn as_of(&self) -> NaiveDate {
        Month::of(self.today).first_day()
    }

    pub fn this_month(&self) -> Month {
        Month::of(self.today)
    }

    /// Every month kept: January of last year to this month.
    pub fn months(&self) -> Vec<Month> {
        let this = self.this_month();
        Month {
            year: this.year - 1,
            month: 1,
        }
        .through(this)
        .collect()
    }

    pub fn first_month(&self) -> Month {
        Month {
            year: self.this_month().year - 1,
            month: 1,
        }
    }
}

// ---------------------------------------------------------------------------
// Members and dues

/// A dues base as the figures need it: from which month, how much, and from which month it
/// was on record (a base entered in November for January leaves February–October 未核定).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BaseFact {
    pub effective: Month,
    pub monthly: Fen,
    pub assessed_from: Month,
}

/// Everything about one member that the figures read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberFacts {
    pub branch_id: i64,
    pub gender: String,
    pub category: String,
    pub status: String,
    pub birth_date: NaiveDate,
    pub admitted_on: NaiveDate,
    pub full_on: Option<NaiveDate>,
    pub lost_contact: bool,
    pub pocket: bool,
    /// Left the roll (transferred out, removed): no figure of today counts them; the months
    /// their branches held them still do, through the spans.
    pub left: bool,
    pub education: Option<String>,
    pub spans: Vec<Span>,
    pub bases: Vec<BaseFact>,
    /// Months paid, with the amount.
    pub paid: Vec<(Month, Fen)>,
    /// Approved waivers, inclusive.
    pub waivers: Vec<(Month, Month)>,
}

/// Age bands of the 党内统计 kind, by completed years on the as-of day.
pub const AGE_BANDS: &[(&str, &str, u32, u32)] = &[
    ("le30", "30岁及以下", 0, 30),
    ("31_35", "31–35岁", 31, 35),
    ("36_45", "36–45岁", 36, 45),
    ("46_55", "46–55岁", 46, 55),
    ("56_60", "56–60岁", 56, 60),
    ("61_70", "61–70岁", 61, 70),
    ("71_80", "71–80岁", 71, 80),
    ("ge81", "81岁及以上", 81, u32::MAX),
];

/// 党龄 bands: completed years since 转正 (DOMAIN.md §9: 党龄 runs from becoming 正式).
pub const PARTY_AGE_BANDS: &[(&str, &str, u32, u32)] = &[
    ("lt5", "不满5年", 0, 4),
    ("5_9", "5–9年", 5, 9),
    ("10_19", "10–19年", 10, 19),
    ("20_29", "20–29年", 20, 29),
    ("30_39", "30–39年", 30, 39),
    ("40_49", "40–49年", 40, 49),
    ("ge50", "50年及以上", 50, u32::MAX),
];

fn band(bands: &[(&'static str, &str, u32, u32)], years: u32) -> &'static str {
    bands
        .iter()
        .find(|(_, _, lo, hi)| (*lo..=*hi).contains(&years))
        .map_or("", |b| b.0)
}

/// The age band of someone born on `birth`, on `as_of`.
pub fn age_band(birth: NaiveDate, as_of: NaiveDate) -> &'static str {
    band(AGE_BANDS, years_since(birth, as_of))
}

/// The 党龄 band of a 正式党员 with the given 转正日期, on `as_of`: `probationary` for a
/// 预备党员, `unknown` for a 正式党员 whose date is missing.
pub fn party_age_band(status: &str, full_on: Option<NaiveDate>, as_of: NaiveDate) -> &'static str {
    match (status, full_on) {
        ("full", Some(f)) if f <= as_of => band(PARTY_AGE_BANDS, years_since(f, as_of)),
        ("full", None) => "unknown",
        _ => "probationary",
    }
}

/// Whether the member was 正式 on `day`: recorded as 正式, and 转正 by then (a missing date
/// counts as before any day, DOMAIN.md §2.1 and issue 10: the date is missing, not the status).
pub fn formal_on(status: &str, full_on: Option<NaiveDate>, day: NaiveDate) -> bool {
    status == "full" && full_on.is_none_or(|f| f <= day)
}

/// How a month of dues stands for one member, for the figures: DOMAIN.md §1.3–1.4 with the
/// 未核定 rule (no base on record for the month yet: nothing is owed, nothing is in arrears).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuesMonth {
    Paid { due: Option<Fen>, paid: Fen },
    Waived,
    Unpaid { due: Fen },
    Unassessed,
}

/// Whether a base was on record for `month`: one in force then, entered by then.
pub fn assessed(bases: &[BaseFact], month: Month) -> bool {
    bases
        .iter()
        .any(|b| b.effective <= month && b.assessed_from <= month)
}

/// The state of one month of one member's dues.
pub fn dues_month(facts: &MemberFacts, month: Month, fixing: FixingRule) -> DuesMonth {
    let changes: Vec<AmountChange> = facts
        .bases
        .iter()
        .map(|b| AmountChange {
            effective: b.effective,
            monthly: b.monthly,
        })
        .collect();
    let due = amount_due(&changes, month, fixing);
    let paid = facts
        .paid
        .iter()
        .find(|(m, _)| *m == month)
        .map(|(_, paid)| *paid);
    let waived = facts
        .waivers
        .iter()
        .any(|(from, to)| *from <= month && month <= *to);
    month_state(due, assessed(&facts.bases, month), paid, waived)
}

/// The state of a month from its facts: a payment counts whatever else holds; then a waiver;
/// then an amount due counts as unpaid only if a base was on record for the month (未核定
/// otherwise) and is above zero (a zero amount is a full exemption, DOMAIN.md §1.3). The
/// monthly notice and the figures both classify through this, so their totals agree.
pub fn month_state(due: Option<Fen>, assessed: bool, paid: Option<Fen>, waived: bool) -> DuesMonth {
    if let Some(paid) = paid {
        return DuesMonth::Paid { due, paid };
    }
    if waived {
        return DuesMonth::Waived;
    }
    match due {
        Some(due) if assessed && due.0 > 0 => DuesMonth::Unpaid { due },
        Some(_) if assessed => DuesMonth::Waived,
        _ => DuesMonth::Unassessed,
    }
}

/// Everything one member adds to the figures.
///
/// - Now (the member's current branch): `members`, `status.*`, `category.*`, `gender.*`,
///   `age.*`, `party_age.*`, `education.*`, `flag.lost_contact`, `flag.pocket`,
///   `flag.incomplete` (a 正式党员 without 转正日期).
/// - Each month kept, for the branch that held the member on its first day (DOMAIN.md §8):
///   `m.members`, `m.formal`, `m.probationary`; and `m.admitted` for the month of admission.
/// - Each month kept up to this one, for the branch the month belongs to
///   (`membership::branch_of_month`, DOMAIN.md §1.3): `dues.owed`, `dues.expected_fen`,
///   `dues.paid`, `dues.collected_fen`, `dues.unpaid`, `dues.unpaid_fen`, `dues.waived`,
///   `dues.unassessed`.
pub fn member_contributions(facts: &MemberFacts, ctx: &RollupContext) -> Vec<Contribution> {
    let mut out = Vec::new();
    let mut put = |org_id: i64, period: &str, metric: String, value: i64| {
        if value != 0 {
            out.push(Contribution {
                org_id,
                period: period.to_string(),
                metric,
                value,
            });
        }
    };
    let as_of = ctx.as_of();
    let branch = facts.branch_id;
    // A member who left is on no branch's roll today; the months before still count below.
    if !facts.left {
        put(branch, NOW, "members".into(), 1);
        put(branch, NOW, format!("status.{}", facts.status), 1);
        put(branch, NOW, format!("category.{}", facts.category), 1);
        put(branch, NOW, format!("gender.{}", facts.gender), 1);
        put(
            branch,
            NOW,
            format!("age.{}", age_band(facts.birth_date, as_of)),
            1,
        );
        put(
            branch,
            NOW,
            format!(
                "party_age.{}",
                party_age_band(&facts.status, facts.full_on, as_of)
            ),
            1,
        );
        put(
            branch,
            NOW,
            format!(
                "education.{}",
                facts.education.as_deref().unwrap_or("unknown")
            ),
            1,
        );
        put(
            branch,
            NOW,
            "flag.lost_contact".into(),
            i64::from(facts.lost_contact),
        );
        put(branch, NOW, "flag.pocket".into(), i64::from(facts.pocket));
        put(
            branch,
            NOW,
            "flag.incomplete".into(),
            i64::from(facts.status == "full" && facts.full_on.is_none()),
        );
    }

    for month in ctx.months() {
        let period = month.to_string();
        let first = month.first_day();
        if let Some(held_by) = branch_on(&facts.spans, first) {
            put(held_by, &period, "m.members".into(), 1);
            let formal = formal_on(&facts.status, facts.full_on, first);
            put(
                held_by,
                &period,
                if formal { "m.formal" } else { "m.probationary" }.into(),
                1,
            );
        }
        let Some(month_branch) = branch_of_month(&facts.spans, month) else {
            continue;
        };
        if Month::of(facts.admitted_on) == month {
            put(month_branch, &period, "m.admitted".into(), 1);
        }
        match dues_month(facts, month, ctx.fixing) {
            DuesMonth::Paid { due, paid } => {
                put(month_branch, &period, "dues.owed".into(), 1);
                put(
                    month_branch,
                    &period,
                    "dues.expected_fen".into(),
                    due.unwrap_or(paid).0,
                );
                put(month_branch, &period, "dues.paid".into(), 1);
                put(month_branch, &period, "dues.collected_fen".into(), paid.0);
            }
            DuesMonth::Unpaid { due } => {
                put(month_branch, &period, "dues.owed".into(), 1);
                put(month_branch, &period, "dues.expected_fen".into(), due.0);
                put(month_branch, &period, "dues.unpaid".into(), 1);
                put(month_branch, &period, "dues.unpaid_fen".into(), due.0);
            }
            DuesMonth::Waived => put(month_branch, &period, "dues.waived".into(), 1),
            DuesMonth::Unassessed => put(month_branch, &period, "dues.unassessed".into(), 1),
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Residents' calls

/// What one call adds: for its community (or street) and the month it was made, `calls.received`,
/// and once answered `calls.closed`, `calls.on_time`, `calls.close_minutes` (working minutes, for
/// the mean), and once rated `calls.rated`, `calls.satisfied`. The counting rules are those of
/// `calls::figures` (a merged duplicate counts nowhere), applied to the one call.
pub fn call_contributions(
    org_id: i64,
    submitted: Month,
    figures: &crate::calls::Figures,
) -> Vec<Contribution> {
    let period = submitted.to_string();
    let minutes = figures.average_minutes_to_close.unwrap_or(0);
    [
        ("calls.received", figures.received as i64),
        ("calls.closed", figures.closed as i64),
        ("calls.on_time", figures.closed_on_time as i64),
        ("calls.close_minutes", minutes),
        ("calls.rated", figures.rated as i64),
        ("calls.satisfied", figures.satisfied as i64),
    ]
    .into_iter()
    .filter(|(_, v)| *v != 0)
    .map(|(metric, value)| Contribution {
        org_id,
        period: period.clone(),
        metric: metric.into(),
        value,
    })
    .collect()
}

// ---------------------------------------------------------------------------
// 一呼百应 volunteer service (DOMAIN.md §10)

/// A registration (报到) as the figures see it. Only a registration the community confirmed and
/// that has not ended counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationFigures {
    pub community_id: i64,
    /// The unit branch that held the member when they registered.
    pub branch_id: i64,
    pub live: bool,
    /// Reported in the reporting period that contains the figures' day (§10.4).
    pub reported_this_period: bool,
}

/// What one registration adds, for the register as it stands now: to its community
/// `service.registered` and `service.reported`, to the member's unit `service.unit_registered`
/// and `service.unit_reported` (a unit's reporting rate is the last over its members who must
/// report).
pub fn registration_contributions(r: &RegistrationFigures) -> Vec<Contribution> {
    if !r.live {
        return Vec::new();
    }
    let reported = i64::from(r.reported_this_period);
    [
        (r.community_id, "service.registered", 1),
        (r.community_id, "service.reported", reported),
        (r.branch_id, "service.unit_registered", 1),
        (r.branch_id, "service.unit_reported", reported),
    ]
    .into_iter()
    .filter(|(_, _, v)| *v != 0)
    .map(|(org_id, metric, value)| Contribution {
        org_id,
        period: NOW.into(),
        metric: metric.into(),
        value,
    })
    .collect()
}

/// A need as the figures see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedFigures {
    pub community_id: i64,
    pub posted: Month,
    pub cancelled: bool,
    /// Some member holds or held a claim on it.
    pub claimed: bool,
    /// Whole hours from posting to the first confirmed service, once there is one.
    pub hours_to_fulfil: Option<i64>,
}

/// What one need adds, for its community and the month it was posted: `service.needs`,
/// `service.needs_claimed`, `service.needs_fulfilled` and `service.fulfil_hours` (for the mean
/// time to fulfil). A need withdrawn before anyone claimed it counts nowhere.
pub fn need_contributions(n: &NeedFigures) -> Vec<Contribution> {
    if n.cancelled && !n.claimed {
        return Vec::new();
    }
    let period = n.posted.to_string();
    [
        ("service.needs", 1),
        ("service.needs_claimed", i64::from(n.claimed)),
        (
            "service.needs_fulfilled",
            i64::from(n.hours_to_fulfil.is_some()),
        ),
        ("service.fulfil_hours", n.hours_to_fulfil.unwrap_or(0)),
    ]
    .into_iter()
    .filter(|(_, v)| *v != 0)
    .map(|(metric, value)| Contribution {
        org_id: n.community_id,
        period: period.clone(),
        metric: metric.into(),
        value,
    })
    .collect()
}

/// A claim as the figures see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimFigures {
    pub community_id: i64,
    /// The member's branch when they claimed.
    pub branch_id: i64,
    pub year: i32,
    /// Set once the posting unit confirmed the hours.
    pub confirmed_minutes: Option<i64>,
}

/// What one confirmed claim adds for the year it was served: to the community where it was
/// served `service.minutes` and `service.services`, to the member's branch `service.unit_minutes`
/// and `service.unit_services`.
pub fn claim_contributions(c: &ClaimFigures) -> Vec<Contribution> {
    let Some(minutes) = c.confirmed_minutes else {
        return Vec::new();
    };
    let period = c.year.to_string();
    [
        (c.community_id, "service.minutes", minutes),
        (c.community_id, "service.services", 1),
        (c.branch_id, "service.unit_minutes", minutes),
        (c.branch_id, "service.unit_services", 1),
    ]
    .into_iter()
    .filter(|(_, _, v)| *v != 0)
    .map(|(org_id, metric, value)| Contribution {
        org_id,
        period: period.clone(),
        metric: metric.into(),
        value,
    })
    .collect()
}

/// A 微心愿 as the figures see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WishFigures {
    pub community_id: i64,
    pub posted: Month,
    pub withdrawn: bool,
    pub fulfilled: bool,
}

/// What one wish adds, for its community and the month it was posted: `wishes.posted` and
/// `wishes.fulfilled`.
pub fn wish_contributions(w: &WishFigures) -> Vec<Contribution> {
    if w.withdrawn {
        return Vec::new();
    }
    [
        ("wishes.posted", 1),
        ("wishes.fulfilled", i64::from(w.fulfilled)),
    ]
    .into_iter()
    .filter(|(_, v)| *v != 0)
    .map(|(metric, value)| Contribution {
        org_id: w.community_id,
        period: w.posted.to_string(),
        metric: metric.into(),
        value,
    })
    .collect()
}

// ---------------------------------------------------------------------------
// Organisational life

/// What one branch's ledger for `year` adds (DOMAIN.md §2, 台账):
/// - for the year: `orglife.branches`, the branch's light `orglife.red|amber|green` (by
///   `orglife::rag`), `orglife.met` and `orglife.settled` (met or missing: the completion rate's
///   parts, as `orglife::compliance_rate_permille` counts them), `orglife.missing`, and the same
///   three per institution (`orglife.met.{institution}` …);
/// - for each month up to this one, the cells whose period ended in it: `orglife.met`,
///   `orglife.settled`, `orglife.missing` (the monthly trend).
pub fn ledger_contributions(
    branch_id: i64,
    year: i32,
    cells: &[Cell],
    this_month: Month,
) -> Vec<Contribution> {
    let mut totals = Totals::new();
    let mut put = |period: String, metric: String, value: i64| {
        if value != 0 {
            *totals.entry((branch_id, period, metric)).or_insert(0) += value;
        }
    };
    let year_key = year.to_string();
    put(year_key.clone(), "orglife.branches".into(), 1);
    let light = match rag(cells) {
        Rag::Red => "red",
        Rag::Amber => "amber",
        Rag::Green => "green",
    };
    put(year_key.clone(), format!("orglife.{light}"), 1);
    for cell in cells {
        let (met, missing) = match cell.status {
            Status::Met => (1, 0),
            Status::Missing => (0, 1),
            _ => continue,
        };
        let inst = institution_key(cell.institution);
        for suffix in ["".to_string(), format!(".{inst}")] {
            put(year_key.clone(), format!("orglife.met{suffix}"), met);
            put(year_key.clone(), format!("orglife.settled{suffix}"), 1);
            put(
                year_key.clone(),
                format!("orglife.missing{suffix}"),
                missing,
            );
        }
        let ended = Month::of(cell.period.end());
        if ended <= this_month {
            let month = ended.to_string();
            put(month.clone(), "orglife.met".into(), met);
            put(month.clone(), "orglife.settled".into(), 1);
            put(month, "orglife.missing".into(), missing);
        }
    }
    let mut out: Vec<Contribution> = totals
        .into_iter()
        .map(|((org_id, period, metric), value)| Contribution {
            org_id,
            period,
            metric,
            value,
        })
        .collect();
    out.sort();
    out
}

fn institution_key(i: Institution) -> &'static str {
    i.code()
}

/// A completion or collection rate in per mille, half up, from a figure's parts; `None` with
/// nothing to count.
pub fn rate_permille(part: i64, whole: i64) -> Option<u32> {
    (whole > 0 && part >= 0).then(|| {
        let rate = (part as i128 * 2000 + whole as i128) / (whole as i128 * 2);
        u32::try_from(rate).unwrap_or(u32::MAX)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::membership::{MembershipReason, first_span, move_to};
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn ctx() -> RollupContext {
        RollupContext {
            today: d(2026, 11, 29),
            fixing: FixingRule::Yearly,
        }
    }

    fn facts() -> MemberFacts {
        MemberFacts {
            branch_id: 10,
            gender: "female".into(),
            category: "retired".into(),
            status: "full".into(),
            birth_date: d(1950, 12, 15),
            admitted_on: d(1975, 7, 1),
            full_on: Some(d(1976, 7, 1)),
            lost_contact: false,
            pocket: false,
            left: false,
            education: None,
            spans: first_span(10, d(1975, 7, 1)),
            bases: vec![],
            paid: vec![],
            waivers: vec![],
        }
    }

    fn value(cs: &[Contribution], org: i64, period: &str, metric: &str) -> i64 {
        cs.iter()
            .filter(|c| c.org_id == org && c.period == period && c.metric == metric)
            .map(|c| c.value)
            .sum()
    }

    #[test]
    fn bands_count_completed_years_on_the_first_of_the_month() {
        // Turns 76 on 15 December: still 75 on 1 December, so 71–80 either way; on the
        // boundary of 80/81 the day matters.
        assert_eq!(age_band(d(1950, 12, 15), d(2026, 11, 1)), "71_80");
        assert_eq!(age_band(d(1945, 11, 2), d(2026, 11, 1)), "71_80");
        assert_eq!(age_band(d(1945, 11, 1), d(2026, 11, 1)), "ge81");
        assert_eq!(age_band(d(1996, 11, 1), d(2026, 11, 1)), "le30");
        assert_eq!(
            party_age_band("full", Some(d(1976, 7, 1)), d(2026, 11, 1)),
            "ge50"
        );
        assert_eq!(party_age_band("full", None, d(2026, 11, 1)), "unknown");
        assert_eq!(
            party_age_band("probationary", None, d(2026, 11, 1)),
            "probationary"
        );
    }

    #[test]
    fn a_member_counts_now_in_their_branch_and_each_month_where_they_were() {
        let mut f = facts();
        f.spans = move_to(
            &f.spans,
            20,
            d(2026, 3, 15),
            MembershipReason::Transfer,
            d(2026, 11, 29),
        )
        .unwrap();
        f.branch_id = 20;
        let cs = member_contributions(&f, &ctx());
        assert_eq!(value(&cs, 20, NOW, "members"), 1);
        assert_eq!(value(&cs, 10, NOW, "members"), 0);
        assert_eq!(
            value(&cs, 10, "2026-03", "m.members"),
            1,
            "March began in branch 10"
        );
        assert_eq!(value(&cs, 20, "2026-04", "m.members"), 1);
        assert_eq!(value(&cs, 10, "2025-01", "m.formal"), 1);
        assert_eq!(value(&cs, 20, NOW, "age.71_80"), 1);
    }

    #[test]
    fn dues_months_before_a_base_was_on_record_are_unassessed_not_unpaid() {
        let mut f = facts();
        f.bases = vec![BaseFact {
            effective: Month::new(2026, 1).unwrap(),
            monthly: Fen(2000),
            assessed_from: Month::new(2026, 10).unwrap(),
        }];
        f.paid = vec![(Month::new(2026, 10).unwrap(), Fen(2000))];
        let cs = member_contributions(&f, &ctx());
        assert_eq!(value(&cs, 10, "2026-09", "dues.unassessed"), 1);
        assert_eq!(value(&cs, 10, "2026-09", "dues.unpaid"), 0);
        assert_eq!(value(&cs, 10, "2026-10", "dues.collected_fen"), 2000);
        assert_eq!(value(&cs, 10, "2026-11", "dues.unpaid"), 1);
        assert_eq!(value(&cs, 10, "2026-11", "dues.unpaid_fen"), 2000);
        assert_eq!(
            value(&cs, 10, "2026-12", "dues.owed"),
            0,
            "no future months"
        );
    }

    #[test]
    fn a_transfer_takes_the_dues_of_its_month_only_from_the_next_month() {
        let mut f = facts();
        f.bases = vec![BaseFact {
            effective: Month::new(2025, 1).unwrap(),
            monthly: Fen(2000),
            assessed_from: Month::new(2025, 1).unwrap(),
        }];
        f.spans = move_to(
            &f.spans,
            20,
            d(2026, 3, 15),
            MembershipReason::Transfer,
            d(2026, 11, 29),
        )
        .unwrap();
        let cs = member_contributions(&f, &ctx());
        assert_eq!(value(&cs, 10, "2026-03", "dues.owed"), 1);
        assert_eq!(value(&cs, 20, "2026-04", "dues.owed"), 1);
        assert_eq!(value(&cs, 20, "2026-03", "dues.owed"), 0);
    }

    #[test]
    fn differences_keep_only_what_moved() {
        let a = member_contributions(&facts(), &ctx());
        let mut moved = facts();
        moved.lost_contact = true;
        let b = member_contributions(&moved, &ctx());
        assert_eq!(
            difference(&a, &b),
            vec![Contribution {
                org_id: 10,
                period: NOW.into(),
                metric: "flag.lost_contact".into(),
                value: 1
            }]
        );
        assert!(difference(&a, &a).is_empty());
    }

    #[test]
    fn rates_round_half_up() {
        assert_eq!(rate_permille(1, 3), Some(333));
        assert_eq!(rate_permille(2, 3), Some(667));
        assert_eq!(rate_permille(0, 0), None);
    }

    proptest! {
        /// Applying the difference to the totals of `before` gives the totals of `after`.
        #[test]
        fn a_difference_carries_one_set_of_totals_to_the_other(
            lost in any::<bool>(), pocket in any::<bool>(), moved_days in 1i64..3000,
            paid_months in proptest::collection::vec(1u32..=11, 0..6),
        ) {
            let before = facts();
            let mut after = facts();
            after.lost_contact = lost;
            after.pocket = pocket;
            after.spans = move_to(&after.spans, 20, d(2018, 1, 1) + chrono::Duration::days(moved_days), MembershipReason::Transfer, d(2026, 11, 29)).unwrap();
            after.branch_id = 20;
            after.bases = vec![BaseFact { effective: Month::new(2025, 1).unwrap(), monthly: Fen(500), assessed_from: Month::new(2025, 1).unwrap() }];
            after.paid = paid_months.iter().map(|m| (Month::new(2026, *m).unwrap(), Fen(500))).collect();
            let (b, a) = (member_contributions(&before, &ctx()), member_contributions(&after, &ctx()));
            let mut totals = Totals::new();
            add_into(&mut totals, &b, 1);
            add_into(&mut totals, &difference(&b, &a), 1);
            totals.retain(|_, v| *v != 0);
            let mut expected = Totals::new();
            add_into(&mut expected, &a, 1);
            expected.retain(|_, v| *v != 0);
            prop_assert_eq!(totals, expected);
        }
    }
}
