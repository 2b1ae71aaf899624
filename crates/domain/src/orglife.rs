//! Organisational life (组织生活): which meetings a branch owes in each period,
//! the 台账 that sets them against the meetings actually held, and the quorum
//! and vote arithmetic of a 党员大会.
//!
//! The default rule set is the 组织生活路线图 the district has used since 2015:
//! the frequencies of 支部工作条例(试行) 2018 (DOMAIN.md §2), plus the local
//! quarterly 党课. No clock: callers pass `today`, so a ledger recomputed later
//! for the same day gives the same answer.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::enums::code_enum;

/// Version of the organisational-life rules: 支部工作条例(试行) 2018 frequencies
/// with the local quarterly 党课, and the §2.1 vote thresholds. Store it with
/// every saved ledger or vote result.
pub const RULE_VERSION: &str = "orglife-2018.1";

/// A branch sets up a 支委会 only from this many 正式党员. DOMAIN.md §4.
pub const COMMITTEE_MIN_FORMAL_MEMBERS: u32 = 7;

// ---------------------------------------------------------------------------
// Vocabulary

code_enum! {
    /// An institution of organisational life (三会一课 and the rest).
    /// DOMAIN.md §2 and Glossary (三会一课, 主题党日, 组织生活会, ...).
    pub enum Institution {
        BranchGeneralMeeting => ("branch_general_meeting", "支部党员大会", "党员大会", "支部大会"),
        BranchCommitteeMeeting => ("branch_committee_meeting", "支委会", "支部委员会会议"),
        PartyGroupMeeting => ("party_group_meeting", "党小组会"),
        PartyLecture => ("party_lecture", "党课"),
        ThemedPartyDay => ("themed_party_day", "主题党日"),
        OrgLifeMeeting => ("org_life_meeting", "组织生活会"),
        DemocraticAppraisal => ("democratic_appraisal", "民主评议党员", "民主评议"),
        HeartToHeartTalk => ("heart_to_heart_talk", "谈心谈话"),
    }
}

code_enum! {
    /// How often an institution falls due. DOMAIN.md §2.
    pub enum Frequency {
        Monthly => ("monthly", "每月"),
        Quarterly => ("quarterly", "每季度"),
        Yearly => ("yearly", "每年"),
    }
}

impl Frequency {
    /// Number of periods of this frequency in a calendar year. DOMAIN.md §2.
    pub fn periods_in_year(self) -> u32 {
        match self {
            Self::Monthly => 12,
            Self::Quarterly => 4,
            Self::Yearly => 1,
        }
    }

    /// Word used in notes ("本月不作要求").
    fn this_period(self) -> &'static str {
        match self {
            Self::Monthly => "本月",
            Self::Quarterly => "本季度",
            Self::Yearly => "本年度",
        }
    }
}

// ---------------------------------------------------------------------------
// Rules

/// One obligation: at least `min_per_period` meetings of `institution` in each
/// period of `frequency`. DOMAIN.md §2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Rule {
    pub institution: Institution,
    pub frequency: Frequency,
    pub min_per_period: u32,
    /// Owed only while the branch has a 支委会 (≥7 正式党员). DOMAIN.md §4.
    pub needs_committee: bool,
    /// Owed only if the branch has 党小组. DOMAIN.md §2, §4 (党小组).
    pub needs_party_group: bool,
}

/// A named, versioned set of rules; the version is stored with each ledger so
/// an old ledger can be explained after the rules change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RuleSet {
    pub version: String,
    pub rules: Vec<Rule>,
}

impl RuleSet {
    /// The first rule for `institution`, if the set has one.
    pub fn rule(&self, institution: Institution) -> Option<&Rule> {
        self.rules.iter().find(|r| r.institution == institution)
    }
}

/// The rules for an ordinary 党支部, in [`Institution::ALL`] order.
/// DOMAIN.md §2 (条例 Art11–Art19):
/// - 支部党员大会: quarterly, ≥1 (Art11 \[C\]).
/// - 支委会: monthly, ≥1, only with a committee (Art12 \[C\], §4).
/// - 党小组会: monthly, ≥1, only with 党小组 (Art13 \[C\]).
/// - 党课: quarterly, ≥1. Local practice \[L\]: the 条例 itself only asks
///   leading cadres to lecture regularly (Art16).
/// - 主题党日: monthly, ≥1 (Art16 \[C\]).
/// - 组织生活会, 民主评议党员, 谈心谈话: yearly, ≥1 (Art17–Art19 \[C\]).
pub fn default_branch_rules() -> RuleSet {
    use Frequency::{Monthly, Quarterly, Yearly};
    use Institution::*;
    let rule = |institution, frequency| Rule {
        institution,
        frequency,
        min_per_period: 1,
        needs_committee: false,
        needs_party_group: false,
    };
    RuleSet {
        version: RULE_VERSION.to_string(),
        rules: vec![
            rule(BranchGeneralMeeting, Quarterly),
            Rule {
                needs_committee: true,
                ..rule(BranchCommitteeMeeting, Monthly)
            },
            Rule {
                needs_party_group: true,
                ..rule(PartyGroupMeeting, Monthly)
            },
            rule(PartyLecture, Quarterly),
            rule(ThemedPartyDay, Monthly),
            rule(OrgLifeMeeting, Yearly),
            rule(DemocraticAppraisal, Yearly),
            rule(HeartToHeartTalk, Yearly),
        ],
    }
}

// ---------------------------------------------------------------------------
// Periods

/// A calendar month, quarter or year. `index` is the month (1–12), the quarter
/// (1–4), or 1 for a year. Calendar periods, not rolling ones, because the
/// 条例's "每月 / 每季度 / 每年" are read against the calendar in inspections.
/// DOMAIN.md §2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Period {
    pub frequency: Frequency,
    pub year: i32,
    pub index: u32,
}

impl Period {
    /// A period, if `index` fits the frequency and the year is within chrono's
    /// range. The fields are public for storage; use this to build from input.
    pub fn new(frequency: Frequency, year: i32, index: u32) -> Option<Period> {
        let fits = (1..=frequency.periods_in_year()).contains(&index);
        let in_range = NaiveDate::from_ymd_opt(year, 1, 1).is_some()
            && NaiveDate::from_ymd_opt(year, 12, 31).is_some();
        (fits && in_range).then_some(Period {
            frequency,
            year,
            index,
        })
    }

    /// The period of `frequency` that contains `date`.
    pub fn containing(frequency: Frequency, date: NaiveDate) -> Period {
        let index = match frequency {
            Frequency::Monthly => date.month(),
            Frequency::Quarterly => date.month0() / 3 + 1,
            Frequency::Yearly => 1,
        };
        Period {
            frequency,
            year: date.year(),
            index,
        }
    }

    fn first_month(self) -> u32 {
        match self.frequency {
            Frequency::Monthly => self.index,
            Frequency::Quarterly => self.index * 3 - 2,
            Frequency::Yearly => 1,
        }
    }

    fn last_month(self) -> u32 {
        match self.frequency {
            Frequency::Monthly => self.index,
            Frequency::Quarterly => self.index * 3,
            Frequency::Yearly => 12,
        }
    }

    /// First day of the period.
    ///
    /// # Panics
    /// If the period is not one [`Period::new`] would accept.
    pub fn start(self) -> NaiveDate {
        self.assert_valid();
        NaiveDate::from_ymd_opt(self.year, self.first_month(), 1).expect("valid period")
    }

    /// Last day of the period, inclusive (29 February in leap years).
    ///
    /// # Panics
    /// If the period is not one [`Period::new`] would accept.
    pub fn end(self) -> NaiveDate {
        self.assert_valid();
        last_day_of_month(self.year, self.last_month())
    }

    /// Whether `date` falls in the period.
    pub fn contains(self, date: NaiveDate) -> bool {
        self.start() <= date && date <= self.end()
    }

    /// Chinese label: "2026年3月", "2026年第1季度", "2026年".
    pub fn label(self) -> String {
        match self.frequency {
            Frequency::Monthly => format!("{}年{}月", self.year, self.index),
            Frequency::Quarterly => format!("{}年第{}季度", self.year, self.index),
            Frequency::Yearly => format!("{}年", self.year),
        }
    }

    /// Catches hand-built or deserialised periods with an impossible index,
    /// which would otherwise silently name a different month.
    fn assert_valid(self) {
        assert!(
            Period::new(self.frequency, self.year, self.index).is_some(),
            "invalid period {self:?}"
        );
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// Every period of `frequency` in `year`, in order; together they cover the
/// year exactly once. Empty if `year` is outside chrono's range.
pub fn periods_of_year(frequency: Frequency, year: i32) -> Vec<Period> {
    (1..=frequency.periods_in_year())
        .filter_map(|index| Period::new(frequency, year, index))
        .collect()
}

fn last_day_of_month(year: i32, month: u32) -> NaiveDate {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    // chrono's last representable year has no successor January.
    next.and_then(|d| d.pred_opt())
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(year, 12, 31).expect("year in range"))
}

fn month_day(date: NaiveDate) -> String {
    format!("{}月{}日", date.month(), date.day())
}

fn full_date(date: NaiveDate) -> String {
    format!("{}年{}月{}日", date.year(), date.month(), date.day())
}

// ---------------------------------------------------------------------------
// Compliance (台账)

/// What the ledger needs to know about a branch.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BranchFacts {
    pub founded_on: Option<NaiveDate>,
    /// Last day the branch existed.
    pub dissolved_on: Option<NaiveDate>,
    /// The branch's 党小组, each with its founding date and last day (either unknown when
    /// not recorded: a group without a founding date is taken to have always existed).
    pub party_groups: Vec<GroupLife>,
    /// Number of 正式党员 at the start of a month, keyed by any date in that
    /// month (normally the first). A month without an entry carries the most
    /// recent earlier entry forward, since counts change only on events.
    pub formal_members_by_month: Vec<(NaiveDate, u32)>,
    pub exemptions: Vec<Exemption>,
}

/// When a 党小组 existed: from `founded_on` to its last day `dissolved_on`, both inclusive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GroupLife {
    pub founded_on: Option<NaiveDate>,
    pub dissolved_on: Option<NaiveDate>,
}

impl GroupLife {
    pub fn exists_on(&self, date: NaiveDate) -> bool {
        self.founded_on.is_none_or(|f| f <= date) && self.dissolved_on.is_none_or(|d| date <= d)
    }
}

/// An approved exemption, e.g. during an epidemic lockdown or a 换届 gap.
/// `from` and `to` are inclusive.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Exemption {
    /// `None` exempts every institution.
    pub institution: Option<Institution>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub reason: String,
}

/// One meeting held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Held {
    pub institution: Institution,
    pub on: NaiveDate,
}

code_enum! {
    /// How one institution stands in one period.
    pub enum Status {
        Met => ("met", "已完成"),
        Missing => ("missing", "未完成"),
        /// Owed in principle but excused: partial first or last period of the
        /// branch, or an approved exemption.
        Exempt => ("exempt", "免于要求"),
        /// Not owed at all: outside the branch's life, or the branch lacks the
        /// body (支委会, 党小组) that would meet.
        NotRequired => ("not_required", "不作要求"),
        /// Period still open (or not yet begun) and the minimum not yet reached.
        Pending => ("pending", "进行中"),
    }
}

/// One cell of the 台账. `expected` is 0 when nothing is owed (Exempt,
/// NotRequired); `held` always counts the meetings recorded in the period.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cell {
    pub institution: Institution,
    pub period: Period,
    pub expected: u32,
    pub held: u32,
    pub status: Status,
    /// Chinese explanation shown beside the cell.
    pub note: String,
}

/// The 台账 of `year`: one cell per rule and period, rules in `rules` order,
/// periods in calendar order. DOMAIN.md §2 (frequencies) and §4 (committee,
/// 党小组). Per period, first match wins:
/// 1. Entirely before `founded_on` or after `dissolved_on` → NotRequired.
/// 2. Rule needs a 支委会 and the branch had under 7 正式党员 at the start of
///    the period's first month → NotRequired (§4). With no count on record
///    the obligation stands, so missing data shows up as a gap, not as
///    silence.
/// 3. Rule needs 党小组 and none existed on the period's first day: Exempt if one was set up
///    during the period (a group founded on 1 November owes from November, one founded on
///    15 November from December), NotRequired if none existed at any time in it.
/// 4. Founded after the period's first day, or dissolved before its last day
///    → Exempt: a partial period cannot fairly be held to a full one.
/// 5. Exemptions for the institution (or for all) jointly cover the period →
///    Exempt.
/// 6. Held ≥ expected → Met; else, if the period ends on or after `today`,
///    Pending (a meeting may still be held on the last day); else Missing.
pub fn compliance(
    rules: &RuleSet,
    facts: &BranchFacts,
    held: &[Held],
    year: i32,
    today: NaiveDate,
) -> Vec<Cell> {
    let mut cells = Vec::new();
    for rule in &rules.rules {
        for period in periods_of_year(rule.frequency, year) {
            let count = held
                .iter()
                .filter(|h| h.institution == rule.institution && period.contains(h.on))
                .count();
            let held_count = u32::try_from(count).unwrap_or(u32::MAX);
            let (status, expected, note) = match excuse(rule, facts, period) {
                Some((status, note)) => (status, 0, note),
                None => assess(rule.min_per_period, held_count, period, today),
            };
            cells.push(Cell {
                institution: rule.institution,
                period,
                expected,
                held: held_count,
                status,
                note,
            });
        }
    }
    cells
}

/// Steps 1–5 of [`compliance`]: why nothing is owed, if so.
fn excuse(rule: &Rule, facts: &BranchFacts, period: Period) -> Option<(Status, String)> {
    let (start, end) = (period.start(), period.end());
    let this_period = period.frequency.this_period();

    if let Some(founded) = facts.founded_on
        && founded > end
    {
        let note = format!("党支部于{}成立，此前不作要求", full_date(founded));
        return Some((Status::NotRequired, note));
    }
    if let Some(dissolved) = facts.dissolved_on
        && dissolved < start
    {
        let note = format!("党支部已于{}撤销", full_date(dissolved));
        return Some((Status::NotRequired, note));
    }
    if rule.needs_committee
        && formal_members_at(facts, start).is_some_and(|n| n < COMMITTEE_MIN_FORMAL_MEMBERS)
    {
        let note = format!("正式党员不足{COMMITTEE_MIN_FORMAL_MEMBERS}人，不设支委会");
        return Some((Status::NotRequired, note));
    }
    if rule.needs_party_group && !facts.party_groups.iter().any(|g| g.exists_on(start)) {
        let founded_during = facts
            .party_groups
            .iter()
            .filter_map(|g| g.founded_on)
            .filter(|f| *f > start && *f <= end)
            .min();
        return Some(match founded_during {
            Some(f) => (
                Status::Exempt,
                format!("党小组成立于{}，{this_period}不作要求", month_day(f)),
            ),
            None => (Status::NotRequired, "未设党小组".to_string()),
        });
    }
    if let Some(founded) = facts.founded_on
        && founded > start
    {
        let note = format!("成立于{}，{this_period}不作要求", month_day(founded));
        return Some((Status::Exempt, note));
    }
    if let Some(dissolved) = facts.dissolved_on
        && dissolved < end
    {
        let note = format!("撤销于{}，{this_period}不作要求", month_day(dissolved));
        return Some((Status::Exempt, note));
    }
    exemption_reasons(&facts.exemptions, rule.institution, start, end)
        .map(|reasons| (Status::Exempt, format!("免于要求：{reasons}")))
}

/// Count of 正式党员 at the start of the month containing `date`: the latest
/// entry for that month or earlier; on equal months the later entry in the
/// list wins, as the newer correction.
fn formal_members_at(facts: &BranchFacts, date: NaiveDate) -> Option<u32> {
    let key = |d: NaiveDate| (d.year(), d.month());
    let mut best: Option<((i32, u32), u32)> = None;
    for &(on, count) in &facts.formal_members_by_month {
        if key(on) <= key(date) && best.is_none_or(|(k, _)| key(on) >= k) {
            best = Some((key(on), count));
        }
    }
    best.map(|(_, count)| count)
}

/// Reasons of the exemptions that together cover `start..=end` without a gap,
/// joined for display; `None` if any day is left uncovered. Several short
/// exemptions may add up because approvals are often renewed piecemeal.
fn exemption_reasons(
    exemptions: &[Exemption],
    institution: Institution,
    start: NaiveDate,
    end: NaiveDate,
) -> Option<String> {
    let mut relevant: Vec<&Exemption> = exemptions
        .iter()
        .filter(|e| e.institution.is_none_or(|i| i == institution))
        .filter(|e| e.from <= e.to && e.from <= end && e.to >= start)
        .collect();
    relevant.sort_by_key(|e| e.from);

    let mut first_uncovered = start;
    let mut reasons: Vec<&str> = Vec::new();
    for e in relevant {
        if e.from > first_uncovered {
            return None;
        }
        if e.to < first_uncovered {
            continue;
        }
        if !reasons.contains(&e.reason.as_str()) {
            reasons.push(&e.reason);
        }
        if e.to >= end {
            return Some(reasons.join("；"));
        }
        first_uncovered = e.to.succ_opt()?;
    }
    None
}

/// Step 6 of [`compliance`].
fn assess(expected: u32, held: u32, period: Period, today: NaiveDate) -> (Status, u32, String) {
    if held >= expected {
        let note = format!("已开展{held}次（应开展{expected}次）");
        (Status::Met, expected, note)
    } else if period.end() >= today {
        let note = if period.start() > today {
            "尚未开始".to_string()
        } else {
            format!("进行中：已开展{held}次，应开展{expected}次")
        };
        (Status::Pending, expected, note)
    } else {
        let note = format!("应开展{expected}次，实际开展{held}次");
        (Status::Missing, expected, note)
    }
}

code_enum! {
    /// Traffic light for a ledger.
    pub enum Rag {
        Green => ("green", "绿"),
        Amber => ("amber", "黄"),
        Red => ("red", "红"),
    }
}

/// Traffic light over `cells`. Red if any cell is Missing, because an overdue
/// meeting cannot be made good any more; Amber if none is Missing but some
/// are Pending (obligations still open); Green otherwise, i.e. everything owed
/// is done (also when nothing is owed). A year in progress is therefore Amber
/// even when on track; for a "so far" light pass only the cells whose period
/// has ended, e.g. `c.period.end() < today`. DOMAIN.md §2 (台账).
pub fn rag(cells: &[Cell]) -> Rag {
    if cells.iter().any(|c| c.status == Status::Missing) {
        Rag::Red
    } else if cells.iter().any(|c| c.status == Status::Pending) {
        Rag::Amber
    } else {
        Rag::Green
    }
}

/// Share of settled cells that are Met, in per mille rounded half up, in
/// integers so the published figure can be recomputed exactly. Settled = Met
/// or Missing: Pending cells have no outcome yet, while a cell already Met
/// cannot be undone, so it counts even if its period is still running.
/// Exempt and NotRequired cells owe nothing and are left out. `None` when
/// nothing is settled. DOMAIN.md §2 (台账).
pub fn compliance_rate_permille(cells: &[Cell]) -> Option<u32> {
    let met = cells.iter().filter(|c| c.status == Status::Met).count() as u64;
    let missing = cells.iter().filter(|c| c.status == Status::Missing).count() as u64;
    let settled = met + missing;
    (settled > 0).then(|| {
        let permille = (met * 2000 + settled) / (settled * 2);
        u32::try_from(permille).expect("at most 1000")
    })
}

// ---------------------------------------------------------------------------
// Rule sets edited by admins

/// A version of the rules that an admin saved, for one branch kind or (with
/// `branch_kind: None`) for every kind that has no rules of its own. Local
/// practice \[L\]: the 路线图 of a district differs by kind of branch (a
/// 临时支部 on a building site keeps a lighter schedule), and DOMAIN.md §2
/// gives only the 条例's defaults.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SavedRuleSet {
    pub branch_kind: Option<crate::BranchKind>,
    pub effective_year: i32,
    pub version: u32,
    pub rules: Vec<Rule>,
}

/// The rules a branch of `kind` is held to in `year`. DOMAIN.md §2:
/// - Only versions effective in or before `year` apply, so the ledger of a past
///   year keeps the rules it was kept under.
/// - Rules saved for the branch's own kind win over rules saved for all kinds.
/// - Among those, the latest effective year wins, then the highest version.
/// - With nothing saved, [`default_branch_rules`].
pub fn rules_in_force(
    kind: Option<crate::BranchKind>,
    year: i32,
    saved: &[SavedRuleSet],
) -> RuleSet {
    let newest = |wanted: Option<crate::BranchKind>| {
        saved
            .iter()
            .filter(|s| s.branch_kind == wanted && s.effective_year <= year)
            .max_by_key(|s| (s.effective_year, s.version))
    };
    let own = kind.and_then(|k| newest(Some(k)));
    match own.or_else(|| newest(None)) {
        Some(s) => RuleSet {
            version: format!(
                "{RULE_VERSION}/{}-v{}",
                s.branch_kind.map_or("all", |k| k.code()),
                s.version
            ),
            rules: s.rules.clone(),
        },
        None => default_branch_rules(),
    }
}

/// Builds one edited rule. The 支委会 and 党小组会 keep their structural
/// conditions whatever the admin chose (§4: no committee under 7 正式党员,
/// no 党小组会 without 党小组), because an edit cannot create the body that
/// would meet. The minimum is 1 to 31 meetings a period.
pub fn edited_rule(
    institution: Institution,
    frequency: Frequency,
    min_per_period: u32,
) -> Result<Rule, String> {
    if !(1..=31).contains(&min_per_period) {
        return Err(format!("{}的次数应在 1 到 31 之间", institution.label()));
    }
    Ok(Rule {
        institution,
        frequency,
        min_per_period,
        needs_committee: institution == Institution::BranchCommitteeMeeting,
        needs_party_group: institution == Institution::PartyGroupMeeting,
    })
}

// ---------------------------------------------------------------------------
// Reminders

/// What to tell a branch's officers on `today`. DOMAIN.md §2 (台账):
/// - `due`: cells still Pending in the period that contains `today`, with the
///   days left in it (0 on its last day).
/// - `overdue`: cells Missing in the period just before the current one of the
///   same frequency, so each shortfall is reported once, in the period after
///   it happened, and an old gap does not come back every day.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reminders {
    pub due: Vec<(Cell, i64)>,
    pub overdue: Vec<Cell>,
}

pub fn reminders(cells: &[Cell], today: NaiveDate) -> Reminders {
    let mut out = Reminders::default();
    for cell in cells {
        let current = Period::containing(cell.period.frequency, today);
        if cell.status == Status::Pending && cell.period == current {
            out.due
                .push((cell.clone(), (cell.period.end() - today).num_days()));
        } else if cell.status == Status::Missing
            && cell.period.end().succ_opt() == Some(current.start())
        {
            out.overdue.push(cell.clone());
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Votes

code_enum! {
    /// Kind of decision a 党员大会 takes; the kinds differ in quorum and in
    /// whether written opinions count. DOMAIN.md §2.1.
    pub enum Decision {
        Ordinary => ("ordinary", "一般事项"),
        /// 接收预备党员, 预备党员转正, 延长预备期 or 取消预备党员资格.
        Admission => ("admission", "接收预备党员、转正、延长或取消预备期"),
        Election => ("election", "选举"),
    }
}

impl Decision {
    /// Decisions only a 支部党员大会 may take: admitting a 预备党员, 转正, 延长 or 取消预备期, and
    /// elections. DOMAIN.md §2 (支部工作条例 Art11: the 党员大会 votes on these) and §3.2 (e).
    pub fn reserved_to_general_meeting(self) -> bool {
        matches!(self, Decision::Admission | Decision::Election)
    }
}

/// Whether a vote on `decision` may be recorded on a meeting of `institution`: a reserved
/// decision only on a 支部党员大会, anything else on any meeting. DOMAIN.md §2, §3.2 (e).
pub fn decision_allowed_at(decision: Decision, institution: Institution) -> bool {
    !decision.reserved_to_general_meeting() || institution == Institution::BranchGeneralMeeting
}

/// Counts for one vote. `expected` is 应到会 with voting rights (正式党员 not
/// excluded under §2.1). `written_yes` are written opinions in favour lodged
/// before the meeting by members who could not attend; they count only for
/// [`Decision::Admission`] and never towards the quorum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Vote {
    pub expected: u32,
    pub present: u32,
    pub yes: u32,
    pub written_yes: u32,
}

/// Counts that cannot occur in a real meeting; they point at a data-entry
/// error, so they are reported rather than voted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VoteError {
    #[error("实到人数（{present}）超过应到人数（{expected}）")]
    PresentExceedsExpected { present: u32, expected: u32 },
    #[error("赞成票（{yes}）超过实到人数（{present}）")]
    YesExceedsPresent { yes: u32, present: u32 },
    #[error("书面赞成意见（{written}）超过未到会人数（{absent}）")]
    WrittenExceedsAbsent { written: u32, absent: u32 },
}

/// Whether the meeting is valid, reading every threshold strictly as the
/// texts say. DOMAIN.md §2.1:
/// - Ordinary and Admission: more than half of 应到会, `2*present > expected`
///   (\[?\] whether exactly half counts; the text says 半数以上, read strictly).
/// - Election: more than four fifths, `5*present > 4*expected`. \[?\] 中组部
///   has accepted exactly four fifths; see [`quorum_met_lenient`].
pub fn quorum_met(decision: Decision, vote: &Vote) -> bool {
    let present = u64::from(vote.present);
    let expected = u64::from(vote.expected);
    match decision {
        Decision::Ordinary | Decision::Admission => 2 * present > expected,
        Decision::Election => 5 * present > 4 * expected,
    }
}

/// As [`quorum_met`], but an election is also valid at exactly four fifths
/// (`5*present >= 4*expected`), the reading 中组部 has accepted. Ordinary and
/// Admission stay strict: no source found accepts exactly half there.
/// DOMAIN.md §2.1 \[?\].
pub fn quorum_met_lenient(decision: Decision, vote: &Vote) -> bool {
    match decision {
        Decision::Election => 5 * u64::from(vote.present) >= 4 * u64::from(vote.expected),
        Decision::Ordinary | Decision::Admission => quorum_met(decision, vote),
    }
}

/// Whether the motion passes: `Ok(false)` without quorum (strict, as
/// [`quorum_met`]); otherwise more than half of 应到会 must be in favour,
/// not half of those present. DOMAIN.md §2.1:
/// - Ordinary: `2*yes > expected`.
/// - Admission: `2*(yes + written_yes) > expected`, because written opinions
///   lodged before the meeting count (S10).
/// - Election: `2*yes > expected` (\[?\] older texts use 实到会).
pub fn passes(decision: Decision, vote: &Vote) -> Result<bool, VoteError> {
    validate(decision, vote)?;
    if !quorum_met(decision, vote) {
        return Ok(false);
    }
    let expected = u64::from(vote.expected);
    let yes = match decision {
        Decision::Admission => u64::from(vote.yes) + u64::from(vote.written_yes),
        Decision::Ordinary | Decision::Election => u64::from(vote.yes),
    };
    Ok(2 * yes > expected)
}

fn validate(decision: Decision, vote: &Vote) -> Result<(), VoteError> {
    if vote.present > vote.expected {
        return Err(VoteError::PresentExceedsExpected {
            present: vote.present,
            expected: vote.expected,
        });
    }
    if vote.yes > vote.present {
        return Err(VoteError::YesExceedsPresent {
            yes: vote.yes,
            present: vote.present,
        });
    }
    let absent = vote.expected - vote.present;
    if decision == Decision::Admission && vote.written_yes > absent {
        return Err(VoteError::WrittenExceedsAbsent {
            written: vote.written_yes,
            absent,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Institution::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// A long-established branch with a committee and party groups.
    fn settled_branch() -> BranchFacts {
        BranchFacts {
            founded_on: Some(d(2010, 3, 1)),
            dissolved_on: None,
            party_groups: vec![GroupLife::default()],
            formal_members_by_month: vec![(d(2010, 3, 1), 12)],
            exemptions: Vec::new(),
        }
    }

    fn after_2026() -> NaiveDate {
        d(2027, 1, 10)
    }

    fn cells_of(cells: &[Cell], institution: Institution) -> Vec<&Cell> {
        cells
            .iter()
            .filter(|c| c.institution == institution)
            .collect()
    }

    fn statuses(cells: &[Cell], institution: Institution) -> Vec<Status> {
        cells_of(cells, institution)
            .iter()
            .map(|c| c.status)
            .collect()
    }

    /// Every institution held once on the 10th of every month of `year`.
    fn held_every_month(year: i32) -> Vec<Held> {
        let mut held = Vec::new();
        for &institution in Institution::ALL {
            for month in 1..=12 {
                held.push(Held {
                    institution,
                    on: d(year, month, 10),
                });
            }
        }
        held
    }

    fn cell(status: Status) -> Cell {
        Cell {
            institution: ThemedPartyDay,
            period: Period::new(Frequency::Monthly, 2026, 1).unwrap(),
            expected: 1,
            held: 0,
            status,
            note: String::new(),
        }
    }

    #[test]
    fn vocabulary_codes_and_labels() {
        assert_eq!(Institution::ALL.len(), 8);
        for &i in Institution::ALL {
            assert_eq!(Institution::from_code(i.code()), Some(i));
            assert_eq!(Institution::from_label(i.label()), Some(i));
        }
        assert_eq!(BranchCommitteeMeeting.code(), "branch_committee_meeting");
        assert_eq!(HeartToHeartTalk.code(), "heart_to_heart_talk");
        assert_eq!(BranchGeneralMeeting.label(), "支部党员大会");
        assert_eq!(DemocraticAppraisal.label(), "民主评议党员");
        assert_eq!(
            Institution::from_label("支部大会"),
            Some(BranchGeneralMeeting)
        );
        assert_eq!(Institution::from_code("支委会"), None);
        assert_eq!(Frequency::Monthly.periods_in_year(), 12);
        assert_eq!(Frequency::Quarterly.periods_in_year(), 4);
        assert_eq!(Frequency::Yearly.periods_in_year(), 1);
        assert_eq!(Status::NotRequired.code(), "not_required");
        assert_eq!(Decision::Admission.code(), "admission");
    }

    #[test]
    fn default_rules_follow_the_regulation() {
        let set = default_branch_rules();
        assert_eq!(set.version, RULE_VERSION);
        let order: Vec<_> = set.rules.iter().map(|r| r.institution).collect();
        assert_eq!(order, Institution::ALL);
        let freq = |i| set.rule(i).unwrap().frequency;
        assert_eq!(freq(BranchGeneralMeeting), Frequency::Quarterly);
        assert_eq!(freq(BranchCommitteeMeeting), Frequency::Monthly);
        assert_eq!(freq(PartyGroupMeeting), Frequency::Monthly);
        assert_eq!(freq(PartyLecture), Frequency::Quarterly);
        assert_eq!(freq(ThemedPartyDay), Frequency::Monthly);
        assert_eq!(freq(OrgLifeMeeting), Frequency::Yearly);
        assert_eq!(freq(DemocraticAppraisal), Frequency::Yearly);
        assert_eq!(freq(HeartToHeartTalk), Frequency::Yearly);
        assert!(set.rules.iter().all(|r| r.min_per_period == 1));
        let committee: Vec<_> = set.rules.iter().filter(|r| r.needs_committee).collect();
        assert_eq!(committee.len(), 1);
        assert_eq!(committee[0].institution, BranchCommitteeMeeting);
        let groups: Vec<_> = set.rules.iter().filter(|r| r.needs_party_group).collect();
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].institution, PartyGroupMeeting);
    }

    #[test]
    fn period_bounds_and_labels() {
        let q1 = Period::new(Frequency::Quarterly, 2026, 1).unwrap();
        assert_eq!((q1.start(), q1.end()), (d(2026, 1, 1), d(2026, 3, 31)));
        let q2 = Period::new(Frequency::Quarterly, 2026, 2).unwrap();
        assert_eq!((q2.start(), q2.end()), (d(2026, 4, 1), d(2026, 6, 30)));
        let q4 = Period::new(Frequency::Quarterly, 2026, 4).unwrap();
        assert_eq!((q4.start(), q4.end()), (d(2026, 10, 1), d(2026, 12, 31)));
        let dec = Period::new(Frequency::Monthly, 2026, 12).unwrap();
        assert_eq!(dec.end(), d(2026, 12, 31));
        let year = Period::new(Frequency::Yearly, 2026, 1).unwrap();
        assert_eq!((year.start(), year.end()), (d(2026, 1, 1), d(2026, 12, 31)));

        assert_eq!(
            Period::new(Frequency::Monthly, 2024, 2).unwrap().end(),
            d(2024, 2, 29)
        );
        assert_eq!(
            Period::new(Frequency::Monthly, 2026, 2).unwrap().end(),
            d(2026, 2, 28)
        );
        assert_eq!(
            Period::new(Frequency::Monthly, 2000, 2).unwrap().end(),
            d(2000, 2, 29)
        );
        assert_eq!(
            Period::new(Frequency::Monthly, 1900, 2).unwrap().end(),
            d(1900, 2, 28)
        );

        assert_eq!(
            Period::new(Frequency::Monthly, 2026, 3).unwrap().label(),
            "2026年3月"
        );
        assert_eq!(q1.label(), "2026年第1季度");
        assert_eq!(year.to_string(), "2026年");

        assert_eq!(Period::new(Frequency::Monthly, 2026, 0), None);
        assert_eq!(Period::new(Frequency::Monthly, 2026, 13), None);
        assert_eq!(Period::new(Frequency::Quarterly, 2026, 5), None);
        assert_eq!(Period::new(Frequency::Yearly, 2026, 2), None);
    }

    #[test]
    fn containing_respects_boundaries() {
        let q = |date| Period::containing(Frequency::Quarterly, date).index;
        assert_eq!(q(d(2026, 3, 31)), 1);
        assert_eq!(q(d(2026, 4, 1)), 2);
        assert_eq!(q(d(2026, 9, 30)), 3);
        assert_eq!(q(d(2026, 10, 1)), 4);
        let m = Period::containing(Frequency::Monthly, d(2024, 2, 29));
        assert_eq!((m.year, m.index), (2024, 2));
        let y = Period::containing(Frequency::Yearly, d(2026, 12, 31));
        assert_eq!((y.year, y.index), (2026, 1));
        assert_eq!(periods_of_year(Frequency::Monthly, 2026).len(), 12);
        assert_eq!(periods_of_year(Frequency::Quarterly, 2026).len(), 4);
        assert_eq!(periods_of_year(Frequency::Yearly, 2026).len(), 1);
    }

    #[test]
    #[should_panic(expected = "invalid period")]
    fn hand_built_invalid_period_panics() {
        let p = Period {
            frequency: Frequency::Quarterly,
            year: 2026,
            index: 5,
        };
        let _ = p.start();
    }

    #[test]
    fn a_full_year_met_is_green() {
        let cells = compliance(
            &default_branch_rules(),
            &settled_branch(),
            &held_every_month(2026),
            2026,
            after_2026(),
        );
        assert_eq!(cells.len(), 4 + 12 + 12 + 4 + 12 + 1 + 1 + 1);
        assert!(cells.iter().all(|c| c.status == Status::Met), "{cells:#?}");
        assert!(cells.iter().all(|c| c.period.year == 2026));
        assert_eq!(cells_of(&cells, BranchGeneralMeeting)[0].held, 3);
        assert_eq!(cells_of(&cells, OrgLifeMeeting)[0].held, 12);
        assert_eq!(rag(&cells), Rag::Green);
        assert_eq!(compliance_rate_permille(&cells), Some(1000));
    }

    #[test]
    fn nothing_held_in_a_past_year_is_all_missing() {
        let cells = compliance(
            &default_branch_rules(),
            &settled_branch(),
            &[],
            2026,
            after_2026(),
        );
        assert!(cells.iter().all(|c| c.status == Status::Missing));
        assert!(cells.iter().all(|c| c.expected == 1 && c.held == 0));
        assert_eq!(cells[0].note, "应开展1次，实际开展0次");
        assert_eq!(rag(&cells), Rag::Red);
        assert_eq!(compliance_rate_permille(&cells), Some(0));
    }

    #[test]
    fn held_counts_only_its_own_institution_and_period() {
        let held = [
            Held {
                institution: PartyLecture,
                on: d(2026, 3, 31),
            },
            Held {
                institution: PartyLecture,
                on: d(2026, 4, 1),
            },
            Held {
                institution: ThemedPartyDay,
                on: d(2026, 5, 1),
            },
            Held {
                institution: PartyLecture,
                on: d(2025, 12, 31),
            },
        ];
        let cells = compliance(
            &default_branch_rules(),
            &settled_branch(),
            &held,
            2026,
            after_2026(),
        );
        let lectures: Vec<_> = cells_of(&cells, PartyLecture)
            .iter()
            .map(|c| c.held)
            .collect();
        assert_eq!(lectures, [1, 1, 0, 0]);
        use Status::{Met, Missing};
        assert_eq!(statuses(&cells, PartyLecture), [Met, Met, Missing, Missing]);
    }

    #[test]
    fn min_per_period_above_one() {
        let rules = RuleSet {
            version: "test".into(),
            rules: vec![Rule {
                institution: HeartToHeartTalk,
                frequency: Frequency::Quarterly,
                min_per_period: 2,
                needs_committee: false,
                needs_party_group: false,
            }],
        };
        let held = [d(2026, 1, 5), d(2026, 2, 5), d(2026, 4, 5)].map(|on| Held {
            institution: HeartToHeartTalk,
            on,
        });
        let cells = compliance(&rules, &settled_branch(), &held, 2026, after_2026());
        use Status::{Met, Missing};
        assert_eq!(
            statuses(&cells, HeartToHeartTalk),
            [Met, Missing, Missing, Missing]
        );
        assert_eq!(cells[1].note, "应开展2次，实际开展1次");
    }

    #[test]
    fn founded_mid_february_exempts_february_and_the_first_quarter() {
        let facts = BranchFacts {
            founded_on: Some(d(2026, 2, 15)),
            formal_members_by_month: vec![(d(2026, 2, 1), 8)],
            ..settled_branch()
        };
        let cells = compliance(&default_branch_rules(), &facts, &[], 2026, after_2026());
        let days = cells_of(&cells, ThemedPartyDay);
        assert_eq!(days[0].status, Status::NotRequired);
        assert_eq!(days[0].note, "党支部于2026年2月15日成立，此前不作要求");
        assert_eq!(days[1].status, Status::Exempt);
        assert_eq!(days[1].note, "成立于2月15日，本月不作要求");
        assert_eq!(days[1].expected, 0);
        assert_eq!(days[2].status, Status::Missing);
        assert_eq!(days[2].expected, 1);

        let meetings = cells_of(&cells, BranchGeneralMeeting);
        assert_eq!(meetings[0].status, Status::Exempt);
        assert_eq!(meetings[0].note, "成立于2月15日，本季度不作要求");
        assert_eq!(meetings[1].status, Status::Missing);

        let yearly = cells_of(&cells, OrgLifeMeeting);
        assert_eq!(yearly[0].status, Status::Exempt);
        assert_eq!(yearly[0].note, "成立于2月15日，本年度不作要求");
    }

    #[test]
    fn founded_on_the_first_day_of_a_quarter_owes_that_quarter() {
        let facts = BranchFacts {
            founded_on: Some(d(2026, 4, 1)),
            ..settled_branch()
        };
        let cells = compliance(&default_branch_rules(), &facts, &[], 2026, after_2026());
        use Status::{Missing, NotRequired};
        assert_eq!(
            statuses(&cells, BranchGeneralMeeting),
            [NotRequired, Missing, Missing, Missing]
        );
        let days = statuses(&cells, ThemedPartyDay);
        assert_eq!(days[..3], [NotRequired; 3]);
        assert!(days[3..].iter().all(|&s| s == Missing));
    }

    #[test]
    fn dissolved_mid_august() {
        let facts = BranchFacts {
            dissolved_on: Some(d(2026, 8, 10)),
            ..settled_branch()
        };
        let cells = compliance(
            &default_branch_rules(),
            &facts,
            &held_every_month(2026),
            2026,
            after_2026(),
        );
        use Status::{Exempt, Met, NotRequired};
        let days = statuses(&cells, ThemedPartyDay);
        assert!(days[..7].iter().all(|&s| s == Met));
        assert_eq!(days[7], Exempt);
        assert!(days[8..].iter().all(|&s| s == NotRequired));
        let aug = cells_of(&cells, ThemedPartyDay)[7];
        assert_eq!(aug.note, "撤销于8月10日，本月不作要求");
        assert_eq!(aug.held, 1, "held is still reported");
        let sep = cells_of(&cells, ThemedPartyDay)[8];
        assert_eq!(sep.note, "党支部已于2026年8月10日撤销");
        assert_eq!(
            statuses(&cells, BranchGeneralMeeting),
            [Met, Met, Exempt, NotRequired]
        );
        assert_eq!(statuses(&cells, OrgLifeMeeting), [Exempt]);
        assert_eq!(rag(&cells), Rag::Green);
    }

    #[test]
    fn dissolved_on_the_last_day_owes_the_whole_period() {
        let facts = BranchFacts {
            dissolved_on: Some(d(2026, 6, 30)),
            ..settled_branch()
        };
        let cells = compliance(&default_branch_rules(), &facts, &[], 2026, after_2026());
        use Status::{Exempt, Missing, NotRequired};
        assert_eq!(
            statuses(&cells, BranchGeneralMeeting),
            [Missing, Missing, NotRequired, NotRequired]
        );
        assert_eq!(statuses(&cells, ThemedPartyDay)[5], Missing);
        assert_eq!(statuses(&cells, ThemedPartyDay)[6], NotRequired);
        assert_eq!(statuses(&cells, HeartToHeartTalk), [Exempt]);
    }

    #[test]
    fn exemptions_cover_whole_periods_only() {
        let facts = BranchFacts {
            exemptions: vec![
                Exemption {
                    institution: Some(ThemedPartyDay),
                    from: d(2026, 1, 1),
                    to: d(2026, 2, 10),
                    reason: "疫情防控".into(),
                },
                Exemption {
                    institution: None,
                    from: d(2026, 5, 1),
                    to: d(2026, 5, 15),
                    reason: "换届".into(),
                },
                Exemption {
                    institution: None,
                    from: d(2026, 5, 16),
                    to: d(2026, 6, 30),
                    reason: "换届延期".into(),
                },
            ],
            ..settled_branch()
        };
        let cells = compliance(&default_branch_rules(), &facts, &[], 2026, after_2026());
        use Status::{Exempt, Missing};
        let days = statuses(&cells, ThemedPartyDay);
        assert_eq!(days[0], Exempt);
        assert_eq!(days[1], Missing, "only partly covered");
        assert_eq!(days[4], Exempt, "two exemptions joined");
        assert_eq!(days[5], Exempt);
        assert_eq!(
            cells_of(&cells, ThemedPartyDay)[0].note,
            "免于要求：疫情防控"
        );
        assert_eq!(
            cells_of(&cells, ThemedPartyDay)[4].note,
            "免于要求：换届；换届延期"
        );
        // The January exemption names only 主题党日.
        assert_eq!(statuses(&cells, PartyGroupMeeting)[0], Missing);
        // An all-institution exemption applies to every rule…
        assert_eq!(statuses(&cells, BranchCommitteeMeeting)[4], Exempt);
        // …but a quarter only partly covered is still owed.
        assert_eq!(statuses(&cells, BranchGeneralMeeting)[1], Missing);
    }

    #[test]
    fn gap_between_exemptions_leaves_the_period_owed() {
        let ex = |from, to| Exemption {
            institution: None,
            from,
            to,
            reason: "x".into(),
        };
        let (start, end) = (d(2026, 3, 1), d(2026, 3, 31));
        let joined = [
            ex(d(2026, 3, 1), d(2026, 3, 10)),
            ex(d(2026, 3, 11), d(2026, 4, 2)),
        ];
        assert!(exemption_reasons(&joined, PartyLecture, start, end).is_some());
        let gap = [
            ex(d(2026, 3, 1), d(2026, 3, 10)),
            ex(d(2026, 3, 12), d(2026, 4, 2)),
        ];
        assert!(exemption_reasons(&gap, PartyLecture, start, end).is_none());
        let nested = [
            ex(d(2026, 2, 1), d(2026, 3, 31)),
            ex(d(2026, 3, 5), d(2026, 3, 6)),
        ];
        assert_eq!(
            exemption_reasons(&nested, PartyLecture, start, end).as_deref(),
            Some("x")
        );
        let backwards = [ex(d(2026, 3, 31), d(2026, 3, 1))];
        assert!(exemption_reasons(&backwards, PartyLecture, start, end).is_none());
    }

    #[test]
    fn committee_obligation_starts_when_the_branch_reaches_seven() {
        let facts = BranchFacts {
            formal_members_by_month: vec![
                (d(2025, 11, 1), 5),
                (d(2026, 4, 1), 6),
                (d(2026, 7, 1), 7),
            ],
            ..settled_branch()
        };
        let cells = compliance(&default_branch_rules(), &facts, &[], 2026, after_2026());
        let committee = cells_of(&cells, BranchCommitteeMeeting);
        for c in &committee[..6] {
            assert_eq!(c.status, Status::NotRequired, "{}", c.period);
            assert_eq!(c.note, "正式党员不足7人，不设支委会");
            assert_eq!(c.expected, 0);
        }
        for c in &committee[6..] {
            assert_eq!(c.status, Status::Missing, "{}", c.period);
        }
        // Other institutions do not depend on the committee.
        assert!(
            statuses(&cells, ThemedPartyDay)
                .iter()
                .all(|&s| s == Status::Missing)
        );
    }

    #[test]
    fn member_counts_carry_forward_and_key_by_month() {
        let facts = BranchFacts {
            formal_members_by_month: vec![
                (d(2026, 3, 20), 8),
                (d(2026, 1, 1), 9),
                (d(2026, 3, 1), 4),
                (d(2026, 9, 1), 3),
            ],
            ..settled_branch()
        };
        assert_eq!(formal_members_at(&facts, d(2025, 12, 1)), None);
        assert_eq!(formal_members_at(&facts, d(2026, 2, 1)), Some(9));
        // Same month twice: the later entry in the list is the correction.
        assert_eq!(formal_members_at(&facts, d(2026, 3, 1)), Some(4));
        assert_eq!(formal_members_at(&facts, d(2026, 8, 1)), Some(4));
        assert_eq!(formal_members_at(&facts, d(2027, 8, 1)), Some(3));
    }

    #[test]
    fn unknown_member_count_keeps_the_committee_obligation() {
        let facts = BranchFacts {
            formal_members_by_month: Vec::new(),
            ..settled_branch()
        };
        let cells = compliance(&default_branch_rules(), &facts, &[], 2026, after_2026());
        assert!(
            statuses(&cells, BranchCommitteeMeeting)
                .iter()
                .all(|&s| s == Status::Missing)
        );
    }

    #[test]
    fn no_party_groups_no_group_meetings() {
        let facts = BranchFacts {
            party_groups: Vec::new(),
            ..settled_branch()
        };
        let cells = compliance(&default_branch_rules(), &facts, &[], 2026, after_2026());
        for c in cells_of(&cells, PartyGroupMeeting) {
            assert_eq!(c.status, Status::NotRequired);
            assert_eq!(c.note, "未设党小组");
        }
        assert!(
            statuses(&cells, BranchCommitteeMeeting)
                .iter()
                .all(|&s| s == Status::Missing)
        );
    }

    #[test]
    fn a_party_group_owes_meetings_from_the_month_it_was_set_up() {
        let facts = BranchFacts {
            party_groups: vec![
                GroupLife {
                    founded_on: Some(d(2026, 11, 1)),
                    dissolved_on: None,
                },
                GroupLife {
                    founded_on: Some(d(2026, 11, 15)),
                    dissolved_on: None,
                },
            ],
            ..settled_branch()
        };
        let cells = compliance(&default_branch_rules(), &facts, &[], 2026, after_2026());
        let groups = cells_of(&cells, PartyGroupMeeting);
        for c in &groups[..10] {
            assert_eq!(c.status, Status::NotRequired, "{}", c.period);
        }
        assert_eq!(groups[10].status, Status::Missing, "owed from November");
        // Set up only on the 15th: November is a partial month.
        let late = BranchFacts {
            party_groups: vec![GroupLife {
                founded_on: Some(d(2026, 11, 15)),
                dissolved_on: Some(d(2026, 12, 10)),
            }],
            ..settled_branch()
        };
        let cells = compliance(&default_branch_rules(), &late, &[], 2026, after_2026());
        let groups = cells_of(&cells, PartyGroupMeeting);
        assert_eq!(groups[9].status, Status::NotRequired);
        assert_eq!(groups[10].status, Status::Exempt);
        assert_eq!(groups[10].note, "党小组成立于11月15日，本月不作要求");
        assert_eq!(
            groups[11].status,
            Status::Missing,
            "dissolved during December"
        );
    }

    #[test]
    fn pending_until_the_period_is_over() {
        let held = [Held {
            institution: ThemedPartyDay,
            on: d(2026, 5, 4),
        }];
        let run = |today| {
            compliance(
                &default_branch_rules(),
                &settled_branch(),
                &held,
                2026,
                today,
            )
        };
        use Status::{Met, Missing, Pending};

        let cells = run(d(2026, 5, 15));
        let days = cells_of(&cells, ThemedPartyDay);
        assert_eq!(days[3].status, Missing, "April is over");
        assert_eq!(days[4].status, Met, "May already held");
        assert_eq!(days[5].status, Pending);
        assert_eq!(days[5].note, "尚未开始");
        let groups = cells_of(&cells, PartyGroupMeeting);
        assert_eq!(groups[4].status, Pending);
        assert_eq!(groups[4].note, "进行中：已开展0次，应开展1次");
        assert_eq!(
            statuses(&cells, BranchGeneralMeeting)[1],
            Pending,
            "Q2 open"
        );
        assert_eq!(statuses(&cells, OrgLifeMeeting), [Pending]);
        assert_eq!(rag(&cells), Rag::Red);

        // The last day is still open; the day after it is not.
        let on_last_day = run(d(2026, 5, 31));
        assert_eq!(statuses(&on_last_day, PartyGroupMeeting)[4], Pending);
        let day_after = run(d(2026, 6, 1));
        assert_eq!(statuses(&day_after, PartyGroupMeeting)[4], Missing);

        // Before the year starts everything owed is pending.
        let early = run(d(2025, 12, 31));
        assert!(early.iter().all(|c| matches!(c.status, Pending | Met)),);
        assert_eq!(rag(&early), Rag::Amber);
        assert_eq!(
            compliance_rate_permille(&early),
            Some(1000),
            "one Met, settled"
        );
    }

    #[test]
    fn on_track_mid_year_is_amber_and_ended_cells_green() {
        let today = d(2026, 7, 1);
        let held: Vec<_> = held_every_month(2026)
            .into_iter()
            .filter(|h| h.on < today)
            .collect();
        let cells = compliance(
            &default_branch_rules(),
            &settled_branch(),
            &held,
            2026,
            today,
        );
        assert!(cells.iter().all(|c| c.status != Status::Missing));
        assert_eq!(rag(&cells), Rag::Amber);
        let ended: Vec<_> = cells
            .iter()
            .filter(|c| c.period.end() < today)
            .cloned()
            .collect();
        assert_eq!(rag(&ended), Rag::Green);
        // The yearly cells are already met by the first half's meetings.
        assert_eq!(statuses(&cells, OrgLifeMeeting), [Status::Met]);
    }

    #[test]
    fn rag_and_rate_from_cells() {
        use Status::*;
        let make = |s: &[Status]| s.iter().map(|&st| cell(st)).collect::<Vec<_>>();
        assert_eq!(rag(&[]), Rag::Green);
        assert_eq!(compliance_rate_permille(&[]), None);
        assert_eq!(rag(&make(&[Exempt, NotRequired])), Rag::Green);
        assert_eq!(
            compliance_rate_permille(&make(&[Exempt, NotRequired, Pending])),
            None
        );
        assert_eq!(rag(&make(&[Met, Pending, Exempt])), Rag::Amber);
        assert_eq!(rag(&make(&[Met, Pending, Missing])), Rag::Red);
        assert_eq!(
            compliance_rate_permille(&make(&[Met, Met, Missing])),
            Some(667)
        );
        assert_eq!(
            compliance_rate_permille(&make(&[Met, Missing, Missing])),
            Some(333)
        );
        // 1/16 = 62.5 ‰ rounds half up.
        let mut sixteen = vec![Met];
        sixteen.extend([Missing; 15]);
        assert_eq!(compliance_rate_permille(&make(&sixteen)), Some(63));
        // 1/6 = 166.67 ‰; Pending and Exempt are left out of the base.
        let mut six = vec![Met, Pending, Exempt, NotRequired];
        six.extend([Missing; 5]);
        assert_eq!(compliance_rate_permille(&make(&six)), Some(167));
    }

    fn vote(expected: u32, present: u32, yes: u32, written_yes: u32) -> Vote {
        Vote {
            expected,
            present,
            yes,
            written_yes,
        }
    }

    #[test]
    fn reserved_decisions_only_at_the_general_meeting() {
        for &institution in Institution::ALL {
            assert!(decision_allowed_at(Decision::Ordinary, institution));
            let general = institution == BranchGeneralMeeting;
            assert_eq!(
                decision_allowed_at(Decision::Admission, institution),
                general
            );
            assert_eq!(
                decision_allowed_at(Decision::Election, institution),
                general
            );
        }
    }

    #[test]
    fn quorum_boundaries() {
        use Decision::*;
        for decision in [Ordinary, Admission] {
            assert!(!quorum_met(decision, &vote(10, 5, 0, 0)));
            assert!(quorum_met(decision, &vote(10, 6, 0, 0)));
            assert!(!quorum_met(decision, &vote(9, 4, 0, 0)));
            assert!(quorum_met(decision, &vote(9, 5, 0, 0)));
            assert!(!quorum_met_lenient(decision, &vote(10, 5, 0, 0)));
        }
        assert!(!quorum_met(Election, &vote(10, 8, 0, 0)));
        assert!(quorum_met(Election, &vote(10, 9, 0, 0)));
        assert!(quorum_met_lenient(Election, &vote(10, 8, 0, 0)));
        assert!(!quorum_met_lenient(Election, &vote(10, 7, 0, 0)));
        // 4/5 of 7 is 5.6: 6 present suffices either way, 5 never.
        assert!(quorum_met(Election, &vote(7, 6, 0, 0)));
        assert!(!quorum_met_lenient(Election, &vote(7, 5, 0, 0)));
        for decision in Decision::ALL {
            assert!(!quorum_met(*decision, &vote(0, 0, 0, 0)));
        }
        // Large counts must not overflow.
        assert!(quorum_met(Election, &vote(u32::MAX, u32::MAX, 0, 0)));
    }

    #[test]
    fn ordinary_needs_more_than_half_of_expected() {
        use Decision::Ordinary;
        assert_eq!(passes(Ordinary, &vote(10, 6, 5, 0)), Ok(false));
        assert_eq!(passes(Ordinary, &vote(10, 6, 6, 0)), Ok(true));
        // Quorum first: a unanimous room of exactly half is no decision.
        assert_eq!(passes(Ordinary, &vote(10, 5, 5, 0)), Ok(false));
        // Written opinions do not count outside admission.
        assert_eq!(passes(Ordinary, &vote(10, 6, 5, 4)), Ok(false));
    }

    #[test]
    fn admission_counts_written_opinions() {
        use Decision::Admission;
        assert_eq!(passes(Admission, &vote(10, 6, 4, 1)), Ok(false));
        assert_eq!(passes(Admission, &vote(10, 6, 4, 2)), Ok(true));
        assert_eq!(passes(Admission, &vote(10, 6, 6, 0)), Ok(true));
        // Written opinions never make up a missing quorum.
        assert_eq!(passes(Admission, &vote(10, 5, 5, 5)), Ok(false));
        assert_eq!(
            passes(Admission, &vote(10, 6, 4, 5)),
            Err(VoteError::WrittenExceedsAbsent {
                written: 5,
                absent: 4
            })
        );
    }

    #[test]
    fn election_needs_four_fifths_present_and_half_of_expected() {
        use Decision::Election;
        assert_eq!(
            passes(Election, &vote(10, 8, 8, 0)),
            Ok(false),
            "strict quorum"
        );
        assert_eq!(passes(Election, &vote(10, 9, 5, 0)), Ok(false));
        assert_eq!(passes(Election, &vote(10, 9, 6, 0)), Ok(true));
        assert_eq!(passes(Election, &vote(10, 9, 5, 1)), Ok(false));
    }

    #[test]
    fn impossible_counts_are_errors() {
        use Decision::*;
        let err = passes(Ordinary, &vote(10, 11, 0, 0)).unwrap_err();
        assert_eq!(
            err,
            VoteError::PresentExceedsExpected {
                present: 11,
                expected: 10
            }
        );
        assert_eq!(err.to_string(), "实到人数（11）超过应到人数（10）");
        let err = passes(Election, &vote(10, 9, 10, 0)).unwrap_err();
        assert_eq!(err.to_string(), "赞成票（10）超过实到人数（9）");
        let err = passes(Admission, &vote(10, 8, 8, 3)).unwrap_err();
        assert_eq!(err.to_string(), "书面赞成意见（3）超过未到会人数（2）");
        // Errors are reported even when the quorum would fail anyway.
        assert!(passes(Ordinary, &vote(10, 2, 3, 0)).is_err());
    }

    fn any_institution() -> impl Strategy<Value = Institution> {
        (0..Institution::ALL.len()).prop_map(|i| Institution::ALL[i])
    }

    fn any_decision() -> impl Strategy<Value = Decision> {
        (0..Decision::ALL.len()).prop_map(|i| Decision::ALL[i])
    }

    /// Dates from a year before `year` to a year after, as day offsets.
    fn around(year: i32, offset: i64) -> NaiveDate {
        d(year - 1, 1, 1) + chrono::Duration::days(offset)
    }

    fn any_facts(year: i32) -> impl Strategy<Value = BranchFacts> {
        (
            proptest::option::of(0i64..1100),
            proptest::option::of(0i64..1100),
            any::<bool>(),
            proptest::collection::vec((0i64..1100, 0u32..15), 0..6),
            proptest::collection::vec(
                (
                    proptest::option::of(any_institution()),
                    0i64..1100,
                    0i64..200,
                ),
                0..4,
            ),
        )
            .prop_map(move |(founded, dissolved, groups, counts, exemptions)| {
                BranchFacts {
                    founded_on: founded.map(|o| around(year, o)),
                    dissolved_on: dissolved.map(|o| around(year, o)),
                    party_groups: if groups {
                        vec![GroupLife::default()]
                    } else {
                        Vec::new()
                    },
                    formal_members_by_month: counts
                        .into_iter()
                        .map(|(o, n)| (around(year, o), n))
                        .collect(),
                    exemptions: exemptions
                        .into_iter()
                        .map(|(institution, from, len)| Exemption {
                            institution,
                            from: around(year, from),
                            to: around(year, from + len),
                            reason: "豁免".into(),
                        })
                        .collect(),
                }
            })
    }

    fn any_held(year: i32) -> impl Strategy<Value = Vec<Held>> {
        proptest::collection::vec((any_institution(), 0i64..1100), 0..60).prop_map(move |v| {
            v.into_iter()
                .map(|(institution, o)| Held {
                    institution,
                    on: around(year, o),
                })
                .collect()
        })
    }

    fn scenario() -> impl Strategy<Value = (i32, BranchFacts, Vec<Held>, NaiveDate)> {
        (1990i32..2060).prop_flat_map(|year| {
            (
                Just(year),
                any_facts(year),
                any_held(year),
                (0i64..1100).prop_map(move |o| around(year, o)),
            )
        })
    }

    proptest! {
        #[test]
        fn cells_lie_in_the_year_and_met_means_enough(
            (year, facts, held, today) in scenario()
        ) {
            let rules = default_branch_rules();
            let cells = compliance(&rules, &facts, &held, year, today);
            prop_assert_eq!(cells.len(), 47);
            for c in &cells {
                prop_assert_eq!(c.period.year, year);
                prop_assert!(c.period.start() >= d(year, 1, 1));
                prop_assert!(c.period.end() <= d(year, 12, 31));
                if c.status == Status::Met {
                    prop_assert!(c.held >= c.expected);
                }
                if matches!(c.status, Status::Exempt | Status::NotRequired) {
                    prop_assert_eq!(c.expected, 0);
                }
                if c.status == Status::Missing {
                    prop_assert!(c.period.end() < today);
                }
                prop_assert!(!c.note.is_empty());
            }
            if let Some(rate) = compliance_rate_permille(&cells) {
                prop_assert!(rate <= 1000);
            }
        }

        #[test]
        fn holding_another_meeting_never_hurts(
            (year, facts, held, today) in scenario(),
            extra_institution in any_institution(),
            extra_day in 0i64..1100,
        ) {
            let rules = default_branch_rules();
            let before = compliance(&rules, &facts, &held, year, today);
            let mut more = held.clone();
            more.push(Held { institution: extra_institution, on: around(year, extra_day) });
            let after = compliance(&rules, &facts, &more, year, today);
            prop_assert_eq!(before.len(), after.len());
            for (b, a) in before.iter().zip(&after) {
                prop_assert_eq!(b.period, a.period);
                prop_assert!(a.held >= b.held);
                match b.status {
                    Status::Met => prop_assert_eq!(a.status, Status::Met),
                    Status::Missing => prop_assert!(matches!(a.status, Status::Missing | Status::Met)),
                    Status::Pending => prop_assert!(matches!(a.status, Status::Pending | Status::Met)),
                    Status::Exempt | Status::NotRequired => prop_assert_eq!(a.status, b.status),
                }
            }
            let (rb, ra) = (compliance_rate_permille(&before), compliance_rate_permille(&after));
            if let (Some(rb), Some(ra)) = (rb, ra) {
                prop_assert!(ra >= rb);
            }
        }

        #[test]
        fn periods_partition_the_year(year in 1900i32..2200, offset in 0i64..366) {
            for &frequency in Frequency::ALL {
                let periods = periods_of_year(frequency, year);
                prop_assert_eq!(periods.len() as u32, frequency.periods_in_year());
                prop_assert_eq!(periods[0].start(), d(year, 1, 1));
                prop_assert_eq!(periods.last().unwrap().end(), d(year, 12, 31));
                for pair in periods.windows(2) {
                    prop_assert_eq!(pair[0].end().succ_opt().unwrap(), pair[1].start());
                }
                let date = d(year, 1, 1) + chrono::Duration::days(offset);
                let p = Period::containing(frequency, date);
                prop_assert!(p.contains(date));
                prop_assert_eq!(Period::new(p.frequency, p.year, p.index), Some(p));
            }
        }

        #[test]
        fn rate_is_per_mille(statuses in proptest::collection::vec(0usize..5, 0..100)) {
            let cells: Vec<_> = statuses.into_iter().map(|i| cell(Status::ALL[i])).collect();
            if let Some(rate) = compliance_rate_permille(&cells) {
                prop_assert!(rate <= 1000);
            }
        }

        #[test]
        fn quorum_is_monotone_in_presence(
            decision in any_decision(),
            expected in 0u32..10_000,
            present in 0u32..10_000,
        ) {
            let v = vote(expected, present, 0, 0);
            let more = vote(expected, present + 1, 0, 0);
            if quorum_met(decision, &v) {
                prop_assert!(quorum_met(decision, &more));
            }
            if quorum_met_lenient(decision, &v) {
                prop_assert!(quorum_met_lenient(decision, &more));
            }
            if quorum_met(decision, &v) {
                prop_assert!(quorum_met_lenient(decision, &v));
            }
        }

        #[test]
        fn passing_is_monotone_in_yes(
            decision in any_decision(),
            expected in 1u32..500,
            present_frac in 0u32..=100,
            yes_frac in 0u32..=100,
        ) {
            let present = expected * present_frac / 100;
            let yes = present * yes_frac / 100;
            let v = vote(expected, present, yes, 0);
            let passed = passes(decision, &v).unwrap();
            if passed {
                prop_assert!(quorum_met(decision, &v));
                prop_assert!(2 * u64::from(yes) > u64::from(expected));
            }
            if yes < present {
                let more = vote(expected, present, yes + 1, 0);
                prop_assert!(!passed || passes(decision, &more).unwrap());
            }
        }
    }

    // ---- editable rule sets and reminders

    fn saved(
        kind: Option<crate::BranchKind>,
        year: i32,
        version: u32,
        lecture: Frequency,
    ) -> SavedRuleSet {
        SavedRuleSet {
            branch_kind: kind,
            effective_year: year,
            version,
            rules: vec![edited_rule(PartyLecture, lecture, 1).unwrap()],
        }
    }

    #[test]
    fn nothing_saved_means_the_defaults() {
        assert_eq!(rules_in_force(None, 2026, &[]), default_branch_rules());
    }

    #[test]
    fn a_version_applies_from_its_year_and_the_own_kind_wins() {
        use crate::BranchKind::{Community, Temporary};
        let all = [
            saved(None, 2026, 1, Frequency::Monthly),
            saved(Some(Temporary), 2026, 1, Frequency::Yearly),
            saved(None, 2027, 2, Frequency::Quarterly),
        ];
        let lecture = |set: RuleSet| set.rules[0].frequency;
        // 2025 predates every saved version.
        assert_eq!(
            rules_in_force(Some(Community), 2025, &all),
            default_branch_rules()
        );
        assert_eq!(
            lecture(rules_in_force(Some(Community), 2026, &all)),
            Frequency::Monthly
        );
        assert_eq!(
            lecture(rules_in_force(Some(Community), 2027, &all)),
            Frequency::Quarterly
        );
        // The temporary branches' own rules beat the newer rules for all kinds.
        assert_eq!(
            lecture(rules_in_force(Some(Temporary), 2027, &all)),
            Frequency::Yearly
        );
        assert_eq!(
            rules_in_force(Some(Temporary), 2027, &all).version,
            format!("{RULE_VERSION}/temporary-v1")
        );
    }

    #[test]
    fn a_later_version_in_the_same_year_replaces_an_earlier_one() {
        let all = [
            saved(None, 2026, 1, Frequency::Monthly),
            saved(None, 2026, 2, Frequency::Yearly),
        ];
        assert_eq!(
            rules_in_force(None, 2026, &all).rules[0].frequency,
            Frequency::Yearly
        );
    }

    #[test]
    fn edited_rules_keep_the_structural_conditions_and_sane_counts() {
        let committee = edited_rule(BranchCommitteeMeeting, Frequency::Quarterly, 2).unwrap();
        assert!(committee.needs_committee && !committee.needs_party_group);
        assert!(
            edited_rule(PartyGroupMeeting, Frequency::Monthly, 1)
                .unwrap()
                .needs_party_group
        );
        assert!(edited_rule(ThemedPartyDay, Frequency::Monthly, 0).is_err());
        assert!(edited_rule(ThemedPartyDay, Frequency::Monthly, 32).is_err());
    }

    #[test]
    fn reminders_name_what_is_due_now_and_what_the_last_period_missed() {
        let rules = default_branch_rules();
        let mut facts = settled_branch();
        facts.party_groups.clear();
        // Themed party day held in September only; nothing else all year.
        let held = [Held {
            institution: ThemedPartyDay,
            on: d(2026, 9, 10),
        }];
        let today = d(2026, 10, 20);
        let cells = compliance(&rules, &facts, &held, 2026, today);
        let r = reminders(&cells, today);
        let due: Vec<(Institution, i64)> = r
            .due
            .iter()
            .map(|(c, days)| (c.institution, *days))
            .collect();
        assert!(due.contains(&(ThemedPartyDay, 11)), "{due:?}");
        assert!(due.contains(&(BranchCommitteeMeeting, 11)));
        assert!(
            due.contains(&(BranchGeneralMeeting, 72)),
            "Q4 ends on 31 December"
        );
        assert!(due.contains(&(OrgLifeMeeting, 72)));
        // September's 主题党日 was held; September's 支委会 and Q3's meetings were not.
        let overdue: Vec<(Institution, String)> = r
            .overdue
            .iter()
            .map(|c| (c.institution, c.period.label()))
            .collect();
        assert!(
            overdue.contains(&(BranchCommitteeMeeting, "2026年9月".into())),
            "{overdue:?}"
        );
        assert!(overdue.contains(&(BranchGeneralMeeting, "2026年第3季度".into())));
        assert!(!overdue.iter().any(|(i, _)| *i == ThemedPartyDay));
        // August's gap was reported in September and is not repeated.
        assert!(!overdue.iter().any(|(_, p)| p == "2026年8月"));
    }

    proptest! {
        #[test]
        fn every_reminder_is_about_the_current_or_the_previous_period(
            month in 1u32..=12,
            day in 1u32..=28,
            held_months in proptest::collection::vec(1u32..=12, 0..12),
        ) {
            let today = d(2026, month, day);
            let held: Vec<Held> = held_months
                .iter()
                .map(|m| Held { institution: ThemedPartyDay, on: d(2026, *m, 5) })
                .collect();
            let cells = compliance(&default_branch_rules(), &settled_branch(), &held, 2026, today);
            let r = reminders(&cells, today);
            for (cell, days) in &r.due {
                prop_assert!(cell.period.contains(today));
                prop_assert!(*days >= 0);
                prop_assert_eq!(cell.status, Status::Pending);
            }
            for cell in &r.overdue {
                prop_assert!(cell.period.end() < today);
                prop_assert!(cell.period.end() + chrono::Duration::days(92) >= today);
                prop_assert_eq!(cell.status, Status::Missing);
            }
        }
    }
}
