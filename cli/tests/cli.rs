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
        input.push_str(if i % 1000 == 7 { "{not json" } else { good });
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

/// The decisions `decide --requests -` prints for `input`, one per output line.
fn decide_lines(input: &str) -> Vec<serde_json::Value> {
    let out = support::run_stdin(&["decide", "--policy", "policies/team_tasks.ord", "--requests", "-"], input);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

const GOOD_REQUEST: &str = r#"{"claims":{"sub":"u1"},"action":"view","resource":{"type":"task","owner_id":"u1","created_by_id":"u1"},"now":0}"#;

#[test]
fn decide_requests_a_missing_key_is_invalid_request_naming_it() {
    let full = serde_json::from_str::<serde_json::Value>(GOOD_REQUEST).unwrap();
    for key in ["claims", "action", "resource"] {
        let mut request = full.clone();
        request.as_object_mut().unwrap().remove(key);
        let lines = decide_lines(&format!("{request}\n"));
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["reason"], "invalid_request", "{key}: {}", lines[0]);
        let error = lines[0]["error"].as_str().unwrap();
        assert!(error.contains(&format!("the request has no `{key}`")), "{key}: {error}");
    }
    // Present but unusable (`null` included) stays the claims' or the resource's fault.
    for (key, value, reason) in [
        ("claims", serde_json::json!(5), "invalid_claims"),
        ("claims", serde_json::Value::Null, "invalid_claims"),
        ("resource", serde_json::json!(5), "invalid_resource"),
        ("resource", serde_json::Value::Null, "invalid_resource"),
    ] {
        let mut request = full.clone();
        request[key] = value.clone();
        let lines = decide_lines(&format!("{request}\n"));
        assert_eq!(lines[0]["reason"], reason, "{key}: {value}: {}", lines[0]);
    }
}

#[test]
fn decide_requests_answers_every_line_blank_ones_too() {
    let input = format!("{GOOD_REQUEST}\n\n   \n{GOOD_REQUEST}\r\n\t\r\n{GOOD_REQUEST}\n");
    let lines = decide_lines(&input);
    let reasons: Vec<&str> = lines.iter().map(|d| d["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["permit", "invalid_request", "invalid_request", "permit", "invalid_request", "permit"]);
    for blank in [&lines[1], &lines[2], &lines[4]] {
        assert!(blank["error"].as_str().unwrap().contains("the line is empty"), "{blank}");
        assert_eq!(blank["allowed"], false);
    }
    // The newline that ends the last line is not a line of its own; a last line without one is.
    assert_eq!(decide_lines(&format!("{GOOD_REQUEST}\n")).len(), 1);
    assert_eq!(decide_lines(&format!("{GOOD_REQUEST}\n{GOOD_REQUEST}")).len(), 2);
    assert_eq!(decide_lines(&format!("{GOOD_REQUEST}\n\n")).len(), 2);
    assert_eq!(decide_lines("").len(), 0);
}

const COMMANDS: [&str; 8] = ["check", "decide", "explain", "test", "fmt", "authzen", "filter", "rls"];

#[test]
fn every_command_prints_its_own_help() {
    for command in COMMANDS {
        for help in ["--help", "-h"] {
            let out = run(&[command, help]);
            let text = String::from_utf8_lossy(&out.stdout);
            assert_eq!(out.status.code(), Some(0), "{command} {help}: {}", String::from_utf8_lossy(&out.stderr));
            assert!(out.stderr.is_empty(), "{command} {help}");
            assert!(text.starts_with(&format!("ordinance {command}: ")), "{command} {help}: {text}");
            assert!(text.contains("OPTIONS:") && text.contains("-h, --help"), "{command}: {text}");
            assert!(text.contains("EXAMPLE"), "{command}: {text}");
        }
        assert_eq!(run(&["help", command]).stdout, run(&[command, "--help"]).stdout, "ordinance help {command}");
    }
    // Help wins over the other arguments, even incomplete or wrong ones.
    let out = run(&["decide", "--policy", "policies/team_tasks.ord", "--action", "view", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--requests FILE"));
    assert!(String::from_utf8_lossy(&run(&["check", "-h"]).stdout).starts_with("ordinance check: "));
    // `-h` as an option's value is that value, not a request for help.
    let out = run(&["decide", "--policy", "policies/team_tasks.ord", "--action", "-h"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing --claims"));
    // The overview stays, and points at the commands' help.
    for overview in [&["--help"][..], &["-h"], &["help"]] {
        let out = run(overview);
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("USAGE:") && text.contains("ordinance rls --policy FILE"), "{text}");
        assert!(text.contains("`ordinance COMMAND --help`"), "{text}");
    }
    assert_eq!(run(&["help", "frobnicate"]).status.code(), Some(2));
    // An unknown option points at the command's own help.
    let out = run(&["decide", "--polcy", "policies/team_tasks.ord"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("run `ordinance decide --help`"));
}

#[test]
fn the_examples_in_each_commands_help_run() {
    let mut ran = 0;
    for command in COMMANDS {
        let help = String::from_utf8_lossy(&run(&[command, "--help"]).stdout).to_string();
        let examples = help.split("EXAMPLE").nth(1).unwrap();
        for line in examples.lines().map(str::trim).filter(|l| l.starts_with("ordinance ")) {
            // `| psql` is the reader's database: the statements themselves must print.
            let line = line.trim_end_matches("| psql");
            let args: Vec<&str> = line.split_whitespace().skip(1).collect();
            let out = run(&args);
            assert_eq!(out.status.code(), Some(0), "{line}: {}", String::from_utf8_lossy(&out.stderr));
            ran += 1;
        }
    }
    assert!(ran >= 8, "{ran} examples ran");
}

#[test]
fn a_single_valued_option_given_twice_is_a_usage_error() {
    for (name, args) in [
        ("action", &["decide", "--policy", "policies/team_tasks.ord", "--action", "view", "--action", "edit"][..]),
        ("policy", &["decide", "--policy=policies/team_tasks.ord", "--policy", "policies/rooms.ord"]),
        ("now", &["explain", "--policy", "policies/team_tasks.ord", "--now", "1", "--now=2"]),
        ("request", &["authzen", "--policy", "policies/team_tasks.ord", "--request", "a.json", "--request", "b.json"]),
        ("type", &["filter", "--policy", "policies/team_tasks.ord", "--type", "task", "--type", "task"]),
        ("table", &["rls", "--policy", "policies/team_tasks.ord", "--type", "task", "--table", "a", "--table", "b"]),
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("`--{name}` given twice")), "{args:?}: {err}");
    }
    // The options documented as repeatable stay so.
    let out = run(&[
        "rls",
        "--policy",
        "policies/team_tasks.ord",
        "--type",
        "task",
        "--table",
        "tasks",
        "--action",
        "view",
        "--action",
        "edit",
        "--column",
        "owner_id=owner",
        "--column",
        "created_by_id=creator",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&[
        "filter",
        "--policy",
        "policies/team_tasks.ord",
        "--claims",
        "examples/requests/bob_member.claims.json",
        "--action",
        "view",
        "--type",
        "task",
        "--column",
        "owner_id=owner",
        "--column",
        "created_by_id=creator",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn requests_cannot_be_combined_with_per_request_options() {
    for option in ["--claims", "--action", "--resource", "--context", "--now"] {
        let value = if option == "--now" { "0" } else { "x" };
        let out = support::run_stdin(
            &["decide", "--policy", "policies/team_tasks.ord", "--requests", "-", option, value],
            "",
        );
        assert_eq!(out.status.code(), Some(2), "{option}");
        assert!(out.stdout.is_empty(), "{option}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("`--requests` cannot be combined with `{option}`")), "{err}");
    }
}

#[test]
fn test_names_a_missing_policy_as_resolved_and_the_test_file_naming_it() {
    let dir = tmp("missing-policy.marker", "").parent().unwrap().join("missing-policy");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let test_file = r#"{"policy": "nope.ord", "cases": [{"session": {"sub": "u"}, "action": "view", "resource": {"type": "t"}, "allowed": false}]}"#;
    std::fs::write(dir.join("sub/a.test.json"), test_file).unwrap();
    // From the test file's own directory: the policy is `./nope.ord`, as it is looked up.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ordinance"))
        .args(["test", "a.test.json"])
        .current_dir(dir.join("sub"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("./nope.ord: error: cannot read the policy named by `a.test.json`: "), "{err}");
    assert!(err.contains("\"policy\": \"nope.ord\""), "{err}");
    assert!(err.contains("relative to the test file's directory"), "{err}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("FAIL a.test.json: cannot read the policy `./nope.ord`"), "{stdout}");
    // From elsewhere: the directory joined in front.
    let sub = dir.join("sub");
    let test_path = sub.join("a.test.json");
    let out = run(&["test", test_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let resolved = sub.join("nope.ord");
    let expected = format!("{}: error: cannot read the policy named by `{}`", resolved.display(), test_path.display());
    assert!(err.starts_with(&expected), "{err}");
}
