//! Any text through the search analyzer in every mode, and the code normaliser.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        fixbook::fuzzing::analyze(text);
    }
});
