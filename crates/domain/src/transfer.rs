//! 组织关系转接: a member's relationship moving from one organisation to another by an
//! introduction letter. DOMAIN.md §8 and §17.3.
//!
//! The sending organisation stays responsible until the member is received, so a transfer is a
//! record of its own with dated facts, not a change of the member's branch: the branch changes
//! only when the letter is received. A letter has a validity; once it runs out the letter is
//! expired (it can be issued again), and a letter never received is what §8 calls 口袋党员.

use chrono::NaiveDate;

use crate::admission::{Refusal, months_after};
use crate::enums::code_enum;

code_enum! {
    /// Where a transfer stands. DOMAIN.md §8.
    pub enum TransferState {
        Requested => ("requested", "已申请"),
        Issued => ("issued", "已开具介绍信"),
        Expired => ("expired", "介绍信已过期"),
        Received => ("received", "已接收"),
        Closed => ("closed", "已回执"),
        Withdrawn => ("withdrawn", "已撤回"),
    }
}

code_enum! {
    /// How far the letter goes, which sets its usual validity. DOMAIN.md §8 (S14 \[L\]).
    pub enum Reach {
        /// Within the district: the receiving branch accepts in dangjian itself.
        WithinDistrict => ("within_district", "区内"),
        WithinCity => ("within_city", "市内"),
        OutsideCity => ("outside_city", "市外"),
    }
}

code_enum! {
    /// Which way a transfer goes as seen from this database. DOMAIN.md §8.
    pub enum Direction {
        /// Both branches are here: the receiving branch accepts in dangjian itself.
        Within => ("within", "区内转接"),
        /// To an organisation outside: the member leaves the roll when received there.
        Out => ("out", "转出"),
        /// A letter from outside, registered here; the member joins a branch when received.
        In => ("in", "转入"),
    }
}

/// Which side records a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Sending,
    Receiving,
}

/// Who records `action` on a transfer going `direction`. The sending organisation issues,
/// reissues and gets the 回执; the receiving one receives. Where the other side is outside this
/// database the side that is here records what it is told: a branch sending out records that
/// the member was received there, and a branch receiving from outside registers the letter and
/// sends the 回执 itself.
pub fn side_for(direction: Direction, action: &TransferAction) -> Side {
    match (direction, action) {
        (Direction::In, _) => Side::Receiving,
        (Direction::Out, _) => Side::Sending,
        (Direction::Within, TransferAction::Receive { .. }) => Side::Receiving,
        (Direction::Within, _) => Side::Sending,
    }
}

/// A letter from outside registered on `registered_on`: issued on `issued_on` and valid until
/// `valid_until` as written on it. A letter that claims more than the policy's months, ends
/// before it starts, or is dated after it was registered is refused.
pub fn register_incoming(
    policy: &LetterPolicy,
    reach: Reach,
    issued_on: NaiveDate,
    valid_until: NaiveDate,
    registered_on: NaiveDate,
) -> Result<Transfer, Refusal> {
    if valid_until < issued_on {
        return refuse("介绍信有效期截止日不能早于开具日期");
    }
    if issued_on > registered_on {
        return refuse("介绍信开具日期不能晚于登记日期");
    }
    if valid_until > months_after(issued_on, policy.max_months) {
        return refuse(format!(
            "介绍信有效期一般不超过{}个月，请核对介绍信",
            policy.max_months
        ));
    }
    Ok(Transfer {
        issued_on: Some(issued_on),
        valid_until: Some(valid_until),
        state: TransferState::Issued,
        ..request(reach, issued_on)
    })
}

/// The letter validity an office uses. DOMAIN.md §8: commonly 10 days within the city, 30
/// outside, generally at most 3 months (S14 \[L\]); configurable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LetterPolicy {
    pub within_city_days: u32,
    pub outside_city_days: u32,
    /// The longest validity, in months.
    pub max_months: u32,
}

impl Default for LetterPolicy {
    fn default() -> Self {
        LetterPolicy {
            within_city_days: 10,
            outside_city_days: 30,
            max_months: 3,
        }
    }
}

impl LetterPolicy {
    /// The usual validity for `reach`, in days.
    pub fn usual_days(&self, reach: Reach) -> u32 {
        match reach {
            Reach::WithinDistrict | Reach::WithinCity => self.within_city_days,
            Reach::OutsideCity => self.outside_city_days,
        }
    }
}

/// A transfer as recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Transfer {
    pub reach: Reach,
    pub state: TransferState,
    pub requested_on: NaiveDate,
    pub issued_on: Option<NaiveDate>,
    /// The letter's last valid day.
    pub valid_until: Option<NaiveDate>,
    /// How many times the letter was issued again after it expired.
    pub reissued: u32,
    pub received_on: Option<NaiveDate>,
    pub receipt_on: Option<NaiveDate>,
    pub withdrawn_on: Option<NaiveDate>,
}

/// One recorded step of a transfer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TransferAction {
    /// The sending organisation approves and issues the letter; `days` of validity, or the
    /// usual for the reach.
    Issue { on: NaiveDate, days: Option<u32> },
    /// The receiving organisation received the member and assigned them to a branch.
    Receive { on: NaiveDate },
    /// The 回执 came back to the sending organisation.
    Receipt { on: NaiveDate },
    /// An expired letter issued again, on proof of why it was not used.
    Reissue { on: NaiveDate, days: Option<u32> },
    /// The member or the organisation withdrew the request before the letter was received.
    Withdraw { on: NaiveDate },
}

const BASIS: &str = "《中国共产党党员教育管理工作条例》及本地组织关系转接规定";

fn refuse<T>(reason: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal {
        reason: reason.into(),
        basis: BASIS,
    })
}

/// A new request on `on`.
pub fn request(reach: Reach, on: NaiveDate) -> Transfer {
    Transfer {
        reach,
        state: TransferState::Requested,
        requested_on: on,
        issued_on: None,
        valid_until: None,
        reissued: 0,
        received_on: None,
        receipt_on: None,
        withdrawn_on: None,
    }
}

/// The last valid day of a letter issued on `on` for `days` (the usual when none): the day of
/// issue counts as the first. More than the policy's months is refused.
pub fn valid_until(
    policy: &LetterPolicy,
    reach: Reach,
    on: NaiveDate,
    days: Option<u32>,
) -> Result<NaiveDate, Refusal> {
    let days = days.unwrap_or_else(|| policy.usual_days(reach));
    if days == 0 {
        return refuse("介绍信有效期至少1天");
    }
    let until = on + chrono::Duration::days(i64::from(days) - 1);
    let longest = months_after(on, policy.max_months);
    if until > longest {
        return refuse(format!(
            "介绍信有效期一般不超过{}个月（最迟 {longest}）",
            policy.max_months
        ));
    }
    Ok(until)
}

/// The state on `today`: an issued letter past its last valid day is expired.
pub fn state_on(t: &Transfer, today: NaiveDate) -> TransferState {
    match (t.state, t.valid_until) {
        (TransferState::Issued, Some(until)) if today > until => TransferState::Expired,
        (state, _) => state,
    }
}

/// Records `action` on `t`. DOMAIN.md §8's state machine.
pub fn apply(
    t: &Transfer,
    action: &TransferAction,
    policy: &LetterPolicy,
) -> Result<Transfer, Refusal> {
    use TransferState::*;
    let mut next = t.clone();
    let on = match action {
        TransferAction::Issue { on, .. }
        | TransferAction::Receive { on }
        | TransferAction::Receipt { on }
        | TransferAction::Reissue { on, .. }
        | TransferAction::Withdraw { on } => *on,
    };
    if on < t.requested_on {
        return refuse(format!("日期不能早于申请日期（{}）", t.requested_on));
    }
    let state = state_on(t, on);
    match action {
        TransferAction::Issue { days, .. } => {
            if t.state != Requested {
                return refuse(format!("当前为「{}」，不能开具介绍信", state.label()));
            }
            next.issued_on = Some(on);
            next.valid_until = Some(valid_until(policy, t.reach, on, *days)?);
            next.state = Issued;
        }
        TransferAction::Receive { .. } => {
            match state {
                Issued => {}
                Expired => {
                    return refuse(format!(
                        "介绍信已于 {} 过期，请原党组织重新开具后再接收",
                        t.valid_until.map(|d| d.to_string()).unwrap_or_default()
                    ));
                }
                other => return refuse(format!("当前为「{}」，不能接收", other.label())),
            }
            if t.issued_on.is_some_and(|i| on < i) {
                return refuse("接收日期不能早于开具介绍信的日期");
            }
            next.received_on = Some(on);
            next.state = Received;
        }
        TransferAction::Receipt { .. } => {
            if t.state != Received {
                return refuse("接收方接收后才有回执");
            }
            if t.received_on.is_some_and(|r| on < r) {
                return refuse("回执日期不能早于接收日期");
            }
            next.receipt_on = Some(on);
            next.state = Closed;
        }
        TransferAction::Reissue { days, .. } => {
            if state != Expired {
                return refuse("只有过期的介绍信可以重新开具");
            }
            next.issued_on = Some(on);
            next.valid_until = Some(valid_until(policy, t.reach, on, *days)?);
            next.reissued += 1;
            next.state = Issued;
        }
        TransferAction::Withdraw { .. } => {
            if !matches!(state, Requested | Issued | Expired) {
                return refuse("已接收的转接不能撤回");
            }
            next.withdrawn_on = Some(on);
            next.state = Withdrawn;
        }
    }
    Ok(next)
}

/// 口袋党员: a letter that ran out without reaching the receiving organisation, on `today`.
///
/// DOMAIN.md §8 and §17.3 define it as a letter ISSUED or EXPIRED that never reached RECEIVED.
/// Read literally that makes every member a 口袋党员 on the day their letter is issued, while
/// they are still within its validity and on their way; officers would see the flag on every
/// ordinary transfer. A letter within its validity is in transit ([`in_transit`]); one that ran
/// out unreceived is the member who kept the letter in their pocket.
pub fn is_pocket(t: &Transfer, today: NaiveDate) -> bool {
    state_on(t, today) == TransferState::Expired
}

/// A letter issued and still valid, not yet received.
pub fn in_transit(t: &Transfer, today: NaiveDate) -> bool {
    state_on(t, today) == TransferState::Issued
}

/// Whether the member is a suspected lapse (§8, §1.4): the letter was issued at least six
/// months ago, never received, and the member has had no 组织生活 or dues in the six months
/// before `today` (`last_activity` is the last meeting attended or month paid).
pub fn suspected_lapse(t: &Transfer, today: NaiveDate, last_activity: Option<NaiveDate>) -> bool {
    let Some(issued) = t.issued_on else {
        return false;
    };
    matches!(
        state_on(t, today),
        TransferState::Issued | TransferState::Expired
    ) && months_after(issued, 6) <= today
        && last_activity.is_none_or(|last| months_after(last, 6) <= today)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn issued(reach: Reach, on: NaiveDate) -> Transfer {
        apply(
            &request(reach, on),
            &TransferAction::Issue { on, days: None },
            &LetterPolicy::default(),
        )
        .unwrap()
    }

    #[test]
    fn a_letter_is_valid_ten_days_in_the_city_and_thirty_outside() {
        let city = issued(Reach::WithinCity, d(2026, 3, 1));
        assert_eq!(city.valid_until, Some(d(2026, 3, 10)));
        let outside = issued(Reach::OutsideCity, d(2026, 3, 1));
        assert_eq!(outside.valid_until, Some(d(2026, 3, 30)));
        assert_eq!(state_on(&city, d(2026, 3, 10)), TransferState::Issued);
        assert_eq!(state_on(&city, d(2026, 3, 11)), TransferState::Expired);
    }

    #[test]
    fn a_letter_is_valid_at_most_three_months() {
        let p = LetterPolicy::default();
        // 30 November plus three months is the last day of February.
        assert_eq!(
            valid_until(&p, Reach::OutsideCity, d(2026, 11, 30), Some(91)),
            Ok(d(2027, 2, 28))
        );
        assert!(valid_until(&p, Reach::OutsideCity, d(2026, 11, 30), Some(92)).is_err());
        assert!(valid_until(&p, Reach::OutsideCity, d(2026, 11, 30), Some(0)).is_err());
        let six = LetterPolicy { max_months: 6, ..p };
        assert!(valid_until(&six, Reach::OutsideCity, d(2026, 11, 30), Some(120)).is_ok());
    }

    #[test]
    fn an_expired_letter_is_not_received_but_issued_again() {
        let p = LetterPolicy::default();
        let t = issued(Reach::WithinCity, d(2026, 3, 1));
        let late = apply(&t, &TransferAction::Receive { on: d(2026, 3, 12) }, &p).unwrap_err();
        assert!(late.reason.contains("过期"), "{late}");
        let again = apply(
            &t,
            &TransferAction::Reissue {
                on: d(2026, 3, 15),
                days: None,
            },
            &p,
        )
        .unwrap();
        assert_eq!(again.reissued, 1);
        assert_eq!(again.valid_until, Some(d(2026, 3, 24)));
        // A valid letter is not issued again.
        assert!(
            apply(
                &t,
                &TransferAction::Reissue {
                    on: d(2026, 3, 5),
                    days: None
                },
                &p
            )
            .is_err()
        );
        let received = apply(&again, &TransferAction::Receive { on: d(2026, 3, 20) }, &p).unwrap();
        assert_eq!(received.state, TransferState::Received);
        let closed = apply(
            &received,
            &TransferAction::Receipt { on: d(2026, 3, 25) },
            &p,
        )
        .unwrap();
        assert_eq!(closed.state, TransferState::Closed);
        assert!(apply(&closed, &TransferAction::Withdraw { on: d(2026, 4, 1) }, &p).is_err());
    }

    #[test]
    fn no_receipt_before_the_member_is_received() {
        let p = LetterPolicy::default();
        let t = issued(Reach::WithinDistrict, d(2026, 3, 1));
        assert!(apply(&t, &TransferAction::Receipt { on: d(2026, 3, 5) }, &p).is_err());
        assert!(
            apply(
                &request(Reach::WithinCity, d(2026, 3, 1)),
                &TransferAction::Receive { on: d(2026, 3, 2) },
                &p
            )
            .is_err()
        );
    }

    #[test]
    fn a_letter_never_received_is_a_pocket_member_and_after_six_quiet_months_a_suspected_lapse() {
        let t = issued(Reach::OutsideCity, d(2026, 1, 15));
        assert!(
            !is_pocket(&t, d(2026, 2, 1)),
            "within its validity: in transit"
        );
        assert!(in_transit(&t, d(2026, 2, 13)));
        assert!(!in_transit(&t, d(2026, 2, 14)));
        assert!(
            is_pocket(&t, d(2026, 2, 14)),
            "the day after the last valid day"
        );
        assert!(is_pocket(&t, d(2026, 5, 1)), "expired, still not received");
        assert!(!suspected_lapse(&t, d(2026, 7, 14), None));
        assert!(suspected_lapse(&t, d(2026, 7, 15), None));
        // Dues paid in March: six quiet months run from then.
        assert!(!suspected_lapse(&t, d(2026, 7, 15), Some(d(2026, 3, 31))));
        assert!(suspected_lapse(&t, d(2026, 9, 30), Some(d(2026, 3, 31))));
        let p = LetterPolicy::default();
        let received = apply(&t, &TransferAction::Receive { on: d(2026, 1, 20) }, &p).unwrap();
        assert!(!is_pocket(&received, d(2026, 9, 30)));
        assert!(!suspected_lapse(&received, d(2026, 9, 30), None));
    }

    #[test]
    fn an_incoming_letter_is_taken_as_written_within_the_policy() {
        let p = LetterPolicy::default();
        let t = register_incoming(
            &p,
            Reach::OutsideCity,
            d(2026, 3, 1),
            d(2026, 3, 30),
            d(2026, 3, 5),
        )
        .unwrap();
        assert_eq!(state_on(&t, d(2026, 3, 30)), TransferState::Issued);
        assert!(apply(&t, &TransferAction::Receive { on: d(2026, 3, 6) }, &p).is_ok());
        assert!(
            register_incoming(
                &p,
                Reach::OutsideCity,
                d(2026, 3, 1),
                d(2026, 2, 28),
                d(2026, 3, 5)
            )
            .is_err()
        );
        assert!(
            register_incoming(
                &p,
                Reach::OutsideCity,
                d(2026, 3, 1),
                d(2026, 6, 2),
                d(2026, 3, 5)
            )
            .is_err()
        );
        assert!(
            register_incoming(
                &p,
                Reach::OutsideCity,
                d(2026, 3, 9),
                d(2026, 3, 30),
                d(2026, 3, 5)
            )
            .is_err()
        );
    }

    #[test]
    fn the_receiving_branch_receives_and_the_sending_one_does_the_rest() {
        let receive = TransferAction::Receive { on: d(2026, 3, 1) };
        let issue = TransferAction::Issue {
            on: d(2026, 3, 1),
            days: None,
        };
        assert_eq!(side_for(Direction::Within, &receive), Side::Receiving);
        assert_eq!(side_for(Direction::Within, &issue), Side::Sending);
        assert_eq!(side_for(Direction::Out, &receive), Side::Sending);
        assert_eq!(
            side_for(
                Direction::In,
                &TransferAction::Receipt { on: d(2026, 3, 1) }
            ),
            Side::Receiving
        );
    }

    proptest! {
        /// Whatever the steps and days, a transfer is received only on a letter that was valid
        /// that day, and closed only after it was received.
        #[test]
        fn received_only_on_a_valid_letter(
            steps in proptest::collection::vec((0u8..5, 0i64..200, proptest::option::of(1u32..100)), 0..12),
            reach in 0usize..3,
        ) {
            let p = LetterPolicy::default();
            let start = d(2026, 1, 1);
            let mut t = request(Reach::ALL[reach], start);
            for (kind, day, days) in steps {
                let on = start + chrono::Duration::days(day);
                let action = match kind {
                    0 => TransferAction::Issue { on, days },
                    1 => TransferAction::Receive { on },
                    2 => TransferAction::Receipt { on },
                    3 => TransferAction::Reissue { on, days },
                    _ => TransferAction::Withdraw { on },
                };
                let before = t.clone();
                if let Ok(next) = apply(&t, &action, &p) {
                    if let TransferAction::Receive { on } = action {
                        prop_assert!(before.valid_until.is_some_and(|u| on <= u));
                        prop_assert!(before.issued_on.is_some_and(|i| i <= on));
                    }
                    if next.state == TransferState::Closed {
                        prop_assert!(next.received_on.is_some());
                    }
                    t = next;
                }
            }
        }
    }
}
