//! Resource, context and request-line intake: `Resource::from_json`, `Context::from_json`,
//! `decide_request_json` and `decide_json` on arbitrary text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        ordinance_fuzz::intake_checks(text);
    }
});
