//! `ordinance authzen`: the AuthZEN interop Todo suites through the binary, and its errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use serde_json::{json, Value};
use std::process::Output;

fn authzen(extra: &[&str], stdin: &str) -> Output {
    let args = [&["authzen", "--policy", "policies/authzen_todo.ord"], extra].concat();
    support::run_stdin(&args, stdin)
}

const DIRECTORY: [&str; 2] = ["--directory", "policies/authzen_todo.directory.json"];

#[test]
fn answers_the_interop_suite_single_and_batch() {
    let path =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/conformance/authzen/decisions-authorization-api-1_0-02.json");
    let suite: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    // Every single evaluation in one run would need one process each; a handful suffices
    // here (the Rust runner covers them all), and all the batch requests.
    for case in suite["evaluation"].as_array().unwrap().iter().step_by(7) {
        let out = authzen(&DIRECTORY, &case["request"].to_string());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let response: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(response["decision"], case["expected"], "{}", case["request"]);
    }
    for case in suite["evaluations"].as_array().unwrap() {
        let out = authzen(&DIRECTORY, &case["request"].to_string());
        let response: Value = serde_json::from_slice(&out.stdout).unwrap();
        let got: Vec<Value> =
            response["evaluations"].as_array().unwrap().iter().map(|d| json!({"decision": d["decision"]})).collect();
        assert_eq!(Value::Array(got), case["expected"]);
    }
}

#[test]
fn without_the_directory_subjects_have_no_roles() {
    let request = r#"{"subject": {"type": "user", "id": "CiRmZDA2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs"},
        "action": {"name": "can_read_todos"}, "resource": {"type": "todo", "id": "1"}}"#;
    let out = authzen(&[], request);
    let response: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(response["decision"], false);
    assert_eq!(response["context"]["reason"], "no_matching_rule");
    let out = authzen(&DIRECTORY, request);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), r#"{"decision":true}"#);
}

#[test]
fn a_bad_request_is_exit_2_with_a_message() {
    for (request, says) in [
        ("not json", "invalid request"),
        (r#"{"action": {"name": "can_read_todos"}, "resource": {"type": "todo", "id": "1"}}"#, "`subject` is missing"),
        (
            r#"{"subject": {"type": "user", "id": 7}, "action": {"name": "x"}, "resource": {"type": "todo", "id": "1"}}"#,
            "`subject.id` must be a string",
        ),
        (
            r#"{"subject": {"type": "user", "id": "u"}, "action": {"name": "x"}, "resource": {"type": "todo", "id": "1"}, "evaluations": {}}"#,
            "`evaluations` must be a list",
        ),
    ] {
        let out = authzen(&DIRECTORY, request);
        assert_eq!(out.status.code(), Some(2), "{request}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{request}: {err}");
    }
    // A malformed batch item fails on its own; the request is answered (exit 0).
    let out = authzen(
        &DIRECTORY,
        r#"{"subject": {"type": "user", "id": "u"}, "action": {"name": "x"}, "evaluations": [{}, {"resource": {"type": "todo", "id": "1"}}]}"#,
    );
    assert_eq!(out.status.code(), Some(0));
    let response: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(response["evaluations"][0]["decision"], false);
    assert_eq!(response["evaluations"][0]["context"]["reason"], "invalid_request");
    assert!(response["evaluations"][0]["context"]["error"]
        .as_str()
        .unwrap()
        .contains("`resource` is missing from `evaluations[0]`"));
    assert_eq!(
        response["evaluations"][0]["context"]["reason_admin"].as_object().unwrap().keys().next().unwrap(),
        "400"
    );
    assert_eq!(response["evaluations"].as_array().unwrap().len(), 2);
    let out = authzen(&["--directory", "policies/authzen_todo.ord"], "{}");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid directory"));
}

#[test]
fn reason_admin_says_the_reason_once() {
    let request = r#"{"subject": {"type": "user", "id": "u"}, "action": {"name": "view"},
        "resource": {"type": "task", "id": "1"}}"#;
    let out = support::run_stdin(&["authzen", "--policy", "policies/team_tasks.ord"], request);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let response: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(response["context"]["reason"], "invalid_resource");
    assert_eq!(response["context"]["reason_admin"]["400"], "invalid_resource: attribute `owner_id` is missing");
    // The decision's own `error` keeps its full text.
    assert_eq!(response["context"]["error"], "invalid resource: attribute `owner_id` is missing");
}
