//! Any text as a record file: parsed, validated and, when valid, rendered with the default
//! theme. Errors are fine; a panic is a bug.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        fixbook::fuzzing::record(text);
    }
});
