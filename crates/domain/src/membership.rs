//! A member's 组织关系 over time: the spans in which each branch held them, how a transfer, a
//! reorganisation or a correction changes them, and which branch each month belongs to.
//!
//! A ledger, a dues notice or a roll-up for a past month must count the member where they were
//! that month; counting by today's branch rewrites every branch's past on each transfer
//! (DESIGN.md, "Time, history and roll-ups"). The rules:
//! - DOMAIN.md §8: a member has one 组织关系 at a time, and the sending organisation stays
//!   responsible until the member is received, so spans follow each other without a gap.
//! - DOMAIN.md §1.3: the dues of a month go to the branch holding the 组织关系; a member who
//!   leaves during a month has that month with the sending branch (the usual rule that dues are
//!   paid up to the month of transfer). So a month belongs to the branch that held the member on
//!   its first day, or, for a member who arrived during the month (a new admission), to the
//!   first branch that held them in it.

use chrono::NaiveDate;

use crate::dues_ledger::Month;
use crate::enums::code_enum;

pub const RULE_VERSION: &str = "membership-2026.1";

code_enum! {
    /// Why a span began.
    pub enum MembershipReason {
        /// Entered with the member (admission, or registration of an existing member).
        Admission => ("admission", "入党编入"),
        /// 组织关系转接: the member moved to another branch.
        Transfer => ("transfer", "组织关系转接"),
        /// The branches themselves were reorganised (merged, split, renamed).
        Reorganisation => ("reorganisation", "党组织调整"),
        /// An earlier record was wrong and has been corrected from this date on.
        Correction => ("correction", "更正记录"),
    }
}

/// One branch holding the member from `from` (inclusive) until `until` (exclusive; `None`
/// while it still does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Span {
    pub branch_id: i64,
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
    pub reason: MembershipReason,
}

impl Span {
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.from <= date && self.until.is_none_or(|u| date < u)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    #[error("党员尚无组织关系记录")]
    Empty,
    #[error("变动日期不能晚于今天")]
    InFuture,
    #[error("党员已在该党支部")]
    SameBranch,
    #[error("变动日期 {on} 不能早于或等于上次变动日期 {last}；如果上次记录有误，请选择“更正记录”")]
    BeforeLastChange { on: NaiveDate, last: NaiveDate },
    #[error("更正日期 {on} 不能早于首次编入党支部的日期 {first}；请先更正入党日期")]
    BeforeFirst { on: NaiveDate, first: NaiveDate },
    #[error("更正只能改变组织关系所在的党支部；请选择新的党支部")]
    NothingToCorrect,
    #[error("更正不能用于入党编入，请直接修改入党日期")]
    NotAChange,
    #[error("该党员的组织关系已转出或已除名")]
    AlreadyLeft,
}

/// The branch holding the member on `date`.
pub fn branch_on(spans: &[Span], date: NaiveDate) -> Option<i64> {
    spans.iter().find(|s| s.covers(date)).map(|s| s.branch_id)
}

/// The branch a month is counted for: the one holding the member on the month's first day, or
/// for a member who arrived during the month, the first branch that held them in it.
pub fn branch_of_month(spans: &[Span], month: Month) -> Option<i64> {
    let first = month.first_day();
    let next = month.plus(1).first_day();
    branch_on(spans, first).or_else(|| {
        spans
            .iter()
            .filter(|s| s.from > first && s.from < next)
            .min_by_key(|s| s.from)
            .map(|s| s.branch_id)
    })
}

/// The history of a newly registered member: one open span from `from`.
pub fn first_span(branch_id: i64, from: NaiveDate) -> Vec<Span> {
    vec![Span {
        branch_id,
        from,
        until: None,
        reason: MembershipReason::Admission,
    }]
}

/// The history after the member moved to `to` on `on` (a transfer or a reorganisation): the
/// open span ends the day before `on` (its `until` is `on`) and a new one begins. The past is
/// never rewritten this way, so `on` must come after the last change; a wrong record is fixed
/// with [`correct`] instead.
pub fn move_to(
    spans: &[Span],
    to: i64,
    on: NaiveDate,
    reason: MembershipReason,
    today: NaiveDate,
) -> Result<Vec<Span>, HistoryError> {
    if matches!(
        reason,
        MembershipReason::Correction | MembershipReason::Admission
    ) {
        return Err(HistoryError::NotAChange);
    }
    let open = spans.last().ok_or(HistoryError::Empty)?;
    if on > today {
        return Err(HistoryError::InFuture);
    }
    if open.branch_id == to {
        return Err(HistoryError::SameBranch);
    }
    if on <= open.from {
        return Err(HistoryError::BeforeLastChange {
            on,
            last: open.from,
        });
    }
    let mut out = spans.to_vec();
    if let Some(last) = out.last_mut() {
        last.until = Some(on);
    }
    out.push(Span {
        branch_id: to,
        from: on,
        until: None,
        reason,
    });
    Ok(out)
}

/// The history after the member left the roll on `on`: transferred to an organisation outside
/// this database, or removed (DOMAIN.md §8, §17.1). The open span ends the day before `on` and
/// no new one begins, so the branch keeps every month it held the member and none after.
pub fn leave(spans: &[Span], on: NaiveDate, today: NaiveDate) -> Result<Vec<Span>, HistoryError> {
    let open = spans.last().ok_or(HistoryError::Empty)?;
    if open.until.is_some() {
        return Err(HistoryError::AlreadyLeft);
    }
    if on > today {
        return Err(HistoryError::InFuture);
    }
    if on <= open.from {
        return Err(HistoryError::BeforeLastChange {
            on,
            last: open.from,
        });
    }
    let mut out = spans.to_vec();
    if let Some(last) = out.last_mut() {
        last.until = Some(on);
    }
    Ok(out)
}

/// The history after a correction: the member was in `to` from `from` on, and whatever was
/// recorded from that date is replaced. A span that began earlier is cut at `from`; a span of
/// the same branch just before is extended rather than split in two.
pub fn correct(
    spans: &[Span],
    to: i64,
    from: NaiveDate,
    today: NaiveDate,
) -> Result<Vec<Span>, HistoryError> {
    let first = spans.first().ok_or(HistoryError::Empty)?;
    if from > today {
        return Err(HistoryError::InFuture);
    }
    if from < first.from {
        return Err(HistoryError::BeforeFirst {
            on: from,
            first: first.from,
        });
    }
    let mut out: Vec<Span> = spans.iter().copied().filter(|s| s.from < from).collect();
    if let Some(last) = out.last_mut() {
        last.until = Some(from);
        if last.branch_id == to {
            last.until = None;
            return finish_correction(spans, out);
        }
    }
    let reason = if out.is_empty() {
        // The first span itself was wrong: it still began with the admission.
        first.reason
    } else if let Some(same) = spans.iter().find(|s| s.from == from && s.branch_id == to) {
        // Only what came after it was wrong: the span keeps how it began.
        same.reason
    } else {
        MembershipReason::Correction
    };
    out.push(Span {
        branch_id: to,
        from,
        until: None,
        reason,
    });
    finish_correction(spans, out)
}

fn finish_correction(before: &[Span], after: Vec<Span>) -> Result<Vec<Span>, HistoryError> {
    if after == before {
        Err(HistoryError::NothingToCorrect)
    } else {
        Ok(after)
    }
}

/// The history after the admission date itself was corrected: the first span starts on the new
/// date if it began with the admission and the new date still comes before its end. Otherwise
/// the history is left as it was and `None` says the date cannot move there.
pub fn admission_moved(spans: &[Span], admitted_on: NaiveDate) -> Option<Vec<Span>> {
    let first = spans.first()?;
    if first.reason != MembershipReason::Admission {
        return Some(spans.to_vec());
    }
    if first.until.is_some_and(|u| admitted_on >= u) {
        return None;
    }
    let mut out = spans.to_vec();
    out[0].from = admitted_on;
    Some(out)
}

/// Whether spans follow each other without gap or overlap and only the last is open (the
/// invariant every operation above keeps).
pub fn is_well_formed(spans: &[Span]) -> bool {
    let Some(last) = spans.last() else {
        return false;
    };
    last.until.is_none()
        && spans
            .windows(2)
            .all(|w| w[0].until == Some(w[1].from) && w[0].from < w[1].from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn month(y: i32, m: u32) -> Month {
        Month::new(y, m).unwrap()
    }

    const TODAY: (i32, u32, u32) = (2026, 11, 29);

    fn today() -> NaiveDate {
        d(TODAY.0, TODAY.1, TODAY.2)
    }

    #[test]
    fn a_member_who_leaves_keeps_the_months_the_branch_held_them() {
        let spans = first_span(7, d(2020, 3, 1));
        let left = leave(&spans, d(2026, 5, 20), today()).unwrap();
        assert_eq!(left[0].until, Some(d(2026, 5, 20)));
        assert_eq!(branch_on(&left, d(2026, 5, 19)), Some(7));
        assert_eq!(branch_on(&left, d(2026, 5, 20)), None);
        assert!(
            leave(&left, d(2026, 6, 1), today()).is_err(),
            "already left"
        );
        assert!(leave(&spans, d(2020, 3, 1), today()).is_err());
        assert!(leave(&spans, d(2027, 1, 1), today()).is_err());
    }

    #[test]
    fn a_month_stays_with_the_sending_branch_when_the_member_leaves_during_it() {
        let history = first_span(1, d(2020, 7, 1));
        let moved = move_to(
            &history,
            2,
            d(2026, 11, 15),
            MembershipReason::Transfer,
            today(),
        )
        .unwrap();
        assert_eq!(branch_of_month(&moved, month(2026, 10)), Some(1));
        assert_eq!(branch_of_month(&moved, month(2026, 11)), Some(1));
        assert_eq!(branch_of_month(&moved, month(2026, 12)), Some(2));
        assert_eq!(branch_on(&moved, d(2026, 11, 14)), Some(1));
        assert_eq!(branch_on(&moved, d(2026, 11, 15)), Some(2));
    }

    #[test]
    fn a_move_on_the_first_of_a_month_gives_that_month_to_the_receiving_branch() {
        let moved = move_to(
            &first_span(1, d(2020, 7, 1)),
            2,
            d(2026, 11, 1),
            MembershipReason::Reorganisation,
            today(),
        )
        .unwrap();
        assert_eq!(branch_of_month(&moved, month(2026, 10)), Some(1));
        assert_eq!(branch_of_month(&moved, month(2026, 11)), Some(2));
    }

    #[test]
    fn a_member_admitted_during_a_month_counts_there_from_that_month() {
        let history = first_span(3, d(2026, 6, 20));
        assert_eq!(branch_of_month(&history, month(2026, 5)), None);
        assert_eq!(branch_of_month(&history, month(2026, 6)), Some(3));
    }

    #[test]
    fn moves_refuse_the_future_the_same_branch_and_rewriting_the_past() {
        let history = move_to(
            &first_span(1, d(2020, 7, 1)),
            2,
            d(2025, 3, 1),
            MembershipReason::Transfer,
            today(),
        )
        .unwrap();
        assert_eq!(
            move_to(
                &history,
                3,
                d(2026, 12, 1),
                MembershipReason::Transfer,
                today()
            ),
            Err(HistoryError::InFuture)
        );
        assert_eq!(
            move_to(
                &history,
                2,
                d(2026, 1, 1),
                MembershipReason::Transfer,
                today()
            ),
            Err(HistoryError::SameBranch)
        );
        assert!(matches!(
            move_to(
                &history,
                3,
                d(2025, 3, 1),
                MembershipReason::Transfer,
                today()
            ),
            Err(HistoryError::BeforeLastChange { .. })
        ));
        assert_eq!(
            move_to(
                &history,
                3,
                d(2026, 1, 1),
                MembershipReason::Correction,
                today()
            ),
            Err(HistoryError::NotAChange)
        );
    }

    #[test]
    fn a_correction_replaces_what_was_recorded_from_its_date() {
        // Recorded: branch 1 from 2020, moved to 2 in March 2025. In fact the move was to 3.
        let history = move_to(
            &first_span(1, d(2020, 7, 1)),
            2,
            d(2025, 3, 1),
            MembershipReason::Transfer,
            today(),
        )
        .unwrap();
        let fixed = correct(&history, 3, d(2025, 3, 1), today()).unwrap();
        assert_eq!(fixed.len(), 2);
        assert_eq!(fixed[1].branch_id, 3);
        assert_eq!(fixed[1].reason, MembershipReason::Correction);
        assert!(is_well_formed(&fixed));
        // The member never left branch 1: correcting back to it merges the spans.
        let never_left = correct(&history, 1, d(2025, 3, 1), today()).unwrap();
        assert_eq!(never_left, first_span(1, d(2020, 7, 1)));
        // The whole record was in the wrong branch from the start.
        let wrong_from_start = correct(&history, 4, d(2020, 7, 1), today()).unwrap();
        assert_eq!(wrong_from_start.len(), 1);
        assert_eq!(wrong_from_start[0].reason, MembershipReason::Admission);
        assert_eq!(
            correct(&history, 2, d(2025, 3, 1), today()),
            Err(HistoryError::NothingToCorrect)
        );
        assert!(matches!(
            correct(&history, 4, d(2019, 1, 1), today()),
            Err(HistoryError::BeforeFirst { .. })
        ));
    }

    #[test]
    fn the_admission_date_moves_the_first_span_only_within_it() {
        let history = move_to(
            &first_span(1, d(2020, 7, 1)),
            2,
            d(2025, 3, 1),
            MembershipReason::Transfer,
            today(),
        )
        .unwrap();
        let earlier = admission_moved(&history, d(2019, 7, 1)).unwrap();
        assert_eq!(earlier[0].from, d(2019, 7, 1));
        assert_eq!(admission_moved(&history, d(2025, 3, 1)), None);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Move {
            to: i64,
            days: i64,
            reorganise: bool,
        },
        Correct {
            to: i64,
            days_back: i64,
        },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (1i64..6, 1i64..400, any::<bool>()).prop_map(|(to, days, reorganise)| Op::Move {
                to,
                days,
                reorganise
            }),
            (1i64..6, 0i64..2000).prop_map(|(to, days_back)| Op::Correct { to, days_back }),
        ]
    }

    fn months_between(from: NaiveDate, to: NaiveDate) -> Vec<Month> {
        Month::of(from).through(Month::of(to)).collect()
    }

    proptest! {
        /// Every operation keeps the spans contiguous with one open span, and a transfer or
        /// reorganisation on day `on` never changes the branch of a month that began before
        /// `on`: a move cannot rewrite a branch's past.
        #[test]
        fn moves_never_change_a_month_that_began_before_them(
            start_days in 0i64..3000,
            ops in proptest::collection::vec(op(), 1..12),
        ) {
            let start = d(2015, 1, 1) + chrono::Duration::days(start_days);
            let mut history = first_span(1, start);
            let mut last_change = start;
            for op in ops {
                match op {
                    Op::Move { to, days, reorganise } => {
                        let on = last_change + chrono::Duration::days(days);
                        let reason = if reorganise { MembershipReason::Reorganisation } else { MembershipReason::Transfer };
                        match move_to(&history, to, on, reason, today()) {
                            Ok(after) => {
                                prop_assert!(is_well_formed(&after));
                                for m in months_between(start, today()) {
                                    if m.first_day() < on {
                                        prop_assert_eq!(branch_of_month(&history, m), branch_of_month(&after, m), "month {}", m);
                                    }
                                }
                                prop_assert_eq!(branch_on(&after, on), Some(to));
                                history = after;
                                last_change = on;
                            }
                            Err(e) => prop_assert!(on > today() || on <= last_change || history.last().unwrap().branch_id == to, "{e}"),
                        }
                    }
                    Op::Correct { to, days_back } => {
                        let from = today() - chrono::Duration::days(days_back);
                        if let Ok(after) = correct(&history, to, from, today()) {
                            prop_assert!(is_well_formed(&after));
                            prop_assert_eq!(branch_on(&after, from), Some(to));
                            // Nothing before the corrected date changes.
                            for m in months_between(start, today()) {
                                if m.plus(1).first_day() <= from {
                                    prop_assert_eq!(branch_of_month(&history, m), branch_of_month(&after, m));
                                }
                            }
                            history = after;
                            last_change = history.last().unwrap().from;
                        }
                    }
                }
            }
            // Every month from the start to today belongs to exactly one branch.
            for m in months_between(start, today()) {
                prop_assert!(branch_of_month(&history, m).is_some());
            }
        }
    }
}
