//! The `csv` check of `../checks.rs` under libFuzzer.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::csv(data);
});
