//! The `ordinance` binary as a newcomer uses it from the README and the issue texts:
//! exit codes, JSON output shape, error positions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use serde_json::{json, Value};
use std::process::Output;
use support::{run, run_stdin, stdout_json, tmp};

#[test]
fn readme_first_command_prints_the_documented_decision() {
    let out = run(&[
        "decide",
        "--policy",
        "policies/team_tasks.ord",
        "--claims",
        "examples/requests/bob_member.claims.json",
        "--action",
        "edit",
        "--resource",
        "examples/requests/task_by_alice.json",
        "--now",
        "1721770150",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        r#"{"allowed":false,"reason":"no_matching_rule","rule":null,"missing":[{"kind":"permission","name":"org:tasks:manage"}]}"#
    );
}

fn decide_with(claims: &str, action: &str, resource: &str, extra: &[&str]) -> Output {
    // Unique names: the tests run in parallel.
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let c = tmp(&format!("claims{n}.json"), claims);
    let r = tmp(&format!("resource{n}.json"), resource);
    let mut args = vec![
        "decide",
        "--policy",
        "policies/team_tasks.ord",
        "--claims",
        c.to_str().unwrap(),
        "--action",
        action,
        "--resource",
        r.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn decide_allow_and_deny_both_exit_0_with_the_documented_keys() {
    let licensed = r#"{"sub":"user_bob","org_id":"org_1","org_role":"org:member","org_metadata":{"isLicensed":true}}"#;
    let own = r#"{"type":"task","id":"7","owner_id":"org_1","created_by_id":"user_bob"}"#;
    let out = decide_with(licensed, "edit", own, &["--now", "1721770150"]);
    assert_eq!(out.status.code(), Some(0));
    let d = stdout_json(&out);
    assert_eq!(d, json!({"allowed": true, "reason": "permit", "rule": "org_edit_own", "missing": []}));

    let unlicensed =
        r#"{"sub":"user_bob","org_id":"org_1","org_role":"org:member","org_metadata":{"isLicensed":false}}"#;
    let out = decide_with(unlicensed, "edit", own, &["--now", "1721770150"]);
    assert_eq!(out.status.code(), Some(0));
    let d = stdout_json(&out);
    assert_eq!(d["allowed"], false);
    assert_eq!(d["reason"], "forbidden:license_required");
    assert_eq!(d["missing"][0]["kind"], "license");
}

#[test]
fn decide_without_now_uses_the_clock() {
    let expired = r#"{"sub":"user_bob","exp":1721770193}"#;
    let mine = r#"{"type":"task","owner_id":"user_bob","created_by_id":"user_bob"}"#;
    let d = stdout_json(&decide_with(expired, "view", mine, &[]));
    assert_eq!(d["reason"], "session_expired");
    let d = stdout_json(&decide_with(expired, "view", mine, &["--now", "1721770150"]));
    assert_eq!(d["allowed"], true);
}

#[test]
fn decide_on_bad_input_denies_with_its_reason() {
    let mine = r#"{"type":"task","owner_id":"user_bob","created_by_id":"user_bob"}"#;
    let d = stdout_json(&decide_with(r#"{"sub":"user_bob","org_permissions":"org:tasks:view"}"#, "view", mine, &[]));
    assert_eq!(d["allowed"], false);
    assert_eq!(d["reason"], "invalid_claims");
    assert!(d["error"].is_string(), "{d}");
    let d = stdout_json(&decide_with("{not json", "view", mine, &[]));
    assert_eq!(d["reason"], "invalid_claims");
    let d = stdout_json(&decide_with(r#"{"sub":"user_bob"}"#, "view", r#"{"owner_id":"user_bob"}"#, &[]));
    assert_eq!(d["reason"], "invalid_resource");
    let d = stdout_json(&decide_with(r#"{"sub":"user_bob"}"#, "archive", mine, &[]));
    assert_eq!(d["reason"], "unknown_action");
}

#[test]
fn decide_usage_and_file_errors_exit_2() {
    let out = decide_with(r#"{"sub":"u"}"#, "view", r#"{"type":"task"}"#, &["--now", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("yesterday"));
    let out = run(&[
        "decide",
        "--policy",
        "policies/team_tasks.ord",
        "--claims",
        "/nonexistent/claims.json",
        "--action",
        "view",
        "--resource",
        "/nonexistent/r.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/claims.json"));
    assert!(out.stdout.is_empty());
}

#[test]
fn decide_with_a_broken_policy_exits_1_with_position() {
    let bad = tmp("broken.ord", "resource task { owner_id: string }\naction view on task\npermit view on task when resource.owner_id = user.id\n");
    let c = tmp("u.json", r#"{"sub":"u"}"#);
    let r = tmp("t.json", r#"{"type":"task","owner_id":"u"}"#);
    let out = run(&[
        "decide",
        "--policy",
        bad.to_str().unwrap(),
        "--claims",
        c.to_str().unwrap(),
        "--action",
        "view",
        "--resource",
        r.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.ord:3:"), "{err}");
    assert!(err.contains('^'), "{err}");
    assert!(err.contains("help:"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn requests_mode_keeps_order_and_survives_bad_lines_from_stdin() {
    let good = json!({"claims": {"sub": "user_bob"}, "action": "view",
        "resource": {"type": "task", "owner_id": "user_bob", "created_by_id": "user_bob"}, "now": 1721770150});
    let expired = json!({"claims": {"sub": "user_bob", "exp": 100}, "action": "view",
        "resource": {"type": "task", "owner_id": "user_bob", "created_by_id": "user_bob"}, "now": 1721770150});
    let input = format!("{good}\nnot json at all\n{expired}\n{{\"claims\":{{}}}}\n{good}\n");
    let out = run_stdin(&["decide", "--policy", "policies/team_tasks.ord", "--requests", "-"], &input);
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[0]["allowed"], true);
    assert_eq!(lines[1]["reason"], "invalid_request");
    assert_eq!(lines[2]["reason"], "session_expired");
    assert_eq!(lines[3]["allowed"], false);
    assert_eq!(lines[4]["allowed"], true);
    for l in &lines {
        assert!(l["missing"].is_array() && l["reason"].as_str().is_some_and(|r| !r.is_empty()), "{l}");
    }
}

#[test]
fn check_reports_every_file_and_exits_1_if_any_is_broken() {
    let bad = tmp("typo.ord", "permission org:tasks:view \"View\"\nrole org:viewer = [org:tasks:veiw]\n");
    let out = run(&["check", "policies/rooms.ord", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("typo.ord:2:20"), "{err}");
    assert!(err.contains("org:tasks:view"), "did-you-mean hint: {err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("policies/rooms.ord"));
    assert_eq!(run(&["check", "/nonexistent.ord"]).status.code().map(|c| c != 0), Some(true));
}

#[test]
fn check_points_a_dangling_when_at_its_line() {
    let bad =
        tmp("dangling.ord", "resource task { owner_id: string }\naction view on task\npermit view on task when\n\n");
    let out = run(&["check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("dangling.ord:3:25:"), "{err}");
    assert!(err.contains("3 | permit view on task when"), "{err}");
}

#[test]
fn test_command_exit_codes_and_fail_lines() {
    let dir = std::env::temp_dir().join(format!("ordinance-accept-t-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/team_tasks.ord"));
    std::fs::copy(policy, dir.join("team_tasks.ord")).unwrap();
    let cases = |allowed: bool| {
        json!({"policy": "team_tasks.ord", "now": 1721770150,
            "sessions": {"bob": {"sub": "user_bob", "org_id": "org_1", "org_role": "org:member", "org_metadata": {"isLicensed": true}}},
            "cases": [
                {"name": "bob views", "session": "bob", "action": "view",
                 "resource": {"type": "task", "owner_id": "org_1", "created_by_id": "user_alice"}, "allowed": true},
                {"name": "bob edits alice's task", "session": "bob", "action": "edit",
                 "resource": {"type": "task", "owner_id": "org_1", "created_by_id": "user_alice"}, "allowed": allowed,
                 "missing": [{"kind": "permission", "name": "org:tasks:manage"}]}
            ]})
        .to_string()
    };
    std::fs::write(dir.join("pass.test.json"), cases(false)).unwrap();
    let out = run(&["test", dir.join("pass.test.json").to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.trim_end().ends_with("2 passed, 0 failed"), "{text}");

    std::fs::write(dir.join("fail.test.json"), cases(true)).unwrap();
    let out = run(&["test", dir.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL") && text.contains("bob edits alice's task"), "{text}");
    assert!(text.trim_end().ends_with("3 passed, 1 failed"), "{text}");
}

#[test]
fn fmt_rewrites_then_check_passes() {
    let messy = tmp(
        "messy.ord",
        "resource   task {owner_id:string}\naction view on task\n// mine\npermit view on task when resource.owner_id==user.id\n",
    );
    let p = messy.to_str().unwrap();
    assert_eq!(run(&["fmt", "--check", p]).status.code(), Some(1));
    let before = std::fs::read_to_string(&messy).unwrap();
    assert!(before.contains("resource   task"), "--check must not write");
    assert_eq!(run(&["fmt", p]).status.code(), Some(0));
    let after = std::fs::read_to_string(&messy).unwrap();
    assert!(after.contains("// mine"), "comments kept: {after}");
    assert_eq!(run(&["fmt", "--check", p]).status.code(), Some(0), "{after}");
    assert_eq!(run(&["check", p]).status.code(), Some(0));
}

#[test]
fn explain_json_is_json_and_text_starts_with_the_decision() {
    let c = tmp(
        "alice.json",
        r#"{"sub":"user_alice","org_id":"org_1","org_role":"org:manager","org_metadata":{"isLicensed":true}}"#,
    );
    let r = tmp("bobs.json", r#"{"type":"task","owner_id":"org_1","created_by_id":"user_bob"}"#);
    let base = [
        "explain",
        "--policy",
        "policies/team_tasks.ord",
        "--claims",
        c.to_str().unwrap(),
        "--action",
        "delete",
        "--resource",
        r.to_str().unwrap(),
        "--now",
        "1721770150",
    ];
    let out = run(&base);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("decision: ALLOW"), "{text}");
    assert!(text.contains("org_manage"), "{text}");
    let mut with_json = base.to_vec();
    with_json.push("--json");
    let v = stdout_json(&run(&with_json));
    assert!(v.is_object(), "{v}");
}

#[test]
fn help_and_version() {
    let out = run(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in ["check", "decide", "explain", "test", "fmt"] {
        assert!(text.contains(&format!("ordinance {cmd}")), "{text}");
    }
    assert_eq!(run(&["--version"]).status.code(), Some(0));
    assert_eq!(run(&[]).status.code(), Some(2));
    assert_eq!(run(&["decide", "--policy", "policies/team_tasks.ord", "--bogus", "1"]).status.code(), Some(2));
}
