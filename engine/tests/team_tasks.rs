//! The shipped Team Task policy: its test file through the library, and the isolation
//! property of issue 2.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use ordinance::{Engine, Options, Policy, Resource, Session};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::path::Path;

fn policy_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../policies"))
}

fn engine() -> Engine {
    Engine::new(Policy::from_file(policy_dir().join("team_tasks.ord")).unwrap())
}

/// Runs every `policies/*.test.json` through `Engine::decide_value`.
#[test]
fn shipped_policy_test_files_pass() {
    let mut files = 0;
    for entry in std::fs::read_dir(policy_dir()).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".test.json") {
            continue;
        }
        files += 1;
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let policy = Policy::from_file(policy_dir().join(doc["policy"].as_str().unwrap())).unwrap();
        let engine = Engine::new(policy);
        let pick = |case: &Value, key: &str, table: &str| match &case[key] {
            Value::String(name) => doc[table][name].clone(),
            other => other.clone(),
        };
        for case in doc["cases"].as_array().unwrap() {
            let context = match &case["context"] {
                Value::Null => None,
                _ => Some(pick(case, "context", "contexts")),
            };
            let now = case["now"].as_i64().or(doc["now"].as_i64());
            let d = engine
                .decide_value(
                    pick(case, "session", "sessions"),
                    case["action"].as_str().unwrap(),
                    pick(case, "resource", "resources"),
                    context,
                    now,
                )
                .to_json();
            for key in ["allowed", "reason", "rule", "missing"] {
                if let Some(want) = case.get(key) {
                    assert_eq!(&d[key], want, "{}: {} ({key})", path.display(), case["name"]);
                }
            }
        }
    }
    assert!(files >= 4, "expected the four shipped test files, found {files}");
}

#[test]
fn rbac_guide_alice_bob_charlie() {
    let engine = engine();
    let claims = |sub: &str, role: &str, perms: &[&str]| {
        Session::from_claims(json!({"sub": sub, "org_id": "org_1", "org_role": role, "org_permissions": perms, "org_metadata": {"isLicensed": true}})).unwrap()
    };
    let alice = claims("user_alice", "org:manager", &["org:tasks:view", "org:tasks:edit", "org:tasks:manage"]);
    let bob = claims("user_bob", "org:member", &["org:tasks:view", "org:tasks:edit"]);
    let charlie = claims("user_charlie", "org:viewer", &["org:tasks:view"]);
    let task = |by: &str| Resource::new("task").with_attr("owner_id", "org_1").with_attr("created_by_id", by);
    let opts = Options::default();
    assert_eq!(
        engine.permitted_actions(&alice, &task("user_bob"), &opts),
        ["view", "create", "edit", "complete", "delete"]
    );
    assert_eq!(
        engine.permitted_actions(&bob, &task("user_bob"), &opts),
        ["view", "create", "edit", "complete", "delete"]
    );
    assert_eq!(engine.permitted_actions(&bob, &task("user_alice"), &opts), ["view", "create"]);
    assert_eq!(engine.permitted_actions(&charlie, &task("user_charlie"), &opts), ["view"]);
}

fn session_in_org_a() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec!["org:viewer", "org:member", "org:manager", "org:admin", "org:custom"]),
        prop::sample::subsequence(vec!["org:tasks:view", "org:tasks:edit", "org:tasks:manage"], 0..=3),
        prop::option::of(any::<bool>()),
        prop::sample::select(vec!["user_1", "user_2"]),
        any::<bool>(),
    )
        .prop_map(|(role, perms, lic, sub, actor)| {
            let mut c = json!({"sub": sub, "org_id": "org_a", "org_role": role, "org_permissions": perms});
            if let Some(l) = lic {
                c["org_metadata"] = json!({"isLicensed": l});
            }
            if actor {
                c["act"] = json!({"sub": "user_admin"});
            }
            c
        })
}

proptest! {
    /// A session in org A is never allowed anything on a task owned by org B.
    #[test]
    fn no_access_across_organizations(
        claims in session_in_org_a(),
        created_by in prop::sample::select(vec!["user_1", "user_2", "org_a", "org_b"]),
        action in prop::sample::select(vec!["view", "create", "edit", "complete", "delete"]),
    ) {
        let engine = engine();
        let session = Session::from_claims(claims).unwrap();
        let task = Resource::new("task").with_attr("owner_id", "org_b").with_attr("created_by_id", created_by);
        let d = engine.decide_with(&session, action, &task, &Options::default().at(0));
        prop_assert!(!d.allowed, "{d:?}");
        prop_assert!(engine.permitted_actions(&session, &task, &Options::default().at(0)).is_empty());
    }
}

/// The policy sketch of the design brief, as written there (no `action` declarations, no
/// `license` declaration), parses and gives the Team Task answers.
#[test]
fn design_brief_sketch_works_as_written() {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/design_brief_sketch.ord"));
    let engine = Engine::new(Policy::from_file(path).unwrap());
    let member = |licensed: bool| {
        Session::from_claims(json!({"sub": "user_bob", "org_id": "org_1", "org_role": "org:member",
            "org_metadata": {"isLicensed": licensed}}))
        .unwrap()
    };
    let task =
        |owner: &str, by: &str| Resource::new("task").with_attr("owner_id", owner).with_attr("created_by_id", by);
    let opts = Options::default().at(0);
    assert_eq!(engine.policy().actions("task"), ["create", "edit", "complete", "delete", "view"]);
    assert_eq!(
        engine.permitted_actions(&member(true), &task("org_1", "user_bob"), &opts),
        ["create", "edit", "complete", "delete", "view"]
    );
    assert_eq!(engine.permitted_actions(&member(true), &task("org_1", "user_alice"), &opts), ["create", "view"]);
    assert_eq!(engine.permitted_actions(&member(false), &task("org_1", "user_bob"), &opts), ["view"]);
    assert_eq!(engine.permitted_actions(&member(false), &task("user_bob", "user_bob"), &opts).len(), 5);
    let d = engine.decide_with(&member(false), "edit", &task("org_1", "user_bob"), &opts);
    assert_eq!(d.reason, "forbidden:license_required");
    assert_eq!(
        engine.decide_with(&member(true), "archive", &task("org_1", "user_bob"), &opts).reason,
        "unknown_action"
    );
}

/// A personal session whose token template renders an empty `org_metadata` is a valid
/// personal session; a non-empty one without an organization is not.
#[test]
fn empty_org_metadata_in_a_personal_session_is_accepted() {
    let engine = engine();
    let own = Resource::new("task").with_attr("owner_id", "user_1").with_attr("created_by_id", "user_1");
    let opts = Options::default().at(0);
    for v2 in [false, true] {
        let mut claims = json!({"sub": "user_1", "org_metadata": {}});
        if v2 {
            claims["v"] = json!(2);
        }
        let d = engine.decide_value(claims.clone(), "edit", own_json(), None, Some(0));
        assert!(d.allowed, "{claims}: {d:?}");
        claims["org_metadata"] = json!({"isLicensed": true});
        let d = engine.decide_value(claims.clone(), "edit", own_json(), None, Some(0));
        assert_eq!(d.reason, "invalid_claims", "{claims}");
    }
    let s = Session::from_claims(json!({"sub": "user_1", "org_metadata": {}})).unwrap();
    assert!(engine.decide_with(&s, "delete", &own, &opts).allowed);
}

fn own_json() -> Value {
    json!({"type": "task", "owner_id": "user_1", "created_by_id": "user_1"})
}

/// `Engine::action` + `decide_action` give exactly `decide_with`'s decision for every session,
/// resource and action of the Team Task test file, and an action found by another engine is
/// never taken for this engine's, even where both policies number it alike.
#[test]
fn actions_found_beforehand_decide_as_names_do() {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(policy_dir().join("team_tasks.test.json")).unwrap()).unwrap();
    let engine = engine();
    let opts = Options::default().at(doc["now"].as_i64().unwrap());
    let mut compared = 0;
    for claims in doc["sessions"].as_object().unwrap().values() {
        let session = Session::from_claims(claims.clone()).unwrap();
        for resource in doc["resources"].as_object().unwrap().values() {
            let resource = Resource::from_value(resource.clone()).unwrap();
            for name in ["view", "create", "edit", "complete", "delete"] {
                let id = engine.action(name).unwrap();
                assert_eq!(engine.action_name(id), Some(name));
                let by_name = engine.decide_with(&session, name, &resource, &opts);
                assert_eq!(engine.decide_action(&session, id, &resource, &opts), by_name, "{name}");
                compared += 1;
            }
        }
    }
    assert!(compared > 50, "{compared} decisions compared");
    assert_eq!(engine.action("archive"), None);

    // Same text, another engine: the same number, but not this engine's action.
    let other = self::engine();
    let foreign = other.action("edit").unwrap();
    assert_ne!(engine.action("edit"), Some(foreign));
    assert_eq!(engine.action_name(foreign), None);
    let manager = Session::from_claims(doc["sessions"]["alice_manager"].clone()).unwrap();
    let task =
        Resource::from_value(json!({"type": "task", "owner_id": "user_alice", "created_by_id": "user_alice"})).unwrap();
    assert!(engine.decide_with(&manager, "edit", &task, &opts).allowed);
    let d = engine.decide_action(&manager, foreign, &task, &opts);
    assert!(!d.allowed);
    assert_eq!(d.reason, "unknown_action");
    assert!(d.error.unwrap().contains("another engine"));
}

/// An action declared on one type is unknown on another, by name or found beforehand alike.
#[test]
fn an_action_found_beforehand_is_still_checked_against_the_resource_type() {
    let engine = Engine::from_policy_text(
        "resource doc {}\nresource folder {}\naction read on doc\naction open on folder\npermit read on doc when user\npermit open on folder when user",
    )
    .unwrap();
    let session = Session::from_claims(json!({"sub": "u"})).unwrap();
    let folder = Resource::new("folder");
    let opts = Options::default().at(0);
    let read = engine.action("read").unwrap();
    let by_id = engine.decide_action(&session, read, &folder, &opts);
    assert_eq!(by_id, engine.decide_with(&session, "read", &folder, &opts));
    assert_eq!((by_id.allowed, by_id.reason.as_str()), (false, "unknown_action"));
    assert_eq!(by_id.error.as_deref(), Some("the policy declares no action `read` on `folder`"));
}
