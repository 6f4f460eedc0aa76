//! `Engine::decide_ref` gives `decide_with`'s decision, borrowed, on what its fast path
//! treats apart: a forbid that faults before one that holds (the diagram leaves that
//! deny's reason to the general path), requests off the fast path, the hint worked out
//! later on the same request, and every request of a grid over the Team Task policy.
//! `differential.rs` holds it to the reference interpreter on random policies.
#![allow(clippy::unwrap_used)]

use ordinance::{Decision, Engine, Options, Resource, Session};
use serde_json::json;

fn session(claims: serde_json::Value) -> Session {
    Session::from_claims(claims).unwrap()
}

/// Asserts that the borrowed decision reads as the whole one, field by field.
fn same(engine: &Engine, s: &Session, action: &str, r: &Resource, opts: &Options) -> Decision {
    let whole = engine.decide_with(s, action, r, opts);
    let d = engine.decide_ref(s, action, r, opts);
    assert_eq!(d.allowed(), whole.allowed, "{whole:?}");
    assert_eq!(d.reason(), &whole.reason);
    assert_eq!(d.rule(), whole.rule.as_ref());
    assert_eq!(d.error(), whole.error.as_deref());
    assert_eq!(d.missing(), whole.missing);
    assert_eq!(d.to_decision(), whole);
    whole
}

#[test]
fn a_later_forbid_that_holds_outranks_an_earlier_one_that_faults() {
    let engine = Engine::from_policy_text(
        "resource doc { level?: int, owner: string }\naction read on doc\npermit read on doc\n\
         @id(\"faults\") forbid read on doc when resource.level > 3\n\
         @id(\"holds\") forbid read on doc when resource.owner == \"x\" because \"blocked\"",
    )
    .unwrap();
    let s = session(json!({"sub": "u"}));
    let opts = Options::default().at(0);
    // `level` absent: the first forbid faults; the second holds and decides.
    let d = same(&engine, &s, "read", &Resource::new("doc").with_attr("owner", "x"), &opts);
    assert_eq!((d.reason.as_str(), d.rule.unwrap().as_str()), ("forbidden:blocked", "holds"));
    // Only the fault: denied, fail closed, by the first forbid.
    let d = same(&engine, &s, "read", &Resource::new("doc").with_attr("owner", "y"), &opts);
    assert_eq!((d.reason.as_str(), d.rule.unwrap().as_str()), ("forbid_errored", "faults"));
    assert!(d.error.is_some());
    // Neither: allowed by the permit.
    let d = same(&engine, &s, "read", &Resource::new("doc").with_attr("owner", "y").with_attr("level", 1), &opts);
    assert_eq!(d.reason, "permit");
}

#[test]
fn requests_off_the_fast_path_are_decided_whole() {
    let engine = Engine::from_policy_text(
        "license org.metadata.isLicensed\nresource doc { owner: string }\naction read on doc\n\
         permit read on doc when licensed",
    )
    .unwrap();
    let opts = Options::default().at(1_000);
    let doc = Resource::new("doc").with_attr("owner", "u");
    let cases = [
        (session(json!({"sub": "u", "exp": 10})), "read", doc.clone(), "session_expired"),
        (session(json!({"sub": "u", "nbf": 5_000})), "read", doc.clone(), "session_not_yet_valid"),
        (
            session(json!({"sub": "u", "org_id": "o", "org_metadata": {"isLicensed": "yes"}})),
            "read",
            doc.clone(),
            "invalid_claims",
        ),
        (session(json!({"sub": "u"})), "write", doc.clone(), "unknown_action"),
        (session(json!({"sub": "u"})), "read", Resource::new("folder"), "unknown_resource_type"),
        (session(json!({"sub": "u"})), "read", Resource::new("doc").with_attr("owner", 3), "invalid_resource"),
        (session(json!({"sub": "u", "org_id": "o", "org_metadata": {"isLicensed": true}})), "read", doc, "permit"),
    ];
    for (s, action, r, reason) in cases {
        let d = same(&engine, &s, action, &r, &opts);
        assert_eq!(d.reason, reason);
    }
}

#[test]
fn the_hint_is_worked_out_on_the_request_decided() {
    let engine = Engine::from_policy_text(
        "permission docs:read \"Read\"\nresource doc {}\naction read on doc\n\
         permit read on doc when has(docs:read) and context.ip == \"10.0.0.1\"",
    )
    .unwrap();
    let s = session(json!({"sub": "u", "org_id": "o", "exp": 100}));
    let context = ordinance::Context::from_value(json!({"ip": "10.0.0.1"})).unwrap();
    let opts = Options::default().at(50).with_context(context);
    let doc = Resource::new("doc");
    let d = engine.decide_ref(&s, "read", &doc, &opts);
    // Asked for after the token expired: the hint is the one of the request decided at 50.
    assert_eq!(d.missing(), engine.decide_with(&s, "read", &doc, &opts).missing);
    assert_eq!(d.missing()[0].to_string(), "requires the `docs:read` permission");
    assert_eq!(
        format!("{d:?}"),
        r#"DecisionRef { allowed: false, reason: "no_matching_rule", rule: None, error: None, .. }"#
    );
}

#[test]
fn team_tasks_grid_reads_as_decide_with() {
    let engine = Engine::from_policy_text(include_str!("../../policies/team_tasks.ord")).unwrap();
    let opts = Options::default().at(1_000);
    let mut sessions = vec![session(json!({})), session(json!({"sub": "user_a"}))];
    for role in ["org:viewer", "org:member", "org:manager", "org:admin", "org:guest"] {
        for licensed in [json!(true), json!(false), json!("true")] {
            sessions.push(session(json!({"sub": "user_a", "org_id": "org_1", "org_role": role,
                "org_metadata": {"isLicensed": licensed}})));
        }
    }
    sessions.push(session(json!({"sub": "user_a", "org_id": "org_1", "org_permissions": ["org:tasks:edit"],
        "org_metadata": {"isLicensed": true}})));
    let mut tasks = Vec::new();
    for owner in ["user_a", "user_b", "org_1", "org_2"] {
        for creator in ["user_a", "user_b"] {
            tasks.push(Resource::new("task").with_attr("owner_id", owner).with_attr("created_by_id", creator));
        }
    }
    tasks.push(Resource::new("task").with_attr("owner_id", "org_1"));
    let mut allowed = 0;
    for s in &sessions {
        for t in &tasks {
            for action in ["view", "create", "edit", "complete", "delete", "archive"] {
                allowed += usize::from(same(&engine, s, action, t, &opts).allowed);
            }
        }
    }
    assert!(allowed > 0);
}

/// A deny's hint is remembered on its diagram leaf for the session facts it was worked out
/// with, when it read nothing else; these requests end on one leaf with the same facts but
/// need different hints, so none of them may be answered from another's.
#[test]
fn a_remembered_hint_is_never_another_requests() {
    let engine = Engine::from_policy_text(
        "permission p\nresource doc { locked: bool, owner: string }\naction read on doc\n\
         permit read on doc when resource.locked\n\
         @id(\"locked\") forbid read on doc when resource.locked\n\
         @id(\"gated\") forbid read on doc when has(p) and not has_plan(\"pro\")",
    )
    .unwrap();
    let opts = Options::default().at(0);
    let locked = Resource::new("doc").with_attr("locked", true).with_attr("owner", "u");
    let without = session(json!({"sub": "u", "org_id": "o"}));
    let with_p = session(json!({"sub": "u", "org_id": "o", "org_permissions": ["p"]}));
    let plan = |kind: &str, name: &str| (kind.to_owned(), name.to_owned());
    let missing = |d: &Decision| d.missing.iter().map(|m| (m.kind.to_string(), m.name.to_string())).collect::<Vec<_>>();
    // The walk reads `locked` alone, and the permit that holds needs nothing more. The second
    // forbid is checked on its permission outside the tests: its lift is in the hint of a
    // session that has `p` only, whichever is decided first.
    for order in [[&without, &with_p], [&with_p, &without]] {
        let engine = engine.clone();
        for s in order {
            let d = same(&engine, s, "read", &locked, &opts);
            assert_eq!(d.reason, "forbidden:locked");
            let expected = if std::ptr::eq(s, &with_p) { vec![plan("plan", "pro")] } else { vec![] };
            assert_eq!(missing(&d), expected);
        }
    }
    // Remembered per session facts: in an organization or not, signed in or not.
    let engine = Engine::from_policy_text(
        "permission p\nresource doc { owner: string }\naction read on doc\n\
         permit read on doc when has(p)",
    )
    .unwrap();
    let doc = Resource::new("doc").with_attr("owner", "u");
    let organization = plan("organization", "");
    for _ in 0..2 {
        let d = same(&engine, &session(json!({"sub": "u", "org_id": "o"})), "read", &doc, &opts);
        assert_eq!(missing(&d), [plan("permission", "p")]);
        let d = same(&engine, &session(json!({"sub": "u"})), "read", &doc, &opts);
        assert_eq!(missing(&d), [organization.clone(), plan("permission", "p")]);
        let d = same(&engine, &session(json!({})), "read", &doc, &opts);
        assert_eq!(missing(&d), [plan("sign_in", ""), organization.clone(), plan("permission", "p")]);
    }
}
