//! 失联党员: a member the branch cannot reach, the search for them, and what follows. DOMAIN.md
//! §17 (党员教育管理工作条例 2019 Art24, S22; the 四川 排查 forms, S34).
//!
//! Two paths must not be confused (§17.1): a member who cannot be reached is 失联 (停止党籍 after
//! six months and a search, 除名 two years later); a member who can be reached but for six
//! months has not taken part, paid or done the work given is on the 自行脱党 path of §1.4.

use chrono::NaiveDate;

use crate::admission::{Refusal, months_after};
use crate::enums::code_enum;

code_enum! {
    /// Why contact was lost: the 排查 form's cause codes (S34).
    pub enum Cause {
        AwayWorking => ("away_working", "外出务工经商"),
        UnitRestructured => ("unit_restructured", "单位改制/破产"),
        GraduateUnknown => ("graduate_unknown", "毕业去向不明"),
        UnitChanged => ("unit_changed", "单位改变"),
        Abroad => ("abroad", "出国(境)"),
        Moved => ("moved", "居住地改变"),
        Other => ("other", "其他"),
    }
}

code_enum! {
    /// How the branch tried to find the member. DOMAIN.md §17.2 \[L\].
    pub enum Attempt {
        Phone => ("phone", "电话联系"),
        Visit => ("visit", "上门走访"),
        Family => ("family", "通过家属"),
        WorkUnit => ("work_unit", "通过工作单位"),
        Other => ("other", "其他方式"),
    }
}

/// Which path a quiet member is on. DOMAIN.md §17.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Path {
    /// Cannot be reached: 失联.
    LostContact,
    /// Reachable, but six months without taking part, paying or working: §1.4's 自行脱党.
    SelfLapse,
    /// Neither.
    None,
}

/// The path of a member on `today`, from whether the branch can reach them and the last day they
/// took part in 组织生活 or paid dues.
pub fn path(reachable: bool, last_activity: Option<NaiveDate>, today: NaiveDate) -> Path {
    if !reachable {
        return Path::LostContact;
    }
    match last_activity {
        Some(last) if months_after(last, 6) > today => Path::None,
        _ => Path::SelfLapse,
    }
}

/// Whether a member lost since `last_contact` (the last 组织生活 or dues, §17.2) may have their
/// membership suspended (停止党籍) when the search ended on `search_ended`: out of contact six
/// months or more (Art24). Month ends are held: from 31 August six months is 28 February.
pub fn may_suspend(last_contact: NaiveDate, search_ended: NaiveDate) -> bool {
    search_ended >= months_after(last_contact, 6)
}

/// Whether an application for restoration made on `applied_on` is within the two years after
/// the suspension of `suspended_on` (§17.2).
pub fn may_restore(suspended_on: NaiveDate, applied_on: NaiveDate) -> bool {
    applied_on >= suspended_on && applied_on < months_after(suspended_on, 24)
}

/// The day from which a member still unreachable after suspension is removed as 自行脱党 (除名):
/// two years after the suspension (Art24).
pub fn removal_from(suspended_on: NaiveDate) -> NaiveDate {
    months_after(suspended_on, 24)
}

code_enum! {
    /// Why a member is on a 摸查 list. DOMAIN.md §17.2 and §8.
    pub enum SuspectWhy {
        Quiet => ("quiet", "长期未参加组织生活且未交党费"),
        UnreceivedLetter => ("unreceived_letter", "介绍信开出后未被接收"),
    }
}

code_enum! {
    /// Where the search for one member stands. DOMAIN.md §17.1–17.2.
    pub enum CaseState {
        Searching => ("searching", "查找中"),
        Found => ("found", "已找到并恢复联系"),
        Lost => ("lost", "确认失联"),
        Suspended => ("suspended", "已停止党籍"),
        Removed => ("removed", "已除名"),
    }
}

impl CaseState {
    /// Whether the member carries the 失联 flag in this state: from the confirmation until they
    /// are found again or removed from the roll.
    pub fn flags_lost_contact(self) -> bool {
        matches!(self, CaseState::Lost | CaseState::Suspended)
    }

    /// Whether the case is settled.
    pub fn ended(self) -> bool {
        matches!(self, CaseState::Found | CaseState::Removed)
    }
}

/// The search for one member, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Case {
    pub state: CaseState,
    pub opened_on: NaiveDate,
    /// The last 组织生活 or dues the data shows: the lost-contact period runs from it (§17.2).
    pub last_activity: Option<NaiveDate>,
    /// Attempts recorded so far.
    pub attempts: u32,
    pub found_on: Option<NaiveDate>,
    pub lost_on: Option<NaiveDate>,
    pub suspended_on: Option<NaiveDate>,
    pub removed_on: Option<NaiveDate>,
}

/// A decision on a case. Attempts are recorded apart and only counted here.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CaseAction {
    /// Found and back in touch (after 支部研究 and, for a suspended member, restoration).
    Found { on: NaiveDate },
    /// Still not found after searching.
    ConfirmLost { on: NaiveDate },
    /// 停止党籍: decided by the 支部党员大会 and approved by the 党委 (§17.2).
    Suspend { on: NaiveDate, approved: bool },
    /// 除名 as 自行脱党, two years after the suspension, decided by the 支部大会 and approved
    /// above.
    Remove { on: NaiveDate, approved: bool },
}

impl CaseAction {
    pub fn on(&self) -> NaiveDate {
        match self {
            CaseAction::Found { on }
            | CaseAction::ConfirmLost { on }
            | CaseAction::Suspend { on, .. }
            | CaseAction::Remove { on, .. } => *on,
        }
    }
}

const BASIS: &str = "《中国共产党党员教育管理工作条例》第二十四条";

fn refuse<T>(reason: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal {
        reason: reason.into(),
        basis: BASIS,
    })
}

/// A new case opened on `on` for a member last active on `last_activity`.
pub fn open(on: NaiveDate, last_activity: Option<NaiveDate>) -> Case {
    Case {
        state: CaseState::Searching,
        opened_on: on,
        last_activity,
        attempts: 0,
        found_on: None,
        lost_on: None,
        suspended_on: None,
        removed_on: None,
    }
}

/// The day the lost-contact period is counted from: the last activity, or when the data shows
/// none, the day the search began (the search itself must then run six months).
pub fn out_of_contact_since(case: &Case) -> NaiveDate {
    case.last_activity.unwrap_or(case.opened_on)
}

/// Records `action` on `case`. DOMAIN.md §17.1–17.2.
pub fn decide(case: &Case, action: &CaseAction) -> Result<Case, Refusal> {
    use CaseState::*;
    let on = action.on();
    if on < case.opened_on {
        return refuse(format!("日期不能早于开始查找的日期（{}）", case.opened_on));
    }
    let mut next = case.clone();
    match action {
        CaseAction::Found { .. } => match case.state {
            Searching | Lost => {
                next.state = Found;
                next.found_on = Some(on);
            }
            Suspended => {
                let since = case.suspended_on.unwrap_or(case.opened_on);
                if !may_restore(since, on) {
                    return refuse(format!(
                        "停止党籍已满两年（{since} 起），不能恢复，只能按自行脱党除名"
                    ));
                }
                next.state = Found;
                next.found_on = Some(on);
            }
            other => return refuse(format!("当前为「{}」，不能再记为已找到", other.label())),
        },
        CaseAction::ConfirmLost { .. } => {
            if case.state != Searching {
                return refuse(format!("当前为「{}」，不能确认失联", case.state.label()));
            }
            if case.attempts == 0 {
                return refuse("确认失联前须至少记录一次查找（电话、走访、家属或工作单位）");
            }
            next.state = Lost;
            next.lost_on = Some(on);
        }
        CaseAction::Suspend { approved, .. } => {
            if case.state != Lost {
                return refuse("确认失联后才能停止党籍");
            }
            let since = out_of_contact_since(case);
            if !may_suspend(since, on) {
                return refuse(format!(
                    "失去联系满六个月（自 {since} 起，{} 满）并经查找仍无音讯的，才能停止党籍",
                    months_after(since, 6)
                ));
            }
            if !approved {
                return refuse("停止党籍须经支部党员大会讨论决定、党委批准");
            }
            next.state = Suspended;
            next.suspended_on = Some(on);
        }
        CaseAction::Remove { approved, .. } => {
            let Some(suspended) = case.suspended_on.filter(|_| case.state == Suspended) else {
                return refuse("停止党籍后仍无联系满两年，才能按自行脱党除名");
            };
            if on < removal_from(suspended) {
                return refuse(format!(
                    "停止党籍满两年（{}）后仍无联系的，才能按自行脱党除名",
                    removal_from(suspended)
                ));
            }
            if !approved {
                return refuse("除名须经支部大会讨论决定、报上级党组织批准");
            }
            next.state = Removed;
            next.removed_on = Some(on);
        }
    }
    Ok(next)
}

/// Whether a member last active on `last_activity` is a suspect on `today`: no 组织生活 and no
/// dues for `quiet_months` months (none ever recorded counts as quiet).
pub fn is_quiet(last_activity: Option<NaiveDate>, quiet_months: u32, today: NaiveDate) -> bool {
    last_activity.is_none_or(|last| months_after(last, quiet_months) <= today)
}

/// How a campaign's cases stand, for one organisation or all.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Figures {
    pub suspects: u32,
    pub searching: u32,
    pub found: u32,
    pub lost: u32,
    pub suspended: u32,
    pub removed: u32,
    /// Median days from the start of the search to finding the member, over those found.
    pub median_days_to_find: Option<i64>,
}

/// The figures of `cases`.
pub fn figures(cases: &[Case]) -> Figures {
    let mut f = Figures {
        suspects: u32::try_from(cases.len()).unwrap_or(u32::MAX),
        ..Figures::default()
    };
    let mut days: Vec<i64> = Vec::new();
    for c in cases {
        match c.state {
            CaseState::Searching => f.searching += 1,
            CaseState::Found => f.found += 1,
            CaseState::Lost => f.lost += 1,
            CaseState::Suspended => f.suspended += 1,
            CaseState::Removed => f.removed += 1,
        }
        if let Some(found) = c.found_on {
            days.push((found - c.opened_on).num_days());
        }
    }
    days.sort_unstable();
    f.median_days_to_find = match days.len() {
        0 => None,
        n if n % 2 == 1 => Some(days[n / 2]),
        // The lower of the two middle values: whole days, as an officer would count them.
        n => Some(days[n / 2 - 1]),
    };
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn six_months_out_of_contact_counted_by_calendar_month() {
        assert!(!may_suspend(d(2024, 1, 15), d(2024, 7, 14)));
        assert!(may_suspend(d(2024, 1, 15), d(2024, 7, 15)));
        assert!(!may_suspend(d(2024, 8, 31), d(2025, 2, 27)));
        assert!(may_suspend(d(2024, 8, 31), d(2025, 2, 28)));
    }

    #[test]
    fn a_reachable_member_who_stops_is_on_the_self_lapse_path_not_lost() {
        assert_eq!(
            path(true, Some(d(2024, 1, 15)), d(2024, 7, 15)),
            Path::SelfLapse
        );
        assert_eq!(path(true, Some(d(2024, 1, 15)), d(2024, 7, 14)), Path::None);
        assert_eq!(
            path(false, Some(d(2024, 7, 1)), d(2024, 7, 15)),
            Path::LostContact
        );
        assert_eq!(path(true, None, d(2024, 7, 15)), Path::SelfLapse);
    }

    #[test]
    fn restoration_is_considered_within_two_years_and_removal_comes_after() {
        assert!(may_restore(d(2024, 9, 1), d(2026, 8, 31)));
        assert!(!may_restore(d(2024, 9, 1), d(2026, 9, 1)));
        assert!(!may_restore(d(2024, 9, 1), d(2024, 8, 31)));
        assert_eq!(removal_from(d(2024, 2, 29)), d(2026, 2, 28));
    }

    #[test]
    fn the_vocabularies_read_the_forms_words() {
        assert_eq!(Cause::from_label("出国(境)"), Some(Cause::Abroad));
        assert_eq!(Attempt::from_label("上门走访"), Some(Attempt::Visit));
    }

    fn case(last: Option<NaiveDate>) -> Case {
        Case {
            attempts: 1,
            ..open(d(2026, 1, 10), last)
        }
    }

    #[test]
    fn a_member_is_confirmed_lost_only_after_someone_tried_to_find_them() {
        let fresh = open(d(2026, 1, 10), None);
        let e = decide(&fresh, &CaseAction::ConfirmLost { on: d(2026, 1, 20) }).unwrap_err();
        assert!(e.reason.contains("至少记录一次"), "{e}");
        let lost = decide(&case(None), &CaseAction::ConfirmLost { on: d(2026, 1, 20) }).unwrap();
        assert_eq!(lost.state, CaseState::Lost);
        assert!(lost.state.flags_lost_contact());
    }

    #[test]
    fn suspension_needs_six_months_out_of_contact_and_the_committees_approval() {
        let lost = decide(
            &case(Some(d(2025, 9, 30))),
            &CaseAction::ConfirmLost { on: d(2026, 2, 1) },
        )
        .unwrap();
        let early = decide(
            &lost,
            &CaseAction::Suspend {
                on: d(2026, 3, 29),
                approved: true,
            },
        )
        .unwrap_err();
        assert!(early.reason.contains("六个月"), "{early}");
        let unapproved = decide(
            &lost,
            &CaseAction::Suspend {
                on: d(2026, 3, 30),
                approved: false,
            },
        )
        .unwrap_err();
        assert!(unapproved.reason.contains("党委批准"), "{unapproved}");
        let suspended = decide(
            &lost,
            &CaseAction::Suspend {
                on: d(2026, 3, 30),
                approved: true,
            },
        )
        .unwrap();
        assert_eq!(suspended.state, CaseState::Suspended);
        // No activity in the data: the six months run from the start of the search.
        let quiet = decide(&case(None), &CaseAction::ConfirmLost { on: d(2026, 2, 1) }).unwrap();
        assert!(
            decide(
                &quiet,
                &CaseAction::Suspend {
                    on: d(2026, 7, 9),
                    approved: true
                }
            )
            .is_err()
        );
        assert!(
            decide(
                &quiet,
                &CaseAction::Suspend {
                    on: d(2026, 7, 10),
                    approved: true
                }
            )
            .is_ok()
        );
    }

    #[test]
    fn removal_comes_two_years_after_suspension_and_restoration_only_before() {
        let lost = decide(
            &case(Some(d(2024, 1, 15))),
            &CaseAction::ConfirmLost { on: d(2026, 1, 20) },
        )
        .unwrap();
        let suspended = decide(
            &lost,
            &CaseAction::Suspend {
                on: d(2026, 2, 28),
                approved: true,
            },
        )
        .unwrap();
        assert!(
            decide(
                &suspended,
                &CaseAction::Remove {
                    on: d(2028, 2, 27),
                    approved: true
                }
            )
            .is_err()
        );
        let removed = decide(
            &suspended,
            &CaseAction::Remove {
                on: d(2028, 2, 28),
                approved: true,
            },
        )
        .unwrap();
        assert_eq!(removed.state, CaseState::Removed);
        assert!(!removed.state.flags_lost_contact());
        assert!(decide(&suspended, &CaseAction::Found { on: d(2028, 2, 27) }).is_ok());
        assert!(decide(&suspended, &CaseAction::Found { on: d(2028, 2, 28) }).is_err());
        assert!(decide(&removed, &CaseAction::Found { on: d(2028, 3, 1) }).is_err());
    }

    #[test]
    fn quiet_members_and_the_campaign_figures() {
        assert!(is_quiet(None, 6, d(2026, 11, 30)));
        assert!(!is_quiet(Some(d(2026, 5, 31)), 6, d(2026, 11, 29)));
        assert!(is_quiet(Some(d(2026, 5, 31)), 6, d(2026, 11, 30)));
        let found = |days: i64| Case {
            state: CaseState::Found,
            found_on: Some(d(2026, 1, 10) + chrono::Duration::days(days)),
            ..case(None)
        };
        let f = figures(&[found(3), found(10), found(40), case(None)]);
        assert_eq!((f.suspects, f.found, f.searching), (4, 3, 1));
        assert_eq!(f.median_days_to_find, Some(10));
        assert_eq!(figures(&[found(3), found(10)]).median_days_to_find, Some(3));
        assert_eq!(figures(&[]).median_days_to_find, None);
    }

    proptest! {
        /// No sequence of decisions flags a member lost who was never searched for, or removes
        /// one without a suspension two years old.
        #[test]
        fn no_removal_without_suspension_and_two_years(
            steps in proptest::collection::vec((0u8..4, 0i64..1500, any::<bool>()), 0..10),
        ) {
            let mut c = open(d(2024, 1, 1), Some(d(2023, 6, 1)));
            for (kind, day, approved) in steps {
                let on = d(2024, 1, 1) + chrono::Duration::days(day);
                let action = match kind {
                    0 => CaseAction::Found { on },
                    1 => CaseAction::ConfirmLost { on },
                    2 => CaseAction::Suspend { on, approved },
                    _ => CaseAction::Remove { on, approved },
                };
                if let Ok(next) = decide(&c, &action) {
                    prop_assert!(next.state != CaseState::Lost || c.attempts > 0);
                    if next.state == CaseState::Removed && c.state != CaseState::Removed {
                        prop_assert!(c.suspended_on.is_some_and(|s| on >= removal_from(s)));
                    }
                    c = next;
                }
            }
        }

        /// Restoration and removal never overlap: before the removal day an application may be
        /// considered, from it on it may not.
        #[test]
        fn restore_until_removal(days in 0i64..3000, after in 0i64..1200) {
            let suspended = d(2020, 1, 1) + chrono::Duration::days(days);
            let applied = suspended + chrono::Duration::days(after);
            prop_assert_eq!(may_restore(suspended, applied), applied < removal_from(suspended));
        }
    }
}
