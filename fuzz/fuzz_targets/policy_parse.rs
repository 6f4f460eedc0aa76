//! Policy text as arbitrary UTF-8: parse, validate, format and decide must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        ordinance_fuzz::policy_checks(text);
    }
});
