//! Any bytes uploaded as a workbook: refused or read, within the import limits, never a crash,
//! an abort or an allocation the limits do not allow (libFuzzer's -rss_limit_mb catches those).
#![no_main]

use app::tabular::{LIMITS, read_sheet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    quiet_panics();
    if let Ok(sheet) = read_sheet("upload.xlsx", data) {
        assert!(sheet.rows.len() <= LIMITS.rows + 1);
        for row in &sheet.rows {
            assert!(row.cells().all(|(column, _)| column < LIMITS.columns));
        }
    }
});

/// libfuzzer-sys aborts at the first panic, even one the importer catches (it turns a panic
/// inside calamine into a refusal). A panic nobody catches still aborts: libfuzzer-sys runs the
/// target under `catch_unwind` and aborts when it sees one.
fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}
