//! `Engine::is_allowed` gives `decide_with(..).allowed` on what its fast path treats apart:
//! the token's time window (held as two bounds per prepared session), pairs whose rules
//! have too many paths to unroll into a diagram (the plan's walk), forbids that fault, and
//! requests off the fast path. `differential.rs` holds it to the reference interpreter on
//! random policies and requests.
#![allow(clippy::unwrap_used)]

use ordinance::{Engine, Options, Resource, Session};
use proptest::prelude::*;
use serde_json::{json, Value};

const TIMED: &str = "resource doc {}\naction read on doc\npermit read on doc when user";

/// A token time near the interesting ones: around `now`, the leeway away, and the ends of
/// `i64`.
fn time() -> impl Strategy<Value = Option<i64>> {
    prop::option::of(prop_oneof![
        (-8i64..8).prop_map(|d| 1_000 + d),
        Just(i64::MIN),
        Just(i64::MIN + 3),
        Just(i64::MAX),
        Just(i64::MAX - 3),
        Just(0),
    ])
}

fn now() -> impl Strategy<Value = i64> {
    prop_oneof![(-8i64..8).prop_map(|d| 1_000 + d), Just(i64::MIN), Just(i64::MAX), Just(i64::MAX - 2)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn the_token_window_is_the_decisions(exp in time(), nbf in time(), iat in time(), at in now()) {
        let engine = Engine::from_policy_text(TIMED).unwrap();
        let mut claims = json!({"sub": "u1"});
        for (name, value) in [("exp", exp), ("nbf", nbf), ("iat", iat)] {
            if let Some(v) = value {
                claims[name] = json!(v);
            }
        }
        let session = Session::from_claims(claims).unwrap();
        let doc = Resource::new("doc");
        let opts = Options::default().at(at);
        let decided = engine.decide_with(&session, "read", &doc, &opts);
        prop_assert_eq!(engine.is_allowed(&session, "read", &doc, &opts), decided.allowed, "{:?}", decided);
    }
}

#[test]
fn the_leeway_is_counted_as_decide_counts_it() {
    let engine = Engine::from_policy_text(TIMED).unwrap();
    let session = Session::from_claims(json!({"sub": "u1", "exp": 1_000, "nbf": 900})).unwrap();
    let doc = Resource::new("doc");
    for (at, allowed) in [(894, false), (895, true), (1_004, true), (1_005, false)] {
        let opts = Options::default().at(at);
        assert_eq!(engine.decide_with(&session, "read", &doc, &opts).allowed, allowed, "decide at {at}");
        assert_eq!(engine.is_allowed(&session, "read", &doc, &opts), allowed, "is_allowed at {at}");
    }
}

/// Twelve permits on one pair, each on a test that can fault, then one for any user, and a
/// forbid that faults without a level: too many paths to unroll, so `is_allowed` walks the
/// plan.
fn many_permits() -> String {
    let mut text = String::from("resource doc { level?: int }\naction read on doc\n");
    text.push_str("forbid read on doc when resource.level == 5\n");
    for k in 0..12 {
        text.push_str(&format!("permit read on doc when resource.level == {k}\n"));
    }
    text.push_str("permit read on doc when user\n");
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn a_pair_too_large_for_a_diagram_answers_as_decide(
        level in prop::option::of(prop_oneof![(0i64..14).prop_map(Value::from), Just(json!("x"))]),
        signed_in in any::<bool>(),
    ) {
        let engine = Engine::from_policy_text(&many_permits()).unwrap();
        let claims = if signed_in { json!({"sub": "u1"}) } else { json!({}) };
        let session = Session::from_claims(claims).unwrap();
        let mut doc = json!({"type": "doc"});
        if let Some(l) = level {
            doc["level"] = l;
        }
        let Ok(doc) = Resource::from_value(doc) else { return Ok(()) };
        let opts = Options::default().at(0);
        let decided = engine.decide_with(&session, "read", &doc, &opts);
        prop_assert_eq!(engine.is_allowed(&session, "read", &doc, &opts), decided.allowed, "{:?}", decided);
    }
}

#[test]
fn a_forbid_that_cannot_be_evaluated_is_a_no() {
    // `resource.owner == org.id` faults without an organization: the forbid denies.
    let engine = Engine::from_policy_text(
        "resource doc { owner: string }\naction read on doc\n\
         forbid read on doc when resource.owner == org.id\npermit read on doc when user",
    )
    .unwrap();
    let doc = Resource::new("doc").with_attr("owner", "o1");
    let opts = Options::default().at(0);
    let personal = Session::from_claims_json(r#"{"sub": "u1"}"#).unwrap();
    assert_eq!(engine.decide_with(&personal, "read", &doc, &opts).reason, "forbid_errored");
    assert!(!engine.is_allowed(&personal, "read", &doc, &opts));
    let other_org = Session::from_claims_json(r#"{"sub": "u1", "org_id": "o2"}"#).unwrap();
    assert!(engine.is_allowed(&other_org, "read", &doc, &opts));
}

#[test]
fn requests_off_the_fast_path_answer_as_decide() {
    let engine = Engine::from_policy_text(
        "resource doc { owner: string }\nresource folder {}\naction read on doc, folder\naction write on doc\n\
         permit read on doc when resource.owner == user.id or org\npermit read on folder when org\n\
         permit write on doc when user",
    )
    .unwrap();
    let opts = Options::default().at(0);
    let session = Session::from_claims_json(r#"{"sub": "u1"}"#).unwrap();
    let doc = Resource::new("doc").with_attr("owner", "u1");
    let cases = [
        ("read", doc.clone(), true),               // an `or`: no plan, the tree evaluator
        ("write", doc.clone(), true),              // planned
        ("write", Resource::new("folder"), false), // not declared on the type
        ("share", doc.clone(), false),             // not declared at all
        ("read", Resource::new("doc"), false),     // missing a declared attribute
        ("read", Resource::new("nope"), false),    // unknown type
        ("read", Resource::new("doc").with_attr("owner", 7), false), // mistyped attribute
    ];
    for (action, resource, allowed) in cases {
        assert_eq!(engine.decide_with(&session, action, &resource, &opts).allowed, allowed, "{action} {resource:?}");
        assert_eq!(engine.is_allowed(&session, action, &resource, &opts), allowed, "{action} {resource:?}");
    }
    // An action found by another engine is not this engine's.
    let other = Engine::from_policy_text("resource doc {}\naction write on doc\npermit write on doc").unwrap();
    let foreign = other.action("write").unwrap();
    assert!(!engine.is_allowed_action(&session, foreign, &doc, &opts));
    assert!(engine.is_allowed_action(&session, engine.action("write").unwrap(), &doc, &opts));
}
