//! The compiled evaluator agrees with the naive reference interpreter on random policies
//! and random requests: same `allowed`, same reason code, same deciding rule.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use ordinance::reference::{reference_decide, reference_missing};
use ordinance::{Context, DecisionKey, Engine, Options, Policy, Resource, Session};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::HashMap;

const HEADER: &str = r#"
permission p:a "A"
permission p:b "B"
permission p:c "C"
role r:x = [p:a]
role r:y = [p:a, p:b]
role r:z = [p:*]
resource doc { owner: string, level: int, tags: [string], flag?: bool, note?: string }
resource folder { owner: string, level: int }
action read, write on doc
action read, share on folder
license org.metadata.lic
"#;

fn atom() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("resource.owner == user.id".to_string()),
        Just("resource.owner == org.id".to_string()),
        // The attribute on the right, a `!=`, an optional attribute, a literal.
        Just("org.id != resource.owner".to_string()),
        Just("resource.note == \"abc\"".to_string()),
        (0i64..6).prop_map(|n| format!("resource.level < {n}")),
        Just("resource.level >= context.n".to_string()),
        Just("has(p:a)".to_string()),
        Just("has(p:c)".to_string()),
        Just("has_role(r:x)".to_string()),
        Just("licensed".to_string()),
        Just("org".to_string()),
        Just("user".to_string()),
        Just("\"t1\" in resource.tags".to_string()),
        Just("resource.tags.contains(\"t2\")".to_string()),
        Just("resource.tags.contains_any([\"t1\", \"t3\"])".to_string()),
        Just("present(resource.flag)".to_string()),
        Just("resource.flag == true".to_string()),
        Just("resource.note.starts_with(\"a\")".to_string()),
        Just("claims.email.ends_with(\"@x.com\")".to_string()),
        Just("scopes(context.s).contains_all([\"a\", \"b\"])".to_string()),
        Just("\"a\" in scopes(context.s)".to_string()),
        Just("org.metadata.tier == \"pro\"".to_string()),
        Just("org.metadata.tier in [\"pro\", \"team\"]".to_string()),
        Just("claims.n > 3".to_string()),
        Just("context.flag".to_string()),
        Just("has_plan(\"pro\")".to_string()),
        Just("has_feature(\"org:x\")".to_string()),
        Just("verified_within(10)".to_string()),
        Just("session.actor".to_string()),
        Just("resource.id == \"d1\"".to_string()),
        Just("[resource.owner, \"z\"] == [user.id, \"z\"]".to_string()),
        Just("org.permissions.contains(\"p:b\")".to_string()),
        Just("has_role(r:y)".to_string()),
        Just("has_plan(\"org:pro\")".to_string()),
        Just("verified_within(5, multi_factor)".to_string()),
        Just("scopes(context.s).contains(\"c\")".to_string()),
        Just("scopes(context.s).contains_all(context.want)".to_string()),
        Just("true".to_string()),
        Just("false".to_string()),
    ]
}

fn condition() -> impl Strategy<Value = String> {
    atom().prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} and {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    })
}

fn rule() -> impl Strategy<Value = String> {
    let targets = prop_oneof![
        Just("read on doc"),
        Just("write on doc"),
        Just("read, write on doc"),
        Just("read on doc, folder"),
        Just("share on folder"),
        Just("* on folder"),
        Just("read on *"),
    ];
    (any::<bool>(), targets, prop::option::of(condition()), any::<bool>()).prop_map(|(forbid, t, cond, because)| {
        let effect = if forbid { "forbid" } else { "permit" };
        let mut text = format!("{effect} {t}");
        let uses_folder = t.contains("folder") || t.contains('*');
        if let Some(c) = cond {
            // Folders have no tags, flag or note; keep conditions valid for them.
            let c = if uses_folder && ["tags", "flag", "note", "resource.id"].iter().any(|a| c.contains(a)) {
                "resource.level < 3 and has(p:b)".to_string()
            } else {
                c
            };
            text.push_str(&format!(" when {c}"));
        }
        if forbid && because {
            text.push_str(" because \"nope\"");
        }
        text
    })
}

fn policy_text() -> impl Strategy<Value = String> {
    prop::collection::vec(rule(), 0..8).prop_map(policy_of)
}

/// [`HEADER`], a permit for every declared action (validation wants one), and `rules`.
fn policy_of(rules: Vec<String>) -> String {
    let mut text = HEADER.to_string();
    text.push_str("permit read, write on doc when has(p:b) and resource.level > 2\n");
    text.push_str("permit read, share on folder when resource.owner == user.id\n");
    for r in rules {
        text.push_str(&r);
        text.push('\n');
    }
    text
}

fn json_choice(options: Vec<Value>) -> impl Strategy<Value = Option<Value>> {
    prop::option::of(prop::sample::select(options))
}

fn claims() -> impl Strategy<Value = Value> {
    (
        json_choice(vec![json!("u1"), json!("u2"), json!(U31), json!(U31_OTHER), json!(U40)]),
        json_choice(vec![json!("o1"), json!("o2"), json!(O31)]),
        json_choice(vec![json!("r:x"), json!("r:y"), json!("r:z"), json!("r:none")]),
        json_choice(vec![json!(["p:a"]), json!(["p:b", "p:c"]), json!([])]),
        json_choice(vec![json!(true), json!(false), json!("true"), json!(1)]),
        json_choice(vec![json!("pro"), json!("free"), json!(3)]),
        json_choice(vec![json!("a@x.com"), json!("b@y.com"), json!(5)]),
        json_choice(vec![json!(2), json!(10), json!(1.5)]),
        json_choice(vec![json!("o:x,u:y"), json!("u:x"), json!("bad")]),
        json_choice(vec![json!([5, -1]), json!([20, 3])]),
        json_choice(vec![json!({"sub": "admin"})]),
    )
        .prop_map(|(sub, org, role, perms, lic, tier, email, n, fea, fva, act)| {
            let mut c = serde_json::Map::new();
            let put = |c: &mut serde_json::Map<String, Value>, k: &str, v: Option<Value>| {
                if let Some(v) = v {
                    c.insert(k.to_string(), v);
                }
            };
            put(&mut c, "sub", sub);
            let has_org = org.is_some();
            put(&mut c, "org_id", org);
            if has_org {
                put(&mut c, "org_role", role);
                put(&mut c, "org_permissions", perms);
                let mut md = serde_json::Map::new();
                if let Some(l) = lic {
                    md.insert("lic".into(), l);
                }
                if let Some(t) = tier {
                    md.insert("tier".into(), t);
                }
                c.insert("org_metadata".into(), Value::Object(md));
                put(&mut c, "fea", fea);
            }
            put(&mut c, "email", email);
            put(&mut c, "n", n);
            put(&mut c, "fva", fva);
            put(&mut c, "act", act);
            c.insert("pla".into(), json!("u:pro"));
            c.insert("exp".into(), json!(2_000_000_000));
            Value::Object(c)
        })
}

/// Ids as Clerk writes them (31 bytes), one differing from it in its last byte only, its
/// first 16 bytes, and one longer than the 32 bytes `Engine::is_allowed` compares in place.
const U31: &str = "user_2iVvo8iFCJQJ1WCXeBk5T9lUTO5";
const U31_OTHER: &str = "user_2iVvo8iFCJQJ1WCXeBk5T9lUTO6";
const U16: &str = "user_2iVvo8iFCJQ";
const U40: &str = "user_2iVvo8iFCJQJ1WCXeBk5T9lUTO5_0123456";
const O31: &str = "org_2ieWEfZl0M6ccS1Ap1XVRbEm9Kk";

fn resource() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec!["doc", "folder", "nope"]),
        json_choice(vec![
            json!("u1"),
            json!("o1"),
            json!("o2"),
            json!(7),
            json!(U31),
            json!(U40),
            json!(O31),
            json!(U16),
        ]),
        json_choice(vec![json!(0), json!(3), json!(9), json!("4")]),
        json_choice(vec![json!(["t1"]), json!(["t2", "t3"]), json!([])]),
        json_choice(vec![json!(true), json!(false), Value::Null]),
        json_choice(vec![json!("abc"), json!("xyz"), Value::Null]),
        json_choice(vec![json!("d1"), json!("d2")]),
    )
        .prop_map(|(ty, owner, level, tags, flag, note, id)| {
            let mut r = serde_json::Map::new();
            r.insert("type".into(), json!(ty));
            for (k, v) in
                [("owner", owner), ("level", level), ("tags", tags), ("flag", flag), ("note", note), ("id", id)]
            {
                if let Some(v) = v {
                    r.insert(k.into(), v);
                }
            }
            Value::Object(r)
        })
}

fn context() -> impl Strategy<Value = Value> {
    (
        json_choice(vec![json!("a b"), json!(["a"]), json!(["a", "b"]), json!(3)]),
        json_choice(vec![json!(1), json!(5)]),
        json_choice(vec![json!(true), json!(false), json!("yes")]),
        json_choice(vec![json!(["a", "d"]), json!("b c"), json!([1]), json!(["a", 2]), json!(["d", "a", "d"])]),
    )
        .prop_map(|(s, n, flag, want)| {
            let mut c = serde_json::Map::new();
            for (k, v) in [("s", s), ("n", n), ("flag", flag), ("want", want)] {
                if let Some(v) = v {
                    c.insert(k.into(), v);
                }
            }
            Value::Object(c)
        })
}

type Request = (Value, &'static str, Value, Value);

fn request() -> impl Strategy<Value = Request> {
    (claims(), prop::sample::select(vec!["read", "write", "share", "nope"]), resource(), context())
}

/// Decides every request with the engine and with the reference interpreter: same
/// `allowed`, reason, rule, and (for a deny by the rules) the same `missing`.
fn agrees_with_reference(text: &str, requests: Vec<Request>) -> Result<(), TestCaseError> {
    let policy = Policy::parse(text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    let engine = Engine::new(policy.clone());
    let other = Engine::new(policy.clone());
    let mut reused: Option<ordinance::Decision> = None;
    let mut by_key: HashMap<DecisionKey, ordinance::Decision> = HashMap::new();
    for (claims, action, resource, ctx) in requests {
        let Ok(session) = Session::from_claims(claims.clone()) else { continue };
        let Ok(resource) = Resource::from_value(resource) else { continue };
        let context = Context::from_value(ctx).unwrap();
        let fast = engine.decide_with(
            &session,
            action,
            &resource,
            &Options { now: Some(1_000), context: Some(context.clone()) },
        );
        if let Some(id) = engine.action(action) {
            let opts = Options { now: Some(1_000), context: Some(context.clone()) };
            prop_assert_eq!(&engine.decide_action(&session, id, &resource, &opts), &fast, "decide_action");
            // Into the previous request's decision (and its hint's allocation).
            match &mut reused {
                Some(d) => engine.decide_action_into(&session, id, &resource, &opts, d),
                None => reused = Some(engine.decide_action(&session, id, &resource, &opts)),
            }
            prop_assert_eq!(reused.as_ref(), Some(&fast), "decide_action_into");
            // Keyed: a deny without its hint, or a whole allow, and the key of the decision.
            let (keyed, key) = engine.decide_action_keyed(&session, id, &resource, &opts);
            match key {
                Some(key) => {
                    prop_assert!(keyed.missing.is_empty(), "keyed: {:?}", keyed);
                    let mut whole = keyed.clone();
                    whole.missing.clone_from(&fast.missing);
                    prop_assert_eq!(&whole, &fast, "keyed");
                    if let Some(seen) = by_key.insert(key, fast.clone()) {
                        prop_assert_eq!(&seen, &fast, "one key, two decisions; policy:\n{}\nclaims {}", text, claims);
                    }
                }
                None => prop_assert_eq!(&keyed, &fast, "keyed, no key"),
            }
        }
        // The yes/no question: the same answer, on the engine that prepared the session and
        // bound the resource, and on another one (its general path).
        let opts = Options { now: Some(1_000), context: Some(context.clone()) };
        prop_assert_eq!(
            engine.is_allowed(&session, action, &resource, &opts),
            fast.allowed,
            "is_allowed; policy:\n{}\nclaims {}",
            text,
            claims
        );
        if let Some(id) = engine.action(action) {
            prop_assert_eq!(
                engine.is_allowed_action(&session, id, &resource, &opts),
                fast.allowed,
                "is_allowed_action"
            );
        }
        prop_assert_eq!(
            other.is_allowed(&session, action, &resource, &opts),
            fast.allowed,
            "is_allowed, another engine"
        );
        // The borrowed decision: the same fields, read in place, and the same hint and
        // whole decision when asked for; on both engines, by name and by id.
        let mut borrowed = vec![
            ("decide_ref", engine.decide_ref(&session, action, &resource, &opts)),
            ("decide_ref, another engine", other.decide_ref(&session, action, &resource, &opts)),
        ];
        if let Some(id) = engine.action(action) {
            borrowed.push(("decide_action_ref", engine.decide_action_ref(&session, id, &resource, &opts)));
        }
        for (what, d) in borrowed {
            let settled = (d.allowed(), d.reason(), d.rule(), d.error());
            let want = (fast.allowed, &fast.reason, fast.rule.as_ref(), fast.error.as_deref());
            prop_assert_eq!(settled, want, "{}; policy:\n{}\nclaims {}", what, text, claims);
            prop_assert_eq!(&d.missing(), &fast.missing, "{}: missing", what);
            prop_assert_eq!(&d.to_decision(), &fast, "{}: to_decision", what);
            prop_assert!(d == fast, "{}: ==", what);
            prop_assert_eq!(&ordinance::Decision::from(d), &fast, "{}: Decision::from", what);
        }
        let (allowed, reason, rule) = reference_decide(&policy, &session, action, &resource, &context, 1_000);
        prop_assert_eq!(fast.allowed, allowed, "policy:\n{}\nclaims {}", text, claims);
        prop_assert_eq!(fast.reason.as_str(), reason.as_str(), "policy:\n{}\nclaims {}", text, claims);
        prop_assert_eq!(fast.rule.as_ref().map(|r| r.to_string()), rule, "policy:\n{}", text);
        if fast.allowed {
            prop_assert!(fast.missing.is_empty());
        } else if reason == "no_matching_rule" || reason.starts_with("forbidden:") {
            let want =
                reference_missing(&policy, &session, action, &resource, &context, reason.starts_with("forbidden:"));
            prop_assert_eq!(&fast.missing, &want, "missing differs; policy:\n{}\nclaims {}", text, claims);
        }
    }
    Ok(())
}

/// The tests of [`chain_rule`]: mostly those a plan treats apart (session facts, which it
/// may check first, and tests that can fault, which stop it), and those a hint can ask for.
fn chain_atom() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["org", "user", "licensed", "has(p:a)", "has(p:c)", "has_role(r:x)"]).prop_map(String::from),
        3 => prop::sample::select(vec![
            "resource.owner == user.id",
            "resource.owner == org.id",
            "resource.note == \"abc\"",
            "resource.flag",
            "resource.level >= context.n",
        ]).prop_map(String::from),
        2 => prop::sample::select(vec!["has_plan(\"pro\")", "\"a\" in scopes(context.s)", "verified_within(10)"]).prop_map(String::from),
        1 => atom(),
    ]
}

/// A rule whose condition is an `and` chain of one to five tests, each possibly negated.
fn chain_rule() -> impl Strategy<Value = String> {
    let operand = (chain_atom(), any::<bool>()).prop_map(|(a, not)| if not { format!("not ({a})") } else { a });
    let targets = prop::sample::select(vec!["read on doc", "write on doc", "read, write on doc"]);
    (any::<bool>(), targets, prop::collection::vec(operand, 1..6)).prop_map(|(forbid, t, ops)| {
        format!("{} {t} when {}", if forbid { "forbid" } else { "permit" }, ops.join(" and "))
    })
}

fn chain_policy_text() -> impl Strategy<Value = String> {
    prop::collection::vec(chain_rule(), 0..8).prop_map(policy_of)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    /// Policies whose every condition is an `and` chain of (possibly negated) tests: every
    /// (type, action) pair is decided on its plan (`engine/src/plan.rs`), with the tests
    /// shared between rules and the hints worked out on the chains.
    #[test]
    fn planned_pairs_agree_with_reference(
        text in chain_policy_text(),
        requests in prop::collection::vec(request(), 1..12),
    ) {
        agrees_with_reference(&text, requests)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn fast_evaluator_agrees_with_reference(
        text in policy_text(),
        requests in prop::collection::vec(request(), 1..12),
    ) {
        agrees_with_reference(&text, requests)?;
    }

    /// An unconditional forbid on a (type, action) denies every request there, whatever
    /// the permits say.
    #[test]
    fn matching_forbid_always_denies(
        text in policy_text(),
        claims in claims(),
        resource in resource(),
        ctx in context(),
    ) {
        let text = format!("{text}\nforbid write on doc when resource.level < 1000 or not (resource.level < 1000)\n");
        let engine = Engine::new(Policy::parse(&text).unwrap());
        let Ok(session) = Session::from_claims(claims) else { return Ok(()) };
        let Ok(resource) = Resource::from_value(resource) else { return Ok(()) };
        let d = engine.decide_with(&session, "write", &resource, &Options { now: Some(1_000), context: Some(Context::from_value(ctx).unwrap()) });
        prop_assert!(!d.allowed);
    }
}

fn valid_doc() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec!["u1", "o1", "o2"]),
        0i64..6,
        prop::sample::select(vec![json!(["t1"]), json!(["t2", "t3"]), json!([])]),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(owner, level, tags, flag)| {
            let mut r = json!({"type": "doc", "owner": owner, "level": level, "tags": tags});
            if let Some(f) = flag {
                r["flag"] = json!(f);
            }
            r
        })
}

fn hint_atom() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("has(p:a)".to_string()),
        Just("has(p:b)".to_string()),
        Just("has(p:c)".to_string()),
        Just("has_role(r:x)".to_string()),
        Just("has_role(r:y)".to_string()),
        Just("licensed".to_string()),
        Just("org".to_string()),
        Just("user".to_string()),
        Just("has_plan(\"org:pro\")".to_string()),
        Just("has_feature(\"x\")".to_string()),
        Just("verified_within(5)".to_string()),
        Just("scopes(context.s).contains_all([\"a\", \"b\", \"c\"])".to_string()),
        Just("\"b\" in scopes(context.s)".to_string()),
        Just("resource.owner == user.id".to_string()),
        Just("resource.level < 3".to_string()),
        Just("resource.owner == org.id".to_string()),
        // A declared bool attribute in boolean position (a leaf of its own when lowered).
        Just("resource.flag".to_string()),
        // Scopes named by the request, and literals that repeat or overlap them: one
        // requirement per scope, whoever names it.
        Just("scopes(context.s).contains_all(context.want)".to_string()),
        Just("scopes(context.s).contains_all([\"d\", \"a\", \"d\"])".to_string()),
        Just("\"a\" in scopes(context.s)".to_string()),
        Just("has_plan(\"pro\")".to_string()),
        Just("verified_within(5, multi_factor)".to_string()),
    ]
}

fn hint_policy() -> impl Strategy<Value = String> {
    let cond = hint_atom().prop_recursive(3, 10, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} and {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    });
    prop::collection::vec((any::<bool>(), cond), 1..6).prop_map(|rules| {
        let mut text = HEADER.to_string();
        text.push_str("permit read, write on doc when has(p:b) and resource.level > 4\n");
        text.push_str("permit read, share on folder when resource.owner == user.id\n");
        for (forbid, c) in rules {
            let effect = if forbid { "forbid" } else { "permit" };
            text.push_str(&format!("{effect} write on doc when {c}\n"));
        }
        text
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    /// The compiled `missing` hints equal the naive interpreter's on denies.
    #[test]
    fn hints_agree_with_reference(text in hint_policy(), claims in claims(), resource in valid_doc(), ctx in context()) {
        let policy = Policy::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let engine = Engine::new(policy.clone());
        let Ok(session) = Session::from_claims(claims.clone()) else { return Ok(()) };
        let resource = Resource::from_value(resource).unwrap();
        let context = Context::from_value(ctx).unwrap();
        let d = engine.decide_with(&session, "write", &resource, &Options { now: Some(1_000), context: Some(context.clone()) });
        let forbidden = d.reason.starts_with("forbidden:");
        if !d.allowed && (forbidden || d.reason == "no_matching_rule") {
            let want = reference_missing(&policy, &session, "write", &resource, &context, forbidden);
            prop_assert_eq!(&d.missing, &want, "policy:\n{}\nclaims {}", text, claims);
        }
    }
}

/// A scope wanted twice is missing once, as the naive hints say: the compiled hints kept
/// both copies when the list was the whole hint (they moved it instead of merging it).
#[test]
fn a_scope_wanted_twice_is_missing_once() {
    for cond in [
        "scopes(context.s).contains_all([\"a\", \"a\"])",
        "scopes(context.s).contains_all(context.w)",
        "user and scopes(context.s).contains_all(context.w)",
        "\"a\" in scopes(context.s) and scopes(context.s).contains_all(context.w)",
    ] {
        let text = format!("resource doc {{}}\naction read on doc\npermit read on doc when {cond}\n");
        let policy = Policy::parse(&text).unwrap();
        let engine = Engine::new(policy.clone());
        let session = Session::from_claims_json(r#"{"sub": "u"}"#).unwrap();
        let context = Context::from_json(r#"{"s": "b", "w": ["a", "a"]}"#).unwrap();
        let doc = Resource::new("doc");
        let d = engine.decide_with(&session, "read", &doc, &Options::default().at(0).with_context(context.clone()));
        assert_eq!(d.to_json()["missing"], json!([{"kind": "scope", "name": "a"}]), "{cond}");
        assert_eq!(d.missing, reference_missing(&policy, &session, "read", &doc, &context, false), "{cond}");
    }
}

/// A permit whose resource test fails (here a bool attribute, a leaf of its own) is out of
/// reach, so it names nothing, whatever else it would need; the compiled hints check such
/// tests first.
#[test]
fn a_failed_resource_test_puts_its_permit_out_of_reach() {
    let text = format!("{HEADER}permit write on doc when resource.flag and has(p:c)\npermit read on doc when has(p:b) and resource.owner == user.id\npermit read, share on folder when resource.owner == user.id\n");
    let policy = Policy::parse(&text).unwrap();
    let engine = Engine::new(policy.clone());
    let session = Session::from_claims_json(r#"{"sub": "u1", "org_id": "o1", "org_permissions": ["p:a"]}"#).unwrap();
    for (flag, missing) in [(json!(false), json!([])), (json!(true), json!([{"kind": "permission", "name": "p:c"}]))] {
        let doc =
            Resource::from_value(json!({"type": "doc", "owner": "u1", "level": 1, "tags": [], "flag": flag})).unwrap();
        let d = engine.decide_with(&session, "write", &doc, &Options::default().at(0));
        assert_eq!(d.to_json()["missing"], missing, "flag {flag}");
        assert_eq!(d.missing, reference_missing(&policy, &session, "write", &doc, &Context::default(), false));
    }
}

/// The same policies with `doc`'s attributes declared in another order (so another slot
/// layout) and `note` / `flag` no longer declared: a binding cached for one engine is
/// wrong for the other.
fn reordered(text: &str) -> String {
    text.replace(
        "resource doc { owner: string, level: int, tags: [string], flag?: bool, note?: string }",
        "resource doc { level: int, tags: [string], owner: string }",
    )
}

/// `engine`'s answer on a prepared session and resource against the reference's.
fn check_against_reference(
    engine: &Engine,
    policy: &Policy,
    session: &Session,
    action: &str,
    resource: &Resource,
    context: &Context,
) -> Result<(), TestCaseError> {
    let fast =
        engine.decide_with(session, action, resource, &Options { now: Some(1_000), context: Some(context.clone()) });
    let (allowed, reason, rule) = reference_decide(policy, session, action, resource, context, 1_000);
    prop_assert_eq!(fast.allowed, allowed);
    prop_assert_eq!(fast.reason.as_str(), reason.as_str());
    prop_assert_eq!(fast.rule.as_ref().map(|r| r.to_string()), rule);
    if !fast.allowed && (reason == "no_matching_rule" || reason.starts_with("forbidden:")) {
        let want = reference_missing(policy, session, action, resource, context, reason.starts_with("forbidden:"));
        prop_assert_eq!(&fast.missing, &want);
    }
    Ok(())
}

/// `permitted_actions` (the type and attributes resolved once for the row) against the
/// reference decision of each declared action.
fn check_permitted(
    engine: &Engine,
    policy: &Policy,
    session: &Session,
    resource: &Resource,
    context: &Context,
) -> Result<(), TestCaseError> {
    let got =
        engine.permitted_actions(session, resource, &Options { now: Some(1_000), context: Some(context.clone()) });
    let declared: &[&str] = match resource.type_name() {
        "doc" => &["read", "write"],
        "folder" => &["read", "share"],
        _ => &[],
    };
    let want: Vec<String> = declared
        .iter()
        .filter(|a| reference_decide(policy, session, a, resource, context, 1_000).0)
        .map(|a| a.to_string())
        .collect();
    prop_assert_eq!(got, want);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// One `Resource` and one `Session`, used alternately with two engines whose slot
    /// layouts differ (the resource caches its binding for the first one only), and
    /// through `permitted_actions`, always give the reference answers.
    #[test]
    fn resource_used_with_two_engines_agrees_with_reference(
        text in policy_text(),
        requests in prop::collection::vec((claims(), prop::sample::select(vec!["read", "write", "share", "nope"]), resource(), context()), 1..8),
        b_first in any::<bool>(),
    ) {
        let policy_a = Policy::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let text_b = reordered(&text);
        let Ok(policy_b) = Policy::parse(&text_b) else { return Ok(()) };
        let a = Engine::new(policy_a.clone());
        let b = Engine::new(policy_b.clone());
        let engines = if b_first { [(&b, &policy_b), (&a, &policy_a)] } else { [(&a, &policy_a), (&b, &policy_b)] };
        for (claims, action, resource, ctx) in requests {
            let Ok(session) = Session::from_claims(claims) else { continue };
            let Ok(resource) = Resource::from_value(resource) else { continue };
            let context = Context::from_value(ctx).unwrap();
            for _ in 0..2 {
                for (engine, policy) in engines {
                    check_against_reference(engine, policy, &session, action, &resource, &context)?;
                    check_permitted(engine, policy, &session, &resource, &context)?;
                }
            }
            // A clone carries the cache along; it must still be right for both engines.
            let copy = resource.clone();
            for (engine, policy) in engines {
                check_against_reference(engine, policy, &session, action, &copy, &context)?;
            }
        }
    }

    /// A resource rebuilt with another attribute value (or id) after a decision is not
    /// answered from the binding cached for the old value.
    #[test]
    fn rebuilt_resource_is_not_answered_from_a_stale_binding(
        text in policy_text(),
        claims in claims(),
        action in prop::sample::select(vec!["read", "write", "share"]),
        resource in resource(),
        ctx in context(),
        key in prop::sample::select(vec!["owner", "level", "tags", "flag", "note"]),
        value in prop::sample::select(vec![json!("u1"), json!("u2"), json!("o1"), json!(0), json!(3), json!(9), json!(true), json!(false), Value::Null, json!(["t1"])]),
        id in prop::sample::select(vec!["d1", "d3"]),
    ) {
        let policy = Policy::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let engine = Engine::new(policy.clone());
        let Ok(session) = Session::from_claims(claims) else { return Ok(()) };
        let Ok(resource) = Resource::from_value(resource) else { return Ok(()) };
        let context = Context::from_value(ctx).unwrap();
        check_against_reference(&engine, &policy, &session, action, &resource, &context)?;
        let changed = resource.clone().with_attr(key, value);
        check_against_reference(&engine, &policy, &session, action, &changed, &context)?;
        check_permitted(&engine, &policy, &session, &changed, &context)?;
        let renamed = changed.clone().with_id(id);
        check_against_reference(&engine, &policy, &session, action, &renamed, &context)?;
        // The original is unchanged by all this.
        check_against_reference(&engine, &policy, &session, action, &resource, &context)?;
    }
}

/// A forbid that two things would lift, each needing one requirement: the hint names the
/// first (as the reference does), on the planned pair and on the tree.
#[test]
fn a_forbid_is_lifted_by_its_first_cheapest_operand() {
    let claims =
        json!({"sub": "u1", "org_id": "o1", "org_role": "r", "org_permissions": [], "org_metadata": {"lic": false}});
    let session = Session::from_claims(claims).unwrap();
    let resource = Resource::from_value(json!({"type": "doc", "owner": "u1"})).unwrap();
    for forbid in [
        "not (has(p:a)) and not (licensed)",                   // a chain: planned
        "not (has(p:a)) and not (licensed) and (user or org)", // an `or`: the tree
    ] {
        let text = format!("permission p:a \"A\"\nresource doc {{ owner: string }}\naction read on doc\nlicense org.metadata.lic\npermit read on doc when user\nforbid read on doc when {forbid}\n");
        let d = deny_with_reference_hint(&text, &session, &resource);
        assert_eq!(
            serde_json::to_value(&d.missing).unwrap(),
            json!([{"kind": "permission", "name": "p:a"}]),
            "{forbid}"
        );
    }
}

/// A hint names the needs of the permit that needs the fewest, even when an earlier permit
/// (or an earlier operand of a forbid) was reachable too: the better needs replace those
/// found first. Planned (chains) and tree (an `or`) slots alike.
#[test]
fn a_later_permit_or_operand_that_needs_fewer_wins_the_hint() {
    let cases = [
        (
            json!({"sub": "u1", "org_id": "o1", "org_role": "r", "org_permissions": []}),
            "permit read on doc when has(p:a) and has(p:b)\npermit read on doc when has(p:c)",
            json!([{"kind": "permission", "name": "p:c"}]),
        ),
        (
            json!({"sub": "u1", "org_id": "o1", "org_role": "r", "org_permissions": []}),
            "permit read on doc when has(p:a) and has(p:b)\npermit read on doc when has(p:c) and (user or org)",
            json!([{"kind": "permission", "name": "p:c"}]),
        ),
        (
            // Outside an organization the license needs one first: two needs, against one
            // for `not user`.
            json!({}),
            "permit read on doc when user\nforbid read on doc when not (licensed) and not (user)",
            json!([{"kind": "sign_in", "name": ""}]),
        ),
        (
            json!({}),
            "permit read on doc when user\nforbid read on doc when not (licensed) and not (user) and (org or not org)",
            json!([{"kind": "sign_in", "name": ""}]),
        ),
    ];
    for (claims, rules, want) in cases {
        let session = Session::from_claims(claims).unwrap();
        let resource = Resource::from_value(json!({"type": "doc", "owner": "u1"})).unwrap();
        let text = format!(
            "permission p:a \"A\"\npermission p:b \"B\"\npermission p:c \"C\"\nresource doc {{ owner: string }}\naction read on doc\nlicense org.metadata.lic\n{rules}\n"
        );
        let d = deny_with_reference_hint(&text, &session, &resource);
        assert_eq!(serde_json::to_value(&d.missing).unwrap(), want, "{rules}");
    }
}

/// `read` decided on `resource` under `text`: a deny whose hint is the reference's.
fn deny_with_reference_hint(text: &str, session: &Session, resource: &Resource) -> ordinance::Decision {
    let policy = Policy::parse(text).unwrap();
    let opts = Options { now: Some(0), context: None };
    let d = Engine::new(policy.clone()).decide_with(session, "read", resource, &opts);
    assert!(!d.allowed, "{text}");
    let context = Context::from_value(json!({})).unwrap();
    let forbidden = d.reason.starts_with("forbidden:");
    assert_eq!(d.missing, reference_missing(&policy, session, "read", resource, &context, forbidden), "{text}");
    d
}

#[test]
fn two_matching_forbids_lifted_by_the_same_need_name_it_once() {
    // Both forbids are lifted by the license (outside an organization: by joining one and
    // the license); the hint lists each need once, then the permit's.
    let text = "permission p:a \"A\"\nresource doc { owner: string }\naction read on doc\nlicense org.metadata.lic\n\
                permit read on doc when has(p:a)\n\
                forbid read on doc when not (licensed)\n\
                forbid read on doc when user and not (licensed)\n";
    let resource = Resource::from_value(json!({"type": "doc", "owner": "u1"})).unwrap();
    for (claims, want) in [
        (
            json!({"sub": "u1", "org_id": "o1", "org_role": "r", "org_permissions": []}),
            json!([{"kind": "license", "name": "org.metadata.lic"}, {"kind": "permission", "name": "p:a"}]),
        ),
        (
            json!({"sub": "u1"}),
            json!([
                {"kind": "organization", "name": ""},
                {"kind": "license", "name": "org.metadata.lic"},
                {"kind": "permission", "name": "p:a"}
            ]),
        ),
    ] {
        let session = Session::from_claims(claims).unwrap();
        let d = deny_with_reference_hint(text, &session, &resource);
        assert_eq!(serde_json::to_value(&d.missing).unwrap(), want);
    }
}

/// The tests of [`keyed_policy`]: the chain tests, and scopes wanted as a list, whose hint
/// depends on which of them the session has (a plan with one has no hint key).
fn keyed_atom() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => chain_atom(),
        1 => prop::sample::select(vec![
            "scopes(context.s).contains_all(context.want)",
            "scopes(context.s).contains_all([\"a\", \"b\", \"c\"])",
            "has_plan(\"org:pro\")",
        ]).prop_map(String::from),
    ]
}

fn keyed_policy() -> impl Strategy<Value = String> {
    let operand = (keyed_atom(), any::<bool>()).prop_map(|(a, not)| if not { format!("not ({a})") } else { a });
    let targets = prop::sample::select(vec!["read on doc", "write on doc", "read, write on doc"]);
    let rule = (any::<bool>(), targets, prop::collection::vec(operand, 1..5)).prop_map(|(forbid, t, ops)| {
        format!("{} {t} when {}", if forbid { "forbid" } else { "permit" }, ops.join(" and "))
    });
    prop::collection::vec(rule, 1..7).prop_map(policy_of)
}

/// Few distinct sessions, documents and contexts, so that many requests share a hint key.
fn keyed_requests() -> Vec<(Value, Value, Value)> {
    let claims = [
        json!({"exp": 2_000_000_000}),
        json!({"sub": "u1", "exp": 2_000_000_000}),
        json!({"sub": "u2", "pla": "u:pro", "fva": [5, -1], "exp": 2_000_000_000}),
        json!({"sub": "u1", "org_id": "o1", "org_role": "r:x", "exp": 2_000_000_000}),
        json!({"sub": "u2", "org_id": "o1", "org_role": "r:y", "org_metadata": {"lic": true}, "exp": 2_000_000_000}),
        json!({"sub": "u1", "org_id": "o2", "org_permissions": ["p:c"], "org_metadata": {"lic": false}, "exp": 2_000_000_000}),
        json!({"sub": "u2", "org_id": "o1", "org_role": "r:z", "org_metadata": {"lic": true}, "fva": [5, -1], "pla": "o:pro", "exp": 2_000_000_000}),
        json!({"sub": "u3", "org_id": "o2", "org_role": "r:none", "exp": 2_000_000_000}),
    ];
    let docs = [
        json!({"type": "doc", "owner": "u1", "level": 0, "tags": []}),
        json!({"type": "doc", "owner": "o1", "level": 3, "tags": ["t1"], "flag": true, "note": "abc"}),
        json!({"type": "doc", "owner": "o2", "level": 9, "tags": [], "flag": false}),
        json!({"type": "doc", "owner": "u2", "level": 5, "tags": [], "note": "xyz"}),
    ];
    let contexts = [
        json!({}),
        json!({"s": ["a"], "n": 1, "want": ["a", "d"]}),
        json!({"s": ["a", "b"], "n": 5, "want": ["d", "a", "d"]}),
        json!({"s": "a b", "n": 5}),
        json!({"s": ["b", "c"], "want": ["a"]}),
    ];
    let mut out = Vec::new();
    for c in &claims {
        for d in &docs {
            for x in &contexts {
                out.push((c.clone(), d.clone(), x.clone()));
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// `Engine::decide_action_keyed`: a decision that comes back with a key is the whole
    /// decision without its `missing` (an allow has none), and every request with that key
    /// has the same whole decision, hint included; a decision without a key is whole.
    #[test]
    fn one_decision_key_names_one_decision(text in keyed_policy()) {
        let engine = Engine::new(Policy::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?);
        let mut by_key: HashMap<DecisionKey, (ordinance::Decision, String)> = HashMap::new();
        for (claims, doc, ctx) in keyed_requests() {
            let session = Session::from_claims(claims.clone()).unwrap();
            let resource = Resource::from_value(doc.clone()).unwrap();
            let opts = Options { now: Some(1_000), context: Some(Context::from_value(ctx.clone()).unwrap()) };
            for action in ["read", "write"] {
                let id = engine.action(action).unwrap();
                let whole = engine.decide_action(&session, id, &resource, &opts);
                let (keyed, key) = engine.decide_action_keyed(&session, id, &resource, &opts);
                let Some(key) = key else {
                    prop_assert_eq!(&keyed, &whole);
                    continue;
                };
                prop_assert!(keyed.missing.is_empty());
                let mut filled = keyed.clone();
                filled.missing.clone_from(&whole.missing);
                prop_assert_eq!(&filled, &whole);
                let here = format!("{action} {claims} {doc} {ctx}");
                if let Some((seen, there)) = by_key.insert(key, (whole.clone(), here.clone())) {
                    prop_assert_eq!(&seen, &whole, "one key, two decisions:\n{}\n{}\npolicy:\n{}", there, here, text);
                }
            }
        }
    }
}

/// Keys name a decision of their engine only: the same request on two engines of the same
/// policy gives two keys.
#[test]
fn decision_keys_of_two_engines_differ() {
    let text = policy_of(vec!["permit read on doc when has(p:a)".into()]);
    let (a, b) = (Engine::from_policy_text(&text).unwrap(), Engine::from_policy_text(&text).unwrap());
    let session = Session::from_claims(json!({"sub": "u", "org_id": "o"})).unwrap();
    let doc = Resource::from_value(json!({"type": "doc", "owner": "u", "level": 0, "tags": []})).unwrap();
    let opts = Options::default().at(0);
    let key = |e: &Engine| e.decide_action_keyed(&session, e.action("read").unwrap(), &doc, &opts).1;
    assert!(key(&a).is_some());
    assert_eq!(key(&a), key(&a));
    assert_ne!(key(&a), key(&b));
}
