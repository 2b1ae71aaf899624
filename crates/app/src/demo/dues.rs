//! The demo's party dues: every member has a base fixed at the start of the year by the rules
//! of DOMAIN.md §1.1 (through `domain::dues::quote`, so the working is the real one), and this
//! year's payments in the patterns a branch sees: most pay each month, some pay late in a lump,
//! some pay a quarter ahead, a few have stopped paying, and a few hardship cases are waived.

use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;
use rand::rngs::StdRng;

use crate::{App, Result};
use domain::MemberCategory;
use domain::dues::{DuesCategory, DuesInput, DuesPolicy, Fen, quote};
use domain::dues_ledger::Month;
use store::Param;

/// What the dues of one demo member are drawn from.
pub(super) struct DuesMember {
    pub id: i64,
    pub branch_id: i64,
    pub category: MemberCategory,
    pub admitted: NaiveDate,
}

/// How a member pays this year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Habit {
    /// Each month, within the month.
    Monthly,
    /// Every three months, for the quarter ahead.
    Advance,
    /// Two or three months at a time, after the months are over.
    Late,
    /// Paid until some months ago and not since.
    Stopped { months_unpaid: i32 },
    /// 生活困难: exempted for the year with the higher committee's approval.
    Waived,
}

fn dues_category(category: MemberCategory, rng: &mut StdRng) -> DuesCategory {
    match category {
        MemberCategory::Retired | MemberCategory::ElderlyInfirm => DuesCategory::Retired,
        MemberCategory::Farmer => DuesCategory::Farmer,
        MemberCategory::Student => DuesCategory::Student,
        MemberCategory::NoPost if rng.random_bool(0.5) => DuesCategory::Unemployed,
        MemberCategory::NonPublic if rng.random_bool(0.2) => DuesCategory::SelfEmployed,
        _ => DuesCategory::InService,
    }
}

/// A plausible monthly base for the category, in 分: after-tax pay, a pension, or a quarter's
/// net income for the self-employed.
fn draw_input(category: DuesCategory, rng: &mut StdRng) -> DuesInput {
    let yuan = |lo: i64, hi: i64, rng: &mut StdRng| Fen(rng.random_range(lo..hi) * 100);
    let mut input = DuesInput {
        category,
        base: None,
        previous_quarter_net_income: None,
        hardship_approved: false,
    };
    match category {
        DuesCategory::InService => input.base = Some(yuan(2_800, 16_000, rng)),
        DuesCategory::Retired => input.base = Some(yuan(2_200, 7_500, rng)),
        DuesCategory::SelfEmployed => {
            input.previous_quarter_net_income = Some(yuan(9_000, 45_000, rng));
        }
        _ => {}
    }
    input
}

fn habit(category: DuesCategory, rng: &mut StdRng) -> Habit {
    let roll = rng.random_range(0..1000);
    let poor = matches!(
        category,
        DuesCategory::Retired | DuesCategory::Farmer | DuesCategory::Unemployed
    );
    match roll {
        0..15 if poor => Habit::Waived,
        0..30 => Habit::Stopped {
            months_unpaid: if roll < 6 { 7 } else { 1 + roll % 4 },
        },
        30..110 => Habit::Late,
        110..180 => Habit::Advance,
        _ => Habit::Monthly,
    }
}

/// A day within `month`, not after `today`.
fn day_in(month: Month, rng: &mut StdRng, today: NaiveDate) -> NaiveDate {
    let first = month.first_day();
    (first + Duration::days(rng.random_range(0..25))).min(today)
}

impl App {
    /// Writes the demo's dues bases, payments and waivers for this year up to `today`.
    /// Returns the number of payments.
    pub(super) async fn demo_dues(
        &self,
        rng: &mut StdRng,
        root: i64,
        members: &[DuesMember],
        today: NaiveDate,
    ) -> Result<usize> {
        let policy = DuesPolicy::default();
        let now = store::now();
        let this_month = Month::of(today);
        let january = Month::new(today.year(), 1).unwrap_or(this_month);
        // The bases were fixed in last December's review, so this year is assessed throughout.
        let reviewed = january.plus(-1);
        let mut bases = Vec::with_capacity(members.len());
        let mut payments = Vec::new();
        let mut waivers = Vec::new();
        for m in members {
            let category = dues_category(m.category, rng);
            let input = draw_input(category, rng);
            let Ok(q) = quote(&input, &policy) else {
                continue;
            };
            // A member admitted this year owes from the month after admission (§1.3).
            let first_owed = Month::of(m.admitted).plus(1).max(january);
            bases.push(vec![
                Param::I64(m.id),
                Param::I64(root),
                Param::Text(january.to_string()),
                Param::Text(category.code().into()),
                Param::opt_i64(input.base.map(|b| b.0)),
                Param::I64(q.monthly.0),
                Param::Text(q.working.join("\n")),
                Param::Text(domain::dues::RULE_VERSION.into()),
                Param::Text("演示数据".into()),
                Param::Time(now),
                Param::Text(reviewed.to_string()),
            ]);
            if first_owed > this_month {
                continue;
            }
            let habit = habit(category, rng);
            let mut pay = |month: Month, paid_on: NaiveDate, method: &str| {
                payments.push(vec![
                    Param::I64(m.id),
                    Param::I64(m.branch_id),
                    Param::I64(root),
                    Param::Text(month.to_string()),
                    Param::I64(q.monthly.0),
                    Param::Date(paid_on),
                    Param::Text(method.into()),
                    Param::Text("演示数据".into()),
                    Param::Time(now),
                ]);
            };
            let months: Vec<Month> = first_owed.through(this_month).collect();
            match habit {
                Habit::Waived => waivers.push(vec![
                    Param::I64(m.id),
                    Param::I64(root),
                    Param::Text(first_owed.to_string()),
                    Param::Text(
                        Month::new(today.year(), 12)
                            .unwrap_or(this_month)
                            .to_string(),
                    ),
                    Param::Text("家庭生活困难，经支部研究、上级党委批准免交".into()),
                    Param::Text("街道党工委".into()),
                    Param::Text(format!("党费减免〔{}〕{}号", today.year(), m.id % 97 + 1)),
                    Param::Date(first_owed.first_day()),
                    Param::Text("演示数据".into()),
                    Param::Time(now),
                ]),
                Habit::Monthly => {
                    for &month in &months {
                        // This month's dues are paid as the month goes by.
                        if month == this_month && rng.random_bool(0.15) {
                            continue;
                        }
                        pay(month, day_in(month, rng, today), "monthly");
                    }
                }
                Habit::Advance => {
                    for quarter in months.chunks(3) {
                        let paid_on = day_in(quarter[0], rng, today);
                        for &month in quarter {
                            pay(month, paid_on, "advance");
                        }
                    }
                }
                Habit::Late => {
                    // Settled at the end of each quarter; this quarter not yet.
                    for quarter in months.chunks(3).filter(|q| q.len() == 3) {
                        let settled = quarter[2].plus(1);
                        if settled > this_month {
                            continue;
                        }
                        let paid_on = day_in(settled, rng, today);
                        for &month in quarter {
                            pay(month, paid_on, "back_pay");
                        }
                    }
                }
                Habit::Stopped { months_unpaid } => {
                    let last_paid = this_month.plus(-months_unpaid);
                    for &month in months.iter().filter(|m| **m <= last_paid) {
                        pay(month, day_in(month, rng, today), "monthly");
                    }
                }
            }
        }
        self.db
            .bulk_insert(
                "dues_bases",
                &[
                    "member_id",
                    "root_org_id",
                    "effective_month",
                    "category",
                    "base_fen",
                    "monthly_fen",
                    "working",
                    "rule_version",
                    "set_by",
                    "set_at",
                    "assessed_from",
                ],
                &bases,
            )
            .await?;
        self.db
            .bulk_insert(
                "dues_payments",
                &[
                    "member_id",
                    "branch_id",
                    "root_org_id",
                    "month",
                    "amount_fen",
                    "paid_on",
                    "method",
                    "recorded_by",
                    "recorded_at",
                ],
                &payments,
            )
            .await?;
        self.db
            .bulk_insert(
                "dues_waivers",
                &[
                    "member_id",
                    "root_org_id",
                    "from_month",
                    "to_month",
                    "reason",
                    "approved_by",
                    "approval_ref",
                    "approved_on",
                    "recorded_by",
                    "recorded_at",
                ],
                &waivers,
            )
            .await?;
        Ok(payments.len())
    }
}
