//! Political birthdays (政治生日) and counting years since a date.
//!
//! The 政治生日 is the admission date recorded in the 入党志愿书, repeated each
//! year; 党龄 counts from the date the member became full. Both are plain date
//! arithmetic over a stored date, never derived from other records, because
//! earlier periods used other definitions (DOMAIN.md §9).

use chrono::{Datelike, NaiveDate};

/// Version of the anniversary rules (Feb 29 falls back to Feb 28).
pub const RULE_VERSION: &str = "dates-2024.1";

/// The anniversary of `from` in `year`. A missing day clamps to month end, so
/// someone admitted on 29 February celebrates on 28 February in common years.
/// DOMAIN.md §9; clamping per DOMAIN.md preamble (S21c).
///
/// # Panics
/// If `year` is outside chrono's date range.
pub fn anniversary_in_year(from: NaiveDate, year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, from.month(), from.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, from.month(), 28))
        .expect("year within chrono's range")
}

/// Completed years from `from` to `today` (e.g. 党龄 from `full_on`, or years
/// since `admitted_on`); 0 if `today` is before `from`. A year completes on the
/// anniversary as defined by [`anniversary_in_year`]. DOMAIN.md §9.
pub fn years_since(from: NaiveDate, today: NaiveDate) -> u32 {
    if today <= from {
        return 0;
    }
    let mut years = today.year() - from.year();
    if today < anniversary_in_year(from, today.year()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

/// Whether `today` is a political birthday of a member admitted on `from`.
/// The admission day itself is not an anniversary. DOMAIN.md §9.
pub fn is_anniversary(from: NaiveDate, today: NaiveDate) -> bool {
    today.year() > from.year() && today == anniversary_in_year(from, today.year())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn completed_years() {
        let from = d(2001, 7, 1);
        assert_eq!(years_since(from, d(2001, 7, 1)), 0);
        assert_eq!(years_since(from, d(2002, 6, 30)), 0);
        assert_eq!(years_since(from, d(2002, 7, 1)), 1);
        assert_eq!(years_since(from, d(2024, 12, 31)), 23);
        assert_eq!(years_since(from, d(1990, 1, 1)), 0);
    }

    #[test]
    fn leap_day_admission() {
        let from = d(2004, 2, 29);
        assert_eq!(anniversary_in_year(from, 2005), d(2005, 2, 28));
        assert_eq!(anniversary_in_year(from, 2008), d(2008, 2, 29));
        assert!(is_anniversary(from, d(2005, 2, 28)));
        assert!(!is_anniversary(from, d(2005, 3, 1)));
        assert!(is_anniversary(from, d(2008, 2, 29)));
        assert!(!is_anniversary(from, d(2008, 2, 28)));
        assert_eq!(years_since(from, d(2005, 2, 27)), 0);
        assert_eq!(years_since(from, d(2005, 2, 28)), 1);
        assert_eq!(years_since(from, d(2008, 2, 28)), 3);
        assert_eq!(years_since(from, d(2008, 2, 29)), 4);
        // 2100 is not a leap year.
        assert_eq!(anniversary_in_year(from, 2100), d(2100, 2, 28));
    }

    #[test]
    fn anniversaries() {
        let from = d(1985, 7, 1);
        assert!(!is_anniversary(from, from));
        assert!(is_anniversary(from, d(2024, 7, 1)));
        assert!(!is_anniversary(from, d(2024, 7, 2)));
        assert!(!is_anniversary(from, d(1984, 7, 1)));
    }

    fn arb_date() -> impl Strategy<Value = NaiveDate> {
        (-40_000i32..40_000).prop_map(|n| d(2000, 1, 1) + chrono::Duration::days(i64::from(n)))
    }

    proptest! {
        #[test]
        fn years_since_is_monotone(from in arb_date(), a in arb_date(), b in arb_date()) {
            let (t1, t2) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(years_since(from, t1) <= years_since(from, t2));
        }

        #[test]
        fn anniversaries_bump_the_count(from in arb_date(), years in 1i32..80) {
            let day = anniversary_in_year(from, from.year() + years);
            prop_assert!(is_anniversary(from, day));
            prop_assert_eq!(years_since(from, day), years as u32);
            prop_assert_eq!(years_since(from, day.pred_opt().unwrap()), years as u32 - 1);
        }
    }
}
