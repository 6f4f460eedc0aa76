//! Acceptance of issue 8 ("List what a user may see"), written from the issue text, the
//! design brief and the seed guides rather than from the implementation: for every shipped
//! policy, every resource type and action, and the session kinds a team task app has
//! (manager, member, viewer, member without a seat, personal account, another
//! organization, anonymous, expired), the filter admits exactly the rows `decide` allows,
//! rows with `NULL`s and hostile ids included; parameters carry every value (quotes,
//! backslashes, `$1`, unicode never reach the SQL text); `first_param` numbers them and
//! rejects numbers PostgreSQL cannot bind; a construct that cannot render names its rule;
//! row-level security never allows a command that maps to no action.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use ordinance::*;
use serde_json::{json, Value};
use std::collections::HashMap;

const NOW: i64 = 1_721_770_150;

fn policy(file: &str) -> Engine {
    Engine::new(Policy::from_file(format!("{}/../policies/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap())
}

/// Ids a user or an organization may have, hostile ones included: they must only ever
/// travel as bind parameters.
const HOSTILE: [&str; 6] = ["o'brien", "back\\slash", "$1", "ünï😀", "x' OR '1'='1", "\"quoted\""];

/// The session kinds of the seed guides, by name (Clerk v1 claims).
fn sessions() -> Vec<(&'static str, Value)> {
    let org = |role: &str, seat: Option<bool>| {
        let mut c = json!({"sub": "user_bob", "sid": "sess_1", "org_id": "org_1", "org_slug": "acme", "org_role": role,
                           "exp": NOW + 600, "iat": NOW - 10});
        if let Some(seat) = seat {
            c["org_metadata"] = json!({"isLicensed": seat});
        }
        c
    };
    let mut out = vec![
        ("admin", org("org:admin", Some(true))),
        ("manager", org("org:manager", Some(true))),
        ("member", org("org:member", Some(true))),
        ("viewer", org("org:viewer", Some(true))),
        ("unlicensed member", org("org:member", Some(false))),
        ("member, no seat flag", org("org:member", None)),
        ("member by permission list", {
            let mut c = org("org:custom", Some(true));
            c["org_permissions"] = json!(["org:tasks:view", "org:tasks:edit", "org:sys_memberships:manage"]);
            c
        }),
        ("other organization", {
            let mut c = org("org:admin", Some(true));
            c["org_id"] = json!("org_2");
            c
        }),
        ("personal account", json!({"sub": "user_bob", "exp": NOW + 600})),
        ("anonymous", json!({})),
        ("expired", {
            let mut c = org("org:admin", Some(true));
            c["exp"] = json!(NOW - 3600);
            c
        }),
        ("not yet valid", json!({"sub": "user_bob", "nbf": NOW + 3600})),
        ("seat flag not a boolean", {
            let mut c = org("org:member", None);
            c["org_metadata"] = json!({"isLicensed": "true"});
            c
        }),
    ];
    for id in HOSTILE {
        out.push(("hostile user id", json!({"sub": id, "org_id": "org_1", "org_role": "org:member"})));
        out.push((
            "hostile org id",
            json!({"sub": "user_bob", "org_id": id, "org_role": "org:admin",
                                            "org_metadata": {"isLicensed": true}}),
        ));
    }
    out
}

/// Values a column of each declared type takes, `None` standing for SQL `NULL`.
fn column_values(ty: &str) -> Vec<Option<Value>> {
    let mut ids: Vec<Option<Value>> =
        ["user_bob", "user_ann", "org_1", "org_2", ""].iter().map(|s| Some(json!(s))).collect();
    ids.extend(HOSTILE.iter().map(|s| Some(json!(s))));
    ids.push(None);
    match ty {
        "string" => ids,
        "int" => vec![Some(json!(0)), Some(json!(1)), Some(json!(3)), Some(json!(-1)), Some(json!(i64::MAX)), None],
        "bool" => vec![Some(json!(true)), Some(json!(false)), None],
        _ => vec![Some(json!([])), Some(json!(["a"])), Some(json!(["a", "o'b"])), None],
    }
}

/// Rows over `attrs`: every attribute runs through its values while the others take
/// values by a cheap deterministic mix, so every value meets many others.
fn rows(attrs: &[(&str, &str)]) -> Vec<HashMap<String, Option<Value>>> {
    let values: Vec<Vec<Option<Value>>> = attrs.iter().map(|(_, ty)| column_values(ty)).collect();
    let mut out = Vec::new();
    for n in 0..400usize {
        let mut row = HashMap::new();
        for (i, (name, _)) in attrs.iter().enumerate() {
            let vs = &values[i];
            let k = (n / vs.len().pow(i as u32).max(1) + n * (i + 1) * 7) % vs.len();
            row.insert(name.to_string(), vs[k].clone());
        }
        out.push(row);
    }
    out
}

/// The resource `decide` sees for a row: `NULL` columns are left out, as a JSON row with
/// `null` values would read the same (an optional attribute that is `null` is absent).
fn resource(ty: &str, row: &HashMap<String, Option<Value>>, with_nulls: bool) -> Value {
    let mut doc = serde_json::Map::new();
    doc.insert("type".into(), json!(ty));
    doc.insert("id".into(), json!("42"));
    for (k, v) in row {
        match v {
            Some(v) => {
                doc.insert(k.clone(), v.clone());
            }
            None if with_nulls => {
                doc.insert(k.clone(), Value::Null);
            }
            None => {}
        }
    }
    Value::Object(doc)
}

/// A policy file, a resource type and its declared attributes (name, type).
type Shipped = (&'static str, &'static str, Vec<(&'static str, &'static str)>);

/// The attributes each shipped resource type declares (name, type), from the policies.
fn shipped() -> Vec<Shipped> {
    vec![
        ("team_tasks.ord", "task", vec![("owner_id", "string"), ("created_by_id", "string")]),
        (
            "licensing.ord",
            "seat",
            vec![("org_id", "string"), ("license_count", "int"), ("licensed_count", "int"), ("is_licensed", "bool")],
        ),
        ("rooms.ord", "room", vec![("owner_id", "string")]),
        ("calendar_scopes.ord", "calendar", vec![("owner_id", "string")]),
        ("authzen_todo.ord", "todo", vec![("ownerID", "string")]),
        ("authzen_todo.ord", "user", vec![]),
    ]
}

#[test]
fn every_shipped_policy_session_kind_and_action_filters_exactly_the_rows_decide_allows() {
    let mut checked = 0usize;
    let mut allowed = 0usize;
    let mut kinds: HashMap<String, usize> = HashMap::new();
    let contexts = [
        None,
        Some(json!({"approved_scopes": "https://www.googleapis.com/auth/calendar.readonly"})),
        Some(
            json!({"approved_scopes": "https://www.googleapis.com/auth/calendar.readonly https://www.googleapis.com/auth/calendar.events"}),
        ),
    ];
    let mut all_sessions = sessions();
    all_sessions.push(("authzen editor", json!({"sub": "u", "roles": ["editor"], "email": "o'brien"})));
    all_sessions.push(("authzen admin", json!({"sub": "u", "roles": ["admin"]})));
    for (file, ty, attrs) in shipped() {
        let engine = policy(file);
        let table = rows(&attrs);
        for action in engine.policy().actions(ty) {
            for (kind, claims) in &all_sessions {
                for context in &contexts {
                    let session = Session::from_claims(claims.clone()).unwrap();
                    let mut opts = Options::default().at(NOW);
                    if let Some(c) = context {
                        opts = opts.with_context(Context::from_value(c.clone()).unwrap());
                    }
                    let filter = engine.filter(&session, action, ty, &opts).unwrap();
                    *kinds.entry(filter.kind().to_string()).or_default() += 1;
                    for row in &table {
                        for with_nulls in [false, true] {
                            let doc = resource(ty, row, with_nulls);
                            let d =
                                engine.decide_value(claims.clone(), action, doc.clone(), context.clone(), Some(NOW));
                            let r = Resource::from_value(doc.clone()).unwrap();
                            assert_eq!(
                                filter.matches(&r),
                                d.allowed,
                                "{file} {action} for {kind} {claims} {context:?} on {doc}: decide {}",
                                d.to_json()
                            );
                            checked += 1;
                            allowed += d.allowed as usize;
                        }
                    }
                    if filter.kind() == "never" {
                        assert!(filter.reason().is_some(), "{file} {action} {kind}");
                    }
                }
            }
        }
    }
    // The run proves something only if it saw allows, denies and every kind.
    assert!(allowed > 10_000 && allowed < checked - 10_000, "{allowed} of {checked}");
    for k in ["always", "never", "condition"] {
        assert!(kinds.get(k).copied().unwrap_or(0) > 0, "no `{k}` filter in {kinds:?}");
    }
}

#[test]
fn team_task_session_kinds_have_the_expected_kinds_and_reasons() {
    let engine = policy("team_tasks.ord");
    let by_name: HashMap<&str, Value> = sessions().into_iter().collect();
    let f = |kind: &str, action: &str| {
        engine.filter(
            &Session::from_claims(by_name[kind].clone()).unwrap(),
            action,
            "task",
            &Options::default().at(NOW),
        )
    };
    assert_eq!(f("anonymous", "view").unwrap().reason(), Some("no_matching_rule"));
    assert_eq!(f("expired", "view").unwrap().reason(), Some("session_expired"));
    assert_eq!(f("not yet valid", "view").unwrap().reason(), Some("session_not_yet_valid"));
    assert_eq!(f("seat flag not a boolean", "view").unwrap().reason(), Some("invalid_claims"));
    for kind in ["manager", "member", "viewer", "unlicensed member", "personal account"] {
        let filter = f(kind, "view").unwrap();
        assert_eq!(filter.kind(), "condition", "{kind}");
        assert!(filter.reason().is_none());
        let sql = filter.to_sql(&SqlOptions::default()).unwrap();
        // The user's own tasks are always among the rows: the user id is a parameter.
        assert!(sql.params.contains(&json!("user_bob")), "{kind}: {sql:?}");
        assert_eq!(sql.params.contains(&json!("org_1")), kind != "personal account", "{kind}: {sql:?}");
    }
    // `never` renders FALSE with no parameters whatever the options.
    let never = f("anonymous", "delete").unwrap();
    let sql = never.to_sql(&SqlOptions { first_param: 7, ..SqlOptions::default() }).unwrap();
    assert_eq!((sql.sql.as_str(), sql.params.len()), ("FALSE", 0));
    // `always`: a policy that permits everything renders the validity checks only.
    let open = Engine::from_policy_text(
        "resource doc { owner: string, note?: string }\naction read on doc\npermit read on doc",
    )
    .unwrap();
    let always = open.filter(&Session::from_claims(json!({})).unwrap(), "read", "doc", &Options::default()).unwrap();
    assert_eq!(always.kind(), "always");
    assert_eq!(always.to_sql(&SqlOptions::default()).unwrap().sql, r#""owner" IS NOT NULL"#);
    assert_eq!(always.to_json()["kind"], "always");
    // Unknown names are errors, not `never`.
    assert_eq!(f("member", "fly").unwrap_err().code(), "unknown_action");
    let s = Session::from_claims(json!({"sub": "u"})).unwrap();
    assert_eq!(engine.filter(&s, "view", "tasks", &Options::default()).unwrap_err().code(), "unknown_resource_type");
}

#[test]
fn hostile_ids_only_ever_travel_as_parameters() {
    let engine = policy("team_tasks.ord");
    for id in HOSTILE {
        for claims in [
            json!({"sub": id, "org_id": id, "org_role": "org:member", "org_metadata": {"isLicensed": true}}),
            json!({"sub": id}),
        ] {
            let s = Session::from_claims(claims).unwrap();
            for action in ["view", "create", "edit", "complete", "delete"] {
                let sql = engine.filter(&s, action, "task", &Options::default().at(NOW)).unwrap();
                let sql = sql.to_sql(&SqlOptions::default()).unwrap();
                if id != "$1" {
                    // (`$1` is also the placeholder itself.)
                    assert!(!sql.sql.contains(id), "{id} in {}", sql.sql);
                }
                assert!(sql.params.contains(&json!(id)), "{id} not a parameter of {sql:?}");
                // Only `$n::type` placeholders and quoted identifiers: no string literal.
                assert!(!sql.sql.contains('\''), "{}", sql.sql);
            }
        }
    }
}

#[test]
fn column_maps_rename_quote_and_reject_unknown_attributes() {
    let engine = policy("team_tasks.ord");
    let s = Session::from_claims(json!({"sub": "user_bob"})).unwrap();
    let f = engine.filter(&s, "view", "task", &Options::default().at(NOW)).unwrap();
    let mut columns = HashMap::new();
    columns.insert("owner_id".to_string(), "t.Owner".to_string());
    columns.insert("created_by_id".to_string(), "by\"who".to_string());
    let sql = f.to_sql(&SqlOptions { columns: columns.clone(), first_param: 1 }).unwrap();
    assert_eq!(sql.sql, r#""t"."Owner" IS NOT NULL AND "by""who" IS NOT NULL AND "t"."Owner" = $1::text"#);
    columns.insert("nope".into(), "x".into());
    let err = f.to_sql(&SqlOptions { columns, first_param: 1 }).unwrap_err();
    assert_eq!(err.code(), "invalid_option");
    assert!(err.to_string().contains("`nope`"), "{err}");
}

#[test]
fn first_param_numbers_the_parameters_and_rejects_what_postgresql_cannot_bind() {
    let engine = policy("team_tasks.ord");
    let s = Session::from_claims(json!({"sub": "user_bob", "org_id": "org_1", "org_role": "org:member",
                                        "org_metadata": {"isLicensed": true}}))
    .unwrap();
    let f = engine.filter(&s, "edit", "task", &Options::default().at(NOW)).unwrap();
    let at = |first_param: usize| f.to_sql(&SqlOptions { first_param, ..SqlOptions::default() });
    let one = at(1).unwrap();
    assert_eq!(one.params.len(), 2);
    assert!(one.sql.contains("$1::text") && one.sql.contains("$2::text"), "{}", one.sql);
    let three = at(3).unwrap();
    assert_eq!(three.sql, one.sql.replace("$2", "$4").replace("$1", "$3"));
    assert_eq!(three.params, one.params);
    // `$0` does not exist in PostgreSQL, and parameters end at `$65535`.
    for bad in [0, 65_535, 65_536, usize::MAX] {
        let err = at(bad).unwrap_err();
        assert_eq!(err.code(), "invalid_option", "{bad}");
        assert!(err.rule().is_none());
    }
    assert!(at(65_534).unwrap().sql.contains("$65535::text"));
}

#[test]
fn constructs_sql_cannot_express_are_errors_naming_the_rule() {
    let engine = Engine::from_policy_text(
        r#"
        resource doc { scopes_text: string, owner: string }
        action read on doc
        @id("by_owner") permit read on doc when resource.owner == user.id
        @id("scoped") permit read on doc when scopes(resource.scopes_text).contains("read")
        "#,
    )
    .unwrap();
    let s = Session::from_claims(json!({"sub": "u"})).unwrap();
    let err = engine.filter(&s, "read", "doc", &Options::default()).unwrap_err();
    assert_eq!(err.code(), "not_expressible");
    assert_eq!(err.rule(), Some("scoped"));
    assert!(err.to_string().contains("`scoped`") && err.to_string().contains("SQL"), "{err}");
}

/// The statements `row_level_security` prints for one command, `None` when it has no
/// `CREATE POLICY`.
fn policy_for<'a>(sql: &'a str, command: &str) -> Option<&'a str> {
    let start = sql.find(&format!("AS PERMISSIVE FOR {command}"))?;
    let end = sql[start..].find(";\n").map(|e| start + e).unwrap_or(sql.len());
    Some(&sql[start..end])
}

#[test]
fn rls_never_allows_a_command_whose_action_list_is_empty() {
    let engine = policy("team_tasks.ord");
    let mut opts = RlsOptions::new("task", "tasks");
    opts.commands = vec![(SqlCommand::Select, vec!["view".into()]), (SqlCommand::Delete, vec![])];
    let sql = row_level_security(&engine, &opts).unwrap();
    assert!(policy_for(&sql, "SELECT").is_some(), "{sql}");
    // An empty list is no action: no policy (PostgreSQL refuses the command), and a DELETE
    // policy left by an earlier run is dropped. Never a policy that every row passes.
    assert!(policy_for(&sql, "DELETE").is_none(), "{sql}");
    for cmd in ["insert", "update", "delete"] {
        assert!(sql.contains(&format!("DROP POLICY IF EXISTS \"ordinance_task_{cmd}\" ON \"tasks\";")), "{cmd}: {sql}");
        assert!(!sql.contains(&format!("CREATE POLICY \"ordinance_task_{cmd}\"")), "{cmd}");
    }
}

#[test]
fn rls_command_listed_twice_requires_the_actions_of_both() {
    let engine = policy("team_tasks.ord");
    let mut twice = RlsOptions::new("task", "tasks");
    twice.commands = vec![(SqlCommand::Update, vec!["edit".into()]), (SqlCommand::Update, vec!["complete".into()])];
    let mut once = RlsOptions::new("task", "tasks");
    once.commands = vec![(SqlCommand::Update, vec!["edit".into(), "complete".into()])];
    let (twice, once) = (row_level_security(&engine, &twice).unwrap(), row_level_security(&engine, &once).unwrap());
    assert_eq!(twice, once);
    assert_eq!(twice.matches("CREATE POLICY").count(), 1);
}

#[test]
fn rls_role_public_is_the_keyword_in_any_case() {
    let engine = policy("team_tasks.ord");
    for role in ["PUBLIC", "public", "Public"] {
        let mut opts = RlsOptions::new("task", "tasks");
        opts.role = Some(role.into());
        let sql = row_level_security(&engine, &opts).unwrap();
        assert_eq!(sql.matches("FOR SELECT TO PUBLIC\n").count(), 1, "{role}: {sql}");
    }
    let mut opts = RlsOptions::new("task", "tasks");
    opts.role = Some("Authenticated".into());
    assert!(row_level_security(&engine, &opts).unwrap().contains(r#"FOR SELECT TO "Authenticated""#));
}

#[test]
fn names_with_line_breaks_are_refused_or_kept_inside_their_comment() {
    let text = "resource task { owner_id: string }\naction view on task\npermit view on task when resource.owner_id == user.id";
    let engine = Engine::new(Policy::parse_named("p.ord\nDROP TABLE users; --", text).unwrap());
    let sql = row_level_security(&engine, &RlsOptions::new("task", "tasks")).unwrap();
    assert!(sql.lines().all(|l| !l.starts_with("DROP TABLE")), "{sql}");
    assert!(sql.contains("from p.ord DROP TABLE users; --."), "{sql}");
    // A table, role or column with a control character is no identifier anyone means.
    let mut opts = RlsOptions::new("task", "tasks\nDROP TABLE accounts; --");
    let err = row_level_security(&engine, &opts).unwrap_err();
    assert_eq!(err.code(), "invalid_option");
    // The name is shown escaped, the line break as `\n`.
    assert!(err.to_string().contains("`tasks\\nDROP TABLE accounts; --` is not a valid SQL identifier"), "{err}");
    opts.table = "tasks".into();
    opts.role = Some("r\rx".into());
    assert_eq!(row_level_security(&engine, &opts).unwrap_err().code(), "invalid_option");
    let s = Session::from_claims(json!({"sub": "u"})).unwrap();
    let f = engine.filter(&s, "view", "task", &Options::default()).unwrap();
    let mut columns = HashMap::new();
    columns.insert("owner_id".to_string(), "owner\u{7f}".to_string());
    assert_eq!(f.to_sql(&SqlOptions { columns, first_param: 1 }).unwrap_err().code(), "invalid_option");
}
