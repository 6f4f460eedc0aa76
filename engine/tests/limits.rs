//! Every limit in `Limits` holds at its documented default: the value at the limit is
//! accepted, one past it is a clear error (policies) or a deny with its own reason
//! (requests), and input far beyond it costs no stack: the deep cases run on threads with
//! a small stack (see `SMALL_STACK`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use ordinance::{Context, Engine, Limits, Policy, Resource, Session};
use serde_json::{json, Value};

/// Release builds parse 100,000 open parentheses in under 128 KiB of stack (measured); debug
/// frames are far larger (`scopes(` x 33 needs about 1.5 MiB unoptimised), so debug tests
/// use the 2 MiB a spawned Rust thread gets by default.
const SMALL_STACK: usize = if cfg!(debug_assertions) { 2 << 20 } else { 256 << 10 };

/// Runs `f` on a thread with a small stack; a stack overflow aborts the test binary.
fn small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(SMALL_STACK).spawn(f).unwrap().join().unwrap()
}

fn first_error(text: &str) -> (String, String) {
    let err = Policy::parse(text).unwrap_err();
    let d = err.first().unwrap();
    (d.code.clone(), d.message.clone())
}

fn with_condition(cond: &str) -> String {
    format!(
        "permission p:a \"A\"\nrole r:a = [p:a]\nresource doc {{ a: bool, t: [string], s: string, n: int }}\naction view on doc\npermit view on doc when {cond}\n"
    )
}

fn engine() -> Engine {
    Engine::from_policy_text(include_str!("../../policies/team_tasks.ord")).unwrap()
}

#[test]
fn documented_defaults() {
    let l = Limits::default();
    assert_eq!(l.max_policy_bytes, 1 << 20);
    assert_eq!(l.max_rules, 100_000);
    assert_eq!(l.max_nesting, 32);
    assert_eq!(l.max_condition_depth, 64);
    assert_eq!(l.max_string_len, 4096);
    assert_eq!(l.max_list_len, 1024);
    assert_eq!(l.max_claims_bytes, 64 << 10);
    assert_eq!(l.max_request_bytes, 64 << 10);
    assert_eq!(l.max_json_depth, 32);
}

#[test]
fn policy_text_size() {
    let base = with_condition("resource.a");
    let at_limit = format!("{base}{}", " ".repeat((1 << 20) - base.len()));
    assert_eq!(at_limit.len(), 1 << 20);
    assert!(Policy::parse(&at_limit).is_ok());
    let over = format!("{at_limit} ");
    let (code, message) = first_error(&over);
    assert_eq!(code, "limit");
    assert_eq!(message, "the policy is 1048577 bytes, more than the limit of 1048576 bytes");
}

#[test]
fn rule_count() {
    // 100,000 one-line rules need more than the default 1 MiB, so raise only that.
    let limits = Limits { max_policy_bytes: 4 << 20, ..Limits::default() };
    let mut text = String::from("resource d {}\naction v on d\n");
    text.push_str(&"permit v on d\n".repeat(100_000));
    assert_eq!(Policy::parse_with_limits("p", &text, &limits).unwrap().rule_count(), 100_000);
    text.push_str("permit v on d\n");
    let err = Policy::parse_with_limits("p", &text, &limits).unwrap_err();
    assert_eq!(err.first().unwrap().code, "limit");
    assert!(err.to_string().contains("the policy has 100001 rules, more than 100000 rules"), "{err}");
}

#[test]
fn nesting_depth_parentheses_not_lists_calls() {
    let parens = |n: usize| format!("{}resource.a{}", "(".repeat(n), ")".repeat(n));
    let nots = |n: usize| format!("{}resource.a", "not ".repeat(n));
    let lists = |n: usize| format!("resource.s in {}\"x\"{}", "[".repeat(n), "]".repeat(n));
    let calls = |n: usize| {
        let mut e = "\"x\"".to_string();
        for _ in 0..n {
            e = format!("resource.s.contains({e})");
        }
        e
    };
    for (what, make) in
        [("parentheses", &parens as &dyn Fn(usize) -> String), ("not", &nots), ("lists", &lists), ("calls", &calls)]
    {
        // At the limit the parser accepts the nesting (the policy may still fail type checks).
        let at = Policy::parse(&with_condition(&make(32)));
        assert!(at.as_ref().err().map_or(true, |e| e.first().unwrap().code != "limit"), "{what} at 32: {at:?}");
        let (code, message) = first_error(&with_condition(&make(33)));
        assert_eq!(
            (code.as_str(), message.as_str()),
            ("limit", "the condition nests deeper than the limit of 32"),
            "{what}"
        );
    }
    assert!(Policy::parse(&with_condition(&parens(32))).is_ok());
    assert!(Policy::parse(&with_condition(&nots(32))).is_ok());
}

#[test]
fn hundred_thousand_open_parentheses_on_a_small_stack() {
    let results = small_stack(|| {
        let mut out = Vec::new();
        for unit in ["(", "not ", "[", "resource.t.contains(", "scopes("] {
            let cond = format!("{}resource.a", unit.repeat(100_000));
            let err = Policy::parse(&with_condition(&cond)).unwrap_err();
            out.push((unit, err.first().unwrap().code.clone()));
        }
        out
    });
    for (unit, code) in results {
        assert_eq!(code, "limit", "`{unit}` x 100,000");
    }
}

#[test]
fn condition_depth_bounds_long_chains() {
    // `a and a and ...` nests nothing but builds a tree as deep as the chain is long.
    let chain = |op: &str, n: usize| std::iter::repeat("resource.a").take(n + 1).collect::<Vec<_>>().join(op);
    for op in [" and ", " or "] {
        assert!(Policy::parse(&with_condition(&chain(op, 63))).is_ok(), "63 x `{op}`");
        let (code, message) = first_error(&with_condition(&chain(op, 64)));
        assert_eq!((code.as_str(), message.as_str()), ("limit", "the condition is more than 64 levels deep"));
    }
    let calls = |n: usize| format!("resource.s{}", ".starts_with(\"x\")".repeat(n));
    let (code, _) = first_error(&with_condition(&calls(64)));
    assert_eq!(code, "limit");
    // Raising the limit raises it.
    let limits = Limits { max_condition_depth: 200, ..Limits::default() };
    assert!(Policy::parse_with_limits("p", &with_condition(&chain(" and ", 150)), &limits).is_ok());
}

#[test]
fn chains_of_any_length_cost_no_stack() {
    // Before `max_condition_depth`, 10,000 `and`s (150 KB, well under the size limit)
    // overflowed the main thread's 8 MiB stack while validating the policy.
    let texts: Vec<String> = [" and ", " or "]
        .iter()
        .map(|op| with_condition(&std::iter::repeat("resource.a").take(50_001).collect::<Vec<_>>().join(op)))
        .chain([with_condition(&format!("resource.s{}", ".ends_with(\"x\")".repeat(50_000)))])
        .collect();
    let codes = small_stack(move || {
        texts.iter().map(|t| Policy::parse(t).unwrap_err().first().unwrap().code.clone()).collect::<Vec<_>>()
    });
    assert_eq!(codes, ["limit", "limit", "limit"]);
}

#[test]
fn deepest_accepted_condition_decides_on_a_small_stack() {
    // 31 parentheses around a 64-deep chain: the worst the defaults accept, decided,
    // explained and formatted on a 1 MiB stack in a debug build.
    let chain = std::iter::repeat("resource.a").take(33).collect::<Vec<_>>().join(" and ");
    let cond = format!("{}{chain}{}", "(".repeat(31), ")".repeat(31));
    let text = with_condition(&format!("not {cond} or not not not resource.a"));
    let d = small_stack(move || {
        let policy = Policy::parse(&text).unwrap();
        let _ = policy.format();
        let engine = Engine::new(policy);
        let s = Session::from_claims_json(r#"{"sub": "u"}"#).unwrap();
        let r =
            Resource::new("doc").with_attr("a", false).with_attr("t", json!([])).with_attr("s", "x").with_attr("n", 1);
        let opts = ordinance::Options::default().at(0);
        let _ = engine.explain(&s, "view", &r, &opts).to_string();
        engine.decide_with(&s, "view", &r, &opts)
    });
    assert!(d.allowed, "{d:?}");
}

#[test]
fn string_literal_length() {
    let ok = with_condition(&format!("resource.s == \"{}\"", "x".repeat(4096)));
    assert!(Policy::parse(&ok).is_ok());
    let (code, message) = first_error(&with_condition(&format!("resource.s == \"{}\"", "x".repeat(4097))));
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("limit", "string literal of 4097 bytes is longer than the limit of 4096")
    );
}

#[test]
fn list_length_in_conditions_and_roles() {
    let list = |n: usize| format!("[{}]", (0..n).map(|i| format!("\"{i}\"")).collect::<Vec<_>>().join(", "));
    assert!(Policy::parse(&with_condition(&format!("resource.s in {}", list(1024)))).is_ok());
    let (code, message) = first_error(&with_condition(&format!("resource.s in {}", list(1025))));
    assert_eq!((code.as_str(), message.as_str()), ("limit", "the list literal is longer than the list limit"));

    let perms: String = (0..1025).map(|i| format!("permission p:n{i}\n")).collect();
    let role = |n: usize| {
        let grants = (0..n).map(|i| format!("p:n{i}")).collect::<Vec<_>>().join(", ");
        format!("{perms}role r:big = [{grants}]\nresource d {{}}\naction v on d\npermit v on d when has_role(r:big)\n")
    };
    assert!(Policy::parse(&role(1024)).is_ok());
    let (code, message) = first_error(&role(1025));
    assert_eq!((code.as_str(), message.as_str()), ("limit", "the role grants more permissions than the list limit"));
}

#[test]
fn claims_size() {
    // A Clerk token stays under 4 KB; 64 KiB is accepted, one byte more is not.
    let pad = |total: usize| {
        let skeleton = r#"{"sub":"user_1","pad":""}"#;
        format!(r#"{{"sub":"user_1","pad":"{}"}}"#, "x".repeat(total - skeleton.len()))
    };
    assert!(Session::from_claims_json(&pad(64 << 10)).is_ok());
    let err = Session::from_claims_json(&pad((64 << 10) + 1)).unwrap_err();
    assert_eq!(err.to_string(), "invalid claims: input of 65537 bytes is larger than the limit of 65536 bytes");
    let d = engine().decide_json(
        &pad((64 << 10) + 1),
        "view",
        r#"{"type":"task","owner_id":"u","created_by_id":"u"}"#,
        None,
        Some(0),
    );
    assert_eq!((d.allowed, d.reason.as_str()), (false, "invalid_claims"));
}

#[test]
fn resource_and_context_size() {
    let pad = |total: usize, skeleton: &str, open: &str| format!("{open}\"{}\"}}", "x".repeat(total - skeleton.len()));
    let resource = |n: usize| {
        pad(
            n,
            r#"{"type":"task","owner_id":"u","created_by_id":"u","pad":""}"#,
            r#"{"type":"task","owner_id":"u","created_by_id":"u","pad":"#,
        )
    };
    let context = |n: usize| pad(n, r#"{"pad":""}"#, r#"{"pad":"#);
    assert_eq!(resource(64 << 10).len(), 64 << 10);
    assert!(Resource::from_json(&resource(64 << 10)).is_ok());
    assert!(Context::from_json(&context(64 << 10)).is_ok());
    let e = engine();
    let claims = r#"{"sub":"u"}"#;
    let d = e.decide_json(claims, "view", &resource((64 << 10) + 1), None, Some(0));
    assert_eq!(d.reason, "invalid_resource");
    assert!(d.error.unwrap().contains("larger than the limit of 65536 bytes"));
    let task = r#"{"type":"task","owner_id":"u","created_by_id":"u"}"#;
    let d = e.decide_json(claims, "view", task, Some(&context((64 << 10) + 1)), Some(0));
    assert_eq!(d.reason, "invalid_context");
    assert!(e.decide_json(claims, "view", task, Some(&context(64 << 10)), Some(0)).allowed);
}

#[test]
fn request_line_size() {
    // A request line may hold claims and resource and context at their limits.
    let e = engine();
    let line = |pad: usize| {
        format!(
            r#"{{"claims":{{"sub":"u","pad":"{}"}},"action":"view","resource":{{"type":"task","owner_id":"u","created_by_id":"u"}},"now":0}}"#,
            "x".repeat(pad)
        )
    };
    assert!(e.decide_request_json(&line(60_000)).allowed);
    let huge = line(200 << 10);
    let d = e.decide_request_json(&huge);
    assert_eq!(d.reason, "invalid_request");
    assert!(d.error.unwrap().contains("larger than the limit of 196608 bytes"));
}

fn nested_text(open: &str, close: &str, n: usize, inner: &str) -> String {
    format!("{}{inner}{}", open.repeat(n), close.repeat(n))
}

/// `{"k": {"k": ... {"k": 1}}}` with `n` objects, built without recursion (`json!` with a
/// value inside serializes it recursively, so it is not used for deep values).
fn nested_value(n: usize) -> Value {
    let mut v = json!(1);
    for _ in 0..n {
        v = object([("k", v)]);
    }
    v
}

fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

#[test]
fn json_depth_of_claims_resource_and_context_text() {
    let e = engine();
    let task = r#"{"type":"task","owner_id":"u","created_by_id":"u"}"#;
    let deep = |n: usize| format!(r#"{{"sub":"u","x":{}}}"#, nested_text("[", "]", n, "1"));
    // The claims object is one level, so 31 more fit in the default of 32.
    assert!(Session::from_claims_json(&deep(31)).is_ok());
    let err = Session::from_claims_json(&deep(32)).unwrap_err();
    assert!(err.to_string().contains("nests deeper than the limit of 32 levels"), "{err}");
    assert_eq!(e.decide_json(&deep(32), "view", task, None, Some(0)).reason, "invalid_claims");

    let deep_resource = |n: usize| {
        format!(r#"{{"type":"task","owner_id":"u","created_by_id":"u","x":{}}}"#, nested_text("[", "]", n, ""))
    };
    assert!(Resource::from_json(&deep_resource(31)).is_ok());
    assert_eq!(e.decide_json(r#"{"sub":"u"}"#, "view", &deep_resource(32), None, Some(0)).reason, "invalid_resource");
    let deep_context = |n: usize| format!(r#"{{"x":{}}}"#, nested_text("{\"a\":", "}", n, "1"));
    assert!(Context::from_json(&deep_context(31)).is_ok());
    assert_eq!(
        e.decide_json(r#"{"sub":"u"}"#, "view", task, Some(&deep_context(32)), Some(0)).reason,
        "invalid_context"
    );
    // 100,000 levels of text cost no stack either.
    let reasons = small_stack(move || {
        let e = engine();
        let text = nested_text("[", "]", 100_000, "");
        vec![
            e.decide_json(&text, "view", task, None, Some(0)).reason.to_string(),
            e.decide_json(r#"{"sub":"u"}"#, "view", &text, None, Some(0)).reason.to_string(),
            e.decide_json(r#"{"sub":"u"}"#, "view", task, Some(&text), Some(0)).reason.to_string(),
            e.decide_request_json(&format!(r#"{{"claims":{text}}}"#)).reason.to_string(),
        ]
    });
    assert_eq!(reasons, ["invalid_claims", "invalid_resource", "invalid_context", "invalid_request"]);
}

#[test]
fn json_depth_of_values_built_in_code() {
    // The same limit, counted the same way, for values a binding hands over: the value
    // decides exactly as its text does, at the limit and one past it.
    let e = engine();
    let task = json!({"type": "task", "owner_id": "u", "created_by_id": "u"});
    for n in [30, 31, 32] {
        let claims = object([("sub", json!("u")), ("x", nested_value(n))]);
        let by_value = e.decide_value(claims.clone(), "view", task.clone(), None, Some(0));
        let by_text = e.decide_json(&claims.to_string(), "view", &task.to_string(), None, Some(0));
        assert_eq!((by_value.allowed, &by_value.reason), (by_text.allowed, &by_text.reason), "depth {n}");
        assert_eq!(by_value.allowed, n < 32, "depth {n}");
    }
    // Empty innermost containers count too (a value used to be allowed one level more than
    // its text when the deepest container was empty).
    for n in [31, 32] {
        let mut deep = json!([]);
        for _ in 1..n {
            deep = Value::Array(vec![deep]);
        }
        let claims = object([("sub", json!("u")), ("x", deep)]);
        let by_value = e.decide_value(claims.clone(), "view", task.clone(), None, Some(0));
        let by_text = e.decide_json(&claims.to_string(), "view", &task.to_string(), None, Some(0));
        assert_eq!((by_value.allowed, &by_value.reason), (by_text.allowed, &by_text.reason), "empty, depth {n}");
        assert_eq!(by_value.allowed, n < 32, "empty, depth {n}");
    }
}

#[test]
fn hundred_thousand_deep_values_are_refused_and_dropped_without_recursion() {
    // serde_json's `Drop` for `Value` recurses once per level: dropping one of these on a
    // 1 MiB stack would abort the process. The engine takes them apart iteratively.
    let reasons = small_stack(|| {
        let e = engine();
        let task = || json!({"type": "task", "owner_id": "u", "created_by_id": "u"});
        let mut out = Vec::new();
        out.push(e.decide_value(nested_value(100_000), "view", task(), None, Some(0)).reason.to_string());
        out.push(e.decide_value(json!({"sub": "u"}), "view", nested_value(100_000), None, Some(0)).reason.to_string());
        out.push(
            e.decide_value(json!({"sub": "u"}), "view", task(), Some(nested_value(100_000)), Some(0))
                .reason
                .to_string(),
        );
        // Rejected claims must not drop the (unchecked) deep resource recursively either.
        out.push(
            e.decide_value(json!({"sub": 1}), "view", nested_value(100_000), Some(nested_value(100_000)), Some(0))
                .reason
                .to_string(),
        );
        let unknown_field =
            object([("claims", json!({"sub": "u"})), ("action", json!("view")), ("oops", nested_value(100_000))]);
        out.push(e.decide_request(unknown_field).reason.to_string());
        out.push(
            e.decide_request(object([("action", json!(5)), ("resource", nested_value(100_000))])).reason.to_string(),
        );
        out.push(Session::from_claims(nested_value(100_000)).unwrap_err().to_string());
        out.push(Resource::from_value(nested_value(100_000)).unwrap_err().to_string());
        out.push(Context::from_value(nested_value(100_000)).unwrap_err().to_string());
        out
    });
    assert_eq!(
        reasons[..6],
        [
            "invalid_claims",
            "invalid_resource",
            "invalid_context",
            "invalid_claims",
            "invalid_request",
            "invalid_request"
        ]
    );
    assert_eq!(reasons[6], "invalid claims: input nests deeper than the limit of 32 levels");
    assert_eq!(reasons[7], "invalid resource: input nests deeper than the limit of 32 levels");
    assert_eq!(reasons[8], "invalid context: input nests deeper than the limit of 32 levels");
}

#[test]
fn engine_limits_apply_to_requests() {
    let tight = Limits { max_claims_bytes: 64, max_request_bytes: 80, max_json_depth: 2, ..Limits::default() };
    let e = Engine::with_limits(Policy::parse(include_str!("../../policies/team_tasks.ord")).unwrap(), tight);
    let task = r#"{"type":"task","owner_id":"u","created_by_id":"u"}"#;
    assert!(e.decide_json(r#"{"sub":"u"}"#, "view", task, None, Some(0)).allowed);
    assert_eq!(
        e.decide_json(&format!(r#"{{"sub":"u","p":"{}"}}"#, "x".repeat(64)), "view", task, None, Some(0)).reason,
        "invalid_claims"
    );
    assert_eq!(e.decide_json(r#"{"sub":"u","x":[[1]]}"#, "view", task, None, Some(0)).reason, "invalid_claims");
    assert_eq!(
        e.decide_value(json!({"sub":"u","x":[[1]]}), "view", serde_json::from_str(task).unwrap(), None, Some(0)).reason,
        "invalid_claims"
    );
    let big_task = format!(r#"{{"type":"task","owner_id":"u","created_by_id":"u","p":"{}"}}"#, "x".repeat(40));
    assert_eq!(e.decide_json(r#"{"sub":"u"}"#, "view", &big_task, None, Some(0)).reason, "invalid_resource");
}
