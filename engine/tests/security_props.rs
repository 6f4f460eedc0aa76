//! The fuzz targets' properties on stable, for a bounded number of cases: CI runs these
//! whether or not a nightly toolchain with cargo-fuzz is warm.
//!
//! The checks themselves are the fuzz crate's (`fuzz/src/lib.rs`, `fuzz/src/gen.rs`),
//! compiled into this test, so the stable run and the fuzzers assert exactly the same
//! things; only the input source differs (proptest here, libFuzzer there):
//!
//! - `differential`: structured random policies and requests; the compiled evaluator, every
//!   entry point (`decide_value`, `decide_json`, `decide_request`, `decide_with`,
//!   `permitted_actions`, `explain`, a second engine) and the reference interpreter agree;
//! - `policy_*`: parse, validate, format, re-parse, decide never panic, formatting
//!   round-trips, tight limits never accept what the defaults reject;
//! - `claims_*`: Clerk v1/v2 claims; strict text and parsed values agree; rejected claims
//!   always decide `invalid_claims`; decisions keep their invariants;
//! - `intake_*`: resources, contexts and request lines, same agreements;
//! - `claims_shaped_text`: claims-shaped text with duplicate, escaped and nested keys; the
//!   one-pass claims and resource readers agree with the strict `Value`-tree reference.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod fuzzlib;

use proptest::prelude::*;
use serde_json::{json, Map, Value};

const POLICIES: [&str; 4] = [
    include_str!("../../policies/team_tasks.ord"),
    include_str!("../../policies/licensing.ord"),
    include_str!("../../policies/rooms.ord"),
    include_str!("../../policies/calendar_scopes.ord"),
];

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, max_shrink_iters: 2_000, ..ProptestConfig::default() }
}

/// JSON values whose object keys are the names the engine reads, so that random values
/// land on registered claims, resource attributes and request fields.
fn json_value() -> impl Strategy<Value = Value> {
    const KEYS: &[&str] = &[
        "sub",
        "sid",
        "exp",
        "nbf",
        "iat",
        "azp",
        "iss",
        "act",
        "sts",
        "v",
        "o",
        "id",
        "rol",
        "slg",
        "per",
        "fpm",
        "fea",
        "pla",
        "fva",
        "org_id",
        "org_slug",
        "org_role",
        "org_permissions",
        "org_metadata",
        "isLicensed",
        "type",
        "owner_id",
        "created_by_id",
        "org_id",
        "license_count",
        "is_licensed",
        "approved_scopes",
        "claims",
        "action",
        "resource",
        "context",
        "now",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e20f64..1e20).prop_map(|f| json!(f)),
        prop::sample::select(vec![
            "user_1",
            "org_1",
            "org:admin",
            "org:tasks:edit",
            "task",
            "view",
            "true",
            "1",
            "",
            "u:x,o:y",
            "3"
        ])
        .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<Map<_, _>>())),
        ]
    })
}

/// A shipped policy with a few byte ranges deleted, duplicated or replaced.
fn mutated_policy() -> impl Strategy<Value = String> {
    (0..POLICIES.len(), prop::collection::vec((any::<prop::sample::Index>(), 0usize..12, 0u8..3, "\\PC{0,6}"), 1..4))
        .prop_map(|(i, edits)| {
            let mut text = POLICIES[i].to_string();
            for (at, len, kind, insert) in edits {
                let mut start = at.index(text.len().max(1));
                while !text.is_char_boundary(start) {
                    start -= 1;
                }
                let mut end = (start + len).min(text.len());
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                let piece = text[start..end].to_string();
                match kind {
                    0 => text.replace_range(start..end, ""),
                    1 => text.insert_str(start, &piece),
                    _ => text.replace_range(start..end, &insert),
                }
            }
            text
        })
}

proptest! {
    #![proptest_config(config(400))]

    #[test]
    fn differential_fast_vs_reference(data in prop::collection::vec(any::<u8>(), 64..2048)) {
        let outcome = fuzzlib::gen::run_differential(&data);
        prop_assert!(outcome.is_ok(), "{}", outcome.unwrap_err());
    }
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn policy_arbitrary_text(text in "\\PC{0,300}") {
        fuzzlib::policy_checks(&text);
    }

    #[test]
    fn policy_token_soup(data in prop::collection::vec(any::<u8>(), 0..160), header in any::<bool>()) {
        let body = fuzzlib::token_text(&data);
        let text = if header { format!("{}{body}", POLICIES[0]) } else { body };
        fuzzlib::policy_checks(&text);
    }

    #[test]
    fn policy_mutated_shipped(text in mutated_policy()) {
        fuzzlib::policy_checks(&text);
    }

    #[test]
    fn claims_random_json(claims in json_value()) {
        fuzzlib::claims_checks(&claims.to_string());
    }

    #[test]
    fn claims_v2_strings(
        fea in "[uo:a-z,]{0,16}", pla in "[uo:a-z,]{0,10}", rol in "[a-z:]{0,8}",
        per in "[a-z,:]{0,16}", fpm in "[0-9,]{0,24}",
    ) {
        let claims = json!({"v": 2, "sub": "user_1", "fea": fea, "pla": pla, "o": {"id": "org_1", "rol": rol, "per": per, "fpm": fpm}});
        fuzzlib::claims_checks(&claims.to_string());
    }

    #[test]
    fn claims_arbitrary_text(text in "\\PC{0,200}") {
        fuzzlib::claims_checks(&text);
    }

    #[test]
    fn claims_shaped_text(data in prop::collection::vec(any::<u8>(), 0..96)) {
        let text = fuzzlib::claims_text(&data);
        fuzzlib::claims_checks(&text);
        fuzzlib::intake_checks(&text);
    }

    #[test]
    fn intake_random_json(value in json_value()) {
        fuzzlib::intake_checks(&value.to_string());
    }

    #[test]
    fn intake_requests(claims in json_value(), resource in json_value(), context in json_value(), action in "[a-zA-Z_]{0,8}", now in any::<i64>()) {
        let line = json!({"claims": claims, "action": action, "resource": resource, "context": context, "now": now});
        fuzzlib::intake_checks(&line.to_string());
    }
}
