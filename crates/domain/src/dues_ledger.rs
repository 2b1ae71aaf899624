//! The dues ledger: which amount is due in a month, which months a payment may cover, and which
//! months count as covered for the arrears rule.
//!
//! DOMAIN.md §1.3 (fixing and payment) and §1.4 (arrears). Amounts themselves come from
//! [`crate::dues::quote`].

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::dues::Fen;

pub const RULE_VERSION: &str = "dues-ledger-2017.1";

/// DOMAIN.md §1.3: "Back-pay normally ≤6 months" (2008 Art12).
pub const BACK_PAY_MONTHS: i32 = 6;

/// A calendar month. Stored and shown as `YYYY-MM`, which also sorts correctly as text.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Month> {
        (1..=12).contains(&month).then_some(Month { year, month })
    }

    pub fn of(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    /// Parses `2026-03` (also `2026-3` and `2026/03`).
    pub fn parse(text: &str) -> Option<Month> {
        let (y, m) = text.trim().split_once(['-', '/'])?;
        Month::new(y.trim().parse().ok()?, m.trim().parse().ok()?)
    }

    /// The month's first day.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    fn index(self) -> i32 {
        self.year * 12 + self.month as i32 - 1
    }

    fn from_index(i: i32) -> Month {
        Month {
            year: i.div_euclid(12),
            month: (i.rem_euclid(12) + 1) as u32,
        }
    }

    pub fn plus(self, months: i32) -> Month {
        Month::from_index(self.index() + months)
    }

    /// Months from `self` to `later` (negative if `later` is earlier).
    pub fn months_until(self, later: Month) -> i32 {
        later.index() - self.index()
    }

    /// The last month of this month's quarter.
    pub fn quarter_end(self) -> Month {
        Month {
            year: self.year,
            month: self.month.div_ceil(3) * 3,
        }
    }

    /// Every month from `self` to `last`, inclusive.
    pub fn through(self, last: Month) -> impl Iterator<Item = Month> {
        (self.index()..=last.index()).map(Month::from_index)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// DOMAIN.md §1.3: the amount is fixed at the start of the year by default; the 2008 Art10 rule
/// (a new amount from the month new pay starts) is the alternative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FixingRule {
    #[default]
    Yearly,
    FromMonthOfChange,
}

impl FixingRule {
    /// How the rule is stored and named on the command line.
    pub fn code(self) -> &'static str {
        match self {
            FixingRule::Yearly => "yearly",
            FixingRule::FromMonthOfChange => "month-of-change",
        }
    }

    pub fn from_code(code: &str) -> Option<FixingRule> {
        match code {
            "yearly" => Some(FixingRule::Yearly),
            "month-of-change" => Some(FixingRule::FromMonthOfChange),
            _ => None,
        }
    }
}

/// A monthly amount set from a month on (a base history entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmountChange {
    pub effective: Month,
    pub monthly: Fen,
}

/// The amount due for `month` under `rule`, or `None` when no amount was set yet.
///
/// Yearly fixing uses the amount in force in January of that year; a member whose first amount
/// was set later in the year pays that first amount from its month on.
pub fn amount_due(changes: &[AmountChange], month: Month, rule: FixingRule) -> Option<Fen> {
    let in_force = |at: Month| {
        changes
            .iter()
            .filter(|c| c.effective <= at)
            .max_by_key(|c| c.effective)
            .map(|c| c.monthly)
    };
    match rule {
        FixingRule::FromMonthOfChange => in_force(month),
        FixingRule::Yearly => in_force(Month {
            year: month.year,
            month: 1,
        })
        .or_else(|| {
            changes
                .iter()
                .filter(|c| c.effective.year == month.year && c.effective <= month)
                .min_by_key(|c| c.effective)
                .map(|c| c.monthly)
        }),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error("请至少选择一个月份")]
    NoMonths,
    #[error(
        "{0} 距缴纳月份已超过 {BACK_PAY_MONTHS} 个月，补缴一般不超过 6 个月，请由党支部研究后另行处理"
    )]
    BackPayTooOld(Month),
    #[error("{0} 超出本季度，只能按月或按季度预交")]
    TooFarAhead(Month),
    #[error("{0} 尚未设定党费金额，请先设定计算基数")]
    NoAmount(Month),
}

/// DOMAIN.md §1.3: payment is monthly; with the branch's consent quarterly in advance, and back
/// pay normally no more than 6 months. Checks the months one payment covers, paid in `paid_in`.
pub fn check_payment_months(months: &[Month], paid_in: Month) -> Result<(), PaymentError> {
    if months.is_empty() {
        return Err(PaymentError::NoMonths);
    }
    for &m in months {
        if m.months_until(paid_in) > BACK_PAY_MONTHS {
            return Err(PaymentError::BackPayTooOld(m));
        }
        if m > paid_in.quarter_end() {
            return Err(PaymentError::TooFarAhead(m));
        }
    }
    Ok(())
}

/// How a month stands for one member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MonthState {
    Paid,
    /// Covered by an approved hardship waiver (DOMAIN.md §1.4 counts it as covered).
    Waived,
    Unpaid,
    /// Nothing due: no amount set yet.
    NotDue,
}

impl MonthState {
    pub fn label(self) -> &'static str {
        match self {
            MonthState::Paid => "已缴",
            MonthState::Waived => "减免",
            MonthState::Unpaid => "未缴",
            MonthState::NotDue => "—",
        }
    }

    /// Whether the month counts as covered for the arrears rule (§1.4).
    pub fn covered(self) -> bool {
        !matches!(self, MonthState::Unpaid)
    }
}

/// The state of each month in `months`, from the amounts on record, what was paid and what was
/// waived. Classified by [`crate::rollups::month_state`], the rule the monthly notice and the
/// figures use, so that a member's page agrees with them: a month before its amount was on
/// record is 未核定 (owes nothing yet), and an amount of zero is a full exemption (DOMAIN.md
/// §1.3).
pub fn month_states(
    months: &[Month],
    bases: &[crate::rollups::BaseFact],
    rule: FixingRule,
    paid: &[Month],
    waived: &[(Month, Month)],
) -> Vec<(Month, Option<Fen>, MonthState)> {
    use crate::rollups::DuesMonth;
    let changes: Vec<AmountChange> = bases
        .iter()
        .map(|b| AmountChange {
            effective: b.effective,
            monthly: b.monthly,
        })
        .collect();
    months
        .iter()
        .map(|&m| {
            let due = amount_due(&changes, m, rule);
            let state = match crate::rollups::month_state(
                due,
                crate::rollups::assessed(bases, m),
                // The payment's own amount does not change the state; the month is paid.
                paid.contains(&m).then_some(Fen(0)),
                waived.iter().any(|(from, to)| *from <= m && m <= *to),
            ) {
                DuesMonth::Paid { .. } => MonthState::Paid,
                DuesMonth::Waived => MonthState::Waived,
                DuesMonth::Unpaid { .. } => MonthState::Unpaid,
                DuesMonth::Unassessed => MonthState::NotDue,
            };
            (m, due, state)
        })
        .collect()
}

/// Collection rate in per mille (‰) of members who paid among those who owed, rounded half up:
/// integer arithmetic, so the figure on the notice is the figure an inspector recomputes.
pub fn collection_rate_permille(paid: u64, owed: u64) -> Option<u64> {
    (owed > 0).then(|| (paid * 2000 + owed) / (owed * 2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(text: &str) -> Month {
        Month::parse(text).unwrap()
    }

    fn change(effective: &str, yuan_fen: i64) -> AmountChange {
        AmountChange {
            effective: m(effective),
            monthly: Fen(yuan_fen),
        }
    }

    #[test]
    fn months_parse_print_and_step() {
        assert_eq!(m("2026-3").to_string(), "2026-03");
        assert_eq!(m("2026/12").plus(1), m("2027-01"));
        assert_eq!(m("2026-01").plus(-1), m("2025-12"));
        assert_eq!(m("2026-02").quarter_end(), m("2026-03"));
        assert_eq!(m("2026-12").quarter_end(), m("2026-12"));
        assert_eq!(m("2025-11").months_until(m("2026-02")), 3);
        assert_eq!(m("2026-11").through(m("2027-01")).count(), 3);
        assert!(Month::parse("2026-13").is_none());
        assert!(Month::parse("二〇二六年").is_none());
    }

    #[test]
    fn yearly_fixing_keeps_januarys_amount_all_year() {
        // §1.3: fixed at the start of the year; a raise in July takes effect next January.
        let changes = [change("2025-01", 5000), change("2026-07", 7500)];
        assert_eq!(
            amount_due(&changes, m("2026-06"), FixingRule::Yearly),
            Some(Fen(5000))
        );
        assert_eq!(
            amount_due(&changes, m("2026-08"), FixingRule::Yearly),
            Some(Fen(5000))
        );
        assert_eq!(
            amount_due(&changes, m("2027-01"), FixingRule::Yearly),
            Some(Fen(7500))
        );
        // 2008 Art10: from the month of change.
        assert_eq!(
            amount_due(&changes, m("2026-07"), FixingRule::FromMonthOfChange),
            Some(Fen(7500))
        );
        assert_eq!(
            amount_due(&changes, m("2026-06"), FixingRule::FromMonthOfChange),
            Some(Fen(5000))
        );
    }

    #[test]
    fn a_first_amount_set_mid_year_applies_from_its_month() {
        let changes = [change("2026-04", 3000)];
        assert_eq!(amount_due(&changes, m("2026-03"), FixingRule::Yearly), None);
        assert_eq!(
            amount_due(&changes, m("2026-04"), FixingRule::Yearly),
            Some(Fen(3000))
        );
        assert_eq!(
            amount_due(&changes, m("2026-12"), FixingRule::Yearly),
            Some(Fen(3000))
        );
    }

    #[test]
    fn payments_are_monthly_quarterly_in_advance_or_back_paid_up_to_six_months() {
        let now = m("2026-11");
        assert_eq!(check_payment_months(&[now], now), Ok(()));
        assert_eq!(
            check_payment_months(&[m("2026-12")], now),
            Ok(()),
            "rest of the quarter in advance"
        );
        assert_eq!(
            check_payment_months(&[m("2027-01")], now),
            Err(PaymentError::TooFarAhead(m("2027-01")))
        );
        assert_eq!(
            check_payment_months(&[m("2026-05")], now),
            Ok(()),
            "six months back"
        );
        assert_eq!(
            check_payment_months(&[m("2026-04")], now),
            Err(PaymentError::BackPayTooOld(m("2026-04")))
        );
        assert_eq!(check_payment_months(&[], now), Err(PaymentError::NoMonths));
    }

    fn on_record(effective: &str, yuan_fen: i64, from: &str) -> crate::rollups::BaseFact {
        crate::rollups::BaseFact {
            effective: m(effective),
            monthly: Fen(yuan_fen),
            assessed_from: m(from),
        }
    }

    #[test]
    fn months_before_the_amount_was_on_record_or_at_zero_owe_nothing() {
        // Entered in April, dated back to January: January to March were 未核定 when they fell
        // due, as on the monthly notice and in the figures.
        let bases = [on_record("2026-01", 2000, "2026-04")];
        let months: Vec<Month> = m("2026-01").through(m("2026-05")).collect();
        let states = month_states(&months, &bases, FixingRule::Yearly, &[], &[]);
        let kinds: Vec<MonthState> = states.iter().map(|s| s.2).collect();
        assert_eq!(
            kinds,
            [
                MonthState::NotDue,
                MonthState::NotDue,
                MonthState::NotDue,
                MonthState::Unpaid,
                MonthState::Unpaid
            ]
        );
        // A paid month is paid even before the amount was on record.
        let states = month_states(&months, &bases, FixingRule::Yearly, &[m("2026-02")], &[]);
        assert_eq!(states[1].2, MonthState::Paid);
        // §1.3: an amount of zero is a full exemption, never arrears.
        let zero = [on_record("2026-01", 0, "2026-01")];
        let states = month_states(&months, &zero, FixingRule::Yearly, &[], &[]);
        assert!(states.iter().all(|s| s.2 == MonthState::Waived));
        assert!(states.iter().all(|s| s.2.covered()));
    }

    #[test]
    fn states_and_the_arrears_run() {
        let changes = [on_record("2026-01", 2000, "2026-01")];
        let months: Vec<Month> = m("2026-01").through(m("2026-08")).collect();
        let paid = [m("2026-01"), m("2026-02")];
        let waived = [(m("2026-03"), m("2026-03"))];
        let states = month_states(&months, &changes, FixingRule::Yearly, &paid, &waived);
        let covered: Vec<bool> = states.iter().map(|s| s.2.covered()).collect();
        assert_eq!(states[2].2, MonthState::Waived);
        assert_eq!(crate::dues::unpaid_run(&covered), 5);
        assert!(!crate::dues::suspected_lapse(&covered));
        let months: Vec<Month> = m("2026-01").through(m("2026-09")).collect();
        let covered: Vec<bool> =
            month_states(&months, &changes, FixingRule::Yearly, &paid, &waived)
                .iter()
                .map(|s| s.2.covered())
                .collect();
        assert!(
            crate::dues::suspected_lapse(&covered),
            "6 unpaid months in a row: flag for the branch"
        );
    }

    #[test]
    fn collection_rate_rounds_half_up_in_integers() {
        assert_eq!(collection_rate_permille(2, 3), Some(667));
        assert_eq!(collection_rate_permille(1, 8), Some(125));
        assert_eq!(collection_rate_permille(1, 16), Some(63), "62.5‰ rounds up");
        assert_eq!(collection_rate_permille(0, 0), None);
    }

    proptest! {
        #[test]
        fn month_arithmetic_round_trips(y in 1950i32..2100, mo in 1u32..=12, k in -400i32..400) {
            let a = Month::new(y, mo).unwrap();
            prop_assert_eq!(a.plus(k).plus(-k), a);
            prop_assert_eq!(a.months_until(a.plus(k)), k);
            prop_assert_eq!(Month::parse(&a.to_string()), Some(a));
        }

        #[test]
        fn yearly_amount_never_changes_within_a_year(first in 1u32..=12, second in 1u32..=12, a in 0i64..100_000, b in 0i64..100_000) {
            let changes = [
                AmountChange { effective: Month::new(2025, first).unwrap(), monthly: Fen(a) },
                AmountChange { effective: Month::new(2026, second).unwrap(), monthly: Fen(b) },
            ];
            let due: Vec<Option<Fen>> = (1..=12).map(|mo| amount_due(&changes, Month::new(2026, mo).unwrap(), FixingRule::Yearly)).collect();
            // The amount in force in January, whichever change set it, holds all year.
            let january = if second == 1 { b } else { a };
            prop_assert!(due.iter().all(|d| *d == Some(Fen(january))));
        }

        #[test]
        fn rate_is_within_bounds(owed in 1u64..100_000, paid_frac in 0u64..=1000) {
            let paid = owed * paid_frac / 1000;
            let r = collection_rate_permille(paid, owed).unwrap();
            prop_assert!(r <= 1000);
            prop_assert_eq!(r == 1000, (owed - paid) * 2000 <= owed);
        }
    }
}
