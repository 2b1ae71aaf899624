//! Any bytes uploaded as a workbook: refused or read, within the import limits, never a crash,
//! an abort or an allocation the limits do not allow (libFuzzer's -rss_limit_mb catches those).
#![no_main]

use app::tabular::{LIMITS, read_sheet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(sheet) = read_sheet("upload.xlsx", data) {
        assert!(sheet.rows.len() <= LIMITS.rows + 1);
        for row in &sheet.rows {
            assert!(row.cells().all(|(column, _)| column < LIMITS.columns));
        }
    }
});
