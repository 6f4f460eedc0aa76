//! The Rust runner of the conformance suite in `tests/conformance/` (format in its
//! README): every vector file through `Engine::decide_value` and through the naive
//! reference interpreter, the Clerk v2 twins against their v1 originals, and the AuthZEN
//! interop suites through `Engine::evaluate` / `Engine::evaluations`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use ordinance::{Context, Directory, Engine, Policy, Resource, Session};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn conformance_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/conformance")).to_path_buf()
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Every vector file: the `*.json` files directly in `tests/conformance/`.
fn vector_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(conformance_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn engine_for(file: &Path, doc: &Value) -> Engine {
    let base = file.parent().unwrap();
    let policy_path = base.join(doc["policy"].as_str().expect("`policy` is a path"));
    let policy = Policy::from_file(&policy_path).unwrap_or_else(|e| panic!("{}: {e}", policy_path.display()));
    let engine = Engine::new(policy);
    match doc.get("directory") {
        None | Some(Value::Null) => engine,
        Some(Value::String(d)) => {
            let text = std::fs::read_to_string(base.join(d)).unwrap();
            engine.with_directory(Directory::from_json(&text).unwrap())
        }
        Some(other) => panic!("{}: `directory` must be a path or null, found {other}", file.display()),
    }
}

/// The time a vector is decided at: its `now`, or the clock when it has none (issue 6:
/// `now` is optional).
fn vector_now(v: &Value) -> i64 {
    match v.get("now") {
        None => {
            let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
            i64::try_from(since.as_secs()).unwrap()
        }
        Some(now) => now.as_i64().expect("`now` is an integer when given"),
    }
}

/// The engine's decision JSON for one vector.
fn decide(engine: &Engine, v: &Value) -> Value {
    let context = v.get("context").cloned();
    let now = vector_now(v);
    engine
        .decide_value(v["claims"].clone(), v["action"].as_str().unwrap(), v["resource"].clone(), context, Some(now))
        .to_json()
}

/// The decision restricted to the keys of `expected`.
fn restrict(decision: &Value, expected: &Map<String, Value>) -> Value {
    Value::Object(expected.keys().map(|k| (k.clone(), decision.get(k).cloned().unwrap_or(Value::Null))).collect())
}

/// What the naive interpreter decides, when the inputs parse (the engine's own intake
/// decides the rest): `{"allowed", "reason", "rule"}`.
fn reference(engine: &Engine, v: &Value) -> Option<Value> {
    let session = Session::from_claims(v["claims"].clone()).ok()?;
    let resource = Resource::from_value(v["resource"].clone()).ok()?;
    let context = match v.get("context") {
        None => Context::default(),
        Some(c) => Context::from_value(c.clone()).ok()?,
    };
    let (allowed, reason, rule) = ordinance::reference::reference_decide(
        engine.policy(),
        &session,
        v["action"].as_str().unwrap(),
        &resource,
        &context,
        vector_now(v),
    );
    Some(json!({"allowed": allowed, "reason": reason, "rule": rule}))
}

/// `now` is optional in a vector (issue 6): without it, the runner decides at the clock.
/// (The checked-in vectors all have one, so their expectations do not depend on the day.)
#[test]
fn a_vector_without_now_is_decided_at_the_clock() {
    let file = conformance_dir().join("team_tasks.json");
    let engine = engine_for(&file, &read_json(&file));
    let timeless = json!({"claims": {"sub": "user_me", "org_id": "org_1", "org_role": "org:member",
            "org_metadata": {"isLicensed": true}},
        "action": "edit", "resource": {"type": "task", "owner_id": "org_1", "created_by_id": "user_me"}});
    let expected = json!({"allowed": true, "reason": "permit", "rule": "org_edit_own", "missing": []});
    assert_eq!(restrict(&decide(&engine, &timeless), expected.as_object().unwrap()), expected);
    assert_eq!(
        reference(&engine, &timeless),
        Some(json!({"allowed": true, "reason": "permit", "rule": "org_edit_own"}))
    );
    // A token that expired long ago is expired at the clock, too.
    let mut expired = timeless.clone();
    expired["claims"]["exp"] = json!(1_000_000_000);
    assert_eq!(decide(&engine, &expired)["reason"], "session_expired");
}

#[test]
fn every_vector_passes_in_the_engine_and_the_reference_interpreter() {
    let mut failures = Vec::new();
    let mut total = 0;
    let files = vector_files();
    assert!(files.len() >= 10, "expected the vector files in {}", conformance_dir().display());
    for file in &files {
        let doc = read_json(file);
        let engine = engine_for(file, &doc);
        let fname = file.file_name().unwrap().to_string_lossy().to_string();
        for v in doc["vectors"].as_array().expect("`vectors` is a list") {
            total += 1;
            let name = v["name"].as_str().unwrap_or("?");
            let expected = v["expected"].as_object().expect("`expected` is an object");
            for key in ["allowed", "reason", "missing"] {
                assert!(expected.contains_key(key), "{fname}: {name}: `expected` lacks `{key}`");
            }
            let got = decide(&engine, v);
            if restrict(&got, expected) != Value::Object(expected.clone()) {
                failures.push(format!(
                    "{fname}: {name}\n    expected {}\n    engine   {got}",
                    Value::Object(expected.clone())
                ));
                continue;
            }
            if let Some(r) = reference(&engine, v) {
                let want = restrict(&Value::Object(expected.clone()), r.as_object().unwrap());
                let r = restrict(&r, want.as_object().unwrap());
                if r != want {
                    failures.push(format!("{fname}: {name}\n    expected  {want}\n    reference {r}"));
                }
            }
        }
    }
    if !failures.is_empty() {
        let shown: Vec<&String> = failures.iter().take(40).collect();
        panic!(
            "{} of {total} conformance vectors failed:\n{}",
            failures.len(),
            shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
        );
    }
    assert!(total > 1000, "only {total} vectors");
}

/// Each `X.v2.json` holds Clerk v2 twins of vectors in `X.json`: same names, same
/// expectations, and the engine must give the same full decision for both tokens.
#[test]
fn v2_twins_decide_exactly_like_their_v1_tokens() {
    let mut pairs = 0;
    let mut failures = Vec::new();
    for file in vector_files() {
        let fname = file.file_name().unwrap().to_string_lossy().to_string();
        let Some(stem) = fname.strip_suffix(".v2.json") else { continue };
        let v1_path = file.with_file_name(format!("{stem}.json"));
        let (v1, v2) = (read_json(&v1_path), read_json(&file));
        assert_eq!(v1["policy"], v2["policy"], "{fname}: twins must use the same policy");
        let engine = engine_for(&file, &v2);
        let originals: HashMap<&str, &Value> =
            v1["vectors"].as_array().unwrap().iter().map(|v| (v["name"].as_str().unwrap(), v)).collect();
        for twin in v2["vectors"].as_array().unwrap() {
            let name = twin["name"].as_str().unwrap();
            let original = originals.get(name).unwrap_or_else(|| panic!("{fname}: `{name}` has no v1 original"));
            assert_eq!(twin["expected"], original["expected"], "{fname}: {name}");
            assert_eq!(twin["claims"]["v"], 2, "{fname}: {name}: not a v2 token");
            assert!(original["claims"].get("v").is_none(), "{fname}: {name}: original is not a v1 token");
            let (mut a, mut b) = (decide(&engine, original), decide(&engine, twin));
            // Error messages name the claim as each version spells it; the decision must match.
            a.as_object_mut().unwrap().remove("error");
            b.as_object_mut().unwrap().remove("error");
            if a != b {
                failures.push(format!("{fname}: {name}\n    v1 {a}\n    v2 {b}"));
            }
            pairs += 1;
        }
    }
    assert!(failures.is_empty(), "{} v1/v2 pairs differ:\n{}", failures.len(), failures.join("\n"));
    assert!(pairs > 1000, "only {pairs} v1/v2 pairs");
}

/// The AuthZEN interop Todo suites (`tests/conformance/authzen/suites.json`), copied
/// unchanged from upstream: single evaluations compare `decision` with `expected`; batch
/// requests compare the list of decisions.
#[test]
fn authzen_interop_suites_pass() {
    let dir = conformance_dir().join("authzen");
    let manifest_path = dir.join("suites.json");
    let manifest = read_json(&manifest_path);
    let engine = engine_for(&manifest_path, &manifest);
    let mut counts = Vec::new();
    for suite in manifest["suites"].as_array().unwrap() {
        let suite = suite.as_str().unwrap();
        let doc = read_json(&dir.join(suite));
        let (mut singles, mut batches) = (0, 0);
        for case in doc["evaluation"].as_array().unwrap() {
            let response =
                engine.evaluate(&case["request"]).unwrap_or_else(|e| panic!("{suite}: {e}: {}", case["request"]));
            assert_eq!(response["decision"], case["expected"], "{suite}: {}", case["request"]);
            // The batch endpoint with no `evaluations` answers the same single decision.
            assert_eq!(engine.evaluations(&case["request"]).unwrap(), response, "{suite}: {}", case["request"]);
            singles += 1;
        }
        for case in doc.get("evaluations").and_then(Value::as_array).into_iter().flatten() {
            let response = engine.evaluations(&case["request"]).unwrap_or_else(|e| panic!("{suite}: {e}"));
            let got: Vec<Value> = response["evaluations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| json!({"decision": d["decision"]}))
                .collect();
            assert_eq!(Value::Array(got), case["expected"], "{suite}: {}", case["request"]);
            batches += 1;
        }
        counts.push((suite.to_string(), singles, batches));
    }
    assert_eq!(
        counts,
        vec![
            ("decisions-authorization-api-1_0-02.json".to_string(), 40, 3),
            ("decisions-authorization-api-1_0-01.json".to_string(), 40, 0),
        ]
    );
}

/// The batch semantics on the interop data: short-circuiting and per-item overrides.
#[test]
fn authzen_batch_semantics_on_the_todo_scenario() {
    let manifest_path = conformance_dir().join("authzen/suites.json");
    let engine = engine_for(&manifest_path, &read_json(&manifest_path));
    let beth = json!({"type": "user", "id": "CiRmZDM2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs"});
    let rick = json!({"type": "user", "id": "CiRmZDA2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs"});
    let todo = json!({"type": "todo", "id": "t1", "properties": {"ownerID": "rick@the-citadel.com"}});
    let mut request = json!({
        "subject": beth,
        "resource": todo,
        "evaluations": [
            {"action": {"name": "can_read_todos"}},
            {"action": {"name": "can_update_todo"}},
            {"action": {"name": "can_update_todo"}, "subject": rick},
            {"action": {"name": "can_delete_todo"}}
        ]
    });
    let decisions = |r: &Value| -> Vec<bool> {
        engine.evaluations(r).unwrap()["evaluations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["decision"] == true)
            .collect()
    };
    assert_eq!(decisions(&request), [true, false, true, false]);
    request["options"] = json!({"evaluations_semantic": "deny_on_first_deny"});
    assert_eq!(decisions(&request), [true, false]);
    request["options"] = json!({"evaluations_semantic": "permit_on_first_permit"});
    assert_eq!(decisions(&request), [true]);
    // A subject the directory does not know is no user of the app.
    let stranger = json!({"subject": {"type": "user", "id": "nobody"}, "action": {"name": "can_read_todos"},
                          "resource": {"type": "todo", "id": "t1"}});
    let r = engine.evaluate(&stranger).unwrap();
    assert_eq!(r["decision"], false);
    assert_eq!(r["context"]["reason"], "no_matching_rule");
}
