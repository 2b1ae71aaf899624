//! What each fuzz target checks, as plain functions: the targets in `fuzz_targets/` run them under
//! libFuzzer, and `crates/app/tests/fuzz_corpus.rs` replays the committed corpus through them on
//! every `cargo test`. Kept in one file that both include, so that the two cannot drift apart.
// Each fuzz target is its own binary and calls one of these.
#![allow(dead_code)]

use app::members::{MemberQuery, parse_date_cn};
use app::orglife::{MeetingInput, attendance_from_form, validate_meeting};
use app::tabular::testing::workbook;
use app::tabular::{CsvColumn, LIMITS, csv_cell, decode_csv_bytes, read_sheet, scan_csv};
use domain::idcard::parse_id_card;
use domain::personal::{mask_id_number, parse_mobile_phone};

/// Any bytes uploaded as a workbook: refused or read, within the import limits, never a crash,
/// an abort or an allocation the limits do not allow (libFuzzer's -rss_limit_mb catches those).
pub fn xlsx(data: &[u8]) {
    if let Ok(sheet) = read_sheet("upload.xlsx", data) {
        assert!(sheet.rows.len() <= LIMITS.rows + 1);
        for row in &sheet.rows {
            assert!(row.cells().all(|(column, _)| column < LIMITS.columns));
        }
    }
}

/// A workbook whose XML the fuzzer writes: `<dimension ref>` \x01 `<sheetData>` contents \x01
/// the shared-strings part, zipped as Excel would. Raw bytes ([`xlsx`]) rarely get past the
/// zip's checksums; this target reaches the XML guard and calamine's cell reader.
pub fn xlsx_sheet(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\u{1}');
    let dimension = parts.next().filter(|d| !d.is_empty());
    let cells = parts.next().unwrap_or_default();
    let shared = parts.next();
    let bytes = workbook(&[("Sheet1", dimension, cells)], shared);
    if let Ok(sheet) = read_sheet("upload.xlsx", &bytes) {
        assert!(sheet.rows.len() <= LIMITS.rows + 1);
        for row in &sheet.rows {
            let columns: Vec<usize> = row.cells().map(|(c, _)| c).collect();
            assert!(
                columns.windows(2).all(|w| w[0] < w[1]),
                "sorted, one cell per column"
            );
            assert!(row.cells().all(|(_, cell)| !cell.text.is_empty()));
        }
    }
}

/// Any bytes uploaded as CSV. Besides not crashing, the quote-following scan that guards the
/// csv reader must agree with it: as many records, as wide, as the reader then yields.
pub fn csv(data: &[u8]) {
    let _ = read_sheet("upload.csv", data);
    let text = decode_csv_bytes(data);
    if let Ok(shape) = scan_csv(&text, &LIMITS) {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut records = 0;
        let mut widest = 0;
        for record in reader.byte_records() {
            let record = record.expect("the scan let through what the reader refuses");
            records += 1;
            widest = widest.max(record.len());
        }
        assert_eq!((shape.records, shape.widest), (records, widest), "{text:?}");
    }
    // An exported text cell never starts like a formula.
    let cell = csv_cell(&text, CsvColumn::Text);
    assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']));
}

/// The 身份证号 validator (GB 11643) and the phone parser on any text: a number accepted once is
/// accepted again in its normalised form, with the same meaning, and masks to the same length.
pub fn idcard(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(id) = parse_id_card(text) {
        assert_eq!(id.number.len(), 18);
        assert_eq!(parse_id_card(&id.number).as_ref(), Ok(&id));
        assert_eq!(mask_id_number(&id.number).chars().count(), 18);
    }
    if let Ok(phone) = parse_mobile_phone(text) {
        assert_eq!(parse_mobile_phone(&phone).as_deref(), Ok(phone.as_str()));
    }
}

/// What the web layer parses from query strings and forms, on any bytes: the member search query
/// (as axum's `Query` reads it) and its filter, the meeting form's attendance pairs and the
/// meeting check, pay-slip items and Chinese dates.
pub fn forms(data: &[u8]) {
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
}

/// libfuzzer-sys aborts at the first panic, even one the importer catches (it turns a panic
/// inside calamine into a refusal). A panic nobody catches still aborts: libfuzzer-sys runs the
/// target under `catch_unwind` and aborts when it sees one.
pub fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}
