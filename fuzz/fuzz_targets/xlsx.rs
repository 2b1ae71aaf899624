//! The `xlsx` check of `../checks.rs` under libFuzzer.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::quiet_panics();
    checks::xlsx(data);
});
