//! Acceptance tests for issue 6 through the binary, written from the issue text and the
//! README: `ordinance authzen --policy P [--directory D] < request.json` answers like the
//! AuthZEN endpoints (every case of the interop suites), and `ordinance decide` gives a
//! Clerk v2 token the decision of its v1 equivalent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use serde_json::{json, Value};

const TODO: [&str; 5] =
    ["authzen", "--policy", "policies/authzen_todo.ord", "--directory", "policies/authzen_todo.directory.json"];

fn suite(name: &str) -> Value {
    let path = format!("{}/../tests/conformance/authzen/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn authzen_cli_passes_every_interop_case() {
    for name in ["decisions-authorization-api-1_0-02.json", "decisions-authorization-api-1_0-01.json"] {
        let doc = suite(name);
        for case in doc["evaluation"].as_array().unwrap() {
            let out = support::run_stdin(&TODO, &case["request"].to_string());
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let got = support::stdout_json(&out);
            assert_eq!(got["decision"], case["expected"], "{name}: {}", case["request"]);
            if case["expected"] == json!(true) {
                assert_eq!(got, json!({"decision": true}));
            }
        }
        for case in doc.get("evaluations").and_then(Value::as_array).into_iter().flatten() {
            let out = support::run_stdin(&TODO, &case["request"].to_string());
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let got = support::stdout_json(&out);
            assert!(got.get("decision").is_none(), "{got}");
            let decisions: Vec<Value> =
                got["evaluations"].as_array().unwrap().iter().map(|d| json!({"decision": d["decision"]})).collect();
            assert_eq!(Value::Array(decisions), case["expected"], "{name}: {}", case["request"]);
        }
    }
}

#[test]
fn authzen_cli_batch_semantics_and_request_file() {
    let rick = "CiRmZDA2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs";
    let beth = "CiRmZDM2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs";
    let item = |id: &str, action: &str| json!({"subject": {"type": "user", "id": id}, "action": {"name": action}, "resource": {"type": "todo", "id": "1"}});
    let mut request = json!({"evaluations": [item(rick, "can_create_todo"), item(beth, "can_create_todo"), item(rick, "can_read_todos")]});
    let decisions = |request: &Value| -> Vec<bool> {
        let out = support::run_stdin(&TODO, &request.to_string());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        support::stdout_json(&out)["evaluations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["decision"].as_bool().unwrap())
            .collect()
    };
    assert_eq!(decisions(&request), [true, false, true]);
    request["options"] = json!({"evaluations_semantic": "deny_on_first_deny"});
    assert_eq!(decisions(&request), [true, false]);
    request["options"] = json!({"evaluations_semantic": "permit_on_first_permit"});
    assert_eq!(decisions(&request), [true]);
    // --request FILE reads the same request from a file.
    let path = support::tmp("authzen-request.json", &item(beth, "can_read_todos").to_string());
    let out = support::run(&[&TODO[..], &["--request", path.to_str().unwrap()]].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(support::stdout_json(&out), json!({"decision": true}));
}

#[test]
fn authzen_cli_bad_requests_exit_2_and_denies_exit_0() {
    let deny = json!({"subject": {"type": "user", "id": "nobody"}, "action": {"name": "can_read_todos"},
        "resource": {"type": "todo", "id": "1"}});
    let out = support::run_stdin(&TODO, &deny.to_string());
    assert!(out.status.success());
    assert_eq!(support::stdout_json(&out)["decision"], json!(false));
    for bad in [
        "not json",
        "[]",
        r#"{"action": {"name": "can_read_todos"}, "resource": {"type": "todo", "id": "1"}}"#,
        r#"{"subject": {"type": "user"}, "action": {"name": "can_read_todos"}, "resource": {"type": "todo", "id": "1"}}"#,
        r#"{"subject": {"type": "user", "id": "u"}, "action": {}, "resource": {"type": "todo", "id": "1"}}"#,
        r#"{"subject": {"type": "user", "id": "u"}, "action": {"name": "can_read_todos"}, "resource": {"type": "todo"}}"#,
        r#"{"subject": {"type": "user", "id": "u"}, "action": {"name": "can_read_todos"}, "evaluations": [{"resource": {"type": "todo", "id": "1"}}], "options": {"evaluations_semantic": "bogus"}}"#,
    ] {
        let out = support::run_stdin(&TODO, bad);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(out.stdout.is_empty(), "{bad}");
        assert!(!out.stderr.is_empty(), "{bad}");
    }
}

#[test]
fn decide_gives_a_v2_token_the_decision_of_its_v1_twin() {
    let v1 = json!({"sub": "user_bob", "sid": "sess_1", "exp": 1_721_770_200, "iat": 1_721_770_140,
        "org_id": "org_1", "org_slug": "acme", "org_role": "org:member",
        "org_permissions": ["org:tasks:view", "org:tasks:edit"], "org_metadata": {"isLicensed": true}});
    let v2 = json!({"v": 2, "sub": "user_bob", "sid": "sess_1", "exp": 1_721_770_200, "iat": 1_721_770_140,
        "fea": "o:tasks", "o": {"id": "org_1", "slg": "acme", "rol": "member", "per": "view,edit", "fpm": "3"},
        "org_metadata": {"isLicensed": true}});
    let v1_path = support::tmp("v1.claims.json", &v1.to_string());
    let v2_path = support::tmp("v2.claims.json", &v2.to_string());
    for (owner, creator) in [("org_1", "user_bob"), ("org_1", "user_alice"), ("user_bob", "user_bob"), ("org_2", "x")] {
        let resource = json!({"type": "task", "id": "1", "owner_id": owner, "created_by_id": creator});
        let r_path = support::tmp("task.json", &resource.to_string());
        for action in ["view", "create", "edit", "complete", "delete"] {
            let run = |claims: &std::path::Path| {
                let out = support::run(&[
                    "decide",
                    "--policy",
                    "policies/team_tasks.ord",
                    "--claims",
                    claims.to_str().unwrap(),
                    "--action",
                    action,
                    "--resource",
                    r_path.to_str().unwrap(),
                    "--now",
                    "1721770150",
                ]);
                assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
                support::stdout_json(&out)
            };
            let a = run(&v1_path);
            assert_eq!(a, run(&v2_path), "{action} {resource}");
            for key in ["allowed", "reason", "missing"] {
                assert!(a.get(key).is_some(), "{a}");
            }
        }
    }
    // A malformed v2 token is a deny with reason invalid_claims, not an error exit.
    let bad = support::tmp(
        "bad.claims.json",
        r#"{"v": 2, "sub": "u", "fea": "o:tasks", "o": {"id": "o", "per": "view", "fpm": "2"}}"#,
    );
    let r_path = support::tmp("task2.json", r#"{"type": "task", "owner_id": "u", "created_by_id": "u"}"#);
    let out = support::run(&[
        "decide",
        "--policy",
        "policies/team_tasks.ord",
        "--claims",
        bad.to_str().unwrap(),
        "--action",
        "view",
        "--resource",
        r_path.to_str().unwrap(),
        "--now",
        "0",
    ]);
    let d = support::stdout_json(&out);
    assert_eq!(d["allowed"], json!(false));
    assert_eq!(d["reason"], json!("invalid_claims"));
}
