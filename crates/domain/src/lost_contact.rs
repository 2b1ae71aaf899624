//! 失联党员: a member the branch cannot reach, the search for them, and what follows. DOMAIN.md
//! §17 (党员教育管理工作条例 2019 Art24, S22; the 四川 排查 forms, S34).
//!
//! Two paths must not be confused (§17.1): a member who cannot be reached is 失联 (停止党籍 after
//! six months and a search, 除名 two years later); a member who can be reached but for six
//! months has not taken part, paid or done the work given is on the 自行脱党 path of §1.4.

use chrono::NaiveDate;

use crate::admission::months_after;
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

    proptest! {
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
