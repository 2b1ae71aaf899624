//! Who has a vote (表决权) at a branch meeting, and the dated restrictions that take a member's
//! rights away for a time: 留党察看 and 停止党员权利. DOMAIN.md §2.1.
//!
//! A member's standing is judged on one day (the meeting's), from facts that carry their dates:
//! the 入党日期 and 转正日期, and restrictions that run from a day until the day the
//! organisation restores the member's rights. A restriction is never rewritten: ending one records
//! the day rights came back, so a past meeting's voters can still be counted as they were.

use chrono::{Months, NaiveDate};

use crate::MemberStatus;
use crate::enums::code_enum;

/// Version of the voting-rights rules: DOMAIN.md §2.1 (S9 Art5) for who votes, 党章 Art40 for the
/// 留党察看 terms.
pub const RULE_VERSION: &str = "rights-2026.1";

/// The terms a 留党察看 may be given for: one year or two (党章 Art40: 留党察看最长不超过两年).
pub const PARTY_PROBATION_TERMS: [u32; 2] = [12, 24];

code_enum! {
    /// A restriction of a member's rights. DOMAIN.md §2.1: members under 留党察看, and members
    /// whose rights are suspended while 留置 or 逮捕, have no vote (S9 Art5).
    pub enum RestrictionKind {
        PartyProbation => ("party_probation", "留党察看"),
        RightsSuspended => ("rights_suspended", "停止党员权利", "中止党员权利"),
    }
}

/// One restriction as recorded. It is in force from `from` (inclusive) until `ended_on`, the day
/// the member's rights were restored (exclusive); open while `ended_on` is `None`.
/// `term_months` is the 留党察看 term; `None` for a suspension, which lasts as long as its cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restriction {
    pub kind: RestrictionKind,
    pub from: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    pub term_months: Option<u32>,
}

impl Restriction {
    /// Whether the restriction is in force on `day`.
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.from <= day && self.ended_on.is_none_or(|end| day < end)
    }

    /// The day a 留党察看 term runs out (期满), when the organisation has to restore the member's
    /// rights or decide otherwise. Rights do not come back by themselves, so the restriction
    /// stays in force until it is ended. `None` for suspensions.
    pub fn term_ends(&self) -> Option<NaiveDate> {
        self.from.checked_add_months(Months::new(self.term_months?))
    }

    /// Whether two restrictions cover at least one common day.
    fn overlaps(&self, other: &Restriction) -> bool {
        let before = |end: Option<NaiveDate>, start: NaiveDate| end.is_some_and(|e| e <= start);
        !before(self.ended_on, other.from) && !before(other.ended_on, self.from)
    }
}

/// What a member's standing on a day depends on besides restrictions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusFacts {
    pub status: MemberStatus,
    /// 入党日期.
    pub admitted_on: NaiveDate,
    /// 转正日期. A 正式党员 without one on record counts as 正式 since before any day asked about:
    /// older registers often lack the date, and their members have long voted.
    pub full_on: Option<NaiveDate>,
}

code_enum! {
    /// A member's standing at a meeting: a voter, or why not. DOMAIN.md §2.1.
    pub enum Standing {
        Voter => ("voter", "有表决权"),
        NotYetMember => ("not_yet_member", "尚未入党"),
        Probationary => ("probationary", "预备党员"),
        PartyProbation => ("party_probation", "留党察看"),
        RightsSuspended => ("rights_suspended", "停止党员权利"),
    }
}

/// A member's standing on `day`. DOMAIN.md §2.1: voters are 正式党员; 预备党员, members under
/// 留党察看 and members whose rights are suspended have no vote. Checked in this order:
/// 1. Admitted after `day` → NotYetMember.
/// 2. Status 预备, or 转正日期 after `day` (still 预备 then) → Probationary.
/// 3. A 留党察看 in force on `day` → PartyProbation; else a suspension in force → RightsSuspended.
/// 4. Otherwise → Voter.
pub fn standing_on(facts: &StatusFacts, restrictions: &[Restriction], day: NaiveDate) -> Standing {
    if facts.admitted_on > day {
        return Standing::NotYetMember;
    }
    let full_then = match facts.status {
        MemberStatus::Probationary => false,
        MemberStatus::Full => facts.full_on.is_none_or(|f| f <= day),
    };
    if !full_then {
        return Standing::Probationary;
    }
    let in_force = |kind| restrictions.iter().any(|r| r.kind == kind && r.covers(day));
    if in_force(RestrictionKind::PartyProbation) {
        Standing::PartyProbation
    } else if in_force(RestrictionKind::RightsSuspended) {
        Standing::RightsSuspended
    } else {
        Standing::Voter
    }
}

/// Whether the member has a vote on `day`. DOMAIN.md §2.1; see [`standing_on`].
pub fn is_voter(facts: &StatusFacts, restrictions: &[Restriction], day: NaiveDate) -> bool {
    standing_on(facts, restrictions, day) == Standing::Voter
}

/// Members of one group (on the list, or present) counted by standing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub total: u32,
    pub voters: u32,
    pub not_yet_member: u32,
    pub probationary: u32,
    pub party_probation: u32,
    pub rights_suspended: u32,
}

impl Tally {
    fn add(&mut self, standing: Standing) {
        self.total += 1;
        *match standing {
            Standing::Voter => &mut self.voters,
            Standing::NotYetMember => &mut self.not_yet_member,
            Standing::Probationary => &mut self.probationary,
            Standing::PartyProbation => &mut self.party_probation,
            Standing::RightsSuspended => &mut self.rights_suspended,
        } += 1;
    }

    /// Those without a vote, by standing, leaving out standings nobody has.
    pub fn non_voters(&self) -> Vec<(Standing, u32)> {
        [
            (Standing::Probationary, self.probationary),
            (Standing::PartyProbation, self.party_probation),
            (Standing::RightsSuspended, self.rights_suspended),
            (Standing::NotYetMember, self.not_yet_member),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect()
    }
}

/// A meeting's attendance list counted for a vote: everyone listed (应到会 before excluding
/// non-voters) and everyone marked present. DOMAIN.md §2.1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Electorate {
    pub listed: Tally,
    pub present: Tally,
}

/// Counts an attendance list given as (present, standing) per member.
pub fn electorate(attendees: impl IntoIterator<Item = (bool, Standing)>) -> Electorate {
    let mut e = Electorate::default();
    for (present, standing) in attendees {
        e.listed.add(standing);
        if present {
            e.present.add(standing);
        }
    }
    e
}

/// Typed vote counts that the attendance list does not bear out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountError {
    /// 应到会 above the voters on the list. Fewer is allowed: DOMAIN.md §2.1 lets a 党员大会 remove
    /// members from 应到会 with 上级 consent, which the record cannot know about.
    ExpectedAboveList { typed: u32, voters: u32 },
    /// 实到会 above the voters marked present (some may leave before the vote, nobody unrecorded
    /// can join it).
    PresentAboveList { typed: u32, voters: u32 },
}

/// Checks typed 应到会 and 实到会 against the voters the attendance list records.
pub fn check_counts(
    expected: u32,
    present: u32,
    electorate: &Electorate,
) -> Result<(), CountError> {
    if expected > electorate.listed.voters {
        return Err(CountError::ExpectedAboveList {
            typed: expected,
            voters: electorate.listed.voters,
        });
    }
    if present > electorate.present.voters {
        return Err(CountError::PresentAboveList {
            typed: present,
            voters: electorate.present.voters,
        });
    }
    Ok(())
}

/// Why a restriction cannot be recorded or ended as entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RestrictionError {
    #[error("起始日期不能晚于今天：请在作出决定后登记")]
    StartsInFuture,
    #[error("起始日期早于入党日期")]
    BeforeAdmission,
    /// 《中国共产党纪律处分条例》: a 预备党员 who breaks discipline keeps the status with a
    /// warning or an extended probation, or loses it; 留党察看 is for 正式党员 only.
    #[error(
        "预备党员不适用留党察看：按《中国共产党纪律处分条例》，预备党员违纪的，应批评教育、延长预备期或取消预备党员资格"
    )]
    ProbationaryMember,
    #[error("留党察看期限应为一年或二年（党章第四十条：留党察看最长不超过两年）")]
    BadTerm,
    #[error("停止党员权利不设期限，恢复党员权利时登记恢复日期")]
    TermNotApplicable,
    #[error("与 {from} 起的另一项{kind}时间重叠")]
    Overlaps { kind: &'static str, from: NaiveDate },
    #[error("恢复日期须晚于起始日期 {from}")]
    EndNotAfterStart { from: NaiveDate },
    #[error("恢复日期不能晚于今天")]
    EndInFuture,
    #[error("这项限制已于 {ended_on} 结束")]
    AlreadyEnded { ended_on: NaiveDate },
}

/// Checks a restriction about to be recorded for a member with `facts`, beside the member's
/// `existing` restrictions, on `today`:
/// - it starts no later than today and no earlier than the 入党日期;
/// - 留党察看 is for a member who was 正式 on its first day, for one or two years;
///   a suspension has no term;
/// - it overlaps no other restriction of the same kind, so each day has one record of each kind.
pub fn check_new(
    new: &Restriction,
    facts: &StatusFacts,
    existing: &[Restriction],
    today: NaiveDate,
) -> Result<(), RestrictionError> {
    if new.from > today {
        return Err(RestrictionError::StartsInFuture);
    }
    if new.from < facts.admitted_on {
        return Err(RestrictionError::BeforeAdmission);
    }
    if let Some(end) = new.ended_on {
        check_end_date(new, end, today)?;
    }
    match new.kind {
        RestrictionKind::PartyProbation => {
            if standing_on(facts, &[], new.from) != Standing::Voter {
                return Err(RestrictionError::ProbationaryMember);
            }
            if !new
                .term_months
                .is_some_and(|t| PARTY_PROBATION_TERMS.contains(&t))
            {
                return Err(RestrictionError::BadTerm);
            }
        }
        RestrictionKind::RightsSuspended => {
            if new.term_months.is_some() {
                return Err(RestrictionError::TermNotApplicable);
            }
        }
    }
    if let Some(other) = existing
        .iter()
        .find(|r| r.kind == new.kind && r.overlaps(new))
    {
        return Err(RestrictionError::Overlaps {
            kind: other.kind.label(),
            from: other.from,
        });
    }
    Ok(())
}

/// Checks ending `restriction` with rights restored on `ended_on`, on `today`.
pub fn check_end(
    restriction: &Restriction,
    ended_on: NaiveDate,
    today: NaiveDate,
) -> Result<(), RestrictionError> {
    if let Some(ended_on) = restriction.ended_on {
        return Err(RestrictionError::AlreadyEnded { ended_on });
    }
    check_end_date(restriction, ended_on, today)
}

fn check_end_date(
    restriction: &Restriction,
    ended_on: NaiveDate,
    today: NaiveDate,
) -> Result<(), RestrictionError> {
    if ended_on <= restriction.from {
        return Err(RestrictionError::EndNotAfterStart {
            from: restriction.from,
        });
    }
    if ended_on > today {
        return Err(RestrictionError::EndInFuture);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn full(admitted: NaiveDate, full_on: Option<NaiveDate>) -> StatusFacts {
        StatusFacts {
            status: MemberStatus::Full,
            admitted_on: admitted,
            full_on,
        }
    }

    fn probation(from: NaiveDate, ended_on: Option<NaiveDate>) -> Restriction {
        Restriction {
            kind: RestrictionKind::PartyProbation,
            from,
            ended_on,
            term_months: Some(12),
        }
    }

    fn suspension(from: NaiveDate, ended_on: Option<NaiveDate>) -> Restriction {
        Restriction {
            kind: RestrictionKind::RightsSuspended,
            from,
            ended_on,
            term_months: None,
        }
    }

    #[test]
    fn full_members_vote_and_probationary_ones_do_not() {
        let day = d(2026, 6, 30);
        let member = full(d(2010, 7, 1), Some(d(2011, 7, 1)));
        assert_eq!(standing_on(&member, &[], day), Standing::Voter);
        let newcomer = StatusFacts {
            status: MemberStatus::Probationary,
            admitted_on: d(2026, 1, 10),
            full_on: None,
        };
        assert_eq!(standing_on(&newcomer, &[], day), Standing::Probationary);
        assert_eq!(
            standing_on(&member, &[], d(2009, 1, 1)),
            Standing::NotYetMember
        );
    }

    #[test]
    fn the_conversion_date_decides_for_past_meetings() {
        let member = full(d(2025, 3, 1), Some(d(2026, 3, 1)));
        assert_eq!(
            standing_on(&member, &[], d(2026, 2, 28)),
            Standing::Probationary
        );
        assert_eq!(standing_on(&member, &[], d(2026, 3, 1)), Standing::Voter);
        // No 转正日期 on record: 正式 since before any meeting asked about.
        let undated = full(d(1990, 7, 1), None);
        assert_eq!(standing_on(&undated, &[], d(1990, 7, 1)), Standing::Voter);
    }

    #[test]
    fn restrictions_take_the_vote_from_their_first_day_until_rights_are_restored() {
        let member = full(d(2000, 7, 1), Some(d(2001, 7, 1)));
        let r = [probation(d(2026, 3, 10), Some(d(2027, 3, 10)))];
        assert_eq!(standing_on(&member, &r, d(2026, 3, 9)), Standing::Voter);
        assert_eq!(
            standing_on(&member, &r, d(2026, 3, 10)),
            Standing::PartyProbation
        );
        assert_eq!(
            standing_on(&member, &r, d(2027, 3, 9)),
            Standing::PartyProbation
        );
        assert_eq!(standing_on(&member, &r, d(2027, 3, 10)), Standing::Voter);
        let open = [suspension(d(2026, 5, 1), None)];
        assert_eq!(
            standing_on(&member, &open, d(2036, 1, 1)),
            Standing::RightsSuspended
        );
        // Both at once: 留党察看 is named first.
        let both = [r[0], open[0]];
        assert_eq!(
            standing_on(&member, &both, d(2026, 6, 1)),
            Standing::PartyProbation
        );
    }

    #[test]
    fn a_term_ends_a_year_or_two_on_and_clamps_to_month_end() {
        let r = probation(d(2024, 2, 29), None);
        assert_eq!(r.term_ends(), Some(d(2025, 2, 28)));
        let two = Restriction {
            term_months: Some(24),
            ..probation(d(2025, 3, 10), None)
        };
        assert_eq!(two.term_ends(), Some(d(2027, 3, 10)));
        assert_eq!(suspension(d(2025, 3, 10), None).term_ends(), None);
    }

    #[test]
    fn the_electorate_counts_the_list_and_those_present() {
        use Standing::*;
        let e = electorate([
            (true, Voter),
            (true, Voter),
            (false, Voter),
            (true, Probationary),
            (true, Probationary),
            (false, PartyProbation),
        ]);
        assert_eq!((e.listed.total, e.listed.voters), (6, 3));
        assert_eq!((e.present.total, e.present.voters), (4, 2));
        assert_eq!(
            e.listed.non_voters(),
            vec![(Probationary, 2), (PartyProbation, 1)]
        );
        assert_eq!(e.present.non_voters(), vec![(Probationary, 2)]);
        assert_eq!(check_counts(3, 2, &e), Ok(()));
        assert_eq!(check_counts(2, 1, &e), Ok(()), "fewer is allowed");
        assert_eq!(
            check_counts(6, 2, &e),
            Err(CountError::ExpectedAboveList {
                typed: 6,
                voters: 3
            })
        );
        assert_eq!(
            check_counts(3, 4, &e),
            Err(CountError::PresentAboveList {
                typed: 4,
                voters: 2
            })
        );
    }

    #[test]
    fn new_restrictions_are_checked() {
        let today = d(2026, 11, 29);
        let member = full(d(2000, 7, 1), Some(d(2001, 7, 1)));
        let ok = probation(d(2026, 3, 10), None);
        assert_eq!(check_new(&ok, &member, &[], today), Ok(()));
        assert_eq!(
            check_new(&probation(d(2026, 12, 1), None), &member, &[], today),
            Err(RestrictionError::StartsInFuture)
        );
        assert_eq!(
            check_new(&probation(d(1999, 1, 1), None), &member, &[], today),
            Err(RestrictionError::BeforeAdmission)
        );
        // Still 预备 on the first day: no 留党察看, but a suspension is possible.
        let newcomer = full(d(2025, 12, 1), Some(d(2026, 12, 1)));
        assert_eq!(
            check_new(&ok, &newcomer, &[], today),
            Err(RestrictionError::ProbationaryMember)
        );
        assert_eq!(
            check_new(&suspension(d(2026, 3, 10), None), &newcomer, &[], today),
            Ok(())
        );
        let three_years = Restriction {
            term_months: Some(36),
            ..ok
        };
        assert_eq!(
            check_new(&three_years, &member, &[], today),
            Err(RestrictionError::BadTerm)
        );
        let termed_suspension = Restriction {
            term_months: Some(12),
            ..suspension(d(2026, 3, 10), None)
        };
        assert_eq!(
            check_new(&termed_suspension, &member, &[], today),
            Err(RestrictionError::TermNotApplicable)
        );
        // One open 留党察看 at a time; a suspension may run alongside it.
        let existing = [probation(d(2025, 1, 1), None)];
        assert!(matches!(
            check_new(&ok, &member, &existing, today),
            Err(RestrictionError::Overlaps { .. })
        ));
        assert_eq!(
            check_new(&suspension(d(2026, 3, 10), None), &member, &existing, today),
            Ok(())
        );
        // An ended one leaves room from its end day on.
        let ended = [probation(d(2024, 1, 1), Some(d(2025, 1, 1)))];
        assert_eq!(
            check_new(&probation(d(2025, 1, 1), None), &member, &ended, today),
            Ok(())
        );
        assert!(check_new(&probation(d(2024, 12, 31), None), &member, &ended, today).is_err());
    }

    #[test]
    fn ending_is_checked() {
        let today = d(2026, 11, 29);
        let r = probation(d(2025, 3, 10), None);
        assert_eq!(check_end(&r, d(2026, 3, 10), today), Ok(()));
        assert_eq!(
            check_end(&r, d(2025, 3, 10), today),
            Err(RestrictionError::EndNotAfterStart {
                from: d(2025, 3, 10)
            })
        );
        assert_eq!(
            check_end(&r, d(2026, 12, 1), today),
            Err(RestrictionError::EndInFuture)
        );
        let ended = probation(d(2025, 3, 10), Some(d(2026, 3, 10)));
        assert_eq!(
            check_end(&ended, d(2026, 4, 1), today),
            Err(RestrictionError::AlreadyEnded {
                ended_on: d(2026, 3, 10)
            })
        );
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        (0i64..20_000).prop_map(|n| d(1970, 1, 1) + chrono::Duration::days(n))
    }

    fn any_facts() -> impl Strategy<Value = StatusFacts> {
        (any::<bool>(), any_date(), proptest::option::of(0i64..1000)).prop_map(
            |(full_member, admitted, after)| StatusFacts {
                status: if full_member {
                    MemberStatus::Full
                } else {
                    MemberStatus::Probationary
                },
                admitted_on: admitted,
                full_on: after
                    .filter(|_| full_member)
                    .map(|n| admitted + chrono::Duration::days(n)),
            },
        )
    }

    fn any_restriction() -> impl Strategy<Value = Restriction> {
        (any::<bool>(), any_date(), proptest::option::of(1i64..2000)).prop_map(
            |(probation, from, length)| Restriction {
                kind: if probation {
                    RestrictionKind::PartyProbation
                } else {
                    RestrictionKind::RightsSuspended
                },
                from,
                ended_on: length.map(|n| from + chrono::Duration::days(n)),
                term_months: probation.then_some(12),
            },
        )
    }

    proptest! {
        #[test]
        fn adding_a_restriction_never_adds_voters(
            members in proptest::collection::vec(
                (any_facts(), proptest::collection::vec(any_restriction(), 0..3), any::<bool>()),
                0..20,
            ),
            extra in any_restriction(),
            who in 0usize..20,
            day in any_date(),
        ) {
            let count = |members: &[(StatusFacts, Vec<Restriction>, bool)]| {
                electorate(members.iter().map(|(f, r, present)| (*present, standing_on(f, r, day))))
            };
            let before = count(&members);
            let mut after = members.clone();
            if let Some(m) = after.get_mut(who) {
                m.1.push(extra);
            }
            let after = count(&after);
            prop_assert!(after.listed.voters <= before.listed.voters);
            prop_assert!(after.present.voters <= before.present.voters);
            prop_assert_eq!(after.listed.total, before.listed.total);
            prop_assert!(before.present.voters <= before.listed.voters);
        }

        #[test]
        fn nobody_votes_before_their_conversion_or_admission(
            facts in any_facts(),
            restrictions in proptest::collection::vec(any_restriction(), 0..3),
            day in any_date(),
        ) {
            if is_voter(&facts, &restrictions, day) {
                prop_assert_eq!(facts.status, MemberStatus::Full);
                prop_assert!(facts.admitted_on <= day);
                prop_assert!(facts.full_on.is_none_or(|f| f <= day));
                prop_assert!(restrictions.iter().all(|r| !r.covers(day)));
            }
        }

        #[test]
        fn a_full_member_without_restrictions_in_force_votes(
            facts in any_facts(),
            restrictions in proptest::collection::vec(any_restriction(), 0..3),
            day in any_date(),
        ) {
            let full_then = facts.status == MemberStatus::Full
                && facts.admitted_on <= day
                && facts.full_on.is_none_or(|f| f <= day);
            let restricted = restrictions.iter().any(|r| r.covers(day));
            prop_assert_eq!(is_voter(&facts, &restrictions, day), full_then && !restricted);
        }

        #[test]
        fn ending_a_restriction_earlier_never_removes_voters(
            facts in any_facts(),
            r in any_restriction(),
            cut in 1i64..2000,
            day in any_date(),
        ) {
            let cut_at = r.from + chrono::Duration::days(cut);
            let earlier = Restriction {
                ended_on: Some(r.ended_on.map_or(cut_at, |e| e.min(cut_at))),
                ..r
            };
            if is_voter(&facts, &[r], day) {
                prop_assert!(is_voter(&facts, &[earlier], day));
            }
        }

        #[test]
        fn accepted_restrictions_never_overlap_their_own_kind(
            facts in any_facts(),
            existing in proptest::collection::vec(any_restriction(), 0..4),
            new in any_restriction(),
            day in any_date(),
        ) {
            let today = d(2030, 1, 1);
            if check_new(&new, &facts, &existing, today).is_ok() {
                for r in existing.iter().filter(|r| r.kind == new.kind) {
                    prop_assert!(!(r.covers(day) && new.covers(day)));
                }
            }
        }
    }
}
