//! What the web layer parses from query strings and forms, on any bytes: the member search query
//! (as axum's `Query` reads it) and its filter, the meeting form's attendance pairs and the
//! meeting check, pay-slip items and Chinese dates.
#![no_main]

use app::members::{MemberQuery, parse_date_cn};
use app::orglife::{MeetingInput, attendance_from_form, validate_meeting};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(query) = serde_urlencoded::from_bytes::<MemberQuery>(data) {
        let _ = query.to_filter();
    }
    if let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(data) {
        let field = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let (present, absent) = attendance_from_form(&pairs);
        let input = MeetingInput {
            institution: field("institution"),
            held_on: field("held_on"),
            place: field("place"),
            chair: field("chair"),
            recorder: field("recorder"),
            minutes: field("minutes"),
            present,
            absent,
            open_sign_in: !field("open_sign_in").is_empty(),
            ..Default::default()
        };
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default();
        let _ = validate_meeting(&input, today, 30);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = domain::payslip::parse_slip(text, &Default::default());
        if let Some(date) = parse_date_cn(text) {
            assert_eq!(parse_date_cn(&date.to_string()), Some(date));
        }
    }
});
