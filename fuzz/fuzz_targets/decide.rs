//! Full decisions on a random policy and random requests: the input is policy text, a NUL
//! byte, then request lines (`{"claims", "action", "resource", "context"?, "now"?}`). Each
//! request that is a JSON object is checked through every entry point and against the
//! reference interpreter.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ordinance_fuzz::gen::{check_case, Request};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (policy, lines) = text.split_once('\0').unwrap_or((text, ""));
    ordinance_fuzz::policy_checks(policy);
    let mut requests = Vec::new();
    if let Ok(engine) = ordinance::Engine::from_policy_text(policy) {
        for line in lines.lines().take(8) {
            ordinance_fuzz::assert_invariants(&engine.decide_request_json(line));
            let Ok(Value::Object(mut req)) = serde_json::from_str::<Value>(line) else { continue };
            let Some(Value::String(action)) = req.remove("action") else { continue };
            let now = req.remove("now").and_then(|n| n.as_i64()).unwrap_or(1_721_770_150);
            requests.push(Request {
                claims: req.remove("claims").unwrap_or(Value::Null),
                action,
                resource: req.remove("resource").unwrap_or(Value::Null),
                context: req.remove("context").unwrap_or(Value::Null),
                now,
            });
        }
    }
    if let Err(e) = check_case(policy, &requests) {
        panic!("{e}");
    }
});
