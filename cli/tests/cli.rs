//! The `ordinance` binary, end to end.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use std::io::Write;
use std::process::Stdio;
use support::{bin, run, tmp};

#[test]
fn check_accepts_shipped_policies_and_rejects_broken_ones() {
    let ok = run(&[
        "check",
        "policies/team_tasks.ord",
        "policies/licensing.ord",
        "policies/rooms.ord",
        "policies/calendar_scopes.ord",
    ]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let bad = tmp("bad.ord", "resource task { owner_id: string }\naction view on task\npermit view on task when resource.ownr_id == user.id\n");
    let out = run(&["check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.ord:3:35: error: resource type `task` has no attribute `ownr_id`"), "{err}");
    assert!(err.contains("3 | permit view on task when resource.ownr_id == user.id"), "{err}");
    assert!(err.contains("                                  ^^^^^^^"), "{err}");
    assert!(err.contains("help: did you mean `owner_id`?"), "{err}");
}

#[test]
fn decide_prints_one_json_decision() {
    let claims = tmp(
        "bob.json",
        r#"{"sub":"user_bob","org_id":"org_1","org_role":"org:member","org_metadata":{"isLicensed":true}}"#,
    );
    let task = tmp("task.json", r#"{"type":"task","owner_id":"org_1","created_by_id":"user_alice"}"#);
    let out = run(&[
        "decide",
        "--policy",
        "policies/team_tasks.ord",
        "--claims",
        claims.to_str().unwrap(),
        "--action",
        "edit",
        "--resource",
        task.to_str().unwrap(),
        "--now",
        "0",
    ]);
    assert!(out.status.success());
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["allowed"], false);
    assert_eq!(d["reason"], "no_matching_rule");
    assert_eq!(d["missing"], serde_json::json!([{"kind": "permission", "name": "org:tasks:manage"}]));
    let bad = tmp("bad-claims.json", r#"{"sub": 5}"#);
    let out = run(&[
        "decide",
        "--policy",
        "policies/team_tasks.ord",
        "--claims",
        bad.to_str().unwrap(),
        "--action",
        "edit",
        "--resource",
        task.to_str().unwrap(),
    ]);
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["reason"], "invalid_claims");
    assert!(d["error"].as_str().unwrap().contains("`sub`"));
}

#[test]
fn decide_requests_answers_every_line_in_order() {
    let good = r#"{"claims":{"sub":"u1"},"action":"view","resource":{"type":"task","owner_id":"u1","created_by_id":"u1"},"now":0}"#;
    let mut input = String::new();
    for i in 0..10_000 {
        input.push_str(if i % 1000 == 7 { "{not json\n" } else { good });
        input.push('\n');
    }
    let mut child = bin()
        .args(["decide", "--policy", "policies/team_tasks.ord", "--requests", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Write from another thread: the child's stdout pipe fills up while we are writing.
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = out
        .stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 10_000);
    for (i, d) in lines.iter().enumerate() {
        if i % 1000 == 7 {
            assert_eq!(d["reason"], "invalid_request");
            assert!(d["error"].is_string());
        } else {
            assert_eq!(d["allowed"], true, "line {i}");
        }
    }
}

#[test]
fn test_command_runs_shipped_test_files() {
    let out = run(&["test", "policies"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.trim_end().ends_with("0 failed"), "{stdout}");
}

#[test]
fn explain_shows_each_condition() {
    let claims = tmp("charlie.json", r#"{"sub":"user_charlie","org_id":"org_1","org_role":"org:viewer"}"#);
    let task = tmp("task2.json", r#"{"type":"task","owner_id":"org_1","created_by_id":"user_alice"}"#);
    let out = run(&[
        "explain",
        "--policy",
        "policies/team_tasks.ord",
        "--claims",
        claims.to_str().unwrap(),
        "--action",
        "create",
        "--resource",
        task.to_str().unwrap(),
        "--now",
        "0",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("decision: DENY (forbidden:license_required)"), "{text}");
    assert!(text.contains("licensed = false"), "{text}");
    assert!(text.contains("has(org:tasks:edit) = false"), "{text}");
}

#[test]
fn fmt_check_passes_on_shipped_policies() {
    let out = run(&[
        "fmt",
        "--check",
        "policies/team_tasks.ord",
        "policies/licensing.ord",
        "policies/rooms.ord",
        "policies/calendar_scopes.ord",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&["decide", "--policy"]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
}
