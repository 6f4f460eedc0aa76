//! Shared checks for ordinance's fuzz targets.
//!
//! Every target feeds hostile input to a public entry point and asserts more than "no
//! panic": the strict and lax JSON paths agree whenever the strict one accepts, formatting
//! round-trips, decisions keep their invariants, and the compiled evaluator agrees with the
//! reference interpreter ([`gen::check_case`]).

pub mod gen;

use ordinance::{Context, Engine, Limits, Options, Policy, Resource, Session};
use serde_json::{json, Value};
use std::sync::OnceLock;

/// The shipped policies, compiled once per process.
pub fn shipped() -> &'static [Engine] {
    static ENGINES: OnceLock<Vec<Engine>> = OnceLock::new();
    ENGINES.get_or_init(|| {
        [
            include_str!("../../policies/team_tasks.ord"),
            include_str!("../../policies/licensing.ord"),
            include_str!("../../policies/rooms.ord"),
            include_str!("../../policies/calendar_scopes.ord"),
        ]
        .iter()
        .map(|text| Engine::from_policy_text(text).expect("shipped policies are valid"))
        .collect()
    })
}

/// Resources of each shipped policy's types, for deciding with fuzzed claims or context.
pub fn shipped_resources() -> Vec<Value> {
    vec![
        json!({"type": "task", "id": "t1", "owner_id": "org_1", "created_by_id": "user_1"}),
        json!({"type": "task", "owner_id": "user_1", "created_by_id": "user_1"}),
        json!({"type": "seat", "org_id": "org_1", "license_count": 5, "licensed_count": 3, "is_licensed": false}),
        json!({"type": "room", "owner_id": "org_1"}),
        json!({"type": "calendar", "owner_id": "user_1"}),
    ]
}

/// Panics (a fuzz finding) if a decision breaks the invariants every decision keeps.
pub fn assert_invariants(d: &ordinance::Decision) {
    let reason = d.reason.as_str();
    assert_eq!(d.allowed, reason == "permit", "allowed disagrees with reason: {d:?}");
    if d.allowed {
        assert!(d.rule.is_some() && d.missing.is_empty() && d.error.is_none(), "odd allow: {d:?}");
    }
    let _ = d.to_json();
}

/// Policy text: parse, format, parse again; tight limits never accept what defaults reject.
pub fn policy_checks(text: &str) {
    let tight = Limits {
        max_nesting: 4,
        max_condition_depth: 8,
        max_string_len: 8,
        max_list_len: 2,
        max_rules: 2,
        ..Limits::default()
    };
    let strict = Policy::parse_with_limits("fuzz.ord", text, &tight);
    match Policy::parse_named("fuzz.ord", text) {
        Ok(policy) => {
            let formatted = policy.format();
            let again = Policy::parse_named("fuzz.ord", &formatted)
                .unwrap_or_else(|e| panic!("formatted policy does not parse:\n{formatted}\n{e}"));
            assert_eq!(again.format(), formatted, "formatting is not idempotent");
            assert_eq!(again.rule_count(), policy.rule_count());
            let engine = Engine::new(policy);
            let session = Session::from_claims_json(r#"{"sub": "user_1", "org_id": "org_1", "org_role": "org:admin"}"#)
                .expect("valid claims");
            for r in shipped_resources() {
                if let Ok(resource) = Resource::from_value(r) {
                    let opts = Options::default().at(0);
                    for action in engine.policy().actions(resource.type_name()) {
                        assert_invariants(&engine.decide_with(&session, action, &resource, &opts));
                    }
                    let _ = engine.permitted_actions(&session, &resource, &opts);
                }
            }
        }
        Err(e) => {
            assert!(!e.diagnostics().is_empty(), "an error without diagnostics");
            let _ = e.to_string();
            assert!(strict.is_err(), "tight limits accepted what the defaults reject");
        }
    }
}

/// Claims text: strict and lax parsing agree; the one-pass reader agrees with the strict
/// `Value`-tree reference (result, error message, every field, the claims map, under tight
/// limits too); decisions on the session keep invariants.
pub fn claims_checks(text: &str) {
    let strict = Session::from_claims_json(text);
    for limits in [Limits::default(), Limits { max_json_depth: 3, max_claims_bytes: 200, ..Limits::default() }] {
        let fast = Session::from_claims_json_with_limits(text, &limits);
        let dom = ordinance::testing::session_from_claims_json_dom(text, &limits);
        assert_eq!(fast, dom, "one-pass claims reader and strict reference disagree");
        if let (Ok(fast), Ok(dom)) = (&fast, &dom) {
            assert_eq!(format!("{fast:?}"), format!("{dom:?}"), "sessions differ in a field `==` skips");
        }
    }
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        let lax = Session::from_claims(value);
        if let Ok(s) = &strict {
            assert_eq!(lax.as_ref().ok(), Some(s), "strict and parsed-value claims disagree");
        }
    }
    // `decide_json` (which keeps only what each policy reads) decides as the engine does on
    // the strict reference session.
    let dom = ordinance::testing::session_from_claims_json_dom(text, &Limits::default());
    for (engine, resource) in shipped().iter().zip(shipped_resources()) {
        let d = engine.decide_json(text, "view", &resource.to_string(), None, Some(1_721_770_150));
        assert_invariants(&d);
        if strict.is_err() {
            assert_eq!(d.reason, "invalid_claims", "rejected claims decided: {d:?}");
        }
        match (&dom, Resource::from_value(resource)) {
            (Ok(session), Ok(resource)) => {
                let expected = engine.decide_with(session, "view", &resource, &Options::default().at(1_721_770_150));
                assert_eq!(d, expected, "decide_json and the strict reference session disagree");
            }
            (Err(e), _) => assert_eq!(d.error, Some(e.to_string()), "decide_json and the strict reference disagree"),
            (Ok(_), Err(_)) => {}
        }
    }
    let Ok(session) = strict else { return };
    assert!(matches!(session.token_version(), 1 | 2));
    if session.org_id().is_none() {
        assert!(session.org_permissions().is_empty() && session.org_role().is_none(), "org claims without an org");
    }
    for now in [0, 1_721_770_150, i64::MAX, i64::MIN] {
        let opts = Options::default().at(now);
        for (engine, resource) in shipped().iter().zip(shipped_resources()) {
            let Ok(resource) = Resource::from_value(resource) else { continue };
            for action in engine.policy().actions(resource.type_name()) {
                assert_invariants(&engine.decide_with(&session, action, &resource, &opts));
            }
            let _ = engine.explain(&session, "view", &resource, &opts).to_string();
        }
    }
}

/// Resource, context and request text: strict and lax agree; decisions keep invariants.
pub fn intake_checks(text: &str) {
    let lax = serde_json::from_str::<Value>(text).ok();
    for limits in [Limits::default(), Limits { max_json_depth: 3, max_request_bytes: 200, ..Limits::default() }] {
        let fast = Resource::from_json_with_limits(text, &limits);
        let dom = ordinance::testing::resource_from_json_dom(text, &limits);
        assert_eq!(fast, dom, "one-pass resource reader and strict reference disagree");
    }
    if let Ok(r) = Resource::from_json(text) {
        let again = lax.clone().map(Resource::from_value);
        assert_eq!(again.and_then(Result::ok).as_ref(), Some(&r), "strict and parsed-value resources disagree");
    }
    if let Ok(c) = Context::from_json(text) {
        let again = lax.clone().map(Context::from_value);
        assert_eq!(again.and_then(Result::ok).as_ref(), Some(&c), "strict and parsed-value contexts disagree");
    }
    let claims =
        r#"{"sub": "user_1", "org_id": "org_1", "org_role": "org:admin", "org_metadata": {"isLicensed": true}}"#;
    for engine in shipped() {
        let d = engine.decide_request_json(text);
        assert_invariants(&d);
        if d.reason != "invalid_request" {
            if let Some(v) = lax.clone() {
                assert_eq!(engine.decide_request(v), d, "decide_request disagrees with decide_request_json");
            }
        }
        // `decide_json` (which binds the declared attributes as it reads them) decides as
        // the engine does on the strict reference resource.
        let d = engine.decide_json(claims, "edit", text, None, Some(0));
        assert_invariants(&d);
        if let Ok(session) = Session::from_claims_json(claims) {
            match ordinance::testing::resource_from_json_dom(text, &Limits::default()) {
                Ok(resource) => {
                    let expected = engine.decide_with(&session, "edit", &resource, &Options::default().at(0));
                    assert_eq!(d, expected, "decide_json and the strict reference resource disagree");
                }
                Err(e) => assert_eq!(d.error, Some(e.to_string()), "decide_json and the strict reference disagree"),
            }
        }
        for r in shipped_resources() {
            assert_invariants(&engine.decide_json(claims, "view", &r.to_string(), Some(text), Some(0)));
        }
    }
}

/// A shipped-policy-shaped token soup, for grammar-aware parser fuzzing.
pub fn token_text(data: &[u8]) -> String {
    const VOCAB: &[&str] = &[
        "permission",
        "role",
        "resource",
        "action",
        "license",
        "permit",
        "forbid",
        "when",
        "because",
        "on",
        "and",
        "or",
        "not",
        "in",
        "true",
        "false",
        "has",
        "has_role",
        "has_plan",
        "has_feature",
        "licensed",
        "verified_within",
        "scopes",
        "present",
        "user",
        "org",
        "session",
        "resource",
        "context",
        "claims",
        "metadata",
        "id",
        "owner_id",
        "tags",
        "string",
        "int",
        "bool",
        "task",
        "view",
        "edit",
        "org:tasks:view",
        "org:tasks:*",
        "org:admin",
        "first_factor",
        "starts_with",
        "contains",
        "contains_all",
        "contains_any",
        "*",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ",",
        ".",
        ":",
        ";",
        "@",
        "?",
        "=",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "-",
        "\"x\"",
        "\"\"",
        "\"org_1\"",
        "1",
        "0",
        "9223372036854775807",
        "@id(\"r\")",
        "\n",
        "// c\n",
        "#",
        "\"\\u\"",
        "é",
        "&&",
        "!",
    ];
    let mut out = String::new();
    for &b in data {
        if let Some(word) = VOCAB.get(usize::from(b) % VOCAB.len()) {
            out.push_str(word);
            if b & 0x80 == 0 {
                out.push(' ');
            }
        }
    }
    out
}

/// Claims-shaped JSON text from fuzzer bytes: objects and arrays nested as the bytes say,
/// every registered claim name (plain and `\u`-escaped) and unknown ones as keys, so
/// duplicates at any depth, wrong types and deep nesting come up often. Byte pairs:
/// the first picks the key (or closes the innermost container), the second the value.
pub fn claims_text(data: &[u8]) -> String {
    const KEYS: &[&str] = &[
        r#""v""#,
        r#""sts""#,
        r#""sub""#,
        r#""s\u0075b""#,
        r#""sid""#,
        r#""azp""#,
        r#""iss""#,
        r#""jti""#,
        r#""exp""#,
        r#""nbf""#,
        r#""iat""#,
        r#""act""#,
        r#""fva""#,
        r#""fea""#,
        r#""pla""#,
        r#""o""#,
        r#""id""#,
        r#""rol""#,
        r#""per""#,
        r#""fpm""#,
        r#""slg""#,
        r#""org_id""#,
        r#""org_slug""#,
        r#""org_role""#,
        r#""org_permissions""#,
        r#""org_metadata""#,
        r#""org\u005fmetadata""#,
        r#""isLicensed""#,
        r#""email""#,
        r#""roles""#,
        r#""""#,
        r#""\ud800""#,
    ];
    const LEAVES: &[&str] = &[
        "null",
        "true",
        "false",
        "0",
        "1",
        "2",
        "-1",
        "1.5",
        "1721770193",
        "18446744073709551615",
        "1e400",
        r#""user_1""#,
        r#""org_1""#,
        r#""org:admin""#,
        r#""org:tasks:edit""#,
        r#""admin""#,
        r#""pending""#,
        r#""active""#,
        r#""o:tasks,uo:p""#,
        r#""read,edit""#,
        r#""7,1""#,
        r#""""#,
        r#""\u0000""#,
        r#""\x""#,
    ];
    let mut out = String::from("{");
    // The open containers (true: object) and whether each has an element yet.
    let mut stack = vec![(true, false)];
    for pair in data.chunks(2) {
        let (a, b) = (pair.first().copied().unwrap_or(0), pair.get(1).copied().unwrap_or(0));
        if a % 8 == 7 {
            if let Some((object, _)) = stack.pop() {
                out.push(if object { '}' } else { ']' });
            }
            if stack.is_empty() {
                break;
            }
            continue;
        }
        let Some((object, used)) = stack.last_mut() else { break };
        if *used {
            out.push(',');
        }
        *used = true;
        if *object {
            out.push_str(KEYS[usize::from(a) % KEYS.len()]);
            out.push(':');
        }
        match b % 16 {
            0 => {
                out.push('{');
                stack.push((true, false));
            }
            1 => {
                out.push('[');
                stack.push((false, false));
            }
            n => out.push_str(LEAVES[usize::from(n ^ (b >> 4)) % LEAVES.len()]),
        }
    }
    while let Some((object, _)) = stack.pop() {
        out.push(if object { '}' } else { ']' });
    }
    out
}
