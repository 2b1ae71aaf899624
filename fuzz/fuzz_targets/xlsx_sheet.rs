//! A workbook whose XML the fuzzer writes: `<dimension ref>` \x01 `<sheetData>` contents \x01
//! the shared-strings part, zipped as Excel would. Raw bytes ([`xlsx`]) rarely get past the
//! zip's checksums; this target reaches the XML guard and calamine's cell reader.
#![no_main]

use app::tabular::testing::workbook;
use app::tabular::{LIMITS, read_sheet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    quiet_panics();
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
});

/// libfuzzer-sys aborts at the first panic, even one the importer catches (it turns a panic
/// inside calamine into a refusal). A panic nobody catches still aborts: libfuzzer-sys runs the
/// target under `catch_unwind` and aborts when it sees one.
fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}
