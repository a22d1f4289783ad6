//! Numbers through the index's VLQ encoding and back, and any text as a record indexed for
//! the browser.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fixbook::fuzzing::index(data);
});
