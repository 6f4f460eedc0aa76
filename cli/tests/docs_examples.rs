//! Every command and promise of README.md, docs/testing.md and docs/filters.md, run as
//! written from the repository root: a new user copies them, so they must work as shown.
//! Examples are read from the documents themselves wherever they are complete, so that a
//! change to a document is a change to its test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Output;
use support::{run, run_stdin, stdout_json, tmp};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn doc(path: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(path)).unwrap()
}

/// The bodies of the code blocks fenced with exactly "```lang" in `markdown`, skipping
/// blocks nested in a "````" fence (documents quoting other documents).
fn fenced(markdown: &str, lang: &str) -> Vec<String> {
    let (mut blocks, mut current, mut quoted) = (Vec::new(), None::<String>, false);
    for line in markdown.lines() {
        if line.starts_with("````") {
            quoted = !quoted;
            continue;
        }
        if quoted {
            continue;
        }
        match current.as_mut() {
            Some(body) if line == "```" => {
                blocks.push(std::mem::take(body));
                current = None;
            }
            Some(body) => {
                body.push_str(line);
                body.push('\n');
            }
            None if line.strip_prefix("```") == Some(lang) => current = Some(String::new()),
            None => {}
        }
    }
    blocks
}

/// A documented command line, run: `ordinance ...` or `cargo run ... --bin ordinance -- ...`,
/// up to a `|` (the pipe's reader is not ours), with `< FILE` as standard input.
fn run_line(line: &str) -> Output {
    let line = line.split('#').next().unwrap().split('|').next().unwrap();
    let line = line.split_once(" --bin ordinance -- ").map(|(_, rest)| rest).unwrap_or(line);
    let line = line.trim().strip_prefix("ordinance ").unwrap_or(line.trim());
    match line.split_once(" < ") {
        Some((cmd, input)) => {
            let args: Vec<&str> = cmd.split_whitespace().collect();
            run_stdin(&args, &std::fs::read_to_string(Path::new(ROOT).join(input.trim())).unwrap())
        }
        None => run(&line.split_whitespace().collect::<Vec<_>>()),
    }
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh directory of this test's own (tests run in parallel).
fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ordinance-docs-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

// ---------------------------------------------------------------- README.md

#[test]
fn readme_first_command_prints_exactly_the_documented_json() {
    let readme = doc("README.md");
    let command = fenced(&readme, "sh")[0].lines().next().unwrap().to_string();
    assert!(command.starts_with("cargo run --release --bin ordinance -- decide "), "{command}");
    let shown = fenced(&readme, "json")[0].trim().to_string();
    let o = run_line(&command);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o), format!("{shown}\n"));
    assert_eq!(err(&o), "");
}

#[test]
fn readme_check_reports_ok_per_file_and_errors_with_position_caret_and_hint() {
    let o = run(&["check", "policies/team_tasks.ord", "policies/rooms.ord"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let lines: Vec<String> = out(&o).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("policies/team_tasks.ord: ok ("), "{lines:?}");
    assert!(lines[1].starts_with("policies/rooms.ord: ok ("), "{lines:?}");

    let bad = tmp("docs-bad.ord", "resource task { owner_id: string }\naction view on task\npermit view on task when resource.ownr_id == user.id\n");
    let o = run(&["check", "policies/team_tasks.ord", path(&bad)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("policies/team_tasks.ord: ok"), "{}", out(&o));
    let e = err(&o);
    assert!(e.contains("docs-bad.ord:3:35: error: resource type `task` has no attribute `ownr_id`"), "{e}");
    assert!(e.contains("^^^^^^^"), "{e}");
    assert!(e.contains("help: did you mean `owner_id`?"), "{e}");
}

#[test]
fn readme_language_at_a_glance_is_a_valid_policy() {
    let blocks = fenced(&doc("README.md"), "ordinance");
    assert_eq!(blocks.len(), 1);
    let file = tmp("glance.ord", &blocks[0]);
    let o = run(&["check", path(&file)]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
}

#[test]
fn readme_decide_with_a_context_prints_one_decision() {
    let claims = tmp("docs-cal-claims.json", r#"{"sub": "user_1", "exp": 1721770193}"#);
    let calendar = tmp("docs-cal.json", r#"{"type": "calendar", "id": "primary", "owner_id": "user_1"}"#);
    let context = tmp(
        "docs-cal-ctx.json",
        r#"{"approved_scopes": "openid https://www.googleapis.com/auth/calendar.readonly https://www.googleapis.com/auth/calendar.events.readonly"}"#,
    );
    let base = [
        "decide",
        "--policy",
        "policies/calendar_scopes.ord",
        "--claims",
        path(&claims),
        "--action",
        "book_direct",
        "--resource",
        path(&calendar),
        "--now",
        "1721770150",
    ];
    let o = run(&[&base[..], &["--context", path(&context)]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(
        out(&o),
        "{\"allowed\":false,\"reason\":\"no_matching_rule\",\"rule\":null,\"missing\":[{\"kind\":\"scope\",\"name\":\"https://www.googleapis.com/auth/calendar.events\"}]}\n"
    );
    // With every scope approved it is allowed.
    let all = tmp(
        "docs-cal-all.json",
        r#"{"approved_scopes": "https://www.googleapis.com/auth/calendar.readonly https://www.googleapis.com/auth/calendar.events.readonly https://www.googleapis.com/auth/calendar.events"}"#,
    );
    let d = stdout_json(&run(&[&base[..], &["--context", path(&all)]].concat()));
    assert_eq!(d["allowed"], true, "{d}");
    assert_eq!(d["reason"], "permit");
    // A deny is still exit 0; `--now` past `exp` is `session_expired`.
    let mut late = base.to_vec();
    late[10] = "1821770150";
    let d = stdout_json(&run(&[&late[..], &["--context", path(&all)]].concat()));
    assert_eq!(d, json!({"allowed": false, "reason": "session_expired", "rule": null, "missing": []}));
}

#[test]
fn readme_decide_requests_prints_one_decision_per_line() {
    let o = run(&["decide", "--policy", "policies/team_tasks.ord", "--requests", "examples/requests/requests.jsonl"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let got: Vec<Value> = out(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(
        got,
        [
            json!({"allowed": true, "reason": "permit", "rule": "org_edit_own", "missing": []}),
            json!({"allowed": false, "reason": "forbidden:license_required", "rule": "license_required",
                   "missing": [{"kind": "license", "name": "org.metadata.isLicensed"}]}),
            json!({"allowed": true, "reason": "permit", "rule": "personal_task", "missing": []}),
        ]
    );
    // `context` and `now` per line; a bad line is a deny on its own line.
    let lines = [
        json!({"claims": {"sub": "user_1"}, "action": "read_availability",
               "resource": {"type": "calendar", "owner_id": "user_1"},
               "context": {"approved_scopes": "https://www.googleapis.com/auth/calendar.readonly https://www.googleapis.com/auth/calendar.events.readonly"},
               "now": 1721770150})
        .to_string(),
        "{\"claims\": {}}".to_string(),
        json!({"claims": {"sub": "user_1"}, "action": "read_availability",
               "resource": {"type": "calendar", "owner_id": "user_1"}})
        .to_string(),
    ];
    let file = tmp("docs-requests.jsonl", &(lines.join("\n") + "\n"));
    let o = run(&["decide", "--policy", "policies/calendar_scopes.ord", "--requests", path(&file)]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let got: Vec<Value> = out(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(got.len(), 3);
    assert_eq!(got[0]["allowed"], true, "{}", got[0]);
    assert_eq!(got[1]["reason"], "invalid_request", "{}", got[1]);
    assert!(got[1]["error"].is_string());
    assert_eq!(got[2]["allowed"], false, "{}", got[2]);
}

#[test]
fn readme_explain_shows_every_rule_and_each_condition() {
    let args = [
        "explain",
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
    ];
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let text = out(&o);
    assert!(text.starts_with("decision: DENY (no_matching_rule)\n"), "{text}");
    assert!(text.contains("missing: requires the `org:tasks:manage` permission"), "{text}");
    for rule in ["license_required", "personal_task", "org_manage", "org_edit_own"] {
        assert!(text.contains(&format!("`{rule}`: no match")), "{rule}: {text}");
    }
    assert!(text.contains("has(org:tasks:manage) = false"), "{text}");
    assert!(text.contains("resource.created_by_id == user.id = false"), "{text}");
    let o = run(&[&args[..], &["--json"]].concat());
    let j = stdout_json(&o);
    assert_eq!(j["decision"]["reason"], "no_matching_rule");
    assert!(j["rules"].as_array().unwrap().len() >= 4, "{j}");
}

#[test]
fn readme_test_runs_a_file_or_a_directory() {
    for target in ["policies/", "policies/team_tasks.test.json"] {
        let o = run(&["test", target]);
        assert_eq!(o.status.code(), Some(0), "{target}: {}", out(&o));
        let last = out(&o).lines().last().unwrap().to_string();
        assert!(last.ends_with(" passed, 0 failed"), "{last}");
    }
}

#[test]
fn readme_fmt_rewrites_and_check_reports() {
    let file = tmp(
        "docs-fmt.ord",
        "resource task {owner_id:string}\naction view on task\npermit view on task when resource.owner_id==user.id\n",
    );
    let o = run(&["fmt", "--check", path(&file)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("not formatted"), "{}", err(&o));
    let o = run(&["fmt", path(&file)]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).starts_with("formatted "), "{}", out(&o));
    assert_eq!(run(&["fmt", "--check", path(&file)]).status.code(), Some(0));
    assert_eq!(run(&["fmt", "--check", "policies/team_tasks.ord", "policies/authzen_todo.ord"]).status.code(), Some(0));
}

#[test]
fn readme_authzen_command_and_responses() {
    let readme = doc("README.md");
    // The documented command, with the documented request (from the Rust example).
    let command = fenced(&readme, "sh").into_iter().find(|b| b.starts_with("ordinance authzen")).unwrap();
    let request = json!({
        "subject": {"type": "user", "id": "CiRmZDA2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs"},
        "action": {"name": "can_delete_todo"},
        "resource": {"type": "todo", "id": "1", "properties": {"ownerID": "morty@the-citadel.com"}}
    });
    let args: Vec<&str> = command.split(" < ").next().unwrap().split_whitespace().skip(1).collect();
    let o = run_stdin(&args, &request.to_string());
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(stdout_json(&o), json!({"decision": true}));
    // A bad request is HTTP 400: exit 2.
    let o = run_stdin(&args, r#"{"action": {"name": "can_read_todos"}}"#);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("`subject`"), "{}", err(&o));

    // The directory shown is (an excerpt of) a record of the shipped directory.
    let jsons = fenced(&readme, "json");
    let shown: Value = serde_json::from_str(&jsons[1]).unwrap();
    let shipped: Value = serde_json::from_str(&doc("policies/authzen_todo.directory.json")).unwrap();
    for (id, record) in shown.as_object().unwrap() {
        for (key, value) in record.as_object().unwrap() {
            assert_eq!(&shipped[id][key], value, "{id}.{key}");
        }
    }
    // The deny shown is what Bob (a member) gets for editing Alice's organization task.
    let deny: Value = serde_json::from_str(&jsons[2]).unwrap();
    let bob = json!({
        "subject": {"type": "user", "id": "user_bob",
                    "properties": {"org_id": "org_1", "org_role": "org:member", "org_metadata": {"isLicensed": true}}},
        "action": {"name": "edit"},
        "resource": {"type": "task", "id": "42", "properties": {"owner_id": "org_1", "created_by_id": "user_alice"}}
    });
    let o = run_stdin(&["authzen", "--policy", "policies/team_tasks.ord"], &bob.to_string());
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(stdout_json(&o), deny);
}

#[test]
fn readme_rls_command_prints_the_documented_statements() {
    let readme = doc("README.md");
    let command = fenced(&readme, "sh").into_iter().find(|b| b.starts_with("ordinance rls")).unwrap();
    assert!(command.trim_end().ends_with("| psql"), "{command}");
    let o = run_line(&command);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let sql = out(&o);
    // docs/filters.md, "Row-level security": helpers, then ALTER TABLE, then per command
    // DROP POLICY IF EXISTS and CREATE POLICY, with the documented clauses.
    let at = |needle: &str| sql.find(needle).unwrap_or_else(|| panic!("no `{needle}` in:\n{sql}"));
    let mut last = 0;
    for helper in [
        "ordinance_claims()",
        "ordinance_user_id()",
        "ordinance_org_id()",
        "ordinance_org_permissions()",
        "ordinance_session_ok()",
    ] {
        let i = at(&format!("CREATE OR REPLACE FUNCTION {helper}"));
        assert!(i < at("ALTER TABLE"), "{helper}");
    }
    let alter = at("ALTER TABLE \"tasks\" ENABLE ROW LEVEL SECURITY;");
    assert!(alter > last);
    last = alter;
    for (cmd, clauses) in [
        ("select", &["USING ("][..]),
        ("insert", &["WITH CHECK ("][..]),
        ("update", &["USING (", "WITH CHECK ("][..]),
        ("delete", &["USING ("][..]),
    ] {
        let drop = at(&format!("DROP POLICY IF EXISTS \"ordinance_task_{cmd}\" ON \"tasks\";"));
        let create = at(&format!(
            "CREATE POLICY \"ordinance_task_{cmd}\" ON \"tasks\" AS PERMISSIVE FOR {} TO \"authenticated\"",
            cmd.to_uppercase()
        ));
        assert!(last < drop && drop < create, "{cmd} out of order");
        let body_end = sql[create..].find(";\n").unwrap() + create;
        let body = &sql[create..body_end];
        for clause in clauses {
            assert!(body.contains(clause), "{cmd}: {clause} in {body}");
        }
        if cmd != "update" {
            assert_eq!(body.contains("WITH CHECK") as u8 + body.contains("USING") as u8, 1, "{body}");
        }
        assert!(body.contains("(SELECT ordinance_session_ok())"), "{body}");
        last = create;
    }
    // The role table is compiled in (the INSERT policy needs `org:tasks:edit`).
    assert!(sql.contains("@> ARRAY['org:tasks:edit']::text[]"), "{sql}");
    assert!(sql.contains("IN ('org:admin', 'org:manager', 'org:member')"), "{sql}");
}

// ---------------------------------------------------------------- docs/filters.md: `ordinance rls`

fn rls(extra: &[&str]) -> Output {
    run(&[&["rls", "--policy", "policies/team_tasks.ord", "--type", "task", "--table", "tasks"][..], extra].concat())
}

fn policies_in(sql: &str) -> Vec<String> {
    sql.lines()
        .filter_map(|l| l.strip_prefix("CREATE POLICY \""))
        .map(|l| l.split('"').next().unwrap().to_string())
        .collect()
}

#[test]
fn filters_rls_options_select_actions_columns_and_commands() {
    let all = rls(&[]);
    assert_eq!(all.status.code(), Some(0), "{}", err(&all));
    assert_eq!(
        policies_in(&out(&all)),
        ["ordinance_task_select", "ordinance_task_insert", "ordinance_task_update", "ordinance_task_delete"]
    );
    // Without --role the policies apply to every role (no TO clause).
    assert!(!out(&all).contains(" TO \""), "{}", out(&all));
    // Re-running is safe: every policy is dropped first, every function replaced.
    assert_eq!(out(&all).matches("DROP POLICY IF EXISTS").count(), 4);
    assert!(!out(&all).contains("CREATE FUNCTION"));

    // --action keeps only the listed actions: commands with none get no policy.
    let o = rls(&["--action", "view"]);
    assert_eq!(policies_in(&out(&o)), ["ordinance_task_select"]);
    // --select (and --insert, --update, --delete) replaces the actions of one command: a
    // SELECT policy for `delete` reads exactly as the default DELETE one.
    let using = |sql: &str, cmd: &str| {
        let at = sql.find(&format!("\"ordinance_task_{cmd}\" ON \"tasks\" AS")).unwrap();
        let body = &sql[at..];
        body[body.find("USING").unwrap()..body.find(";\n").unwrap()].to_string()
    };
    let default_delete = using(&out(&all), "delete");
    assert_ne!(using(&out(&all), "select"), default_delete);
    assert_eq!(using(&out(&rls(&["--select", "delete"])), "select"), default_delete);
    assert_eq!(using(&out(&rls(&["--select=delete"])), "select"), default_delete);
    // --select A,B: both must be allowed.
    let o = rls(&["--select", "view,delete"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    // --column maps an attribute, quoting each part of a qualified name.
    let o = rls(&["--column", "owner_id=t.owner"]);
    assert!(out(&o).contains("\"t\".\"owner\""), "{}", out(&o));
    assert!(!out(&o).contains("\"owner_id\""), "{}", out(&o));
    // Usage errors exit 2 with a message: an attribute the type lacks, an unknown action
    // or type, a malformed --column.
    for bad in [
        &["--column", "nope=x"][..],
        &["--action", "archive"][..],
        &["--update", "archive"][..],
        &["--column", "owner_id"][..],
    ] {
        let o = rls(bad);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", err(&o));
        assert!(err(&o).starts_with("error: "), "{bad:?}: {}", err(&o));
        assert_eq!(out(&o), "", "{bad:?}");
    }
    let o = run(&["rls", "--policy", "policies/team_tasks.ord", "--type", "nope", "--table", "t"]);
    assert_eq!(o.status.code(), Some(2));
}

// ---------------------------------------------------------------- docs/testing.md

/// A directory holding a copy of a shipped policy, for test files to name.
fn with_policy(name: &str, policy: &str) -> PathBuf {
    let d = dir(name);
    std::fs::copy(Path::new(ROOT).join("policies").join(policy), d.join(policy)).unwrap();
    d
}

#[test]
fn testing_md_example_file_passes_as_written() {
    let example = fenced(&doc("docs/testing.md"), "json");
    assert_eq!(example.len(), 1);
    let d = with_policy("example", "team_tasks.ord");
    let file = d.join("team_tasks.test.json");
    std::fs::write(&file, &example[0]).unwrap();
    let o = run(&["test", path(&file)]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert_eq!(out(&o), "1 passed, 0 failed\n");
}

#[test]
fn testing_md_every_field_behaves_as_documented() {
    let d = with_policy("fields", "team_tasks.ord");
    std::fs::copy(Path::new(ROOT).join("policies/calendar_scopes.ord"), d.join("calendar_scopes.ord")).unwrap();
    std::fs::create_dir_all(d.join("sub/deeper")).unwrap();
    let bob = json!({"sub": "user_bob", "org_id": "org_1", "org_role": "org:member",
                     "org_metadata": {"isLicensed": true}, "exp": 1721770193});
    let alices = json!({"type": "task", "owner_id": "org_1", "created_by_id": "user_alice"});
    let file = json!({
        "policy": "../team_tasks.ord",                 // relative to the test file, not the cwd
        "now": 1721770150,
        "sessions": {"bob": bob},
        "resources": {"alices": alices},
        "cases": [
            {"name": "named", "session": "bob", "action": "view", "resource": "alices",
             "allowed": true, "reason": "permit", "rule": "org_view", "missing": []},
            {"name": "inline", "session": {"sub": "user_bob"}, "action": "delete",
             "resource": {"type": "task", "owner_id": "user_bob", "created_by_id": "user_bob"},
             "allowed": true, "rule": "personal_task"},
            {"name": "deny with missing", "session": "bob", "action": "edit", "resource": "alices",
             "allowed": false, "reason": "no_matching_rule", "rule": null,
             "missing": [{"kind": "permission", "name": "org:tasks:manage"}]},
            {"name": "per-case now", "session": "bob", "action": "view", "resource": "alices", "now": 1821770150,
             "allowed": false, "reason": "session_expired"},
            {"session": "bob", "action": "view", "resource": "alices", "allowed": true}
        ]
    });
    std::fs::write(d.join("sub/team.test.json"), serde_json::to_string_pretty(&file).unwrap()).unwrap();
    let scopes =
        "https://www.googleapis.com/auth/calendar.readonly https://www.googleapis.com/auth/calendar.events.readonly";
    let calendar = json!({
        "policy": "../../calendar_scopes.ord",
        "sessions": {"u": {"sub": "user_1"}},
        "resources": {"own": {"type": "calendar", "owner_id": "user_1"}},
        "contexts": {"ro": {"approved_scopes": scopes}},
        "cases": [
            {"name": "named context", "session": "u", "action": "read_availability", "resource": "own",
             "context": "ro", "allowed": true},
            {"name": "inline context", "session": "u", "action": "read_availability", "resource": "own",
             "context": {"approved_scopes": scopes}, "allowed": true},
            {"name": "no context", "session": "u", "action": "read_availability", "resource": "own",
             "allowed": false, "reason": "no_matching_rule"}
        ]
    });
    std::fs::write(d.join("sub/deeper/calendar.test.json"), calendar.to_string()).unwrap();
    std::fs::write(d.join("sub/not-a-test.json"), "not json at all").unwrap();

    // A directory is searched (recursively) for *.test.json; other files are left alone.
    let o = run(&["test", path(&d)]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert_eq!(out(&o), "8 passed, 0 failed\n");
    // --verbose: one ok line per case, the unnamed one as `case N`.
    let o = run(&["test", "--verbose", path(&d.join("sub/team.test.json"))]);
    let text = out(&o);
    assert_eq!(text.lines().filter(|l| l.starts_with("ok   ")).count(), 5, "{text}");
    assert!(text.contains(": case 4\n"), "{text}");

    // Without any `now`, the clock: Bob's token expired in 2024.
    let mut clock = file.clone();
    clock.as_object_mut().unwrap().remove("now");
    clock["cases"] = json!([{"session": "bob", "action": "view", "resource": "alices",
                             "allowed": false, "reason": "session_expired"}]);
    std::fs::write(d.join("sub/clock.test.json"), clock.to_string()).unwrap();
    let o = run(&["test", path(&d.join("sub/clock.test.json"))]);
    assert_eq!(out(&o), "1 passed, 0 failed\n", "{}", err(&o));
}

#[test]
fn testing_md_failing_cases_print_fail_lines_and_exit_1() {
    let d = with_policy("failing", "team_tasks.ord");
    let file = d.join("f.test.json");
    let tt = json!({
        "policy": "team_tasks.ord", "now": 1721770150,
        "sessions": {"bob": {"sub": "user_bob", "org_id": "org_1", "org_role": "org:member", "org_metadata": {"isLicensed": true}}},
        "resources": {"alices": {"type": "task", "owner_id": "org_1", "created_by_id": "user_alice"}},
        "cases": [
            {"name": "right", "session": "bob", "action": "view", "resource": "alices", "allowed": true},
            {"name": "wrong allowed", "session": "bob", "action": "edit", "resource": "alices", "allowed": true},
            {"name": "wrong reason", "session": "bob", "action": "edit", "resource": "alices", "allowed": false,
             "reason": "forbidden:license_required"},
            {"name": "wrong rule", "session": "bob", "action": "view", "resource": "alices", "allowed": true,
             "rule": "org_manage"},
            {"name": "wrong missing", "session": "bob", "action": "edit", "resource": "alices", "allowed": false,
             "missing": []},
            {"name": "two wrong", "session": "bob", "action": "edit", "resource": "alices", "allowed": true,
             "reason": "permit"}
        ]
    });
    std::fs::write(&file, tt.to_string()).unwrap();
    let o = run(&["test", path(&file)]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let p = path(&file);
    assert_eq!(
        out(&o),
        format!(
            "FAIL {p}: wrong allowed: allowed: expected true, got false\n\
             FAIL {p}: wrong reason: reason: expected \"forbidden:license_required\", got \"no_matching_rule\"\n\
             FAIL {p}: wrong rule: rule: expected \"org_manage\", got \"org_view\"\n\
             FAIL {p}: wrong missing: missing: expected [], got [{{\"kind\":\"permission\",\"name\":\"org:tasks:manage\"}}]\n\
             FAIL {p}: two wrong: allowed: expected true, got false; reason: expected \"permit\", got \"no_matching_rule\"\n\
             1 passed, 5 failed\n"
        )
    );
}

#[test]
fn testing_md_a_broken_policy_prints_its_errors_and_fails() {
    let d = dir("broken");
    std::fs::write(d.join("b.ord"), "resource task { owner_id: string }\naction view on task\npermit view on task when resource.ownr_id == user.id\n").unwrap();
    let file = d.join("b.test.json");
    std::fs::write(&file, json!({"policy": "b.ord", "cases": []}).to_string()).unwrap();
    let o = run(&["test", path(&file)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("b.ord:3:35: error:"), "{}", err(&o));
    assert!(out(&o).ends_with("0 passed, 1 failed\n"), "{}", out(&o));
    assert!(out(&o).starts_with(&format!("FAIL {}: the policy ", path(&file))), "{}", out(&o));
}

#[test]
fn testing_md_malformed_test_files_are_errors_exit_2() {
    let d = with_policy("malformed", "team_tasks.ord");
    let good_case = json!({"session": "bob", "action": "view", "resource": "r", "allowed": true});
    let base = json!({"policy": "team_tasks.ord", "now": 1721770150,
                      "sessions": {"bob": {"sub": "user_bob"}},
                      "resources": {"r": {"type": "task", "owner_id": "user_bob", "created_by_id": "user_bob"}},
                      "contexts": {}, "cases": [good_case]});
    let with_case = |f: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut doc = base.clone();
        f(doc["cases"][0].as_object_mut().unwrap());
        doc.to_string()
    };
    let with_file = |f: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut doc = base.clone();
        f(doc.as_object_mut().unwrap());
        doc.to_string()
    };
    let cases: Vec<(String, &str)> = vec![
        ("{\"policy\": ".into(), "not valid JSON"),
        ("[]".into(), "a test file is a JSON object"),
        (
            r#"{"policy": "team_tasks.ord", "sessions": {"bob": {"sub": "user_bob"}}, "cases": [{"session": "bob", "action": "view",
                "resource": {"type": "task", "owner_id": "user_bob", "created_by_id": "user_bob"}, "allowed": false, "allowed": true}]}"#
                .into(),
            "duplicate key `allowed`",
        ),
        (r#"{"policy": "team_tasks.ord", "sessions": {"bob": {"sub": "a", "sub": "b"}}, "cases": []}"#.into(), "duplicate key `sub`"),
        (with_file(&|d| drop(d.remove("policy"))), "missing \"policy\""),
        (with_file(&|d| drop(d.insert("policy".into(), json!(7)))), "\"policy\" must be a path"),
        (with_file(&|d| drop(d.remove("cases"))), "missing \"cases\""),
        (with_file(&|d| drop(d.insert("cases".into(), json!({})))), "\"cases\" must be a list"),
        (with_file(&|d| drop(d.insert("now".into(), json!("1721770150")))), "\"now\" must be an integer"),
        (with_file(&|d| drop(d.insert("sessions".into(), json!([])))), "\"sessions\" must be an object"),
        (with_file(&|d| drop(d.insert("sesions".into(), json!({})))), "unknown key `sesions`"),
        (with_file(&|d| drop(d.insert("cases".into(), json!([1])))), "case 0 is not an object"),
        (with_case(&|c| drop(c.insert("reson".into(), json!("permit")))), "unknown key `reson`"),
        (with_case(&|c| drop(c.remove("allowed"))), "no expected \"allowed\""),
        (with_case(&|c| drop(c.insert("allowed".into(), json!("true")))), "\"allowed\" must be true or false"),
        (with_case(&|c| drop(c.remove("session"))), "missing \"session\""),
        (with_case(&|c| drop(c.remove("action"))), "missing \"action\""),
        (with_case(&|c| drop(c.remove("resource"))), "missing \"resource\""),
        (with_case(&|c| drop(c.insert("session".into(), json!("alice")))), "no session named `alice`"),
        (with_case(&|c| drop(c.insert("resource".into(), json!("task")))), "no resource named `task`"),
        (with_case(&|c| drop(c.insert("context".into(), json!("ro")))), "no context named `ro`"),
        (with_case(&|c| drop(c.insert("now".into(), json!(1.5)))), "\"now\" must be an integer"),
        (with_case(&|c| drop(c.insert("name".into(), json!(3)))), "\"name\" must be a string"),
        (with_case(&|c| drop(c.insert("action".into(), json!(["view"])))), "\"action\" must be a string"),
        (with_case(&|c| drop(c.insert("reason".into(), json!(false)))), "\"reason\" must be a string"),
        (with_case(&|c| drop(c.insert("rule".into(), json!(1)))), "\"rule\" must be a string or null"),
        (with_case(&|c| drop(c.insert("missing".into(), json!("none")))), "\"missing\" must be a list"),
    ];
    for (i, (text, message)) in cases.iter().enumerate() {
        let file = d.join(format!("m{i}.test.json"));
        std::fs::write(&file, text).unwrap();
        let o = run(&["test", path(&file)]);
        assert_eq!(o.status.code(), Some(2), "{message}: {}{}", out(&o), err(&o));
        let e = err(&o);
        assert!(e.starts_with(&format!("error: {}", path(&file))), "{message}: {e}");
        assert!(e.contains(message), "expected `{message}` in: {e}");
        assert_eq!(out(&o), "", "{message}: nothing runs");
    }
    // The base file itself is fine.
    let file = d.join("ok.test.json");
    std::fs::write(&file, base.to_string()).unwrap();
    assert_eq!(out(&run(&["test", path(&file)])), "1 passed, 0 failed\n");
    // One malformed file among good ones: an error, and no case of any file runs.
    let o = run(&["test", path(&file), path(&d.join("m3.test.json"))]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(out(&o), "");
    // Nothing to run, or a path that does not exist: usage errors.
    assert_eq!(run(&["test", path(&dir("empty"))]).status.code(), Some(2));
    assert_eq!(run(&["test", "no/such/dir"]).status.code(), Some(2));
    assert_eq!(run(&["test"]).status.code(), Some(2));
}

// ---------------------------------------------------------------- links and scripts

#[test]
fn relative_links_and_named_scripts_exist() {
    for file in ["README.md", "docs/testing.md", "docs/filters.md"] {
        // Links inside a "````" quote are relative to the document quoted.
        let text: String = doc(file).split("````").step_by(2).collect();
        let base = Path::new(ROOT).join(file).parent().unwrap().to_path_buf();
        for (i, _) in text.match_indices("](") {
            let target = text[i + 2..].split(')').next().unwrap();
            let target = target.split('#').next().unwrap();
            if target.is_empty() || target.contains("://") {
                continue;
            }
            assert!(base.join(target).exists(), "{file}: broken link `{target}`");
        }
    }
    // The commands README.md and docs/testing.md name, and the shipped policies they list.
    for path in [
        "scripts/test-all.sh",
        "scripts/with-postgres.sh",
        "scripts/fuzz-smoke.sh",
        ".ci/run",
        "examples/rust-list-endpoint/Cargo.toml",
        "tests/postgres/Cargo.toml",
        "policies/team_tasks.ord",
        "policies/licensing.ord",
        "policies/rooms.ord",
        "policies/calendar_scopes.ord",
        "policies/authzen_todo.ord",
    ] {
        assert!(Path::new(ROOT).join(path).is_file(), "{path}");
    }
    assert!(doc(".ci/run").contains("scripts/test-all.sh"), "README: `.ci/run runs exactly this`");
}

#[test]
fn filters_md_quotes_the_readme_section_as_the_readme_shows_it() {
    let filters = doc("docs/filters.md");
    let quoted = filters.split("````markdown\n").nth(1).unwrap().split("````").next().unwrap();
    let body = |text: &str| -> Vec<String> {
        text.lines()
            .skip_while(|l| !l.trim_start_matches('#').starts_with(" Lists: the policy as a SQL filter"))
            .skip(1)
            .take_while(|l| !l.starts_with("## "))
            .map(str::to_string)
            .collect()
    };
    let readme = body(&doc("README.md"));
    let quote = body(quoted);
    assert!(quote.len() > 5, "{quote:?}");
    assert_eq!(readme[..quote.len()], quote[..]);
}
