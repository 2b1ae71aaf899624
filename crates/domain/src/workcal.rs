//! Chinese work calendar (工作日历): which days are working days under the
//! State Council's yearly holiday arrangement, and the working-time arithmetic
//! behind the deadlines of residents' calls.
//!
//! DESIGN.md (你呼我应: "call lifecycle and SLA on a work calendar") and seed
//! article 002 (Liwan, 快呼快应); DOMAIN.md has no section for this yet.
//! Time limits on calls are read as working time \[L\]: a call made on Friday
//! evening is not late on Monday morning.
//!
//! All times are `NaiveDateTime` in Asia/Shanghai local time; the caller
//! converts, and passes `now`. Working time is counted in whole seconds inside
//! and reported in whole minutes, so a deadline computed from a stored
//! timestamp that carries seconds still lands exactly where the budget ends.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike, Weekday};

/// Version of the calendar rules: working time of the default office hours,
/// with the 国务院办公厅 arrangement for 2026. Store it with every deadline.
pub const RULE_VERSION: &str = "workcal-2026.1";

// ---------------------------------------------------------------------------
// Working hours

/// One span of office hours within a day, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct WorkSpan {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

/// The office hours of a working day: sorted, non-overlapping spans on whole
/// minutes. Validated on construction and on deserialisation, because every
/// deadline computation relies on a day having some working time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "Vec<WorkSpan>", into = "Vec<WorkSpan>")]
pub struct WorkHours {
    spans: Vec<WorkSpan>,
}

impl WorkHours {
    /// Office hours from spans given in any order.
    pub fn new(mut spans: Vec<WorkSpan>) -> Result<WorkHours, WorkCalError> {
        if spans.is_empty() {
            return Err(WorkCalError::NoSpans);
        }
        for span in &spans {
            if !on_whole_minute(span.start) || !on_whole_minute(span.end) {
                return Err(WorkCalError::NotWholeMinutes);
            }
            if span.start >= span.end {
                return Err(WorkCalError::SpanBackwards {
                    start: span.start,
                    end: span.end,
                });
            }
        }
        spans.sort_by_key(|s| s.start);
        if spans.windows(2).any(|w| w[0].end > w[1].start) {
            return Err(WorkCalError::SpansOverlap);
        }
        Ok(WorkHours { spans })
    }

    pub fn spans(&self) -> &[WorkSpan] {
        &self.spans
    }

    /// Working minutes in a full working day (420 for the default hours).
    pub fn minutes_per_day(&self) -> i64 {
        self.spans
            .iter()
            .map(|s| (s.end - s.start).num_minutes())
            .sum()
    }
}

/// 09:00–12:00 and 13:30–17:30, the usual hours of a 街道 or 社区 office
/// \[L\]; offices differ, which is why the spans are configurable.
impl Default for WorkHours {
    fn default() -> WorkHours {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid time");
        WorkHours {
            spans: vec![
                WorkSpan {
                    start: t(9, 0),
                    end: t(12, 0),
                },
                WorkSpan {
                    start: t(13, 30),
                    end: t(17, 30),
                },
            ],
        }
    }
}

impl TryFrom<Vec<WorkSpan>> for WorkHours {
    type Error = WorkCalError;
    fn try_from(spans: Vec<WorkSpan>) -> Result<WorkHours, WorkCalError> {
        WorkHours::new(spans)
    }
}

impl From<WorkHours> for Vec<WorkSpan> {
    fn from(hours: WorkHours) -> Vec<WorkSpan> {
        hours.spans
    }
}

fn on_whole_minute(t: NaiveTime) -> bool {
    t.second() == 0 && t.nanosecond() == 0
}

/// Why a calendar configuration was rejected; shown to the admin as-is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkCalError {
    #[error("至少需要一个工作时段")]
    NoSpans,
    #[error("工作时段须精确到分钟")]
    NotWholeMinutes,
    #[error("工作时段 {start}–{end} 的开始时间须早于结束时间")]
    SpanBackwards { start: NaiveTime, end: NaiveTime },
    #[error("工作时段不能重叠")]
    SpansOverlap,
    #[error("{date} 不在 {year} 年内")]
    OutsideYear { date: NaiveDate, year: i32 },
    #[error("{date} 不能既是放假日又是调休上班日")]
    BothHolidayAndWorkday { date: NaiveDate },
    #[error("调休上班日 {date} 应为周六或周日")]
    MakeupNotWeekend { date: NaiveDate },
}

// ---------------------------------------------------------------------------
// Yearly arrangements

/// The holiday arrangement of one year as published by 国务院办公厅:
/// 放假 days (including the weekend days inside a holiday) and 调休上班 days
/// (weekend days that are working days).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct YearArrangement {
    pub year: i32,
    pub holidays: Vec<NaiveDate>,
    pub makeup_workdays: Vec<NaiveDate>,
}

/// 国务院办公厅关于2026年部分节假日安排的通知:
/// - 元旦 1月1日–3日放假, 1月4日（周日）上班.
/// - 春节 2月15日–23日放假, 2月14日（周六）、2月28日（周六）上班.
/// - 清明节 4月4日–6日放假.
/// - 劳动节 5月1日–5日放假, 5月9日（周六）上班.
/// - 端午节 6月19日–21日放假.
/// - 中秋节 9月25日–27日放假.
/// - 国庆节 10月1日–7日放假, 9月20日（周日）、10月10日（周六）上班.
pub fn china_2026_arrangement() -> YearArrangement {
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).expect("valid date");
    let span = |m, from, to| (from..=to).map(move |day| d(m, day));
    let holidays = span(1, 1, 3)
        .chain(span(2, 15, 23))
        .chain(span(4, 4, 6))
        .chain(span(5, 1, 5))
        .chain(span(6, 19, 21))
        .chain(span(9, 25, 27))
        .chain(span(10, 1, 7))
        .collect();
    let makeup_workdays = vec![d(1, 4), d(2, 14), d(2, 28), d(5, 9), d(9, 20), d(10, 10)];
    YearArrangement {
        year: 2026,
        holidays,
        makeup_workdays,
    }
}

/// The seeded default: default office hours and the 2026 arrangement.
pub fn china_2026() -> WorkCalendar {
    let mut calendar = WorkCalendar::new(WorkHours::default());
    calendar
        .configure(&china_2026_arrangement())
        .expect("the official arrangement is consistent");
    calendar
}

// ---------------------------------------------------------------------------
// Calendar

/// A stretch of time during which a case's clock stands still (waiting for
/// the resident). `until: None` means still paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Pause {
    pub from: NaiveDateTime,
    pub until: Option<NaiveDateTime>,
}

/// Working days and hours. A year without an arrangement falls back to plain
/// Monday–Friday, because the State Council publishes each year's arrangement
/// only in the autumn before; [`WorkCalendar::is_configured`] lets the UI warn
/// that deadlines in such a year ignore the holidays.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WorkCalendar {
    pub hours: WorkHours,
    holidays: BTreeSet<NaiveDate>,
    makeup_workdays: BTreeSet<NaiveDate>,
    configured_years: BTreeSet<i32>,
}

impl WorkCalendar {
    /// Monday–Friday with `hours`; no year configured.
    pub fn new(hours: WorkHours) -> WorkCalendar {
        WorkCalendar {
            hours,
            holidays: BTreeSet::new(),
            makeup_workdays: BTreeSet::new(),
            configured_years: BTreeSet::new(),
        }
    }

    /// Sets (or replaces) the arrangement of one year. Checked as a whole
    /// before anything changes, so a bad arrangement leaves the calendar as it
    /// was: every date in the year, no date both 放假 and 调休上班, and every
    /// 调休上班 day a Saturday or Sunday (a weekday is a working day anyway, so
    /// listing one there is a typo).
    pub fn configure(&mut self, arrangement: &YearArrangement) -> Result<(), WorkCalError> {
        let year = arrangement.year;
        let all = arrangement
            .holidays
            .iter()
            .chain(&arrangement.makeup_workdays);
        for &date in all {
            if date.year() != year {
                return Err(WorkCalError::OutsideYear { date, year });
            }
        }
        for &date in &arrangement.makeup_workdays {
            if arrangement.holidays.contains(&date) {
                return Err(WorkCalError::BothHolidayAndWorkday { date });
            }
            if !is_weekend(date) {
                return Err(WorkCalError::MakeupNotWeekend { date });
            }
        }
        self.holidays.retain(|d| d.year() != year);
        self.makeup_workdays.retain(|d| d.year() != year);
        self.holidays.extend(arrangement.holidays.iter().copied());
        self.makeup_workdays
            .extend(arrangement.makeup_workdays.iter().copied());
        self.configured_years.insert(year);
        Ok(())
    }

    /// Whether `year` has an arrangement; if not, only weekends are off.
    pub fn is_configured(&self, year: i32) -> bool {
        self.configured_years.contains(&year)
    }

    /// Configured years, ascending.
    pub fn configured_years(&self) -> Vec<i32> {
        self.configured_years.iter().copied().collect()
    }

    /// The arrangement stored for `year`, if configured.
    pub fn arrangement(&self, year: i32) -> Option<YearArrangement> {
        let in_year = |set: &BTreeSet<NaiveDate>| -> Vec<NaiveDate> {
            set.iter().copied().filter(|d| d.year() == year).collect()
        };
        self.is_configured(year).then(|| YearArrangement {
            year,
            holidays: in_year(&self.holidays),
            makeup_workdays: in_year(&self.makeup_workdays),
        })
    }

    /// 放假 beats everything, then 调休上班, then Monday–Friday.
    pub fn is_workday(&self, date: NaiveDate) -> bool {
        if self.holidays.contains(&date) {
            return false;
        }
        self.makeup_workdays.contains(&date) || !is_weekend(date)
    }

    /// Whether `t` lies inside office hours on a working day.
    pub fn is_working_moment(&self, t: NaiveDateTime) -> bool {
        self.is_workday(t.date())
            && self
                .hours
                .spans()
                .iter()
                .any(|s| s.start <= t.time() && t.time() < s.end)
    }

    /// `t` itself if it is a working moment, else the start of the next span
    /// of office hours.
    pub fn next_working_moment(&self, t: NaiveDateTime) -> NaiveDateTime {
        let mut date = t.date();
        let mut from = t.time();
        loop {
            if self.is_workday(date)
                && let Some(span) = self.hours.spans().iter().find(|s| from < s.end)
            {
                return date.and_time(from.max(span.start));
            }
            date = next_day(date);
            from = NaiveTime::MIN;
        }
    }

    /// The `n`-th working day after `date` (before it if `n` is negative);
    /// `date` itself for 0, even if it is not a working day.
    pub fn add_workdays(&self, date: NaiveDate, n: i32) -> NaiveDate {
        let mut left = n.unsigned_abs();
        let mut day = date;
        while left > 0 {
            day = if n > 0 {
                next_day(day)
            } else {
                day.pred_opt().expect("date within chrono's range")
            };
            if self.is_workday(day) {
                left -= 1;
            }
        }
        day
    }

    /// The deadline `minutes` of working time after `start`: the earliest
    /// moment by which that much working time has passed. A start outside
    /// office hours therefore counts from the next working moment, and a
    /// budget that runs out at 12:00 ends at 12:00, not at 13:30.
    ///
    /// # Panics
    /// Only at the end of chrono's date range.
    pub fn add_work_minutes(&self, start: NaiveDateTime, minutes: u32) -> NaiveDateTime {
        self.add_work_seconds(whole_seconds(start), i64::from(minutes) * 60)
    }

    /// Whole working minutes in `[a, b)`; 0 if `b <= a`.
    pub fn work_minutes_between(&self, a: NaiveDateTime, b: NaiveDateTime) -> i64 {
        self.work_seconds_between(whole_seconds(a), whole_seconds(b)) / 60
    }

    /// Whole working minutes from `start` to `now`, leaving out paused time.
    /// Overlapping pauses count once; an open pause runs until `now`.
    pub fn work_minutes_elapsed(
        &self,
        start: NaiveDateTime,
        now: NaiveDateTime,
        pauses: &[Pause],
    ) -> i64 {
        self.work_seconds_elapsed(start, now, pauses) / 60
    }

    /// When a budget of `budget_minutes` working minutes from `start` runs
    /// out, the paused working time pushing it later. `None` while any pause
    /// is open: nobody can say when the clock will start again.
    pub fn deadline_with_pauses(
        &self,
        start: NaiveDateTime,
        budget_minutes: u32,
        pauses: &[Pause],
    ) -> Option<NaiveDateTime> {
        if pauses.iter().any(|p| p.until.is_none()) {
            return None;
        }
        let start = whole_seconds(start);
        let mut left = i64::from(budget_minutes) * 60;
        let mut cursor = start;
        for (from, until) in merged_pauses(pauses, start, NaiveDateTime::MAX) {
            let available = self.work_seconds_between(cursor, from);
            if left <= available {
                return Some(self.add_work_seconds(cursor, left));
            }
            left -= available;
            cursor = until;
        }
        Some(self.add_work_seconds(cursor, left))
    }

    pub(crate) fn work_seconds_elapsed(
        &self,
        start: NaiveDateTime,
        now: NaiveDateTime,
        pauses: &[Pause],
    ) -> i64 {
        let (start, now) = (whole_seconds(start), whole_seconds(now));
        if now <= start {
            return 0;
        }
        let paused: i64 = merged_pauses(pauses, start, now)
            .into_iter()
            .map(|(from, until)| self.work_seconds_between(from, until))
            .sum();
        self.work_seconds_between(start, now) - paused
    }

    fn add_work_seconds(&self, start: NaiveDateTime, seconds: i64) -> NaiveDateTime {
        if seconds <= 0 {
            return start;
        }
        let mut left = seconds;
        let mut date = start.date();
        let mut from = start.time();
        loop {
            if self.is_workday(date) {
                for span in self.hours.spans().iter().filter(|s| from < s.end) {
                    let begin = from.max(span.start);
                    let available = (span.end - begin).num_seconds();
                    if left <= available {
                        return date.and_time(begin) + TimeDelta::seconds(left);
                    }
                    left -= available;
                }
            }
            date = next_day(date);
            from = NaiveTime::MIN;
        }
    }

    fn work_seconds_between(&self, a: NaiveDateTime, b: NaiveDateTime) -> i64 {
        if b <= a {
            return 0;
        }
        let mut total = 0;
        let mut date = a.date();
        loop {
            if self.is_workday(date) {
                let lo = if date == a.date() {
                    a.time()
                } else {
                    NaiveTime::MIN
                };
                let hi = (date == b.date()).then(|| b.time());
                for span in self.hours.spans() {
                    let begin = lo.max(span.start);
                    let end = hi.map_or(span.end, |h| h.min(span.end));
                    if begin < end {
                        total += (end - begin).num_seconds();
                    }
                }
            }
            if date == b.date() {
                return total;
            }
            date = next_day(date);
        }
    }
}

/// Pauses clipped to `[start, end)`, sorted and merged so that overlapping
/// pauses are not subtracted twice. Open pauses run to `end`.
fn merged_pauses(
    pauses: &[Pause],
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> Vec<(NaiveDateTime, NaiveDateTime)> {
    let mut clipped: Vec<_> = pauses
        .iter()
        .filter_map(|p| {
            let from = whole_seconds(p.from).max(start);
            let until = p.until.map_or(end, whole_seconds).min(end);
            (from < until).then_some((from, until))
        })
        .collect();
    clipped.sort();
    let mut merged: Vec<(NaiveDateTime, NaiveDateTime)> = Vec::with_capacity(clipped.len());
    for (from, until) in clipped {
        match merged.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(until),
            _ => merged.push((from, until)),
        }
    }
    merged
}

/// Sub-second parts would make minute arithmetic round differently on the
/// way in and out; stored timestamps may carry microseconds.
fn whole_seconds(t: NaiveDateTime) -> NaiveDateTime {
    t.with_nanosecond(0).unwrap_or(t)
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

fn next_day(date: NaiveDate) -> NaiveDate {
    date.succ_opt().expect("date within chrono's range")
}

/// Working minutes as people say a time limit: "2 个工作日 3 小时", "40 分钟", counting a working
/// day as `per_day` minutes (the office's hours, 420 by default).
pub fn work_time_text(minutes: i64, per_day: i64) -> String {
    let per_day = per_day.max(1);
    let m = minutes.max(0);
    let (days, within) = (m / per_day, m % per_day);
    let (hours, rest) = (within / 60, within % 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days} 个工作日"));
    }
    if hours > 0 {
        parts.push(format!("{hours} 小时"));
    }
    if rest > 0 || parts.is_empty() {
        parts.push(format!("{rest} 分钟"));
    }
    parts.join(" ")
}

/// The inverse of [`work_time_text`]: "2 个工作日 3 小时", "2天3小时", "1.5 小时" is not accepted
/// (say "1 小时 30 分钟"); a bare number is minutes, as the catalogue stored them before.
/// `None` when the text is not a time limit.
pub fn parse_work_time(text: &str, per_day: i64) -> Option<i64> {
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if text.is_empty() {
        return None;
    }
    if text.chars().all(|c| c.is_ascii_digit()) {
        return text.parse().ok();
    }
    let units: [(&str, i64); 9] = [
        ("个工作日", per_day),
        ("工作日", per_day),
        ("天", per_day),
        ("日", per_day),
        ("个小时", 60),
        ("小时", 60),
        ("时", 60),
        ("分钟", 1),
        ("分", 1),
    ];
    let mut rest = text.as_str();
    let mut total: i64 = 0;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let n: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (unit, size) = units.iter().find(|(u, _)| rest.starts_with(u))?;
        rest = &rest[unit.len()..];
        total = total.checked_add(n.checked_mul(*size)?)?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn t(y: i32, m: u32, day: u32, h: u32, min: u32) -> NaiveDateTime {
        d(y, m, day).and_hms_opt(h, min, 0).unwrap()
    }

    fn cal() -> WorkCalendar {
        china_2026()
    }

    #[test]
    fn arrangement_2026_matches_the_notice() {
        let a = china_2026_arrangement();
        assert_eq!(a.holidays.len(), 3 + 9 + 3 + 5 + 3 + 3 + 7);
        assert_eq!(d(2026, 1, 1).weekday(), Weekday::Thu);
        assert_eq!(d(2026, 1, 4).weekday(), Weekday::Sun);
        assert_eq!(d(2026, 2, 15).weekday(), Weekday::Sun);
        assert_eq!(d(2026, 9, 20).weekday(), Weekday::Sun);
        assert_eq!(d(2026, 10, 10).weekday(), Weekday::Sat);
        let c = cal();
        assert!(c.is_configured(2026));
        assert!(!c.is_configured(2027));
        assert_eq!(c.configured_years(), [2026]);
        assert_eq!(c.arrangement(2026), Some(a));
        assert_eq!(c.arrangement(2027), None);
    }

    #[test]
    fn holidays_are_off() {
        let c = cal();
        for date in [
            d(2026, 1, 1),
            d(2026, 1, 2),
            d(2026, 4, 6),
            d(2026, 5, 5),
            d(2026, 6, 19),
            d(2026, 9, 25),
            d(2026, 10, 1),
            d(2026, 10, 7),
        ] {
            assert!(!c.is_workday(date), "{date}");
        }
        assert!(c.is_workday(d(2026, 10, 8)));
        assert!(c.is_workday(d(2026, 3, 2)));
        assert!(!c.is_workday(d(2026, 3, 7)), "an ordinary Saturday");
    }

    #[test]
    fn makeup_weekend_days_are_working_days() {
        let c = cal();
        for date in [
            d(2026, 1, 4),
            d(2026, 2, 14),
            d(2026, 2, 28),
            d(2026, 5, 9),
            d(2026, 9, 20),
            d(2026, 10, 10),
        ] {
            assert!(c.is_workday(date), "{date}");
        }
        // Saturday before the May holiday: 9 May is the 调休 day, 2 May is off.
        assert_eq!(c.add_workdays(d(2026, 4, 30), 1), d(2026, 5, 6));
        assert_eq!(c.add_workdays(d(2026, 5, 8), 1), d(2026, 5, 9));
    }

    #[test]
    fn unconfigured_year_is_monday_to_friday() {
        let c = cal();
        assert!(c.is_workday(d(2027, 1, 1)), "a Friday, no arrangement yet");
        assert!(!c.is_workday(d(2027, 1, 2)));
        let plain = WorkCalendar::new(WorkHours::default());
        assert!(plain.is_workday(d(2026, 10, 1)));
        assert!(!plain.is_workday(d(2026, 10, 10)));
    }

    #[test]
    fn deadline_crossing_lunch() {
        let c = cal();
        assert_eq!(
            c.add_work_minutes(t(2026, 3, 2, 11, 0), 120),
            t(2026, 3, 2, 14, 30)
        );
        // A budget that runs out at noon ends at noon.
        assert_eq!(
            c.add_work_minutes(t(2026, 3, 2, 9, 0), 180),
            t(2026, 3, 2, 12, 0)
        );
        assert_eq!(
            c.work_minutes_between(t(2026, 3, 2, 11, 0), t(2026, 3, 2, 14, 30)),
            120
        );
        // Lunch itself counts from 13:30.
        assert_eq!(
            c.add_work_minutes(t(2026, 3, 2, 12, 15), 10),
            t(2026, 3, 2, 13, 40)
        );
    }

    #[test]
    fn deadline_overnight_and_over_a_weekend() {
        let c = cal();
        assert_eq!(
            c.add_work_minutes(t(2026, 3, 2, 17, 0), 60),
            t(2026, 3, 3, 9, 30)
        );
        assert_eq!(
            c.add_work_minutes(t(2026, 3, 2, 20, 0), 60),
            t(2026, 3, 3, 10, 0)
        );
        // Friday 17:00 → Monday.
        assert_eq!(
            c.add_work_minutes(t(2026, 3, 6, 17, 0), 60),
            t(2026, 3, 9, 9, 30)
        );
        assert_eq!(
            c.work_minutes_between(t(2026, 3, 6, 17, 0), t(2026, 3, 9, 9, 30)),
            60
        );
        // Five working days from Monday 09:00 end on Friday 17:30.
        assert_eq!(
            c.add_work_minutes(t(2026, 3, 2, 9, 0), 5 * 420),
            t(2026, 3, 6, 17, 30)
        );
    }

    #[test]
    fn spring_festival_week() {
        let c = cal();
        // Saturday 14 February is a working day; then nine days off.
        assert_eq!(
            c.add_work_minutes(t(2026, 2, 13, 17, 0), 60),
            t(2026, 2, 14, 9, 30)
        );
        assert_eq!(
            c.add_work_minutes(t(2026, 2, 14, 17, 0), 60),
            t(2026, 2, 24, 9, 30)
        );
        assert_eq!(
            c.work_minutes_between(t(2026, 2, 13, 9, 0), t(2026, 2, 25, 9, 0)),
            3 * 420
        );
        assert_eq!(c.add_workdays(d(2026, 2, 14), 1), d(2026, 2, 24));
        assert_eq!(c.add_workdays(d(2026, 2, 24), -1), d(2026, 2, 14));
    }

    #[test]
    fn start_on_a_holiday_counts_from_the_next_working_moment() {
        let c = cal();
        assert_eq!(
            c.add_work_minutes(t(2026, 5, 1, 10, 0), 30),
            t(2026, 5, 6, 9, 30)
        );
        assert_eq!(
            c.next_working_moment(t(2026, 5, 1, 10, 0)),
            t(2026, 5, 6, 9, 0)
        );
        assert_eq!(
            c.next_working_moment(t(2026, 5, 6, 10, 0)),
            t(2026, 5, 6, 10, 0)
        );
        // A 调休 Sunday is an ordinary working day.
        assert_eq!(
            c.add_work_minutes(t(2026, 1, 4, 10, 0), 30),
            t(2026, 1, 4, 10, 30)
        );
        assert_eq!(
            c.work_minutes_between(t(2026, 10, 1, 0, 0), t(2026, 10, 8, 0, 0)),
            0
        );
    }

    #[test]
    fn add_workdays_over_holidays() {
        let c = cal();
        assert_eq!(c.add_workdays(d(2026, 9, 24), 1), d(2026, 9, 28));
        assert_eq!(c.add_workdays(d(2026, 9, 30), 1), d(2026, 10, 8));
        assert_eq!(c.add_workdays(d(2026, 10, 9), 1), d(2026, 10, 10));
        assert_eq!(c.add_workdays(d(2026, 10, 8), -1), d(2026, 9, 30));
        assert_eq!(c.add_workdays(d(2026, 10, 3), 0), d(2026, 10, 3));
    }

    #[test]
    fn pause_spanning_a_holiday() {
        let c = cal();
        let start = t(2026, 9, 30, 9, 0);
        let pauses = [Pause {
            from: t(2026, 9, 30, 14, 0),
            until: Some(t(2026, 10, 9, 10, 0)),
        }];
        // 210 minutes on 30 September before the pause, 120 after it.
        let now = t(2026, 10, 9, 12, 0);
        assert_eq!(c.work_minutes_elapsed(start, now, &pauses), 330);
        assert_eq!(c.work_minutes_elapsed(start, now, &[]), 420 + 420 + 180);
        assert_eq!(
            c.deadline_with_pauses(start, 420, &pauses),
            Some(t(2026, 10, 9, 15, 0))
        );
        assert_eq!(
            c.deadline_with_pauses(start, 420, &[]),
            Some(t(2026, 9, 30, 17, 30))
        );
    }

    #[test]
    fn open_and_overlapping_pauses() {
        let c = cal();
        let start = t(2026, 3, 2, 9, 0);
        let open = [Pause {
            from: t(2026, 3, 2, 10, 0),
            until: None,
        }];
        assert_eq!(c.deadline_with_pauses(start, 600, &open), None);
        assert_eq!(
            c.work_minutes_elapsed(start, t(2026, 3, 5, 9, 0), &open),
            60
        );
        let overlapping = [
            Pause {
                from: t(2026, 3, 2, 10, 0),
                until: Some(t(2026, 3, 2, 11, 0)),
            },
            Pause {
                from: t(2026, 3, 2, 10, 30),
                until: Some(t(2026, 3, 2, 11, 30)),
            },
            Pause {
                from: t(2026, 3, 2, 10, 45),
                until: Some(t(2026, 3, 2, 11, 15)),
            },
        ];
        assert_eq!(
            c.work_minutes_elapsed(start, t(2026, 3, 2, 12, 0), &overlapping),
            180 - 90
        );
        assert_eq!(
            c.deadline_with_pauses(start, 120, &overlapping),
            Some(t(2026, 3, 2, 14, 0))
        );
        // A pause before the start is ignored.
        let earlier = [Pause {
            from: t(2026, 2, 27, 9, 0),
            until: Some(t(2026, 3, 2, 9, 0)),
        }];
        assert_eq!(
            c.deadline_with_pauses(start, 60, &earlier),
            Some(t(2026, 3, 2, 10, 0))
        );
    }

    #[test]
    fn seconds_carry_through() {
        let c = cal();
        let start = d(2026, 3, 2).and_hms_opt(11, 59, 30).unwrap();
        let end = c.add_work_minutes(start, 1);
        assert_eq!(end, d(2026, 3, 2).and_hms_opt(13, 30, 30).unwrap());
        assert_eq!(c.work_minutes_between(start, end), 1);
    }

    #[test]
    fn work_hours_are_validated() {
        let tm = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        let span = |a, b| WorkSpan { start: a, end: b };
        assert_eq!(WorkHours::new(vec![]), Err(WorkCalError::NoSpans));
        assert_eq!(
            WorkHours::new(vec![span(tm(12, 0), tm(9, 0))]),
            Err(WorkCalError::SpanBackwards {
                start: tm(12, 0),
                end: tm(9, 0)
            })
        );
        assert_eq!(
            WorkHours::new(vec![span(tm(13, 0), tm(17, 0)), span(tm(9, 0), tm(13, 30))]),
            Err(WorkCalError::SpansOverlap)
        );
        assert_eq!(
            WorkHours::new(vec![span(
                NaiveTime::from_hms_opt(9, 0, 30).unwrap(),
                tm(12, 0)
            )]),
            Err(WorkCalError::NotWholeMinutes)
        );
        let summer = WorkHours::new(vec![
            span(tm(14, 30), tm(18, 0)),
            span(tm(8, 30), tm(12, 0)),
        ])
        .unwrap();
        assert_eq!(summer.spans()[0].start, tm(8, 30));
        assert_eq!(summer.minutes_per_day(), 420);
        assert_eq!(WorkHours::default().minutes_per_day(), 420);
        // The serde form goes through these conversions.
        let spans: Vec<WorkSpan> = summer.clone().into();
        assert_eq!(WorkHours::try_from(spans), Ok(summer));
        assert_eq!(WorkHours::try_from(vec![]), Err(WorkCalError::NoSpans));
    }

    #[test]
    fn bad_arrangements_change_nothing() {
        let mut c = cal();
        let before = c.clone();
        let bad = YearArrangement {
            year: 2027,
            holidays: vec![d(2027, 1, 1)],
            makeup_workdays: vec![d(2027, 1, 4)],
        };
        assert_eq!(
            c.configure(&bad),
            Err(WorkCalError::MakeupNotWeekend {
                date: d(2027, 1, 4)
            })
        );
        let both = YearArrangement {
            year: 2027,
            holidays: vec![d(2027, 1, 2)],
            makeup_workdays: vec![d(2027, 1, 2)],
        };
        assert_eq!(
            c.configure(&both),
            Err(WorkCalError::BothHolidayAndWorkday {
                date: d(2027, 1, 2)
            })
        );
        let wrong_year = YearArrangement {
            year: 2027,
            holidays: vec![d(2026, 12, 31)],
            makeup_workdays: vec![],
        };
        assert!(matches!(
            c.configure(&wrong_year),
            Err(WorkCalError::OutsideYear { .. })
        ));
        assert_eq!(c, before);
        assert_eq!(
            WorkCalError::MakeupNotWeekend {
                date: d(2027, 1, 4)
            }
            .to_string(),
            "调休上班日 2027-01-04 应为周六或周日"
        );
        // Reconfiguring a year replaces it.
        let replaced = YearArrangement {
            year: 2026,
            holidays: vec![d(2026, 12, 31)],
            makeup_workdays: vec![],
        };
        c.configure(&replaced).unwrap();
        assert!(c.is_workday(d(2026, 10, 1)));
        assert!(!c.is_workday(d(2026, 12, 31)));
    }

    fn any_moment() -> impl Strategy<Value = NaiveDateTime> {
        // 2025-12-01 to about 2027-01-25: the configured year and both edges.
        (0i64..420 * 24 * 60 * 60).prop_map(|s| t(2025, 12, 1, 0, 0) + TimeDelta::seconds(s))
    }

    fn any_pauses() -> impl Strategy<Value = Vec<Pause>> {
        proptest::collection::vec(
            (any_moment(), proptest::option::of(0i64..20 * 24 * 60)),
            0..5,
        )
        .prop_map(|v| {
            v.into_iter()
                .map(|(from, len)| Pause {
                    from,
                    until: len.map(|m| from + TimeDelta::minutes(m)),
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn between_inverts_add(start in any_moment(), m in 0u32..30_000) {
            let c = cal();
            let working = c.next_working_moment(start);
            prop_assert!(c.is_working_moment(working));
            let end = c.add_work_minutes(working, m);
            prop_assert_eq!(c.work_minutes_between(working, end), i64::from(m));
            // Any start, working or not.
            prop_assert_eq!(c.work_minutes_between(start, c.add_work_minutes(start, m)), i64::from(m));
            // And the deadline is the earliest such moment.
            if m > 0 {
                let before = end - TimeDelta::seconds(1);
                prop_assert!(c.work_minutes_between(start, before) < i64::from(m));
            }
        }

        #[test]
        fn elapsed_is_monotonic_in_now(
            start in any_moment(), a in any_moment(), b in any_moment(), pauses in any_pauses(),
        ) {
            let c = cal();
            let (early, late) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(
                c.work_minutes_elapsed(start, early, &pauses)
                    <= c.work_minutes_elapsed(start, late, &pauses)
            );
        }

        #[test]
        fn pauses_never_add_time(start in any_moment(), now in any_moment(), pauses in any_pauses()) {
            let c = cal();
            let with = c.work_minutes_elapsed(start, now, &pauses);
            prop_assert!(with >= 0);
            prop_assert!(with <= c.work_minutes_elapsed(start, now, &[]));
        }

        #[test]
        fn deadline_uses_up_the_budget(start in any_moment(), budget in 0u32..10_000, pauses in any_pauses()) {
            let c = cal();
            match c.deadline_with_pauses(start, budget, &pauses) {
                None => prop_assert!(pauses.iter().any(|p| p.until.is_none())),
                Some(deadline) => {
                    let secs = c.work_seconds_elapsed(start, deadline, &pauses);
                    prop_assert_eq!(secs, i64::from(budget) * 60);
                    prop_assert!(deadline >= c.add_work_minutes(start, budget));
                }
            }
        }

        #[test]
        fn add_workdays_lands_on_workdays(day in 0i64..400, n in -30i32..30) {
            let c = cal();
            let date = d(2025, 12, 1) + TimeDelta::days(day);
            let out = c.add_workdays(date, n);
            let back = c.add_workdays(out, -n);
            if n > 0 {
                prop_assert!(c.is_workday(out) && out > date && back <= date);
            } else if n < 0 {
                prop_assert!(c.is_workday(out) && out < date && back >= date);
            }
        }
    }

    #[test]
    fn time_limits_read_in_working_days_and_hours() {
        assert_eq!(work_time_text(420 * 2 + 180, 420), "2 个工作日 3 小时");
        assert_eq!(work_time_text(40, 420), "40 分钟");
        assert_eq!(work_time_text(0, 420), "0 分钟");
        assert_eq!(work_time_text(2100, 420), "5 个工作日");
        assert_eq!(parse_work_time("2 个工作日 3 小时", 420), Some(1020));
        assert_eq!(parse_work_time("2天3小时", 420), Some(1020));
        assert_eq!(parse_work_time("1 小时 30 分钟", 420), Some(90));
        assert_eq!(parse_work_time("120", 420), Some(120));
        assert_eq!(parse_work_time("两天", 420), None);
        assert_eq!(parse_work_time("3 weeks", 420), None);
        assert_eq!(parse_work_time("", 420), None);
    }

    proptest::proptest! {
        #[test]
        fn a_time_limit_reads_back_as_itself(minutes in 0i64..1_000_000, per_day in 60i64..1440) {
            proptest::prop_assert_eq!(
                parse_work_time(&work_time_text(minutes, per_day), per_day),
                Some(minutes)
            );
        }
    }
}
