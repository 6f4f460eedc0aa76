//! The filter's public API on fixed examples: the SQL and parameters for the team task
//! manager, the `always` / `never` kinds and their reasons, errors, column maps, parameter
//! numbering, the JSON form, and the row-level security output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use ordinance::*;
use serde_json::json;
use std::collections::HashMap;

fn team_tasks() -> Engine {
    Engine::new(Policy::from_file(concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/team_tasks.ord")).unwrap())
}

fn session(claims: serde_json::Value) -> Session {
    Session::from_claims(claims).unwrap()
}

fn at() -> Options {
    Options::default().at(1_721_770_150)
}

fn sql(engine: &Engine, claims: serde_json::Value, action: &str) -> SqlFilter {
    engine.filter(&session(claims), action, "task", &at()).unwrap().to_sql(&SqlOptions::default()).unwrap()
}

#[test]
fn team_tasks_member_without_a_seat_edits_only_personal_tasks() {
    let f = sql(&team_tasks(), json!({"sub": "user_bob", "org_id": "org_1", "org_role": "org:member"}), "edit");
    assert_eq!(
        f.sql,
        r#""owner_id" IS NOT NULL AND "created_by_id" IS NOT NULL AND NOT ("owner_id" = $1::text) AND ("owner_id" = $2::text OR ("owner_id" = $1::text AND "created_by_id" = $2::text))"#
    );
    assert_eq!(f.params, vec![json!("org_1"), json!("user_bob")]);
}

#[test]
fn team_tasks_views_and_licensed_edits() {
    let engine = team_tasks();
    let member = json!({"sub": "user_bob", "org_id": "org_1", "org_role": "org:member",
                        "org_metadata": {"isLicensed": true}});
    let view = sql(&engine, member.clone(), "view");
    assert_eq!(
        view.sql,
        r#""owner_id" IS NOT NULL AND "created_by_id" IS NOT NULL AND ("owner_id" = $1::text OR "owner_id" = $2::text)"#
    );
    assert_eq!(view.params, vec![json!("user_bob"), json!("org_1")]);
    let edit = sql(&engine, member, "edit");
    assert_eq!(
        edit.sql,
        r#""owner_id" IS NOT NULL AND "created_by_id" IS NOT NULL AND ("owner_id" = $1::text OR ("owner_id" = $2::text AND "created_by_id" = $1::text))"#
    );
    let admin =
        json!({"sub": "user_bob", "org_id": "org_1", "org_role": "org:admin", "org_metadata": {"isLicensed": true}});
    assert_eq!(sql(&engine, admin, "delete").sql, view.sql);
}

#[test]
fn never_says_why() {
    let engine = team_tasks();
    let expired = engine.filter(&session(json!({"sub": "u", "exp": 100})), "view", "task", &at()).unwrap();
    assert_eq!((expired.kind(), expired.reason()), ("never", Some("session_expired")));
    assert_eq!(expired.to_sql(&SqlOptions::default()).unwrap(), SqlFilter { sql: "FALSE".into(), params: vec![] });
    let early = engine.filter(&session(json!({"sub": "u", "nbf": 2_000_000_000})), "view", "task", &at()).unwrap();
    assert_eq!(early.reason(), Some("session_not_yet_valid"));
    let bad_seat = json!({"sub": "u", "org_id": "o", "org_metadata": {"isLicensed": "true"}});
    let invalid = engine.filter(&session(bad_seat), "view", "task", &at()).unwrap();
    assert_eq!(invalid.reason(), Some("invalid_claims"));
    let anonymous = engine.filter(&session(json!({})), "view", "task", &at()).unwrap();
    assert_eq!(anonymous.reason(), Some("no_matching_rule"));
    assert_eq!(
        anonymous.to_json(),
        json!({"kind": "never", "reason": "no_matching_rule", "resource_type": "task", "action": "view",
               "required": ["owner_id", "created_by_id"]})
    );

    let locked = Engine::from_policy_text(
        "resource doc { owner: string }\naction read on doc\npermit read on doc\n@id(\"freeze\") forbid read on doc when not claims.admin because \"frozen\"",
    )
    .unwrap();
    let f = locked.filter(&session(json!({"admin": false})), "read", "doc", &at()).unwrap();
    assert_eq!(f.reason(), Some("forbidden:frozen"));
    let f = locked.filter(&session(json!({"admin": "yes"})), "read", "doc", &at()).unwrap();
    assert_eq!(f.reason(), Some("forbid_errored"));
    let f = locked.filter(&session(json!({"admin": true})), "read", "doc", &at()).unwrap();
    assert_eq!(f.kind(), "always");
    assert_eq!(f.to_sql(&SqlOptions::default()).unwrap().sql, r#""owner" IS NOT NULL"#);
}

#[test]
fn always_without_required_attributes_is_true() {
    let engine =
        Engine::from_policy_text("resource doc { tag?: string }\naction read on doc\npermit read on doc").unwrap();
    let f = engine.filter(&session(json!({})), "read", "doc", &at()).unwrap();
    assert_eq!(f.kind(), "always");
    assert_eq!(f.to_sql(&SqlOptions::default()).unwrap().sql, "TRUE");
}

#[test]
fn errors_name_the_problem() {
    let engine = team_tasks();
    let s = session(json!({"sub": "u"}));
    let e = engine.filter(&s, "view", "project", &at()).unwrap_err();
    assert_eq!(
        (e.code(), e.to_string().as_str()),
        ("unknown_resource_type", "the policy declares no resource type `project`")
    );
    let e = engine.filter(&s, "archive", "task", &at()).unwrap_err();
    assert_eq!(e.code(), "unknown_action");
    let f = engine.filter(&s, "view", "task", &at()).unwrap();
    let opts = SqlOptions { columns: HashMap::from([("owner".to_string(), "x".to_string())]), first_param: 1 };
    let e = f.to_sql(&opts).unwrap_err();
    assert_eq!(e.code(), "invalid_option");
    assert_eq!(e.to_string(), "the column map names `owner`, which is not an attribute of `task`");

    let scoped = Engine::from_policy_text(
        "resource doc { scopes: string }\naction read on doc\n@id(\"by_scope\") permit read on doc when scopes(resource.scopes).contains(\"a\")",
    )
    .unwrap();
    let e = scoped.filter(&s, "read", "doc", &at()).unwrap_err();
    assert_eq!((e.code(), e.rule()), ("not_expressible", Some("by_scope")));
    assert_eq!(e.to_string(), "rule `by_scope` is not expressible in SQL: `scopes` of a value read from the row");
}

#[test]
fn mixed_lists_are_refused_only_where_order_matters() {
    let engine = Engine::from_policy_text(
        "resource doc { tags: [string] }\naction read on doc\n@id(\"any_tag\") permit read on doc when context.tags.contains_any(resource.tags)",
    )
    .unwrap();
    let s = session(json!({}));
    let with = |tags: serde_json::Value| {
        engine.filter(&s, "read", "doc", &at().with_context(Context::from_value(json!({"tags": tags})).unwrap()))
    };
    assert!(with(json!(["a", "b"])).is_ok());
    assert!(with(json!([1, "a"])).is_ok());
    let e = with(json!(["a", 1])).unwrap_err();
    assert_eq!((e.code(), e.rule()), ("not_expressible", Some("any_tag")));
}

#[test]
fn columns_and_parameter_numbers() {
    let engine = team_tasks();
    let f = engine.filter(&session(json!({"sub": "u1"})), "view", "task", &at()).unwrap();
    let opts =
        SqlOptions { columns: HashMap::from([("owner_id".to_string(), "t.Owner \"Id\"".to_string())]), first_param: 3 };
    let sql = f.to_sql(&opts).unwrap();
    assert_eq!(
        sql.sql,
        r#""t"."Owner ""Id""" IS NOT NULL AND "created_by_id" IS NOT NULL AND "t"."Owner ""Id""" = $3::text"#
    );
    assert_eq!(sql.params, vec![json!("u1")]);
}

#[test]
fn optional_attributes_and_lists_render_with_their_null_rules() {
    let engine = Engine::from_policy_text(
        r#"resource doc { owner: string, team?: string, tags: [string], level?: int }
           action read on doc
           permit read on doc when resource.team == "red" or resource.tags.contains_all(["a", "b"])
           forbid read on doc when resource.level > 3"#,
    )
    .unwrap();
    let f = engine.filter(&session(json!({})), "read", "doc", &at()).unwrap();
    let sql = f.to_sql(&SqlOptions::default()).unwrap();
    assert_eq!(
        sql.sql,
        concat!(
            r#""owner" IS NOT NULL AND "tags" IS NOT NULL"#,
            r#" AND (CASE WHEN array_ndims("tags") > 1 THEN FALSE ELSE array_position("tags", NULL) IS NULL END)"#,
            r#" AND NOT (("level" IS NOT NULL AND "level" > $1::bigint) OR "level" IS NULL)"#,
            // A missing `team` makes `==` an error, and an error on the left of `or` stops it.
            r#" AND (("team" IS NOT NULL AND "team" = $2::text) OR ("team" IS NOT NULL AND $3::text[] <@ "tags"))"#,
        )
    );
    assert_eq!(sql.params, vec![json!(3), json!("red"), json!(["a", "b"])]);
    let row = |v: serde_json::Value| Resource::from_value(v).unwrap();
    let no_team = row(json!({"type": "doc", "owner": "u", "tags": ["b", "a"], "level": 2}));
    assert!(!f.matches(&no_team));
    assert!(!engine.decide_with(&session(json!({})), "read", &no_team, &at()).allowed);
    assert!(f.matches(&row(json!({"type": "doc", "owner": "u", "team": "blue", "tags": ["b", "a"], "level": 2}))));
    assert!(!f.matches(&row(json!({"type": "doc", "owner": "u", "tags": ["b", "a"]}))), "a forbid that errors denies");
    assert!(!f.matches(&row(json!({"type": "doc", "owner": "u", "tags": ["a", null], "level": 1}))));
    assert!(!f.matches(&row(json!({"type": "task", "owner": "u", "tags": ["a", "b"], "level": 1}))));
}

#[test]
fn filters_are_shareable() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Filter>();
    assert_send_sync::<FilterError>();
}

#[test]
fn rls_for_team_tasks() {
    let engine = team_tasks();
    let mut opts = RlsOptions::new("task", "public.tasks");
    opts.role = Some("authenticated".into());
    let sql = row_level_security(&engine, &opts).unwrap();
    assert!(sql.contains("-- SELECT: view\n-- INSERT: create\n-- UPDATE: edit and complete\n-- DELETE: delete\n"));
    assert!(sql.contains("current_setting('request.jwt.claims', true)"));
    assert!(sql.contains(r#"ALTER TABLE "public"."tasks" ENABLE ROW LEVEL SECURITY;"#));
    for cmd in ["SELECT", "INSERT", "UPDATE", "DELETE"] {
        let name = format!(r#""ordinance_task_{}""#, cmd.to_lowercase());
        assert!(sql.contains(&format!("DROP POLICY IF EXISTS {name} ON \"public\".\"tasks\";")));
        assert!(sql.contains(&format!(
            "CREATE POLICY {name} ON \"public\".\"tasks\" AS PERMISSIVE FOR {cmd} TO \"authenticated\""
        )));
    }
    // The role table is compiled into each permission test.
    assert!(sql.contains(
        "(SELECT ordinance_org_permissions()) @> ARRAY['org:tasks:manage']::text[] OR (SELECT ordinance_org_claim('org_role')) IN ('org:admin', 'org:manager')"
    ));
    assert_eq!(sql.matches("WITH CHECK").count(), 2, "INSERT and UPDATE check the new row");

    opts.commands = vec![(SqlCommand::Select, vec!["view".into()])];
    let only_select = row_level_security(&engine, &opts).unwrap();
    assert!(!only_select.contains("FOR INSERT"));
    opts.commands = vec![(SqlCommand::Update, vec!["archive".into()])];
    assert_eq!(row_level_security(&engine, &opts).unwrap_err().code(), "unknown_action");
    let e = row_level_security(&engine, &RlsOptions::new("project", "projects")).unwrap_err();
    assert_eq!(e.code(), "unknown_resource_type");
}

#[test]
fn rls_quotes_policy_literals_and_refuses_run_time_lists() {
    let engine = Engine::from_policy_text(
        r#"resource doc { owner: string }
           action view on doc
           permit view on doc when resource.owner == "it's a \\ path""#,
    )
    .unwrap();
    let sql = row_level_security(&engine, &RlsOptions::new("doc", "docs")).unwrap();
    assert!(sql.contains(r#""owner" = E'it''s a \\ path'::text"#), "{sql}");

    let lists = Engine::from_policy_text(
        "resource doc { owner: string }\naction view on doc\n@id(\"friends\") permit view on doc when resource.owner in claims.friends",
    )
    .unwrap();
    let e = row_level_security(&lists, &RlsOptions::new("doc", "docs")).unwrap_err();
    assert_eq!((e.code(), e.rule()), ("not_expressible", Some("friends")));
    assert_eq!(
        e.to_string(),
        "rule `friends` is not expressible in row-level security: a list claim whose items are only known at run time"
    );
}
