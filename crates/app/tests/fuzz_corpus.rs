//! Every input of the committed fuzz corpus (`fuzz/corpus/<target>/`) through the same checks the
//! fuzz targets run (`fuzz/checks.rs`), on every `cargo test`: what fuzzing once found stays
//! found, without libFuzzer's instrumented build. Fuzzing for new inputs is a longer, separate run
//! (README.md, "Fuzzing").

// The checks name the crate `app`, as the fuzz crate does.
extern crate dangjian_app as app;

#[path = "../../../fuzz/checks.rs"]
mod checks;

use std::path::Path;

/// The inputs of one target's corpus that made its check panic.
fn replay(target: &str, check: fn(&[u8])) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "{target}: the corpus is empty");
    inputs
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).unwrap();
            std::panic::catch_unwind(|| check(&data)).is_err()
        })
        .map(|path| format!("{target}/{}", path.file_name().unwrap().to_string_lossy()))
        .collect()
}

#[test]
fn the_committed_fuzz_corpus_passes_every_check() {
    // The importer turns a panic inside calamine into a refusal; its message is noise here. This
    // file is its own test binary, so the silent hook touches no other test, and the assertion
    // below speaks again once the default hook is back.
    checks::quiet_panics();
    let failed: Vec<String> = [
        ("xlsx", checks::xlsx as fn(&[u8])),
        ("xlsx_sheet", checks::xlsx_sheet),
        ("csv", checks::csv),
        ("idcard", checks::idcard),
        ("forms", checks::forms),
    ]
    .into_iter()
    .flat_map(|(target, check)| replay(target, check))
    .collect();
    let _ = std::panic::take_hook();
    assert!(failed.is_empty(), "inputs failing their check: {failed:?}");
}
