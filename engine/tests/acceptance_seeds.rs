//! The seed guides (`tests/seeds/`) as a new user checks them from Rust: every seed test
//! file through the library and the naive interpreter, and what the CLI's test files cannot
//! express -- the list queries of the team-based task manager as a SQL filter, the Supabase
//! row-level security policies, the buttons a page gates at once, and Clerk v2 tokens of
//! the RBAC guide's claims.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use ordinance::reference::reference_decide;
use ordinance::{
    row_level_security, Context, Engine, Options, Policy, Resource, RlsOptions, Session, SqlCommand, SqlOptions,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn seeds() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/seeds")).to_path_buf()
}

fn engine(name: &str) -> Engine {
    Engine::new(Policy::from_file(seeds().join(name)).unwrap())
}

fn session(claims: Value) -> Session {
    Session::from_claims(claims).unwrap()
}

/// Every `tests/seeds/*.test.json` case through `Engine::decide_value`, and the deciding
/// fields through the reference interpreter too.
#[test]
fn seed_test_files_pass_through_the_library_and_the_oracle() {
    let mut cases = 0;
    let mut files = 0;
    for entry in std::fs::read_dir(seeds()).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".test.json") {
            continue;
        }
        files += 1;
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let policy = Policy::from_file(seeds().join(doc["policy"].as_str().unwrap())).unwrap();
        let engine = Engine::new(policy.clone());
        let pick = |case: &Value, key: &str, table: &str| match &case[key] {
            Value::String(name) => doc[table][name].clone(),
            other => other.clone(),
        };
        for case in doc["cases"].as_array().unwrap() {
            let name = format!("{}: {}", path.display(), case["name"]);
            let claims = pick(case, "session", "sessions");
            let resource = pick(case, "resource", "resources");
            let context = match &case["context"] {
                Value::Null => None,
                _ => Some(pick(case, "context", "contexts")),
            };
            let now = case["now"].as_i64().or(doc["now"].as_i64()).unwrap();
            let action = case["action"].as_str().unwrap();
            let got =
                engine.decide_value(claims.clone(), action, resource.clone(), context.clone(), Some(now)).to_json();
            for key in ["allowed", "reason", "rule", "missing"] {
                if let Some(want) = case.get(key) {
                    assert_eq!(&got[key], want, "{name}: {key}");
                }
            }
            // The oracle, where the inputs are well formed.
            if let (Ok(s), Ok(r)) = (Session::from_claims(claims), Resource::from_value(resource)) {
                let ctx = Context::from_value(context.unwrap_or_else(|| json!({}))).unwrap();
                let (allowed, reason, rule) = reference_decide(&policy, &s, action, &r, &ctx, now);
                assert_eq!(allowed, got["allowed"].as_bool().unwrap(), "{name}: oracle");
                assert_eq!(reason, got["reason"].as_str().unwrap(), "{name}: oracle reason");
                assert_eq!(rule.as_deref(), got["rule"].as_str(), "{name}: oracle rule");
            }
            cases += 1;
        }
    }
    assert!(files >= 8, "seed test files: {files}");
    assert!(cases >= 90, "seed cases: {cases}");
}

const ORG: &str = "org_2iR0dJJzzY3q9kLK0gsDVT08IP4";
const USER: &str = "user_2iNu3heTeGj0U8G2gGFPWnVLbZm";

/// The team-based task manager scopes every query by `owner_id = ${ownerId}`: the filter
/// for `view` is exactly that, with the organization's id, or the user's own in the
/// personal account, and no rows without a session.
#[test]
fn team_tasks_list_query_is_the_guides_where_clause() {
    let engine = engine("team_tasks_neon.ord");
    let opts = Options::default().at(1719602300);
    let sql = |claims: Value| {
        let f = engine.filter(&session(claims), "view", "task", &opts).unwrap();
        (f.kind().to_string(), f.to_sql(&SqlOptions::default()).unwrap())
    };
    let (kind, org) = sql(json!({"sub": USER, "org_id": ORG, "org_role": "org:admin", "org_slug": "d2-gamers"}));
    assert_eq!(kind, "condition");
    assert!(org.sql.ends_with("\"owner_id\" = $1::text"), "{}", org.sql);
    assert_eq!(org.params, vec![json!(ORG)]);
    let (_, personal) = sql(json!({"sub": USER}));
    assert!(personal.sql.ends_with("\"owner_id\" = $1::text"), "{}", personal.sql);
    assert_eq!(personal.params, vec![json!(USER)]);
    let (kind, none) = sql(json!({}));
    assert_eq!((kind.as_str(), none.sql.as_str()), ("never", "FALSE"));
    // setTaskState / updateTask: `where id = ${taskId} and owner_id = ${ownerId}`.
    for action in ["set_state", "update"] {
        let f = engine.filter(&session(json!({"sub": USER, "org_id": ORG})), action, "task", &opts).unwrap();
        assert_eq!(f.to_sql(&SqlOptions::default()).unwrap().params, vec![json!(ORG)], "{action}");
    }
}

/// The Supabase guide's four policies, `requesting_user_id() = user_id` `TO authenticated`,
/// from the policy with the actions named after the SQL commands.
#[test]
fn supabase_rls_is_the_guides_four_policies() {
    let engine = engine("supabase_tasks.ord");
    let mut opts = RlsOptions::new("task", "tasks");
    opts.role = Some("authenticated".into());
    opts.commands = vec![
        (SqlCommand::Select, vec!["select".into()]),
        (SqlCommand::Insert, vec!["insert".into()]),
        (SqlCommand::Update, vec!["update".into()]),
        (SqlCommand::Delete, vec!["delete".into()]),
    ];
    let sql = row_level_security(&engine, &opts).unwrap();
    let check = "\"user_id\" = (SELECT ordinance_user_id())";
    for (command, clause) in [
        ("SELECT", "USING"),
        ("INSERT", "WITH CHECK"),
        ("UPDATE", "USING"),
        ("UPDATE", "WITH CHECK"),
        ("DELETE", "USING"),
    ] {
        let head = format!("AS PERMISSIVE FOR {command} TO \"authenticated\"");
        let at = sql.find(&head).unwrap_or_else(|| panic!("no {command} policy:\n{sql}"));
        let body = &sql[at..];
        let body = &body[..body.find(";").unwrap()];
        assert!(body.contains(clause) && body.contains(check), "{command} {clause}:\n{body}");
    }
    // With the default mapping (view/create/edit+complete/delete) only DELETE matches a
    // name here: SELECT, INSERT and UPDATE get no policy and PostgreSQL refuses them.
    let mut default = RlsOptions::new("task", "tasks");
    default.role = Some("authenticated".into());
    let sql = row_level_security(&engine, &default).unwrap();
    assert!(!sql.contains("FOR SELECT") && sql.contains("FOR DELETE"), "{sql}");
}

/// The RBAC guide gates `<AddTaskForm>` and each `<TaskRow>` at once.
#[test]
fn rbac_buttons_for_a_task_row() {
    let engine = engine("rbac_tasks.ord");
    let opts = Options::default().at(1721770150);
    let member = session(json!({
        "sub": "user_member", "org_id": "org_2ieWEfZl0M6ccS1Ap1XVRbEm9Kk", "org_role": "org:member",
        "org_permissions": ["org:tasks:edit", "org:tasks:view"], "org_metadata": {"isLicensed": true}
    }));
    let row = |created_by: &str| {
        Resource::from_value(
            json!({"type": "task", "owner_id": "org_2ieWEfZl0M6ccS1Ap1XVRbEm9Kk", "created_by_id": created_by}),
        )
        .unwrap()
    };
    assert_eq!(engine.permitted_actions(&member, &row("user_member"), &opts), ["create", "edit"]);
    assert_eq!(engine.permitted_actions(&member, &row("user_2iVvo8iFCJQJ1WCXeBk5T9lUTO5"), &opts), ["create"]);
    let unlicensed = session(json!({
        "sub": "user_member", "org_id": "org_2ieWEfZl0M6ccS1Ap1XVRbEm9Kk", "org_role": "org:member",
        "org_metadata": {"isLicensed": false}
    }));
    assert!(engine.permitted_actions(&unlicensed, &row("user_member"), &opts).is_empty());
}

/// The RBAC guide's manager token, as Clerk's version 2 session token carries it, decides
/// like the v1 token the guide prints.
#[test]
fn rbac_guide_claims_as_a_v2_token_decide_the_same() {
    let engine = engine("rbac_tasks.ord");
    let v1 = json!({
        "azp": "http://localhost:3005", "exp": 1721770193, "iat": 1721770133,
        "iss": "https://assuring-cod-50.clerk.accounts.dev", "jti": "daeb648e4c6dbfbdd2ce", "nbf": 1721770123,
        "org_id": "org_2ieWEfZl0M6ccS1Ap1XVRbEm9Kk", "org_metadata": {"isLicensed": true},
        "org_permissions": ["org:tasks:edit", "org:tasks:view", "org:tasks:manage"], "org_role": "org:manager",
        "org_slug": "d2-gamers", "sid": "sess_2jfFHBJQpqzwZbnwHXti0yxCz1G", "sub": "user_2iVvo8iFCJQJ1WCXeBk5T9lUTO5"
    });
    let v2 = json!({
        "v": 2, "azp": "http://localhost:3005", "exp": 1721770193, "iat": 1721770133,
        "iss": "https://assuring-cod-50.clerk.accounts.dev", "jti": "daeb648e4c6dbfbdd2ce", "nbf": 1721770123,
        "fea": "o:tasks",
        "o": {"id": "org_2ieWEfZl0M6ccS1Ap1XVRbEm9Kk", "rol": "manager", "slg": "d2-gamers", "per": "edit,view,manage", "fpm": "7"},
        "org_metadata": {"isLicensed": true},
        "sid": "sess_2jfFHBJQpqzwZbnwHXti0yxCz1G", "sub": "user_2iVvo8iFCJQJ1WCXeBk5T9lUTO5"
    });
    // The member's permissions without manage: `fpm` 3 grants `per`'s first two names.
    let mut v2_member = v2.clone();
    v2_member["o"]["rol"] = json!("member");
    v2_member["o"]["fpm"] = json!("3");
    let mut v1_member = v1.clone();
    v1_member["org_role"] = json!("org:member");
    v1_member["org_permissions"] = json!(["org:tasks:edit", "org:tasks:view"]);
    let task = json!({"type": "task", "owner_id": "org_2ieWEfZl0M6ccS1Ap1XVRbEm9Kk", "created_by_id": "user_other"});
    for (a, b) in [(&v1, &v2), (&v1_member, &v2_member)] {
        for action in ["create", "edit"] {
            for now in [1721770150, 1721770198] {
                let x = engine.decide_value(a.clone(), action, task.clone(), None, Some(now)).to_json();
                let y = engine.decide_value(b.clone(), action, task.clone(), None, Some(now)).to_json();
                assert_eq!(x, y, "{action} at {now}");
            }
        }
    }
    let member_edit = engine.decide_value(v2_member, "edit", task, None, Some(1721770150)).to_json();
    assert_eq!(member_edit["missing"], json!([{"kind": "permission", "name": "org:tasks:manage"}]));
}
