//! Claims-shaped JSON text (`ordinance_fuzz::claims_text`): the one-pass claims and
//! resource readers against the strict `Value`-tree reference, on objects with registered
//! and unknown claims, duplicate and escaped keys, wrong types and deep nesting.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = ordinance_fuzz::claims_text(data);
    ordinance_fuzz::claims_checks(&text);
    ordinance_fuzz::intake_checks(&text);
});
