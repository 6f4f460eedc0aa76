//! `ordinance rls` as issue 8 describes it, run the way a newcomer would: `ordinance rls
//! --policy FILE --type task --table tasks [--action view ...]` prints `CREATE POLICY`
//! statements that read `current_setting('request.jwt.claims', true)`, one per SQL command
//! from the matching actions; exit 0 with SQL on stdout and nothing else, 1 for a policy
//! that cannot be rendered (naming the rule) or does not check, 2 for usage errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use std::process::Output;
use support::{run, tmp};

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn rls(policy: &str, ty: &str, extra: &[&str]) -> Output {
    run(&[&["rls", "--policy", policy, "--type", ty, "--table", "tasks"][..], extra].concat())
}

/// The SQL commands that get a `CREATE POLICY`, in order.
fn created(sql: &str) -> Vec<String> {
    sql.lines()
        .filter(|l| l.starts_with("CREATE POLICY"))
        .map(|l| l.split(" FOR ").nth(1).unwrap().split_whitespace().next().unwrap().to_string())
        .collect()
}

#[test]
fn team_tasks_gets_one_policy_per_command_reading_the_jwt_claims() {
    let o = rls("policies/team_tasks.ord", "task", &["--role", "authenticated"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(err(&o), "");
    let sql = out(&o);
    assert_eq!(created(&sql), ["SELECT", "INSERT", "UPDATE", "DELETE"]);
    assert!(sql.contains("current_setting('request.jwt.claims', true)"), "{sql}");
    assert!(sql.contains("ENABLE ROW LEVEL SECURITY"), "{sql}");
    assert_eq!(sql.matches(r#"TO "authenticated""#).count(), 4);
    // The Supabase guide's `requesting_user_id() = user_id`, derived from the policy.
    assert!(sql.contains(r#""owner_id" = (SELECT ordinance_user_id())"#), "{sql}");
    // Nothing but SQL on stdout: every line is a statement, a continuation or a comment.
    assert!(sql.trim_end().ends_with(';'), "{sql}");
}

#[test]
fn action_picks_the_commands_and_the_others_are_dropped() {
    for (args, want) in [
        (&["--action", "view"][..], &["SELECT"][..]),
        (&["--action", "view", "--action", "delete"][..], &["SELECT", "DELETE"][..]),
        (&["--action", "view,create"][..], &["SELECT", "INSERT"][..]),
        (&["--action=edit"][..], &["UPDATE"][..]),
    ] {
        let o = rls("policies/team_tasks.ord", "task", args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", err(&o));
        let sql = out(&o);
        assert_eq!(created(&sql), want, "{args:?}");
        // Re-running the output after a narrower mapping must not leave an older policy
        // allowing a command that now has no action.
        for cmd in ["select", "insert", "update", "delete"] {
            assert!(
                sql.contains(&format!(r#"DROP POLICY IF EXISTS "ordinance_task_{cmd}" ON "tasks";"#)),
                "{args:?} {cmd}"
            );
        }
    }
}

#[test]
fn other_shipped_policies_map_their_actions_explicitly() {
    let o = rls("policies/rooms.ord", "room", &["--select", "enter"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(created(&out(&o)), ["SELECT"]);
    let o = rls("policies/licensing.ord", "seat", &["--update", "assign", "--delete", "unassign"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(created(&out(&o)), ["UPDATE", "DELETE"]);
    // No default action (`view`, `create`, ...) in the policy: a usage error that says how.
    let o = rls("policies/rooms.ord", "room", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("--select"), "{}", err(&o));
    assert_eq!(out(&o), "");
}

#[test]
fn not_expressible_is_exit_1_naming_the_rule_with_nothing_on_stdout() {
    let o = rls("policies/authzen_todo.ord", "todo", &["--select", "can_read_todos"]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(err(&o).contains("`read_todos`") && err(&o).contains("not expressible"), "{}", err(&o));
    assert_eq!(out(&o), "", "no partial SQL to pipe into psql");
}

#[test]
fn usage_errors_are_exit_2_and_policy_errors_exit_1() {
    for args in [
        &["rls", "--policy", "policies/team_tasks.ord", "--type", "nope", "--table", "t"][..],
        &["rls", "--policy", "policies/team_tasks.ord", "--type", "task"][..],
        &["rls", "--policy", "policies/team_tasks.ord", "--table", "t"][..],
        &["rls", "--policy", "policies/team_tasks.ord", "--type", "task", "--table", "t", "--action", "fly"][..],
        &["rls", "--policy", "policies/team_tasks.ord", "--type", "task", "--table", "t", "--column", "nope=x"][..],
        &["rls", "--policy", "policies/team_tasks.ord", "--type", "task", "--table", "t", "--column", "owner_id"][..],
        &["rls", "--policy", "policies/team_tasks.ord", "--type", "task", "--table", "t", "--frobnicate", "1"][..],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", err(&o));
        assert!(err(&o).starts_with("error: "), "{args:?}: {}", err(&o));
        assert_eq!(out(&o), "", "{args:?}");
    }
    let bad = tmp("bad_rls.ord", "resource t { a: string }\naction view on t\npermit view on t when resource.b == 1\n");
    let o = rls(bad.to_str().unwrap(), "t", &[]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(err(&o).contains("bad_rls.ord:3:"), "{}", err(&o));
    assert_eq!(out(&o), "");
}

#[test]
fn column_maps_and_schema_qualified_tables_are_quoted() {
    let o = run(&[
        "rls",
        "--policy",
        "policies/team_tasks.ord",
        "--type",
        "task",
        "--table",
        "public.tasks",
        "--column",
        "owner_id=user_id",
        "--action",
        "view",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let sql = out(&o);
    assert!(sql.contains(r#"ALTER TABLE "public"."tasks" ENABLE ROW LEVEL SECURITY;"#), "{sql}");
    assert!(sql.contains(r#""user_id" = (SELECT ordinance_user_id())"#), "{sql}");
    assert!(!sql.contains(r#""owner_id""#), "{sql}");
}

// ---------------------------------------------------------------- ordinance filter

fn filter(claims: &str, extra: &[&str]) -> Output {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let c = tmp(&format!("filter_claims{n}.json"), claims);
    run(&[
        &["filter", "--policy", "policies/team_tasks.ord", "--claims", c.to_str().unwrap(), "--now", "1721770150"][..],
        extra,
    ]
    .concat())
}

const MEMBER: &str =
    r#"{"sub": "user_bob", "org_id": "org_1", "org_role": "org:member", "org_metadata": {"isLicensed": true}}"#;

#[test]
fn filter_prints_the_residual_and_its_sql_as_one_json_object() {
    let o = filter(MEMBER, &["--action", "view", "--type", "task"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(
        out(&o).trim(),
        r#"{"kind":"condition","resource_type":"task","action":"view","required":["owner_id","created_by_id"],"condition":{"args":[{"left":{"attr":"owner_id"},"op":"eq","right":{"value":"user_bob"}},{"left":{"attr":"owner_id"},"op":"eq","right":{"value":"org_1"}}],"op":"or"},"sql":"\"owner_id\" IS NOT NULL AND \"created_by_id\" IS NOT NULL AND (\"owner_id\" = $1::text OR \"owner_id\" = $2::text)","params":["user_bob","org_1"]}"#
    );
    // Column map and parameter numbering, as in `Filter::to_sql`.
    let o =
        filter(MEMBER, &["--action", "view", "--type", "task", "--column", "owner_id=t.owner", "--first-param", "3"]);
    let v: serde_json::Value = serde_json::from_str(out(&o).trim()).unwrap();
    assert_eq!(
        v["sql"],
        r#""t"."owner" IS NOT NULL AND "created_by_id" IS NOT NULL AND ("t"."owner" = $3::text OR "t"."owner" = $4::text)"#
    );
    // `never` is a success, with its reason and FALSE.
    let o = filter("{}", &["--action", "delete", "--type", "task"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(
        out(&o).trim(),
        r#"{"kind":"never","reason":"no_matching_rule","resource_type":"task","action":"delete","required":["owner_id","created_by_id"],"sql":"FALSE","params":[]}"#
    );
    let o = filter(r#"{"sub": "u", "exp": 1000}"#, &["--action", "view", "--type", "task"]);
    assert!(out(&o).contains(r#""reason":"session_expired""#), "{}", out(&o));
}

#[test]
fn filter_exit_codes() {
    for (claims, args) in [
        (MEMBER, &["--action", "fly", "--type", "task"][..]),
        (MEMBER, &["--action", "view", "--type", "tasks"][..]),
        (MEMBER, &["--action", "view"][..]),
        (MEMBER, &["--action", "view", "--type", "task", "--column", "nope=x"][..]),
        (MEMBER, &["--action", "view", "--type", "task", "--first-param", "0"][..]),
        (MEMBER, &["--action", "view", "--type", "task", "--first-param", "x"][..]),
        (r#"{"sub": 1}"#, &["--action", "view", "--type", "task"][..]),
        ("not json", &["--action", "view", "--type", "task"][..]),
    ] {
        let o = filter(claims, args);
        assert_eq!(o.status.code(), Some(2), "{claims} {args:?}: {}", err(&o));
        assert!(err(&o).starts_with("error: "), "{args:?}: {}", err(&o));
        assert_eq!(out(&o), "");
    }
    let scoped = tmp(
        "scoped.ord",
        "resource doc { s: string }\naction read on doc\n@id(\"by_scope\") permit read on doc when scopes(resource.s).contains(\"x\")\n",
    );
    let c = tmp("scoped_claims.json", "{}");
    let o = run(&[
        "filter",
        "--policy",
        scoped.to_str().unwrap(),
        "--claims",
        c.to_str().unwrap(),
        "--action",
        "read",
        "--type",
        "doc",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(err(&o).contains("`by_scope`"), "{}", err(&o));
    assert_eq!(out(&o), "");
}
