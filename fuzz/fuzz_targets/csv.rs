//! Any bytes uploaded as CSV. Besides not crashing, the quote-following scan that guards the
//! csv reader must agree with it: as many records, as wide, as the reader then yields.
#![no_main]

use app::tabular::{CsvColumn, LIMITS, csv_cell, decode_csv_bytes, read_sheet, scan_csv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
});
