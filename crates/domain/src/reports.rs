//! Weekly and monthly reports (issue 11; the 专项周报 and 月报 of seed 003 and the monthly
//! supervision of seed 004): which days a report covers, and what it says changed since the
//! report before it. Weeks run Monday to Sunday, as the offices' weekly schedules do (ISO 8601
//! weeks, so a week belongs to the year that holds its Thursday); months are calendar months
//! (DOMAIN.md, preamble). Rates compare in percentage points with one decimal, computed from
//! permille in integers (DOMAIN.md §0: no floats).

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::dues_ledger::Month;

pub const RULE_VERSION: &str = "reports-2026.1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReportKind {
    Weekly,
    Monthly,
}

impl ReportKind {
    pub const ALL: &'static [ReportKind] = &[ReportKind::Weekly, ReportKind::Monthly];

    pub fn code(self) -> &'static str {
        match self {
            ReportKind::Weekly => "weekly",
            ReportKind::Monthly => "monthly",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReportKind::Weekly => "周报",
            ReportKind::Monthly => "月报",
        }
    }

    pub fn from_code(code: &str) -> Option<ReportKind> {
        ReportKind::ALL.iter().copied().find(|k| k.code() == code)
    }
}

/// The days one report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReportPeriod {
    pub kind: ReportKind,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl ReportPeriod {
    /// The week or month that contains `day`.
    pub fn containing(kind: ReportKind, day: NaiveDate) -> ReportPeriod {
        match kind {
            ReportKind::Weekly => {
                let start = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
                ReportPeriod {
                    kind,
                    start,
                    end: start + Duration::days(6),
                }
            }
            ReportKind::Monthly => {
                let month = Month::of(day);
                ReportPeriod {
                    kind,
                    start: month.first_day(),
                    end: month.plus(1).first_day() - Duration::days(1),
                }
            }
        }
    }

    /// The last period that was over before `day`: what the sweep reports on that day.
    pub fn last_finished(kind: ReportKind, day: NaiveDate) -> ReportPeriod {
        let current = ReportPeriod::containing(kind, day);
        ReportPeriod::containing(kind, current.start - Duration::days(1))
    }

    /// The stored key: `2026-W48` (ISO week) or `2026-11`.
    pub fn key(&self) -> String {
        match self.kind {
            ReportKind::Weekly => {
                let week = self.start.iso_week();
                format!("{}-W{:02}", week.year(), week.week())
            }
            ReportKind::Monthly => Month::of(self.start).to_string(),
        }
    }

    /// Parses a key made by [`ReportPeriod::key`].
    pub fn parse(kind: ReportKind, key: &str) -> Option<ReportPeriod> {
        match kind {
            ReportKind::Weekly => {
                let (year, week) = key.trim().split_once("-W")?;
                let start = NaiveDate::from_isoywd_opt(
                    year.parse().ok()?,
                    week.parse().ok()?,
                    Weekday::Mon,
                )?;
                Some(ReportPeriod::containing(kind, start))
            }
            ReportKind::Monthly => {
                let month = Month::parse(key.trim())?;
                Some(ReportPeriod::containing(kind, month.first_day()))
            }
        }
    }

    /// The period as a heading says it: "2026年第48周（11月23日—11月29日）", "2026年11月".
    pub fn label(&self) -> String {
        match self.kind {
            ReportKind::Weekly => {
                let week = self.start.iso_week();
                format!(
                    "{}年第{}周（{}月{}日—{}月{}日）",
                    week.year(),
                    week.week(),
                    self.start.month(),
                    self.start.day(),
                    self.end.month(),
                    self.end.day()
                )
            }
            ReportKind::Monthly => format!("{}年{}月", self.start.year(), self.start.month()),
        }
    }

    /// Whether figures taken on `as_of` describe the whole period (it was over by then).
    pub fn is_over_on(&self, as_of: NaiveDate) -> bool {
        as_of > self.end
    }
}

/// The headline figures a report compares with the report before it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Headline {
    pub members: i64,
    pub probationary: i64,
    pub lost_contact: i64,
    /// 组织生活完成率, ‰ (met over settled cells of the year so far).
    pub orglife_rate_permille: Option<u32>,
    pub red_branches: i64,
    /// 党费收缴率 of the report's month, ‰.
    pub dues_rate_permille: Option<u32>,
    pub arrears_fen: i64,
    pub calls_received: i64,
    pub calls_closure_rate_permille: Option<u32>,
    pub calls_satisfaction_rate_permille: Option<u32>,
}

/// A rate difference in percentage points from permille, with one decimal and a sign:
/// 812‰ after 781‰ is "+3.1%".
pub fn points_change(before: u32, after: u32) -> String {
    let diff = i64::from(after) - i64::from(before);
    let sign = if diff > 0 {
        "+"
    } else if diff < 0 {
        "-"
    } else {
        "±"
    };
    format!("{sign}{}.{}%", diff.abs() / 10, diff.abs() % 10)
}

fn count_change(what: &str, unit: &str, before: i64, after: i64) -> String {
    let diff = after - before;
    match diff.cmp(&0) {
        std::cmp::Ordering::Greater => format!("{what}增加 {diff} {unit}"),
        std::cmp::Ordering::Less => format!("{what}减少 {} {unit}", -diff),
        std::cmp::Ordering::Equal => format!("{what}无变化"),
    }
}

fn rate_change(what: &str, before: Option<u32>, after: Option<u32>) -> Option<String> {
    match (before, after) {
        (Some(b), Some(a)) => Some(format!("{what} {}", points_change(b, a))),
        _ => None,
    }
}

/// What changed since the previous report, one phrase per figure, in the order an office reads
/// them: "新增党员 12 人", "组织生活完成率 +3.1%". Rates missing on either side (nothing due
/// yet) are left out rather than compared with zero.
pub fn changes(before: &Headline, after: &Headline) -> Vec<String> {
    let mut out = Vec::new();
    let members = after.members - before.members;
    out.push(match members.cmp(&0) {
        std::cmp::Ordering::Greater => format!("新增党员 {members} 人"),
        std::cmp::Ordering::Less => format!("党员减少 {} 人", -members),
        std::cmp::Ordering::Equal => "党员人数无变化".to_string(),
    });
    if after.probationary != before.probationary {
        out.push(count_change(
            "预备党员",
            "人",
            before.probationary,
            after.probationary,
        ));
    }
    if after.lost_contact != before.lost_contact {
        out.push(count_change(
            "失联党员",
            "人",
            before.lost_contact,
            after.lost_contact,
        ));
    }
    out.extend(rate_change(
        "组织生活完成率",
        before.orglife_rate_permille,
        after.orglife_rate_permille,
    ));
    if after.red_branches != before.red_branches {
        out.push(count_change(
            "红灯支部",
            "个",
            before.red_branches,
            after.red_branches,
        ));
    }
    out.extend(rate_change(
        "党费收缴率",
        before.dues_rate_permille,
        after.dues_rate_permille,
    ));
    out.push(count_change(
        "受理居民呼声",
        "件",
        before.calls_received,
        after.calls_received,
    ));
    out.extend(rate_change(
        "呼声办结率",
        before.calls_closure_rate_permille,
        after.calls_closure_rate_permille,
    ));
    out.extend(rate_change(
        "群众满意率",
        before.calls_satisfaction_rate_permille,
        after.calls_satisfaction_rate_permille,
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn weeks_run_monday_to_sunday_and_belong_to_the_year_of_their_thursday() {
        let week = ReportPeriod::containing(ReportKind::Weekly, d(2026, 11, 29));
        assert_eq!((week.start, week.end), (d(2026, 11, 23), d(2026, 11, 29)));
        assert_eq!(week.key(), "2026-W48");
        assert_eq!(week.label(), "2026年第48周（11月23日—11月29日）");
        // 2027-01-01 is a Friday: its week started in 2026 and is 2026's 53rd.
        let new_year = ReportPeriod::containing(ReportKind::Weekly, d(2027, 1, 1));
        assert_eq!(new_year.start, d(2026, 12, 28));
        assert_eq!(new_year.key(), "2026-W53");
        assert_eq!(
            ReportPeriod::last_finished(ReportKind::Weekly, d(2026, 11, 30)).key(),
            "2026-W48"
        );
    }

    #[test]
    fn months_are_calendar_months() {
        let month = ReportPeriod::containing(ReportKind::Monthly, d(2028, 2, 10));
        assert_eq!((month.start, month.end), (d(2028, 2, 1), d(2028, 2, 29)));
        assert_eq!(month.key(), "2028-02");
        assert_eq!(month.label(), "2028年2月");
        let january = ReportPeriod::last_finished(ReportKind::Monthly, d(2027, 1, 1));
        assert_eq!(january.key(), "2026-12");
        assert!(january.is_over_on(d(2027, 1, 1)));
        assert!(!january.is_over_on(d(2026, 12, 31)));
        assert_eq!(ReportPeriod::parse(ReportKind::Monthly, "2026-13"), None);
        assert_eq!(ReportPeriod::parse(ReportKind::Weekly, "2026-W54"), None);
    }

    #[test]
    fn changes_read_as_an_office_writes_them() {
        let before = Headline {
            members: 1200,
            orglife_rate_permille: Some(781),
            dues_rate_permille: Some(950),
            calls_received: 40,
            ..Headline::default()
        };
        let after = Headline {
            members: 1212,
            orglife_rate_permille: Some(812),
            dues_rate_permille: Some(930),
            calls_received: 40,
            red_branches: 2,
            ..Headline::default()
        };
        assert_eq!(
            changes(&before, &after),
            vec![
                "新增党员 12 人",
                "组织生活完成率 +3.1%",
                "红灯支部增加 2 个",
                "党费收缴率 -2.0%",
                "受理居民呼声无变化",
            ]
        );
        assert_eq!(points_change(500, 500), "±0.0%");
        assert_eq!(
            changes(&after, &before)[0],
            "党员减少 12 人",
            "a fall is said as a fall"
        );
    }

    proptest! {
        #[test]
        fn every_day_is_in_exactly_one_period_that_parses_back(
            offset in 0i64..4000,
            weekly in any::<bool>(),
        ) {
            let kind = if weekly { ReportKind::Weekly } else { ReportKind::Monthly };
            let day = d(2024, 1, 1) + Duration::days(offset);
            let period = ReportPeriod::containing(kind, day);
            prop_assert!(period.start <= day && day <= period.end);
            prop_assert_eq!(ReportPeriod::parse(kind, &period.key()), Some(period));
            let previous = ReportPeriod::last_finished(kind, day);
            prop_assert_eq!(previous.end + Duration::days(1), period.start);
        }

        #[test]
        fn a_rate_change_is_the_difference_in_tenths_of_a_point(a in 0u32..=1000, b in 0u32..=1000) {
            let text = points_change(a, b);
            let sign = if b >= a { 1 } else { -1 };
            let digits: String = text.chars().filter(|c| c.is_ascii_digit()).collect();
            prop_assert_eq!(sign * digits.parse::<i64>().unwrap(), i64::from(b) - i64::from(a));
        }
    }
}
