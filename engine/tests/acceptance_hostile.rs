//! Acceptance review of issue 7 ("Hostile input"), written from the issue text, the
//! design brief and the public docs: every stated limit at, under and over its bound;
//! type confusion in claims; duplicate keys at any depth (also spelled with escapes);
//! confused deputies; fail-closed forbids; clock edges; policy-text attacks. Every
//! decision on malformed input must be a deny with a reason and an error, never a panic,
//! never an allow.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use ordinance::{Decision, Engine, Limits, Policy, Resource, Session};
use serde_json::{json, Value};

mod team_fixtures;
use team_fixtures::{licensing, manager, org_task, team_tasks, NOW};

fn set(mut base: Value, key: &str, value: Value) -> Value {
    base.as_object_mut().unwrap().insert(key.to_string(), value);
    base
}

/// Every entry point gives the same answer; returns the text one.
fn decide_text(engine: &Engine, claims: &str, action: &str, resource: &str, context: Option<&str>) -> Decision {
    let d = engine.decide_json(claims, action, resource, context, Some(NOW));
    check_invariants(&d);
    let mut line = format!(r#"{{"claims": {claims}, "action": {}, "resource": {resource}"#, json!(action));
    if let Some(c) = context {
        line.push_str(&format!(r#", "context": {c}"#));
    }
    line.push_str(&format!(r#", "now": {NOW}}}"#));
    let r = engine.decide_request_json(&line);
    check_invariants(&r);
    assert_eq!(d.allowed, r.allowed, "request line disagrees: {} / {d:?} / {r:?}", short(&line));
    d
}

fn decide(engine: &Engine, claims: Value, action: &str, resource: Value) -> Decision {
    let by_value = engine.decide_value(claims.clone(), action, resource.clone(), None, Some(NOW));
    check_invariants(&by_value);
    let by_text = decide_text(engine, &claims.to_string(), action, &resource.to_string(), None);
    assert_eq!(
        (by_value.allowed, by_value.reason.as_str()),
        (by_text.allowed, by_text.reason.as_str()),
        "value vs text: {} {}",
        short(&claims.to_string()),
        short(&resource.to_string())
    );
    by_value
}

fn short(s: &str) -> String {
    s.chars().take(200).collect()
}

fn check_invariants(d: &Decision) {
    assert_eq!(d.allowed, d.reason == "permit", "{d:?}");
    if d.allowed {
        assert!(d.error.is_none() && d.missing.is_empty() && d.rule.is_some(), "{d:?}");
    }
    if d.reason.starts_with("invalid_") {
        let e = d.error.as_deref().unwrap_or_default();
        assert!(!e.is_empty() && !e.contains('\n'), "an input error needs a one-line message: {d:?}");
    }
}

fn denied(d: &Decision, reason: &str) {
    assert!(!d.allowed, "{d:?}");
    assert_eq!(d.reason.as_str(), reason, "{d:?}");
}

// ---------------------------------------------------------------------------------------
// Baseline, so that every deny below is caused by the one thing each test changes.

#[test]
fn baseline_allows() {
    let d = decide(&team_tasks(), manager(), "edit", org_task());
    assert!(d.allowed, "{d:?}");
}

// ---------------------------------------------------------------------------------------
// Clock edges: exp / nbf / iat with the documented 5 s leeway, exactly at the boundary.

fn at(engine: &Engine, claims: Value, now: i64) -> Decision {
    let d = engine.decide_value(claims.clone(), "edit", org_task(), None, Some(now));
    let t = engine.decide_json(&claims.to_string(), "edit", &org_task().to_string(), None, Some(now));
    assert_eq!((d.allowed, d.reason.as_str()), (t.allowed, t.reason.as_str()));
    check_invariants(&d);
    d
}

#[test]
fn exp_leeway_boundary() {
    let e = team_tasks();
    let c = set(manager(), "exp", json!(NOW));
    assert!(at(&e, c.clone(), NOW - 1).allowed);
    assert!(at(&e, c.clone(), NOW).allowed, "5 s leeway after exp");
    assert!(at(&e, c.clone(), NOW + 4).allowed, "5 s leeway after exp");
    denied(&at(&e, c.clone(), NOW + 5), "session_expired");
    denied(&at(&e, c, NOW + 6), "session_expired");
}

#[test]
fn nbf_and_iat_leeway_boundary() {
    let e = team_tasks();
    for key in ["nbf", "iat"] {
        let c = set(manager(), key, json!(NOW + 5));
        assert!(at(&e, c.clone(), NOW).allowed, "{key} 5 s in the future is within the leeway");
        let c = set(manager(), key, json!(NOW + 6));
        denied(&at(&e, c, NOW), "session_not_yet_valid");
    }
}

#[test]
fn clock_extremes_never_overflow() {
    let e = team_tasks();
    let c = set(set(set(manager(), "exp", json!(i64::MAX)), "nbf", json!(i64::MIN)), "iat", json!(i64::MIN));
    for now in [i64::MIN, -1, 0, NOW, i64::MAX - 5, i64::MAX] {
        let d = at(&e, c.clone(), now);
        if now >= i64::MAX - 5 {
            // exp + leeway does not overflow into the past or the future silently.
            assert!(!d.allowed || d.reason == "permit");
        } else {
            assert!(d.allowed, "{now}: {d:?}");
        }
    }
    let c = set(manager(), "exp", json!(i64::MIN));
    for now in [i64::MIN, 0, NOW, i64::MAX] {
        denied(&at(&e, c.clone(), now), "session_expired");
    }
    let c = set(manager(), "nbf", json!(i64::MAX));
    for now in [i64::MIN, 0, NOW] {
        denied(&at(&e, c.clone(), now), "session_not_yet_valid");
    }
}

#[test]
fn expired_and_malformed_is_still_a_deny() {
    let e = team_tasks();
    let c = set(set(manager(), "exp", json!(NOW - 100)), "org_permissions", json!("org:tasks:manage"));
    let d = decide(&e, c, "edit", org_task());
    assert!(!d.allowed);
    assert!(d.reason == "invalid_claims" || d.reason == "session_expired", "{d:?}");
}

// ---------------------------------------------------------------------------------------
// Type confusion in claims: never coerced, never read as absent.

#[test]
fn time_claims_of_the_wrong_type() {
    let e = team_tasks();
    let bad = [
        json!(null),
        json!(true),
        json!("1721770210"),
        json!(1_721_770_210.0),
        json!(1.5),
        json!([NOW + 60]),
        json!({"value": NOW + 60}),
        json!(u64::MAX),
        json!(""),
    ];
    for key in ["exp", "nbf", "iat"] {
        for v in &bad {
            let d = decide(&e, set(manager(), key, v.clone()), "edit", org_task());
            denied(&d, "invalid_claims");
        }
        for text in ["1e3", "1E400", "-1e400", "17217702100000000000000000", "1721770210.0", "-0.0"] {
            let claims = manager().to_string().replacen('{', &format!("{{\"{key}\": {text}, "), 1);
            let claims = dedupe_first(&claims, key);
            let d = decide_text(&e, &claims, "edit", &org_task().to_string(), None);
            denied(&d, "invalid_claims");
        }
    }
}

/// `manager()` already has `key`: drop its later occurrence from the text so the
/// prepended one is the only one.
fn dedupe_first(text: &str, key: &str) -> String {
    let mut v: serde_json::Map<String, Value> = serde_json::from_str(&manager().to_string()).unwrap();
    v.remove(key);
    let rest = Value::Object(v).to_string();
    let first = text.split_once(", ").unwrap().0;
    format!("{first}, {}", &rest[1..])
}

#[test]
fn org_permissions_of_the_wrong_shape() {
    let e = team_tasks();
    for v in [
        json!("org:tasks:manage"),
        json!("org:tasks:view org:tasks:edit org:tasks:manage"),
        json!(null),
        json!(["org:tasks:manage", null]),
        json!(["org:tasks:manage", 1]),
        json!([["org:tasks:manage"]]),
        json!({"org:tasks:manage": true}),
        json!(true),
        json!(1),
    ] {
        let d = decide(&e, set(manager(), "org_permissions", v.clone()), "edit", org_task());
        denied(&d, "invalid_claims");
    }
}

#[test]
fn license_flag_is_a_boolean_only() {
    let e = team_tasks();
    for v in [json!("true"), json!("TRUE"), json!(1), json!("1"), json!(1.0), json!([true]), json!({}), json!(null)] {
        let d = decide(&e, set(manager(), "org_metadata", json!({"isLicensed": v.clone()})), "edit", org_task());
        denied(&d, "invalid_claims");
    }
    // Absent is not licensed: the forbid matches.
    let d = decide(&e, set(manager(), "org_metadata", json!({})), "edit", org_task());
    denied(&d, "forbidden:license_required");
    let d = decide(&e, set(manager(), "org_metadata", json!({"isLicensed": false})), "edit", org_task());
    denied(&d, "forbidden:license_required");
}

#[test]
fn other_registered_claims_of_the_wrong_type() {
    let e = team_tasks();
    for key in ["sub", "sid", "org_id", "org_role", "org_slug", "azp", "iss"] {
        for v in [json!(null), json!(1), json!(true), json!(["x"]), json!({"id": "x"})] {
            let d = decide(&e, set(manager(), key, v.clone()), "edit", org_task());
            denied(&d, "invalid_claims");
        }
    }
    for v in [json!(null), json!("{}"), json!([]), json!(1)] {
        let d = decide(&e, set(manager(), "org_metadata", v), "edit", org_task());
        denied(&d, "invalid_claims");
    }
    for v in [json!("2"), json!(2.0), json!(3), json!(0), json!(null), json!(true)] {
        let d = decide(&e, set(manager(), "v", v.clone()), "edit", org_task());
        denied(&d, "invalid_claims");
    }
}

#[test]
fn claims_document_not_an_object() {
    let e = team_tasks();
    for text in [
        "null",
        "[]",
        "\"sub\"",
        "1",
        "true",
        "",
        " ",
        "{",
        "{}}",
        "{} {}",
        "NaN",
        "{\"sub\": NaN}",
        "{\"sub\": Infinity}",
        "\u{feff}{}",
        "{'sub': 'x'}",
        "{\"sub\": \"a\",}",
        "[{}]",
    ] {
        let d = decide_text(&e, text, "view", &org_task().to_string(), None);
        denied(&d, "invalid_claims");
    }
}

// ---------------------------------------------------------------------------------------
// Duplicate keys at any depth, also when one spelling uses escapes.

#[test]
fn duplicate_keys_in_claims_at_any_depth_and_in_any_spelling() {
    let e = team_tasks();
    let task = org_task().to_string();
    for claims in [
        r#"{"sub": "user_alice", "sub": "user_alice"}"#,
        r#"{"sub": "user_alice", "s\u0075b": "user_bob"}"#,
        r#"{"sub": "user_alice", "org_id": "org_x", "org_\u0069d": "org_team", "org_role": "org:manager"}"#,
        r#"{"sub": "user_alice", "org_id": "org_team", "org_role": "org:manager", "org_metadata": {"isLicensed": false, "isLicensed": true}}"#,
        r#"{"sub": "user_alice", "org_id": "org_team", "org_role": "org:manager", "org_metadata": {"isLicensed": true, "isLic\u0065nsed": false}}"#,
        r#"{"sub": "user_alice", "custom": {"a": {"b": [{"c": 1, "c": 2}]}}}"#,
        r#"{"sub": "user_alice", "custom": [[[{"\u0000": 1, "\u0000": 1}]]]}"#,
        r#"{"v": 2, "sub": "user_alice", "o": {"id": "org_team", "rol": "manager", "id": "org_x"}}"#,
        r#"{"v": 2, "sub": "user_alice", "o": {"id": "org_team", "rol": "manager", "\u0069d": "org_x"}}"#,
    ] {
        let d = decide_text(&e, claims, "view", &task, None);
        denied(&d, "invalid_claims");
        assert!(d.error.as_deref().unwrap().contains("duplicate"), "{claims}: {d:?}");
        assert!(Session::from_claims_json(claims).is_err(), "{claims}");
    }
}

#[test]
fn duplicate_keys_in_resources_context_and_request_lines() {
    let e = team_tasks();
    let claims = manager().to_string();
    for resource in [
        r#"{"type": "task", "type": "task", "owner_id": "org_team", "created_by_id": "user_bob"}"#,
        r#"{"type": "task", "owner_id": "org_other", "owner_\u0069d": "org_team", "created_by_id": "user_bob"}"#,
        r#"{"type": "task", "owner_id": "org_team", "created_by_id": "user_bob", "extra": {"a": 1, "a": 1}}"#,
        r#"{"type": "task", "owner_id": "org_team", "created_by_id": "user_bob", "extra": [{"a": 1, "\u0061": 2}]}"#,
        r#"{"t\u0079pe": "seat", "type": "task", "owner_id": "org_team", "created_by_id": "user_bob"}"#,
    ] {
        let d = decide_text(&e, &claims, "view", resource, None);
        denied(&d, "invalid_resource");
        assert!(Resource::from_json(resource).is_err(), "{resource}");
    }
    for context in [r#"{"a": 1, "a": 1}"#, r#"{"a": 1, "\u0061": 1}"#, r#"{"x": {"y": [{"z": 1, "z": 2}]}}"#] {
        let d = decide_text(&e, &claims, "view", &org_task().to_string(), Some(context));
        denied(&d, "invalid_context");
    }
    let task = org_task().to_string();
    for line in [
        format!(r#"{{"claims": {claims}, "claims": {claims}, "action": "view", "resource": {task}}}"#),
        format!(r#"{{"claims": {claims}, "action": "nope", "\u0061ction": "view", "resource": {task}}}"#),
        format!(r#"{{"claims": {claims}, "action": "view", "resource": {task}, "now": 1, "now": {NOW}}}"#),
    ] {
        let d = e.decide_request_json(&line);
        check_invariants(&d);
        denied(&d, "invalid_request");
    }
}

// ---------------------------------------------------------------------------------------
// Confused deputies: resource and context never act as claims.

#[test]
fn resource_cannot_smuggle_claims_or_a_user() {
    let e = team_tasks();
    let viewer = json!({"sub": "user_eve", "exp": NOW + 60, "org_id": "org_team", "org_role": "org:viewer",
        "org_permissions": ["org:tasks:view"], "org_metadata": {"isLicensed": true}});
    let mut resource = org_task();
    for (k, v) in [
        ("org_permissions", json!(["org:tasks:manage"])),
        ("org_role", json!("org:manager")),
        ("sub", json!("user_bob")),
        ("user", json!({"id": "user_bob"})),
        ("user_id", json!("user_bob")),
        ("claims", json!({"org_permissions": ["org:tasks:manage"]})),
        ("org", json!({"permissions": ["org:tasks:manage"]})),
    ] {
        resource = set(resource, k, v);
    }
    let d = decide(&e, viewer, "edit", resource);
    assert!(!d.allowed, "{d:?}");
}

#[test]
fn context_values_never_act_as_claims() {
    let e = team_tasks();
    let viewer = json!({"sub": "user_eve", "exp": NOW + 60, "org_id": "org_team", "org_role": "org:viewer",
        "org_permissions": ["org:tasks:view"], "org_metadata": {"isLicensed": true}});
    let ctx = json!({"sub": "user_bob", "user": {"id": "user_bob"}, "org_role": "org:manager",
        "org_permissions": ["org:tasks:manage"], "org": {"id": "org_team", "role": "org:manager"},
        "claims": {"org_permissions": ["org:tasks:manage"]}, "org_metadata": {"isLicensed": true}});
    for action in ["edit", "delete", "complete"] {
        let d = e.decide_value(viewer.clone(), action, org_task(), Some(ctx.clone()), Some(NOW));
        assert!(!d.allowed, "{d:?}");
        let line = json!({"claims": viewer, "action": action, "resource": org_task(), "context": ctx, "now": NOW});
        assert!(!e.decide_request(line).allowed);
    }
    // A request line with extra top-level keys cannot smuggle a subject either.
    let line = json!({"claims": viewer, "action": "edit", "resource": org_task(), "now": NOW,
        "subject": {"id": "user_bob"}, "user": "user_bob", "org_permissions": ["org:tasks:manage"]});
    let d = e.decide_request(line);
    assert!(!d.allowed, "{d:?}");
}

#[test]
fn one_orgs_admin_cannot_touch_another_orgs_seats() {
    let e = licensing();
    let admin_b = json!({"sub": "user_x", "exp": NOW + 60, "org_id": "org_b", "org_role": "org:admin",
        "org_permissions": ["org:sys_memberships:manage"]});
    let seat_a =
        json!({"type": "seat", "org_id": "org_a", "license_count": 5, "licensed_count": 1, "is_licensed": false});
    for action in ["assign", "unassign"] {
        denied(&decide(&e, admin_b.clone(), action, seat_a.clone()), "no_matching_rule");
    }
    // Without org_id but with the role: invalid, not an org-less admin.
    let no_org = json!({"sub": "user_x", "exp": NOW + 60, "org_role": "org:admin"});
    denied(&decide(&e, no_org, "assign", seat_a.clone()), "invalid_claims");
    // Case/confusable org ids are different orgs.
    for org in ["ORG_A", "org_a ", "org_а", "org_a\u{200b}", " org_a", "org_a\0"] {
        let c = set(admin_b.clone(), "org_id", json!(org));
        denied(&decide(&e, c, "assign", seat_a.clone()), "no_matching_rule");
    }
}

#[test]
fn permission_and_role_names_are_exact() {
    let e = team_tasks();
    for perm in [
        "ORG:TASKS:MANAGE",
        "org:tasks:manage ",
        "org:tasks:Manage",
        "org:tasks:*",
        "org:tasks:manage\0",
        "org:tasks:manаge",
        "org::tasks:manage",
        "org:tasks",
    ] {
        let c = set(set(manager(), "org_permissions", json!([perm])), "org_role", json!("org:guest"));
        let d = decide(&e, c, "edit", org_task());
        denied(&d, "no_matching_rule");
    }
    for role in ["ORG:MANAGER", "org:manager ", "org:Manager", "manager", "org:admin\0", "org:аdmin"] {
        let c = set(set(manager(), "org_permissions", json!([])), "org_role", json!(role));
        let d = decide(&e, c, "edit", org_task());
        denied(&d, "no_matching_rule");
    }
}

#[test]
fn resource_type_and_action_confusion() {
    let e = team_tasks();
    for r in [
        json!({"owner_id": "org_team", "created_by_id": "user_bob"}),
        json!({"type": null, "owner_id": "org_team", "created_by_id": "user_bob"}),
        json!({"type": 1, "owner_id": "org_team", "created_by_id": "user_bob"}),
        json!({"type": ["task"], "owner_id": "org_team", "created_by_id": "user_bob"}),
        json!({"type": {"name": "task"}, "owner_id": "org_team", "created_by_id": "user_bob"}),
        json!({"type": true, "owner_id": "org_team", "created_by_id": "user_bob"}),
        json!(null),
        json!([org_task()]),
        json!("task"),
        json!({"type": "task", "id": 42, "owner_id": "org_team", "created_by_id": "user_bob"}),
        json!({"type": "task", "owner_id": null, "created_by_id": "user_bob"}),
        json!({"type": "task", "owner_id": "org_team"}),
        json!({"type": "task", "owner_id": ["org_team"], "created_by_id": "user_bob"}),
        json!({"type": "task", "owner_id": 1, "created_by_id": "user_bob"}),
    ] {
        let d = decide(&e, manager(), "edit", r.clone());
        denied(&d, "invalid_resource");
    }
    for t in ["Task", "TASK", "tаsk", "task ", "", "task\0"] {
        let r = set(org_task(), "type", json!(t));
        let d = decide(&e, manager(), "edit", r);
        assert!(!d.allowed, "{t:?}");
        assert!(d.reason == "unknown_resource_type" || d.reason == "invalid_resource", "{t:?}: {d:?}");
    }
    for a in ["", " ", "Edit", "EDIT", "edit ", " edit", "edіt", "edit\0", "*", "view,edit", "permit"] {
        let d = decide(&e, manager(), a, org_task());
        denied(&d, "unknown_action");
    }
}

// ---------------------------------------------------------------------------------------
// Fail closed: a forbid that errors denies, with `forbid_errored`.

fn doc_engine(forbid: &str) -> Engine {
    let text = format!(
        "resource doc {{ level: int, tags?: [string] }}\naction view on doc\n\
         @id(\"p\") permit view on doc\n@id(\"f\") forbid view on doc when {forbid}\n"
    );
    Engine::from_policy_text(&text).unwrap()
}

#[test]
fn erroring_forbids_deny() {
    let user = json!({"sub": "user_a", "exp": NOW + 60});
    let doc = json!({"type": "doc", "level": 1});
    for (forbid, context) in [
        ("context.level > 3", json!({})),
        ("context.level > 3", json!({"level": "9"})),
        ("context.level > 3", json!({"level": 9.5})),
        ("context.level > 3", json!({"level": null})),
        ("context.level > 3", json!({"level": true})),
        ("context.blocked == true", json!({"blocked": "true"})),
        ("context.blocked", json!({"blocked": "true"})),
        ("context.blocked", json!({"blocked": 1})),
        ("context.blocked", json!({"blocked": null})),
        ("claims.banned", json!({})),
        ("context.ip.starts_with(\"10.\")", json!({"ip": 10})),
        ("context.tags.contains(\"x\")", json!({"tags": 1})),
        ("context.tags.contains_all([\"x\"])", json!({"tags": "x"})),
        ("context.n in [1, 2]", json!({"n": "1"})),
        ("context.n == [1]", json!({"n": 1})),
        ("resource.tags == context.tags", json!({"tags": ["x"]})),
        ("resource.level == context.level", json!({"level": "1"})),
        ("resource.tags.contains(\"x\")", json!({})),
    ] {
        let claims =
            if forbid.starts_with("claims.") { set(user.clone(), "banned", json!("yes")) } else { user.clone() };
        let e = doc_engine(forbid);
        let d = e.decide_value(claims.clone(), "view", doc.clone(), Some(context.clone()), Some(NOW));
        check_invariants(&d);
        assert_eq!(d.reason.as_str(), "forbid_errored", "{forbid} {context}: {d:?}");
        assert_eq!(d.rule.as_deref(), Some("f"), "{forbid} {context}: {d:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Limits: at, under and over each documented default.

fn limit_error(text: &str) -> String {
    let err = Policy::parse(text).unwrap_err();
    let first = err.diagnostics().first().unwrap();
    assert_eq!(first.code, "limit", "{}", err);
    err.to_string()
}

const HEAD: &str = "resource doc { tag: string }\naction view on doc\n";

#[test]
fn policy_size_exactly_at_the_limit() {
    let max = Limits::default().max_policy_bytes;
    let rule = "permit view on doc\n";
    let mut text = format!("{HEAD}{rule}");
    let pad = max - text.len();
    text.push_str(&format!("//{}", "x".repeat(pad - 2)));
    assert_eq!(text.len(), max);
    Policy::parse(&text).unwrap();
    text.push('x');
    let msg = limit_error(&text);
    assert!(msg.contains(&max.to_string()), "{msg}");
    // Multi-byte characters count in bytes.
    let mut text = format!("{HEAD}{rule}//");
    while text.len() + 2 <= max {
        text.push('é');
    }
    if text.len() < max {
        text.push('x');
    }
    assert_eq!(text.len(), max);
    Policy::parse(&text).unwrap();
    text.push('é');
    limit_error(&text);
}

#[test]
fn string_literal_length_exactly_at_the_limit() {
    let max = Limits::default().max_string_len;
    let ok = format!("{HEAD}permit view on doc when resource.tag == \"{}\"\n", "a".repeat(max));
    Policy::parse(&ok).unwrap();
    let over = format!("{HEAD}permit view on doc when resource.tag == \"{}\"\n", "a".repeat(max + 1));
    limit_error(&over);
    let ok = format!("{HEAD}permit view on doc when resource.tag == \"{}\"\n", "é".repeat(max / 2));
    Policy::parse(&ok).unwrap();
    let over = format!("{HEAD}permit view on doc when resource.tag == \"{}a\"\n", "é".repeat(max / 2));
    limit_error(&over);
    // Permission descriptions, @id and because codes are string literals too.
    let over = format!("permission p:x \"{}\"\n{HEAD}permit view on doc\n", "a".repeat(max + 1));
    limit_error(&over);
    let over = format!("{HEAD}@id(\"{}\") permit view on doc\n", "a".repeat(max + 1));
    limit_error(&over);
    let over = format!("{HEAD}permit view on doc\nforbid view on doc when false because \"{}\"\n", "a".repeat(max + 1));
    limit_error(&over);
}

#[test]
fn list_length_exactly_at_the_limit() {
    let max = Limits::default().max_list_len;
    let list = |n: usize| (0..n).map(|i| format!("\"t{i}\"")).collect::<Vec<_>>().join(", ");
    let ok = format!("{HEAD}permit view on doc when resource.tag in [{}]\n", list(max));
    Policy::parse(&ok).unwrap();
    let over = format!("{HEAD}permit view on doc when resource.tag in [{}]\n", list(max + 1));
    limit_error(&over);
    let perms = |n: usize| (0..n).map(|i| format!("permission p:x{i}\n")).collect::<String>();
    let grants = |n: usize| (0..n).map(|i| format!("p:x{i}")).collect::<Vec<_>>().join(", ");
    let ok = format!("{}role r:a = [{}]\n{HEAD}permit view on doc\n", perms(max + 1), grants(max));
    Policy::parse(&ok).unwrap();
    let over = format!("{}role r:a = [{}]\n{HEAD}permit view on doc\n", perms(max + 1), grants(max + 1));
    limit_error(&over);
}

#[test]
fn rule_count_exactly_at_the_limit() {
    let limits = Limits { max_rules: 50, ..Limits::default() };
    let rules = |n: usize| "permit view on doc\n".repeat(n);
    Policy::parse_with_limits("p", &format!("{HEAD}{}", rules(50)), &limits).unwrap();
    let err = Policy::parse_with_limits("p", &format!("{HEAD}{}", rules(51)), &limits).unwrap_err();
    assert_eq!(err.diagnostics()[0].code, "limit");
    // The default, reached with a raised size limit.
    let max = Limits::default().max_rules;
    let big = Limits { max_policy_bytes: 64 << 20, ..Limits::default() };
    Policy::parse_with_limits("p", &format!("{HEAD}{}", rules(max)), &big).unwrap();
    let err = Policy::parse_with_limits("p", &format!("{HEAD}{}", rules(max + 1)), &big).unwrap_err();
    assert_eq!(err.diagnostics()[0].code, "limit");
}

/// `action a1, ..., aN on t1, ..., tN` is N + N names of text but N × N (type, action)
/// pairs: the pairs are bounded before validation and compilation do work per pair.
#[test]
fn action_pairs_exactly_at_the_limit() {
    let names = |prefix: &str, n: usize| (0..n).map(|i| format!("{prefix}{i}")).collect::<Vec<_>>();
    let policy = |types: usize, actions: usize| {
        let t = names("t", types);
        let mut text: String = t.iter().map(|t| format!("resource {t} {{}}\n")).collect();
        text.push_str(&format!("action {} on {}\npermit * on *\n", names("a", actions).join(", "), t.join(", ")));
        text
    };
    let limits = Limits { max_action_pairs: 12, ..Limits::default() };
    Policy::parse_with_limits("p", &policy(3, 4), &limits).unwrap();
    let err = Policy::parse_with_limits("p", &policy(3, 5), &limits).unwrap_err();
    assert_eq!(err.diagnostics()[0].code, "limit");
    assert!(err.to_string().contains("3 resource types and 5 actions, 15 pairs, more than 12"), "{err}");
    // An action declared on several types counts once.
    let shared = "resource a {}\nresource b {}\naction view on a\naction view on b\npermit * on *\n";
    Policy::parse_with_limits("p", shared, &Limits { max_action_pairs: 2, ..Limits::default() }).unwrap();
    // The default refuses 20,000 × 20,000 pairs (a 400 KB text) before any per-pair work.
    let err = Policy::parse(&policy(20_000, 20_000)).unwrap_err();
    assert_eq!(err.diagnostics()[0].code, "limit");
    assert!(err.to_string().contains("more than 250000"), "{err}");
    Engine::from_policy_text(&policy(500, 500)).unwrap();
}

#[test]
fn nesting_exactly_at_the_limit() {
    let max = Limits::default().max_nesting;
    let parens = |n: usize| format!("{HEAD}permit view on doc when {}true{}\n", "(".repeat(n), ")".repeat(n));
    Policy::parse(&parens(max)).unwrap();
    limit_error(&parens(max + 1));
    let nots = |n: usize| format!("{HEAD}permit view on doc when {}true\n", "not ".repeat(n));
    Policy::parse(&nots(max)).unwrap();
    limit_error(&nots(max + 1));
}

fn claims_of_size(n: usize) -> String {
    let base = json!({"sub": "user_alice", "exp": NOW + 60, "pad": ""}).to_string();
    let pad = n - base.len();
    let text = json!({"sub": "user_alice", "exp": NOW + 60, "pad": "x".repeat(pad)}).to_string();
    assert_eq!(text.len(), n);
    text
}

#[test]
fn claims_size_exactly_at_the_limit() {
    let e = team_tasks();
    let max = Limits::default().max_claims_bytes;
    let personal = json!({"type": "task", "owner_id": "user_alice", "created_by_id": "user_alice"}).to_string();
    let d = decide_text(&e, &claims_of_size(max), "view", &personal, None);
    assert!(d.allowed, "{d:?}");
    let d = decide_text(&e, &claims_of_size(max + 1), "view", &personal, None);
    denied(&d, "invalid_claims");
    assert!(Session::from_claims_json(&claims_of_size(max)).is_ok());
    assert!(Session::from_claims_json(&claims_of_size(max + 1)).is_err());
    // Far more than a Clerk token, not unbounded: 10 MB is refused without a panic.
    let d = decide_text(&e, &claims_of_size(10 << 20), "view", &personal, None);
    denied(&d, "invalid_claims");
}

#[test]
fn oversized_claims_values_are_refused_too() {
    // The value entry points (what the bindings use) are bounded like text.
    let e = team_tasks();
    let max = Limits::default().max_claims_bytes;
    let personal = json!({"type": "task", "owner_id": "user_alice", "created_by_id": "user_alice"});
    let v: Value = serde_json::from_str(&claims_of_size(max + 1)).unwrap();
    let d = e.decide_value(v.clone(), "view", personal.clone(), None, Some(NOW));
    denied(&d, "invalid_claims");
    assert!(Session::from_claims(v.clone()).is_err());
    let d = e.decide_request(json!({"claims": v, "action": "view", "resource": personal, "now": NOW}));
    assert!(!d.allowed, "{d:?}");
}

fn resource_of_size(n: usize) -> String {
    let base = json!({"type": "task", "owner_id": "user_alice", "created_by_id": "user_alice", "pad": ""}).to_string();
    let text = json!({"type": "task", "owner_id": "user_alice", "created_by_id": "user_alice", "pad": "x".repeat(n - base.len())})
        .to_string();
    assert_eq!(text.len(), n);
    text
}

#[test]
fn resource_and_context_size_exactly_at_the_limit() {
    let e = team_tasks();
    let max = Limits::default().max_request_bytes;
    let claims = json!({"sub": "user_alice", "exp": NOW + 60}).to_string();
    assert!(decide_text(&e, &claims, "view", &resource_of_size(max), None).allowed);
    denied(&decide_text(&e, &claims, "view", &resource_of_size(max + 1), None), "invalid_resource");
    let personal = json!({"type": "task", "owner_id": "user_alice", "created_by_id": "user_alice"}).to_string();
    let ctx = |n: usize| {
        let t = json!({"pad": "x".repeat(n - 10)}).to_string();
        assert_eq!(t.len(), n);
        t
    };
    assert!(decide_text(&e, &claims, "view", &personal, Some(&ctx(max))).allowed);
    denied(&decide_text(&e, &claims, "view", &personal, Some(&ctx(max + 1))), "invalid_context");
    // Values too.
    let v: Value = serde_json::from_str(&resource_of_size(max + 1)).unwrap();
    let d = e.decide_value(serde_json::from_str(&claims).unwrap(), "view", v.clone(), None, Some(NOW));
    denied(&d, "invalid_resource");
    assert!(Resource::from_value(v).is_err());
}

fn nest(n: usize, inner: Value) -> Value {
    let mut v = inner;
    for i in 0..n {
        v = if i % 2 == 0 { json!([v]) } else { json!({"k": v}) };
    }
    v
}

#[test]
fn json_depth_exactly_at_the_limit() {
    let e = team_tasks();
    let max = Limits::default().max_json_depth;
    let personal = json!({"type": "task", "owner_id": "user_alice", "created_by_id": "user_alice"});
    // The claims object itself is one level.
    let claims = |depth: usize| json!({"sub": "user_alice", "exp": NOW + 60, "deep": nest(depth - 1, json!(1))});
    assert!(decide(&e, claims(max), "view", personal.clone()).allowed);
    denied(&decide(&e, claims(max + 1), "view", personal.clone()), "invalid_claims");
    // Empty innermost containers count the same.
    let claims = |depth: usize| json!({"sub": "user_alice", "exp": NOW + 60, "deep": nest(depth - 2, json!([]))});
    assert!(decide(&e, claims(max), "view", personal.clone()).allowed);
    denied(&decide(&e, claims(max + 1), "view", personal.clone()), "invalid_claims");
    let res = |depth: usize| set(personal.clone(), "deep", nest(depth - 1, json!("x")));
    let user = json!({"sub": "user_alice", "exp": NOW + 60});
    assert!(decide(&e, user.clone(), "view", res(max)).allowed);
    denied(&decide(&e, user.clone(), "view", res(max + 1)), "invalid_resource");
    let ctx = |depth: usize| json!({"deep": nest(depth - 1, json!(null))});
    let d = e.decide_value(user.clone(), "view", personal.clone(), Some(ctx(max)), Some(NOW));
    assert!(d.allowed, "{d:?}");
    let d = e.decide_value(user.clone(), "view", personal.clone(), Some(ctx(max + 1)), Some(NOW));
    denied(&d, "invalid_context");
    let d = e.decide_json(&user.to_string(), "view", &personal.to_string(), Some(&ctx(max + 1).to_string()), Some(NOW));
    denied(&d, "invalid_context");
}

// ---------------------------------------------------------------------------------------
// Huge numbers where integers are declared.

#[test]
fn numbers_in_declared_int_attributes() {
    let e = licensing();
    let admin = json!({"sub": "user_x", "exp": NOW + 60, "org_id": "org_a", "org_role": "org:admin"});
    let seat = |count: &str| {
        format!(
            r#"{{"type": "seat", "org_id": "org_a", "license_count": {count}, "licensed_count": 1, "is_licensed": false}}"#
        )
    };
    assert!(decide_text(&e, &admin.to_string(), "assign", &seat("5"), None).allowed);
    assert!(decide_text(&e, &admin.to_string(), "assign", &seat("9223372036854775807"), None).allowed);
    for bad in [
        "5.0",
        "5e0",
        "1e400",
        "-1e400",
        "9223372036854775808",
        "18446744073709551616",
        "\"5\"",
        "null",
        "true",
        "[5]",
        "0x5",
        "+5",
        "05",
        "NaN",
        "Infinity",
        "-Infinity",
        "5.",
        ".5",
    ] {
        let d = decide_text(&e, &admin.to_string(), "assign", &seat(bad), None);
        assert!(!d.allowed, "{bad}");
        assert_eq!(d.reason.as_str(), "invalid_resource", "{bad}: {d:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Policy text attacks: each is a located error, never a panic.

fn policy_error(text: &str) -> ordinance::PolicyError {
    let err = Policy::parse(text).expect_err(text.get(..80.min(text.len())).unwrap_or("?"));
    let first = err.diagnostics().first().unwrap();
    assert!(first.line >= 1 && first.column >= 1, "{err}");
    assert!(!first.message.is_empty() && !first.message.contains('\n'), "{err}");
    err
}

#[test]
fn policy_text_attacks() {
    for text in [
        "\"never ending string",
        &format!("{HEAD}permit view on doc when resource.tag == \"abc"),
        &format!("{HEAD}permit view on doc when resource.tag == \"abc\\"),
        &format!("{HEAD}permit view on doc /* a block comment that never ends"),
        &format!("{HEAD}permit view on doc when resource.tag == \"\\u0041\""),
        &format!("{HEAD}permit view on doc when resource.tag == \"\\x41\""),
        "resource and { x: string }\naction view on and\npermit view on and\n",
        "resource doc { when: string }\naction view on doc\npermit view on doc\n",
        "resource doc {}\naction permit on doc\npermit permit on doc\n",
        "resource doc {}\naction not, or on doc\npermit not on doc\n",
        &format!("{HEAD}permit view on doc when 9223372036854775808 > 1"),
        &format!("{HEAD}permit view on doc when -9223372036854775809 < 1"),
        &format!("{HEAD}permit view on doc when 99999999999999999999999999999999999999 > 1"),
        &format!("{HEAD}permit view on doc when 1.5 > 1"),
        &format!("{HEAD}permit view on doc when 1e3 > 1"),
        "resource tаsk {}\naction view on tаsk\npermit view on tаsk\n",
        "resource doc {}\naction view on doc\npermit view on doc\0\n",
        "\u{0}",
        "permit",
        "permit view on",
        "role r = [",
        "resource doc {",
        &format!("{HEAD}permit view on doc when ("),
        &format!("{HEAD}permit view on doc when resource.tag =="),
        &format!("{HEAD}permit view on doc when resource.tag.starts_with("),
        &format!("{HEAD}permit view on doc\nforbid view on doc because \"no spaces allowed\""),
        &format!("{HEAD}permit view on doc\nforbid view on doc because \"\""),
        &format!("{HEAD}@id(\"a\") permit view on doc\n@id(\"a\") permit view on doc"),
        &format!("{HEAD}@id(\"\") permit view on doc"),
        &format!("{HEAD}permit view on doc when resource.tag == resource.nope"),
        &format!("{HEAD}permit view on doc when resource.tag == 1"),
        &format!("{HEAD}permit view on doc when has(org:nope)"),
        &format!("{HEAD}permit edit on doc"),
    ] {
        policy_error(text);
    }
}

#[test]
fn comments_and_whitespace_that_never_end() {
    // A line comment at the end of the file without a newline is fine.
    Policy::parse(&format!("{HEAD}permit view on doc // the end")).unwrap();
    Policy::parse(&format!("{HEAD}permit view on doc # the end")).unwrap();
    // A comment of almost the whole size limit.
    let max = Limits::default().max_policy_bytes;
    let mut text = format!("{HEAD}permit view on doc\n//");
    text.push_str(&"/*".repeat((max - text.len()) / 2));
    Policy::parse(&text).unwrap();
    // CRLF line endings and tabs.
    Policy::parse(&format!("{HEAD}permit view on doc\r\n\twhen resource.tag == \"a\"\r\n").replace('\n', "\r\n"))
        .unwrap();
}

#[test]
fn very_long_identifiers_are_parsed_or_refused_cleanly() {
    for n in [1_000, 100_000, 900_000] {
        let name = format!("t{}", "a".repeat(n));
        let text = format!("resource {name} {{ x: string }}\naction view on {name}\npermit view on {name}\n");
        match Policy::parse(&text) {
            Ok(p) => {
                let e = Engine::new(p);
                let d = e.decide_json(
                    r#"{"sub": "u"}"#,
                    "view",
                    &format!(r#"{{"type": "{name}", "x": "1"}}"#),
                    None,
                    Some(NOW),
                );
                check_invariants(&d);
            }
            Err(err) => assert!(!err.diagnostics().is_empty()),
        }
        let perm = format!("p:{}", "a".repeat(n));
        let _ = Policy::parse(&format!(
            "permission {perm}\nrole r:x = [{perm}]\n{HEAD}permit view on doc when has({perm})\n"
        ));
    }
}

// ---------------------------------------------------------------------------------------
// Policy files: bounded reads, no lossy decoding.

#[test]
fn policy_files_that_never_end_or_are_not_utf8() {
    // `/dev/zero` never ends: it is refused after the size limit, not read whole.
    let err = Policy::from_file("/dev/zero").unwrap_err();
    assert_eq!(err.diagnostics()[0].code, "limit", "{err}");
    assert!(err.to_string().contains("1048576"), "{err}");
    let dir = std::env::temp_dir().join(format!("ordinance-accept7-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A regular file over the limit names its size.
    let big = dir.join("big.ord");
    let mut text = format!("{HEAD}permit view on doc\n").into_bytes();
    text.resize((2 << 20) + 7, b'\n');
    std::fs::write(&big, &text).unwrap();
    let err = Policy::from_file(&big).unwrap_err();
    assert_eq!(err.diagnostics()[0].code, "limit", "{err}");
    assert!(err.to_string().contains(&format!("{} bytes", text.len())), "{err}");
    // Exactly at the limit is read.
    text.truncate(Limits::default().max_policy_bytes);
    std::fs::write(&big, &text).unwrap();
    Policy::from_file(&big).unwrap();
    // Not UTF-8: an error, never U+FFFD.
    let bad = dir.join("bad.ord");
    std::fs::write(&bad, b"resource doc {}\naction view on doc\npermit view on doc // \xff\n").unwrap();
    let err = Policy::from_file(&bad).unwrap_err();
    assert!(err.to_string().contains("UTF-8"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Negation and inequality never turn a type error into an allow.

#[test]
fn negated_and_unequal_comparisons_on_wrong_types_never_permit() {
    let user = json!({"sub": "user_a", "exp": NOW + 60});
    let doc = json!({"type": "doc", "level": 1});
    for (permit, context) in [
        ("context.role != \"admin\"", json!({"role": 1})),
        ("context.role != \"admin\"", json!({"role": null})),
        ("context.role != \"admin\"", json!({"role": ["admin"]})),
        ("context.role != \"admin\"", json!({})),
        ("not (context.n == 1)", json!({"n": "1"})),
        ("not (context.n > 1)", json!({"n": "0"})),
        ("not context.blocked", json!({"blocked": "false"})),
        ("not context.blocked", json!({"blocked": 0})),
        ("not context.blocked", json!({"blocked": null})),
        ("not (context.n in [1, 2])", json!({"n": "3"})),
        ("context.n != 1 or false", json!({"n": "1"})),
        ("not (resource.level == context.n)", json!({"n": "1"})),
        ("not context.tags.contains(\"x\")", json!({"tags": 5})),
        ("not context.s.starts_with(\"x\")", json!({"s": ["x"]})),
        ("context.s.ends_with(\"\") ", json!({"s": 1})),
    ] {
        let text =
            format!("resource doc {{ level: int }}\naction view on doc\n@id(\"p\") permit view on doc when {permit}\n");
        let e = Engine::from_policy_text(&text).unwrap();
        let d = e.decide_value(user.clone(), "view", doc.clone(), Some(context.clone()), Some(NOW));
        check_invariants(&d);
        assert!(!d.allowed, "{permit} with {context}: {d:?}");
        assert_eq!(d.reason.as_str(), "no_matching_rule", "{permit} with {context}: {d:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Clerk v2 tokens: the compressed permissions are decoded whole or refused.

fn v2(o: Value, fea: &str) -> Value {
    json!({"v": 2, "sub": "user_alice", "exp": NOW + 60, "o": o, "fea": fea, "org_metadata": {"isLicensed": true}})
}

#[test]
fn v2_tokens_hostile_fpm_and_other_orgs() {
    let e = team_tasks();
    let good = v2(json!({"id": "org_team", "rol": "member", "per": "view,edit,manage", "fpm": "7"}), "o:tasks");
    assert!(decide(&e, good, "delete", org_task()).allowed);
    // The same permissions in another organization reach nothing of ours.
    let other = v2(json!({"id": "org_other", "rol": "admin", "per": "view,edit,manage", "fpm": "7"}), "o:tasks");
    for action in ["view", "create", "edit", "complete", "delete"] {
        denied(&decide(&e, other.clone(), action, org_task()), "no_matching_rule");
    }
    for fpm in [
        json!("18446744073709551615"),
        json!("18446744073709551616"),
        json!("99999999999999999999999999999999999999"),
        json!("8"),
        json!("-1"),
        json!("+7"),
        json!(" 7"),
        json!("7 "),
        json!("0x7"),
        json!("7.0"),
        json!("7e0"),
        json!("٧"),
        json!(""),
        json!("7,7"),
        json!(7),
        json!(null),
        json!(["7"]),
    ] {
        let t =
            v2(json!({"id": "org_team", "rol": "member", "per": "view,edit,manage", "fpm": fpm.clone()}), "o:tasks");
        let d = decide(&e, t, "delete", org_task());
        denied(&d, "invalid_claims");
    }
    for fea in ["tasks", "x:tasks", "o:", "o:tasks:manage", "o:tasks,", ",o:tasks"] {
        let t = v2(json!({"id": "org_team", "rol": "member", "per": "view,edit,manage", "fpm": "7"}), fea);
        denied(&decide(&e, t, "delete", org_task()), "invalid_claims");
    }
    for o in [
        json!(null),
        json!("org_team"),
        json!([]),
        json!({"id": 1}),
        json!({"id": "org_team", "rol": null}),
        json!({"id": "org_team", "per": ["view"]}),
    ] {
        denied(&decide(&e, v2(o.clone(), "o:tasks"), "view", org_task()), "invalid_claims");
    }
}

#[test]
fn policy_names_differing_in_case_are_distinct() {
    let text = "permission org:docs:view\npermission org:DOCS:view\n\
                role org:viewer = [org:docs:view]\nrole org:Viewer = [org:DOCS:view]\n\
                resource doc { owner: string }\nresource Doc { owner: string }\n\
                action view on doc\naction view, VIEW on Doc\n\
                @id(\"lower\") permit view on doc when has(org:docs:view)\n\
                @id(\"upper\") permit view, VIEW on Doc when has(org:DOCS:view)\n";
    let e = Engine::from_policy_text(text).unwrap();
    let claims = |role: &str| json!({"sub": "u", "exp": NOW + 60, "org_id": "o", "org_role": role});
    let doc = |t: &str| json!({"type": t, "owner": "x"});
    let d = decide(&e, claims("org:viewer"), "view", doc("doc"));
    assert_eq!(d.rule.as_deref(), Some("lower"), "{d:?}");
    denied(&decide(&e, claims("org:viewer"), "view", doc("Doc")), "no_matching_rule");
    denied(&decide(&e, claims("org:Viewer"), "view", doc("doc")), "no_matching_rule");
    let d = decide(&e, claims("org:Viewer"), "VIEW", doc("Doc"));
    assert_eq!(d.rule.as_deref(), Some("upper"), "{d:?}");
    denied(&decide(&e, claims("org:Viewer"), "VIEW", doc("doc")), "unknown_action");
    denied(&decide(&e, claims("org:Viewer"), "view", doc("DOC")), "unknown_resource_type");
}

// ---------------------------------------------------------------------------------------
// Escapes: a key or value spelled with `\u` escapes is the same text as written plainly,
// on every reader (the one-pass readers must not compare raw bytes).

#[test]
fn escaped_keys_and_values_read_as_their_text() {
    let e = team_tasks();
    let claims = r#"{"s\u0075b": "user_alice", "org_\u0069d": "org\u005fteam", "org_role": "org:manager",
        "org_permissions": ["org:tasks:m\u0061nage"], "org_metad\u0061ta": {"isLic\u0065nsed": true}, "exp": 1721770210}"#;
    let resource = r#"{"typ\u0065": "t\u0061sk", "owner\u005fid": "org\u005fteam", "created_by_id": "user_bob"}"#;
    let d = decide_text(&e, claims, "edit", resource, None);
    assert!(d.allowed, "{d:?}");
    assert_eq!(d.rule.as_deref(), Some("org_manage"));
    // Escaped, the license flag still must be a boolean.
    let claims = claims.replace("true", r#""\u0074rue""#);
    denied(&decide_text(&e, &claims, "edit", resource, None), "invalid_claims");
    // `\u0000` and other control characters are part of an id, never dropped.
    let resource = r#"{"type": "task", "owner_id": "org_team\u0000", "created_by_id": "user_bob"}"#;
    denied(&decide_text(&e, &manager().to_string(), "edit", resource, None), "no_matching_rule");
}
