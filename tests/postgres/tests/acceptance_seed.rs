//! Acceptance of issue 8 on a real PostgreSQL, the way the seed guides' apps would use it:
//! the team task manager's `tasks` table exactly as its guide creates it (`id serial`,
//! columns the policy does not declare, `NOT NULL` columns), the session kinds of the guides
//! (manager, member, viewer, member without a seat, personal account, another organization,
//! anonymous, expired; Supabase-style extra claims `role` and `aud`), and hostile ids
//! (quotes, backslashes, `$1`, unicode) in both the rows and the claims.
//!
//! - `WHERE` filters, appended after a condition that already binds `$1` (`first_param` 2):
//!   the rows returned are exactly the rows `decide` allows, for every action.
//! - Row-level security from `row_level_security`, for a non-superuser role with
//!   `SET request.jwt.claims` as PostgREST sets it: SELECT, INSERT, UPDATE and DELETE touch
//!   exactly the rows `decide` allows; regenerating with fewer commands leaves none of the
//!   old policies behind.
//! - A table with optional `integer`, `boolean`, `varchar` and `text[]` columns full of
//!   `NULL`s: the `WHERE` filter equals `decide`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use ordinance::{row_level_security, Engine, Options, Policy, RlsOptions, Session, SqlCommand, SqlOptions};
use ordinance_postgres_tests::*;
use postgres::error::SqlState;
use postgres::types::ToSql;
use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

const HOSTILE: [&str; 5] = ["o'brien", "back\\slash", "$1", "ünï😀", "x' OR '1'='1"];

/// The team task manager guide's table, verbatim.
const SEED_TABLE: &str = "create table tasks (
  id serial primary key,
  name text not null,
  description text,
  is_done boolean not null default false,
  owner_id text not null,
  created_on timestamp not null default now(),
  created_by_id text not null
)";

fn team_tasks() -> Engine {
    Engine::new(Policy::from_file(format!("{}/../../policies/team_tasks.ord", env!("CARGO_MANIFEST_DIR"))).unwrap())
}

/// The guides' session kinds as Clerk v1 claims, valid at `now` unless named otherwise.
fn sessions(now: i64) -> Vec<(String, Value)> {
    let org = |role: &str, seat: Option<bool>| {
        let mut c = json!({"sub": "user_bob", "sid": "sess_1", "org_id": "org_1", "org_slug": "acme", "org_role": role,
                           "exp": now + 600, "iat": now - 10, "role": "authenticated", "aud": "authenticated"});
        if let Some(seat) = seat {
            c["org_metadata"] = json!({"isLicensed": seat});
        }
        c
    };
    let mut out = vec![
        ("manager".to_string(), org("org:manager", Some(true))),
        ("admin".into(), org("org:admin", Some(true))),
        ("member".into(), org("org:member", Some(true))),
        ("viewer".into(), org("org:viewer", Some(true))),
        ("unlicensed member".into(), org("org:member", Some(false))),
        ("member without a seat flag".into(), org("org:member", None)),
        ("other organization".into(), {
            let mut c = org("org:manager", Some(true));
            c["org_id"] = json!("org_2");
            c
        }),
        ("personal account".into(), json!({"sub": "user_bob", "exp": now + 600, "role": "authenticated"})),
        ("anonymous".into(), json!({})),
        ("expired".into(), {
            let mut c = org("org:manager", Some(true));
            c["exp"] = json!(now - 3600);
            c
        }),
    ];
    for id in HOSTILE {
        out.push((
            format!("user {id}"),
            json!({"sub": id, "org_id": "org_1", "org_role": "org:member",
                                               "org_metadata": {"isLicensed": true}}),
        ));
        out.push((
            format!("org {id}"),
            json!({"sub": "user_bob", "org_id": id, "org_role": "org:manager",
                                              "org_metadata": {"isLicensed": true}}),
        ));
    }
    out
}

/// Owner and creator ids the rows take.
fn ids_in_rows() -> Vec<&'static str> {
    let mut v = vec!["user_bob", "user_ann", "org_1", "org_2"];
    v.extend(HOSTILE);
    v
}

/// The task `decide` sees for a row of the seed table (see [`row_resource_of`]).
fn row_resource(row: &Value) -> Value {
    row_resource_of("task", row)
}

/// The resource of type `type_name` that `decide` sees for a row read with `to_jsonb`:
/// every column, the serial id as text (the resource id is a string).
fn row_resource_of(type_name: &str, row: &Value) -> Value {
    let mut doc = row.as_object().cloned().unwrap();
    doc.insert("type".into(), json!(type_name));
    let id = doc["id"].as_i64().unwrap();
    doc.insert("id".into(), json!(id.to_string()));
    Value::Object(doc)
}

/// The rows a `SELECT to_jsonb(t) ...` query returns, each as JSON.
fn json_rows(client: &mut Client, select: &str) -> Vec<Value> {
    client.query(select, &[]).unwrap().iter().map(|r| r.get::<_, Value>(0)).collect()
}

fn query_ids(client: &mut impl postgres::GenericClient, sql: &str, params: &[Value]) -> Vec<i64> {
    let boxed: Vec<Box<dyn ToSql + Sync>> = params.iter().map(bind).collect();
    let refs: Vec<&(dyn ToSql + Sync)> = boxed.iter().map(|b| b.as_ref()).collect();
    client
        .query(sql, &refs)
        .unwrap_or_else(|e| panic!("{e}\n{sql}\n{params:?}"))
        .iter()
        .map(|r| r.get::<_, i64>(0))
        .collect()
}

/// A seed table filled with every (owner, creator) pair, some tasks done.
fn seed_table(client: &mut Client) -> Vec<Value> {
    client.batch_execute(SEED_TABLE).unwrap();
    let insert = client
        .prepare("insert into tasks (name, description, is_done, owner_id, created_by_id) values ($1, $2, $3, $4, $5)")
        .unwrap();
    let mut n = 0;
    for owner in ids_in_rows() {
        for by in ids_in_rows() {
            n += 1;
            let description: Option<String> = (n % 3 == 0).then(|| format!("task {n}"));
            client.execute(&insert, &[&format!("task {n}"), &description, &(n % 4 == 0), &owner, &by]).unwrap();
        }
    }
    json_rows(client, "SELECT to_jsonb(t) FROM tasks t ORDER BY id")
}

#[test]
fn seed_task_table_where_filters_agree_with_decide_for_every_session_kind() {
    let Some(mut client) = connect("seed_task_table_where_filters_agree_with_decide_for_every_session_kind") else {
        return;
    };
    fresh_schema(&mut client, "accept_where");
    let rows = seed_table(&mut client);
    let engine = team_tasks();
    let now = now();
    let (mut checks, mut allowed) = (0, 0);
    for (kind, claims) in sessions(now) {
        let session = Session::from_claims(claims.clone()).unwrap();
        for action in ["view", "create", "edit", "complete", "delete"] {
            let filter = engine.filter(&session, action, "task", &Options::default().at(now)).unwrap();
            let sql = filter.to_sql(&SqlOptions { first_param: 2, ..SqlOptions::default() }).unwrap();
            // The app's own condition binds $1; the filter's parameters follow.
            let query = format!("SELECT id::bigint FROM tasks WHERE name <> $1 AND {} ORDER BY id", sql.sql);
            let mut params = vec![json!("no such name")];
            params.extend(sql.params.iter().cloned());
            let got = query_ids(&mut client, &query, &params);
            let want: Vec<i64> = rows
                .iter()
                .filter(|r| engine.decide_value(claims.clone(), action, row_resource(r), None, Some(now)).allowed)
                .map(|r| r["id"].as_i64().unwrap())
                .collect();
            assert_eq!(got, want, "{kind} {action}: {query} {params:?}");
            // The in-memory filter says the same.
            let in_memory: Vec<i64> = rows
                .iter()
                .filter(|r| filter.matches(&ordinance::Resource::from_value(row_resource(r)).unwrap()))
                .map(|r| r["id"].as_i64().unwrap())
                .collect();
            assert_eq!(in_memory, want, "{kind} {action}");
            checks += rows.len();
            allowed += want.len();
        }
    }
    assert!(allowed > 300 && allowed * 2 < checks, "{allowed} of {checks}");
}

fn as_role(tx: &mut postgres::Transaction, role: &str, claims: &Value) {
    tx.batch_execute(&format!("SET LOCAL ROLE {role}")).unwrap();
    tx.execute("SELECT set_config('request.jwt.claims', $1, true)", &[&claims.to_string()]).unwrap();
}

fn create_role(client: &mut Client, role: &str) {
    client
        .batch_execute(&format!(
            "DO $$ BEGIN CREATE ROLE {role} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;"
        ))
        .unwrap();
}

#[test]
fn seed_task_table_row_level_security_agrees_with_decide_for_every_session_kind() {
    let Some(mut client) = connect("seed_task_table_row_level_security_agrees_with_decide_for_every_session_kind")
    else {
        return;
    };
    fresh_schema(&mut client, "accept_rls");
    let role = "accept_rls_authenticated";
    create_role(&mut client, role);
    let rows = seed_table(&mut client);
    let engine = team_tasks();
    let mut opts = RlsOptions::new("task", "accept_rls.tasks");
    opts.role = Some(role.into());
    let ddl = row_level_security(&engine, &opts).unwrap();
    client.batch_execute(&ddl).unwrap_or_else(|e| panic!("{e}\n{ddl}"));
    client
        .batch_execute(&format!(
            "GRANT USAGE ON SCHEMA accept_rls TO {role};
             GRANT SELECT, INSERT, UPDATE, DELETE ON tasks TO {role};
             GRANT USAGE ON SEQUENCE tasks_id_seq TO {role};"
        ))
        .unwrap();
    let all: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    let now = now();
    let may =
        |claims: &Value, action: &str, doc: Value| engine.decide_value(claims.clone(), action, doc, None, Some(now));
    let (mut checks, mut allowed) = (0, 0);
    for (kind, claims) in sessions(now) {
        let want = |actions: &[&str]| -> Vec<i64> {
            rows.iter()
                .filter(|r| actions.iter().all(|a| may(&claims, a, row_resource(r)).allowed))
                .map(|r| r["id"].as_i64().unwrap())
                .collect()
        };
        // SELECT
        let mut tx = client.transaction().unwrap();
        as_role(&mut tx, role, &claims);
        let seen = query_ids(&mut tx, "SELECT id::bigint FROM tasks ORDER BY id", &[]);
        tx.rollback().unwrap();
        let want_view = want(&["view"]);
        assert_eq!(seen, want_view, "{kind}: SELECT");
        // UPDATE (edit and complete): a constant SET, so the SELECT policy does not apply.
        let mut tx = client.transaction().unwrap();
        tx.execute("UPDATE tasks SET is_done = false", &[]).unwrap();
        as_role(&mut tx, role, &claims);
        tx.execute("UPDATE tasks SET is_done = true", &[]).unwrap();
        tx.batch_execute("RESET ROLE").unwrap();
        let updated = query_ids(&mut tx, "SELECT id::bigint FROM tasks WHERE is_done ORDER BY id", &[]);
        tx.rollback().unwrap();
        assert_eq!(updated, want(&["edit", "complete"]), "{kind}: UPDATE");
        // DELETE
        let mut tx = client.transaction().unwrap();
        as_role(&mut tx, role, &claims);
        tx.execute("DELETE FROM tasks", &[]).unwrap();
        tx.batch_execute("RESET ROLE").unwrap();
        let left = query_ids(&mut tx, "SELECT id::bigint FROM tasks ORDER BY id", &[]);
        tx.rollback().unwrap();
        let deleted: Vec<i64> = all.iter().copied().filter(|id| !left.contains(id)).collect();
        assert_eq!(deleted, want(&["delete"]), "{kind}: DELETE");
        // UPDATE that moves a task to another owner, by id as the guide's app does: the old
        // row must be visible (the WHERE reads it) and editable, and the new row editable.
        for row in rows.iter().step_by(7) {
            let id = row["id"].as_i64().unwrap() as i32;
            for owner in ["user_bob", "org_1", "org_2", "$1"] {
                let mut moved = row_resource(row);
                moved["owner_id"] = json!(owner);
                let old_ok = ["view", "edit", "complete"].iter().all(|a| may(&claims, a, row_resource(row)).allowed);
                let new_ok = ["edit", "complete"].iter().all(|a| may(&claims, a, moved.clone()).allowed);
                let mut tx = client.transaction().unwrap();
                as_role(&mut tx, role, &claims);
                let got = tx.execute("UPDATE tasks SET owner_id = $1 WHERE id = $2", &[&owner, &id]);
                match (old_ok, new_ok, got) {
                    (false, _, Ok(0)) | (true, true, Ok(1)) => {}
                    (true, false, Err(e)) if e.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) => {}
                    other => panic!("{kind}: moving {row} to {owner}: {other:?}"),
                }
                tx.rollback().unwrap();
                checks += 1;
            }
        }
        // INSERT, as the guide's app does it: name, owner and creator.
        let mut tx = client.transaction().unwrap();
        as_role(&mut tx, role, &claims);
        for owner in ids_in_rows() {
            for by in ["user_bob", "user_ann", "$1"] {
                let doc = json!({"type": "task", "owner_id": owner, "created_by_id": by, "name": "new",
                                 "is_done": false, "description": null});
                let expected = may(&claims, "create", doc).allowed;
                let mut sp = tx.savepoint("row").unwrap();
                let got = match sp
                    .execute("INSERT INTO tasks (name, owner_id, created_by_id) VALUES ('new', $1, $2)", &[&owner, &by])
                {
                    Ok(1) => true,
                    Err(e) if e.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) => false,
                    other => panic!("{kind}: {other:?}"),
                };
                sp.rollback().unwrap();
                assert_eq!(got, expected, "{kind}: INSERT owner {owner} by {by}");
                allowed += expected as usize;
                checks += 1;
            }
        }
        tx.rollback().unwrap();
        checks += 4 * rows.len();
        allowed += want_view.len();
    }
    assert!(allowed > 200, "{allowed} of {checks}");
}

#[test]
fn regenerating_row_level_security_with_fewer_commands_drops_the_old_policies() {
    let Some(mut client) = connect("regenerating_row_level_security_with_fewer_commands_drops_the_old_policies") else {
        return;
    };
    fresh_schema(&mut client, "accept_regen");
    let role = "accept_regen_authenticated";
    create_role(&mut client, role);
    seed_table(&mut client);
    client
        .batch_execute(&format!(
            "GRANT USAGE ON SCHEMA accept_regen TO {role}; GRANT SELECT, INSERT, UPDATE, DELETE ON tasks TO {role};"
        ))
        .unwrap();
    let engine = team_tasks();
    let mut opts = RlsOptions::new("task", "tasks");
    opts.role = Some(role.into());
    client.batch_execute(&row_level_security(&engine, &opts).unwrap()).unwrap();
    // Later the app decides deleting goes through an admin tool only: SELECT and UPDATE
    // stay, DELETE maps to no action.
    opts.commands = vec![
        (SqlCommand::Select, vec!["view".into()]),
        (SqlCommand::Update, vec!["edit".into(), "complete".into()]),
        (SqlCommand::Delete, vec![]),
    ];
    client.batch_execute(&row_level_security(&engine, &opts).unwrap()).unwrap();
    let manager = json!({"sub": "user_bob", "org_id": "org_1", "org_role": "org:admin",
                         "org_metadata": {"isLicensed": true}});
    let mut tx = client.transaction().unwrap();
    as_role(&mut tx, role, &manager);
    assert!(!query_ids(&mut tx, "SELECT id::bigint FROM tasks", &[]).is_empty());
    assert_eq!(tx.execute("DELETE FROM tasks", &[]).unwrap(), 0, "a stale DELETE policy survived");
    let inserted =
        tx.execute("INSERT INTO tasks (name, owner_id, created_by_id) VALUES ('n', 'user_bob', 'user_bob')", &[]);
    assert_eq!(inserted.unwrap_err().code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE));
    tx.rollback().unwrap();
    let policies: Vec<String> = client
        .query("SELECT policyname::text FROM pg_policies WHERE schemaname = 'accept_regen' ORDER BY 1", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(policies, ["ordinance_task_select", "ordinance_task_update"]);
}

#[test]
fn nullable_int_bool_varchar_and_list_columns_filter_as_decide_decides() {
    let Some(mut client) = connect("nullable_int_bool_varchar_and_list_columns_filter_as_decide_decides") else {
        return;
    };
    fresh_schema(&mut client, "accept_nulls");
    client
        .batch_execute(
            "CREATE TABLE docs (id serial PRIMARY KEY, owner varchar(40) NOT NULL, team varchar(20),
                                level integer, rank smallint, public boolean, tags text[], note text)",
        )
        .unwrap();
    let engine = Engine::from_policy_text(
        r#"
        resource doc { owner: string, team?: string, level?: int, rank?: int, public?: bool, tags?: [string] }
        action read, write on doc
        @id("own") permit read, write on doc when resource.owner == user.id
        @id("team") permit read on doc when org and resource.team == org.id and resource.level <= claims.clearance
        @id("public") permit read on doc when resource.public and not ("secret" in resource.tags)
        @id("ranked") permit write on doc when resource.rank > 2 or resource.tags.contains(user.id)
        @id("frozen") forbid write on doc when resource.level >= 9 because "frozen"
        "#,
    )
    .unwrap();
    let insert = client
        .prepare("INSERT INTO docs (owner, team, level, rank, public, tags) VALUES ($1, $2, $3, $4, $5, $6)")
        .unwrap();
    let owners = ["u1", "o'brien", "$1"];
    let teams = [None, Some("org_1"), Some("org_2")];
    let levels = [None, Some(0), Some(5), Some(9)];
    let ranks: [Option<i16>; 3] = [None, Some(1), Some(3)];
    let publics = [None, Some(true), Some(false)];
    let tags: [Option<Vec<String>>; 4] =
        [None, Some(vec![]), Some(vec!["secret".into()]), Some(vec!["a".into(), "o'brien".into()])];
    let mut n = 0usize;
    for owner in owners {
        for team in teams {
            for level in levels {
                for rank in ranks {
                    let public = publics[n % 3];
                    let tag = &tags[(n / 3) % 4];
                    client.execute(&insert, &[&owner, &team, &level, &rank, &public, tag]).unwrap();
                    n += 1;
                }
            }
        }
    }
    let rows = json_rows(&mut client, "SELECT to_jsonb(t) FROM docs t ORDER BY id");
    let resource = |row: &Value| row_resource_of("doc", row);
    let claims_list = [
        json!({"sub": "u1"}),
        json!({"sub": "o'brien", "org_id": "org_1", "clearance": 5}),
        json!({"sub": "$1", "org_id": "org_1", "clearance": "5"}),
        json!({"sub": "x", "org_id": "org_2"}),
        json!({}),
    ];
    let mut allowed = 0;
    for claims in &claims_list {
        let session = Session::from_claims(claims.clone()).unwrap();
        for action in ["read", "write"] {
            let filter = engine.filter(&session, action, "doc", &Options::default()).unwrap();
            let sql = filter.to_sql(&SqlOptions::default()).unwrap();
            let got = query_ids(
                &mut client,
                &format!("SELECT id::bigint FROM docs WHERE {} ORDER BY id", sql.sql),
                &sql.params,
            );
            let want: Vec<i64> = rows
                .iter()
                .filter(|r| engine.decide_value(claims.clone(), action, resource(r), None, None).allowed)
                .map(|r| r["id"].as_i64().unwrap())
                .collect();
            assert_eq!(got, want, "{claims} {action}: {sql:?}");
            allowed += want.len();
        }
    }
    assert!(allowed > 50, "{allowed}");
}

/// Operators between two row values, list inequality, integer lists, `resource.id` and
/// `resource.type`, and unicode suffixes: each either renders exactly or is refused.
#[test]
fn row_to_row_operators_and_unicode_render_exactly_or_not_at_all() {
    let Some(mut client) = connect("row_to_row_operators_and_unicode_render_exactly_or_not_at_all") else {
        return;
    };
    fresh_schema(&mut client, "accept_ops");
    client
        .batch_execute(
            "CREATE TABLE things (id text PRIMARY KEY, a text NOT NULL, b text, n integer, m bigint,
                                  f boolean, g boolean, tags text[], labels text[])",
        )
        .unwrap();
    let rules = [
        ("ne_list", r#"resource.tags != ["a", "b"]"#),
        ("eq_lists", "resource.tags == resource.labels"),
        ("ne_bools", "resource.f != resource.g"),
        ("contains_row", "resource.a.contains(resource.b)"),
        ("ends_row", "resource.a.ends_with(resource.b)"),
        ("starts_claim", "resource.a.starts_with(claims.p)"),
        ("ends_claim", "resource.a.ends_with(claims.p)"),
        ("subset_rows", "resource.tags.contains_all(resource.labels)"),
        ("overlap_rows", "resource.labels.contains_any(resource.tags)"),
        ("int_list", "resource.n in [1, 2, claims.k]"),
        ("int_claims", "resource.m in claims.ks"),
        ("lt_rows", "resource.n < resource.m"),
        ("id_prefix", r#"resource.id.starts_with("t1")"#),
        ("type_is", r#"resource.type == "thing" and resource.b == user.id"#),
        ("not_present", "not present(resource.b) and not resource.f"),
        ("in_tags", "user.id in resource.tags"),
        ("eq_claim_list", "resource.labels == claims.ls"),
    ];
    let values_a = ["", "a", "ab", "é", "e\u{301}", "x😀", "o'b", "a\\b", "$1"];
    let values_b = [None, Some(""), Some("a"), Some("b"), Some("\u{301}"), Some("😀"), Some("u1")];
    let lists: [Option<Vec<&str>>; 5] =
        [None, Some(vec![]), Some(vec!["a", "b"]), Some(vec!["b", "a"]), Some(vec!["u1"])];
    let mut n = 0usize;
    let insert = client.prepare("INSERT INTO things VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)").unwrap();
    for a in values_a {
        for b in values_b {
            for k in 0..6usize {
                let nv: Option<i32> = [None, Some(1), Some(2), Some(3)][(n + k) % 4];
                let mv: Option<i64> = [None, Some(2), Some(3)][(n / 2 + k) % 3];
                let f: Option<bool> = [None, Some(true), Some(false)][(n + 2 * k) % 3];
                let g: Option<bool> = [None, Some(true), Some(false)][(n / 3 + k) % 3];
                let tags = &lists[(n + k) % 5];
                let labels = &lists[(n / 5 + 2 * k) % 5];
                client.execute(&insert, &[&format!("t{n}"), &a, &b, &nv, &mv, &f, &g, tags, labels]).unwrap();
                n += 1;
            }
        }
    }
    let rows = json_rows(&mut client, "SELECT to_jsonb(t) FROM things t ORDER BY id");
    let claims_list = [
        json!({"sub": "u1", "p": "a", "k": 3, "ks": [2, 3], "ls": ["a", "b"]}),
        json!({"sub": "a", "p": "😀", "k": "3", "ks": [2, "x"], "ls": []}),
        json!({"sub": "u1", "p": "\u{301}", "ks": ["x", 2], "ls": ["a", 1]}),
        json!({}),
    ];
    let (mut rendered, mut refused) = (0, 0);
    for (id, cond) in rules {
        for forbid in [false, true] {
            let text = if forbid {
                format!("resource thing {{ a: string, b?: string, n?: int, m?: int, f?: bool, g?: bool, tags?: [string], labels?: [string] }}\naction see on thing\npermit see on thing\n@id(\"{id}\") forbid see on thing when {cond}\n")
            } else {
                format!("resource thing {{ a: string, b?: string, n?: int, m?: int, f?: bool, g?: bool, tags?: [string], labels?: [string] }}\naction see on thing\n@id(\"{id}\") permit see on thing when {cond}\n")
            };
            let engine = Engine::from_policy_text(&text).unwrap_or_else(|e| panic!("{e}"));
            for claims in &claims_list {
                let session = Session::from_claims(claims.clone()).unwrap();
                let filter = match engine.filter(&session, "see", "thing", &Options::default()) {
                    Ok(f) => f,
                    Err(e) => {
                        assert_eq!(e.code(), "not_expressible", "{id}: {e}");
                        assert_eq!(e.rule(), Some(id), "{e}");
                        refused += 1;
                        continue;
                    }
                };
                let sql = filter.to_sql(&SqlOptions::default()).unwrap();
                let got: Vec<String> = {
                    let boxed: Vec<Box<dyn ToSql + Sync>> = sql.params.iter().map(bind).collect();
                    let refs: Vec<&(dyn ToSql + Sync)> = boxed.iter().map(|b| b.as_ref()).collect();
                    client
                        .query(&format!("SELECT id FROM things WHERE {} ORDER BY id", sql.sql), &refs)
                        .unwrap_or_else(|e| panic!("{id} {claims}: {e}\n{sql:?}"))
                        .iter()
                        .map(|r| r.get(0))
                        .collect()
                };
                let mut want: Vec<String> = rows
                    .iter()
                    .filter(|r| {
                        let mut doc = (*r).clone();
                        doc["type"] = json!("thing");
                        engine.decide_value(claims.clone(), "see", doc, None, None).allowed
                    })
                    .map(|r| r["id"].as_str().unwrap().to_string())
                    .collect();
                want.sort();
                let mut got = got;
                got.sort();
                assert_eq!(
                    got,
                    want,
                    "{} {id} `{cond}` for {claims}: {sql:?}",
                    if forbid { "forbid" } else { "permit" }
                );
                rendered += 1;
            }
        }
    }
    assert!(rendered > 80, "{rendered} rendered, {refused} refused");
}

/// Row-level security for what the design brief says a policy can ask of a Clerk session
/// beyond roles: plans and features (`pla`, `fea`), reverification (`fva`),
/// impersonation (`act`), the authorized party, a license in a custom claim, organization
/// metadata and custom claims compared with row values. Random claims, real PostgreSQL:
/// every command touches exactly the rows `decide` allows.
#[test]
fn session_features_in_row_level_security_agree_with_decide() {
    let Some(mut client) = connect("session_features_in_row_level_security_agree_with_decide") else {
        return;
    };
    fresh_schema(&mut client, "accept_features");
    let role = "accept_features_reader";
    create_role(&mut client, role);
    client
        .batch_execute(&format!(
            "CREATE TABLE docs (id bigint PRIMARY KEY, owner text NOT NULL, n integer, domain text, tier text,
                                touched integer NOT NULL DEFAULT 0);
             GRANT USAGE ON SCHEMA accept_features TO {role};
             GRANT SELECT, UPDATE, DELETE ON docs TO {role};"
        ))
        .unwrap();
    let engine = Engine::new(
        Policy::parse_named(
            "features.ord",
            r#"
            resource doc { owner: string, n?: int, domain?: string, tier?: string }
            action view, edit, delete on doc
            license claims.seat
            @id("own") permit view, edit, delete on doc when resource.owner == user.id
            @id("pro") permit view on doc when has_plan("pro") and resource.tier == "pro"
            @id("org_pro") permit view on doc when has_plan("org:pro") and org and resource.owner == org.id
            @id("feature") permit edit on doc when has_feature("user:export") and resource.n <= 3 and licensed
            @id("fresh") permit delete on doc
              when verified_within(10) and verified_within(5, second_factor) and resource.tier == "x"
            @id("mfa") permit view on doc when verified_within(30, multi_factor) and resource.domain == "x"
            @id("actor_view") permit view on doc when session.actor.sub == "admin_1" and present(resource.tier)
            @id("md") permit edit on doc when org.metadata.plan == "pro" and resource.owner == org.id
            @id("lvl") permit view on doc when claims.level == resource.n
            @id("azp") forbid edit on doc when session.azp != "https://app" because "wrong_app"
            @id("imp") forbid delete on doc when session.actor because "impersonated"
            @id("mail") forbid view on doc when claims.blocked == resource.domain
            "#,
        )
        .unwrap(),
    );
    let owners = ["u1", "u2", "org_1", "org_2"];
    let mut n = 0i64;
    for owner in owners {
        for level in [None, Some(1), Some(3), Some(5)] {
            for domain in [None, Some("x"), Some("acme.com")] {
                for tier in [None, Some("pro"), Some("x")] {
                    n += 1;
                    client
                        .execute(
                            "INSERT INTO docs (id, owner, n, domain, tier) VALUES ($1, $2, $3, $4, $5)",
                            &[&n, &owner, &level, &domain, &tier],
                        )
                        .unwrap();
                }
            }
        }
    }
    let rows = json_rows(&mut client, "SELECT to_jsonb(t) - 'touched' FROM docs t ORDER BY id");
    let mut opts = RlsOptions::new("doc", "docs");
    opts.commands = vec![
        (SqlCommand::Select, vec!["view".into()]),
        (SqlCommand::Update, vec!["edit".into()]),
        (SqlCommand::Delete, vec!["delete".into()]),
    ];
    let ddl = row_level_security(&engine, &opts).unwrap();
    client.batch_execute(&ddl).unwrap_or_else(|e| panic!("{e}\n{ddl}"));
    let resource = |row: &Value| row_resource_of("doc", row);
    let all: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    let mut rng = ordinance_postgres_tests::gen::Rng::new(8);
    let (mut sessions_run, mut allowed, mut invalid) = (0, 0, 0);
    for _ in 0..300 {
        let now = now();
        let mut c = serde_json::Map::new();
        c.insert("exp".into(), json!(now + 600));
        c.insert("iat".into(), json!(now - 5));
        if rng.chance(85) {
            c.insert("sub".into(), json!(rng.pick(&["u1", "u2"])));
        }
        let with_org = rng.chance(60);
        if with_org {
            c.insert("org_id".into(), json!(rng.pick(&["org_1", "org_2"])));
            c.insert("org_role".into(), json!("org:member"));
            let md = rng.pick(&[json!({"plan": "pro"}), json!({"plan": "free"}), json!({"plan": 7}), json!({})]);
            c.insert("org_metadata".into(), md);
        }
        let pick = |rng: &mut ordinance_postgres_tests::gen::Rng, options: &[Option<Value>]| rng.pick(options);
        let optional: [(&str, Vec<Option<Value>>); 9] = [
            ("seat", vec![None, Some(json!(true)), Some(json!(false)), Some(json!("true")), Some(json!({"a": 1}))]),
            (
                "pla",
                vec![
                    None,
                    Some(json!("u:pro")),
                    Some(json!("o:pro")),
                    Some(json!("u:free,o:pro")),
                    Some(json!("uo:pro")),
                    Some(json!("")),
                ],
            ),
            ("fea", vec![None, Some(json!("u:export")), Some(json!("o:export")), Some(json!("u:other,uo:export"))]),
            (
                "fva",
                vec![
                    None,
                    Some(json!([0, 0])),
                    Some(json!([3, 2])),
                    Some(json!([8, 20])),
                    Some(json!([40, -1])),
                    Some(json!([10, 5])),
                    Some(json!([11, 6])),
                    Some(json!([30, 30])),
                    Some(json!([-1, -1])),
                ],
            ),
            ("act", vec![None, None, Some(json!({"sub": "admin_1"})), Some(json!({"sub": 5})), Some(json!({}))]),
            ("azp", vec![None, Some(json!("https://app")), Some(json!("https://app")), Some(json!("https://evil"))]),
            ("level", vec![None, Some(json!(1)), Some(json!(3)), Some(json!("3")), Some(json!(null))]),
            ("blocked", vec![None, Some(json!("x")), Some(json!(5)), Some(json!(true))]),
            ("sts", vec![None, None, None, Some(json!("active")), Some(json!("pending"))]),
        ];
        for (key, options) in &optional {
            if let Some(v) = pick(&mut rng, options) {
                // Organization plans and features need an organization (tested below).
                let org_only = v.as_str().is_some_and(|t| t.starts_with("o:") || t.contains(",o:"));
                if with_org || !org_only {
                    c.insert((*key).into(), v);
                }
            }
        }
        if rng.chance(15) {
            // Claims `Session::from_claims` rejects: no row, as `decide` allows none.
            let (key, value) = rng.pick(&[
                ("pla", json!("pro")),
                ("fea", json!("ou:export")),
                ("pla", json!("u:pro,")),
                ("fva", json!([5])),
                ("act", json!("x")),
                ("fea", json!(["u:export"])),
                ("pla", json!(if with_org { "x:pro" } else { "o:pro" })),
            ]);
            c.insert(key.into(), value);
        }
        // First the cases that once disagreed: a pending session (signed out, so no custom
        // claims and no license), and a scope (`ou`) the engine does not accept.
        let fixed = [
            json!({"sub": "u1", "sts": "pending", "level": 3, "blocked": "acme.com", "seat": true, "exp": now + 60}),
            json!({"sub": "u1", "sts": "pending", "seat": "true", "exp": now + 60}),
            json!({"sub": "u1", "fea": "ou:export", "seat": true, "exp": now + 60}),
            json!({"sub": "u1", "pla": "ou:pro", "tier": "pro", "exp": now + 60}),
        ];
        let claims = fixed.get(sessions_run).cloned().unwrap_or(Value::Object(c));
        if let Err(e) = Session::from_claims(claims.clone()) {
            if std::env::var_os("SHOW_INVALID").is_some() {
                eprintln!("invalid: {e}");
            }
            invalid += 1;
        }
        sessions_run += 1;
        let want = |action: &str| -> Vec<i64> {
            rows.iter()
                .filter(|r| engine.decide_value(claims.clone(), action, resource(r), None, Some(now)).allowed)
                .map(|r| r["id"].as_i64().unwrap())
                .collect()
        };
        let context = format!("claims {claims}");
        let mut tx = client.transaction().unwrap();
        as_role(&mut tx, role, &claims);
        let seen = query_ids(&mut tx, "SELECT id FROM docs ORDER BY id", &[]);
        tx.rollback().unwrap();
        let want_view = want("view");
        assert_eq!(seen, want_view, "SELECT {context}");
        let mut tx = client.transaction().unwrap();
        as_role(&mut tx, role, &claims);
        tx.execute("UPDATE docs SET touched = 1", &[]).unwrap();
        tx.batch_execute("RESET ROLE").unwrap();
        let updated = query_ids(&mut tx, "SELECT id FROM docs WHERE touched = 1 ORDER BY id", &[]);
        tx.rollback().unwrap();
        assert_eq!(updated, want("edit"), "UPDATE {context}");
        let mut tx = client.transaction().unwrap();
        as_role(&mut tx, role, &claims);
        tx.execute("DELETE FROM docs", &[]).unwrap();
        tx.batch_execute("RESET ROLE").unwrap();
        let left = query_ids(&mut tx, "SELECT id FROM docs ORDER BY id", &[]);
        tx.rollback().unwrap();
        let deleted: Vec<i64> = all.iter().copied().filter(|id| !left.contains(id)).collect();
        assert_eq!(deleted, want("delete"), "DELETE {context}");
        allowed += want_view.len();
    }
    assert!(allowed > 300 && invalid > 10 && invalid < sessions_run / 2, "{allowed} allowed, {invalid} invalid");
}

/// Row-level security for the organization and session values of the design brief's
/// model (`org.slug`, `org.role`, `org.permissions`, `has_role`, `org.metadata` paths,
/// `session.*`, `user` and `org` presence, custom claims as conditions and in integer
/// comparisons), under random Clerk v1 claims with odd but valid shapes.
#[test]
fn session_values_in_row_level_security_agree_with_decide() {
    let Some(mut client) = connect("session_values_in_row_level_security_agree_with_decide") else {
        return;
    };
    fresh_schema(&mut client, "accept_values");
    let role = "accept_values_reader";
    create_role(&mut client, role);
    client
        .batch_execute(&format!(
            "CREATE TABLE items (id bigint PRIMARY KEY, owner text NOT NULL, slug text, perm text, n bigint, sid text);
             GRANT USAGE ON SCHEMA accept_values TO {role};
             GRANT SELECT ON items TO {role};"
        ))
        .unwrap();
    let engine = Engine::new(
        Policy::parse_named(
            "values.ord",
            r#"
            permission org:items:read "Read"
            permission org:items:write "Write"
            role org:reader = [org:items:read]
            role org:admin = [org:items:*]
            resource item { owner: string, slug?: string, perm?: string, n?: int, sid?: string }
            action view on item
            @id("slug") permit view on item when org and resource.slug == org.slug
            @id("role") permit view on item when org.role == "org:admin" and resource.owner == org.id
            @id("has_role") permit view on item when has_role(org:reader) and present(resource.perm)
            @id("perm_in") permit view on item when resource.perm in org.permissions
            @id("has") permit view on item when has(org:items:write) and resource.n > 2
            @id("md") permit view on item when org.metadata.tier.level >= resource.n
            @id("sid") permit view on item when resource.sid == session.id
            @id("exp") permit view on item when session.exp < resource.n
            @id("anon") permit view on item when not user and resource.owner == "public"
            @id("personal") permit view on item when user and not org and resource.owner == user.id
            @id("flag") permit view on item when claims.beta and resource.slug == "beta"
            @id("num") permit view on item when claims.quota > resource.n
            @id("deep") permit view on item when claims["https://x.io/t"].plan == resource.slug
            @id("actor") forbid view on item when session.actor.sub == resource.owner
            @id("iss") forbid view on item when present(session.iss) and session.iss != "https://clerk.x"
            @id("bad_md") forbid view on item when org.metadata.frozen
            "#,
        )
        .unwrap(),
    );
    let mut n = 0i64;
    for owner in ["u1", "org_1", "public", "adm"] {
        for slug in [None, Some("acme"), Some("beta")] {
            for perm in [None, Some("org:items:read"), Some("org:items:write")] {
                for num in [None, Some(1i64), Some(3), Some(2_000_000_000)] {
                    n += 1;
                    let sid = ["sess_1", "sess_2"][(n % 2) as usize];
                    client
                        .execute(
                            "INSERT INTO items VALUES ($1, $2, $3, $4, $5, $6)",
                            &[&n, &owner, &slug, &perm, &num, &sid],
                        )
                        .unwrap();
                }
            }
        }
    }
    let rows = json_rows(&mut client, "SELECT to_jsonb(t) FROM items t ORDER BY id");
    let mut opts = RlsOptions::new("item", "items");
    opts.commands = vec![(SqlCommand::Select, vec!["view".into()])];
    let ddl = row_level_security(&engine, &opts).unwrap();
    client.batch_execute(&ddl).unwrap_or_else(|e| panic!("{e}\n{ddl}"));
    let resource = |row: &Value| row_resource_of("item", row);
    let mut rng = ordinance_postgres_tests::gen::Rng::new(21);
    let mut allowed = 0;
    for _ in 0..300 {
        let now = now();
        let claims = random_claims(&mut rng, now);
        let want: Vec<i64> = rows
            .iter()
            .filter(|r| engine.decide_value(claims.clone(), "view", resource(r), None, Some(now)).allowed)
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        let mut tx = client.transaction().unwrap();
        as_role(&mut tx, role, &claims);
        let seen = query_ids(&mut tx, "SELECT id FROM items ORDER BY id", &[]);
        tx.rollback().unwrap();
        assert_eq!(seen, want, "claims {claims}");
        allowed += want.len();
    }
    assert!(allowed > 1000, "{allowed}");
}

/// Random Clerk v1 claims with odd but valid shapes: users, sessions, issuers, actors,
/// custom claims of every JSON type, organizations with slugs, roles, permission lists
/// and metadata.
fn random_claims(rng: &mut ordinance_postgres_tests::gen::Rng, now: i64) -> Value {
    let mut c = serde_json::Map::new();
    let pick = |rng: &mut ordinance_postgres_tests::gen::Rng, options: &[Option<Value>]| rng.pick(options);
    let mut set = |rng: &mut ordinance_postgres_tests::gen::Rng, key: &str, options: &[Option<Value>]| {
        if let Some(v) = pick(rng, options) {
            c.insert(key.into(), v);
        }
    };
    set(rng, "sub", &[None, Some(json!("u1")), Some(json!("adm")), Some(json!("u1"))]);
    set(rng, "sid", &[None, Some(json!("sess_1")), Some(json!("sess_2"))]);
    set(rng, "email", &[None, Some(json!("a@acme.com")), Some(json!("u1@x.io")), Some(json!(5))]);
    set(rng, "exp", &[Some(json!(now + 600)), Some(json!(now + 2)), Some(json!(now - 3))]);
    set(rng, "iat", &[None, Some(json!(now - 30)), Some(json!(now + 3))]);
    set(rng, "iss", &[None, Some(json!("https://clerk.x")), Some(json!("https://other"))]);
    set(rng, "v", &[None, None, Some(json!(1))]);
    set(rng, "act", &[None, None, Some(json!({"sub": "adm"})), Some(json!({"sub": ["adm"]}))]);
    set(rng, "beta", &[None, Some(json!(true)), Some(json!(false)), Some(json!("yes")), Some(json!(null))]);
    set(rng, "quota", &[None, Some(json!(2)), Some(json!(5_000_000_000i64)), Some(json!(2.5)), Some(json!("9"))]);
    set(
        rng,
        "https://x.io/t",
        &[None, Some(json!({"plan": "beta"})), Some(json!({"plan": 1})), Some(json!("beta")), Some(json!({}))],
    );
    if rng.chance(65) {
        set(rng, "org_id", &[Some(json!("org_1")), Some(json!("org_2"))]);
        set(rng, "org_slug", &[None, Some(json!("acme")), Some(json!("beta"))]);
        set(rng, "org_role", &[None, Some(json!("org:admin")), Some(json!("org:reader")), Some(json!("org:x"))]);
        set(
            rng,
            "org_permissions",
            &[
                None,
                Some(json!([])),
                Some(json!(["org:items:read"])),
                Some(json!(["org:items:write", "org:items:write"])),
            ],
        );
        set(
            rng,
            "org_metadata",
            &[
                None,
                Some(json!({})),
                Some(json!({"tier": {"level": 3}})),
                Some(json!({"tier": {"level": "3"}})),
                Some(json!({"tier": "gold"})),
                Some(json!({"frozen": true})),
                Some(json!({"frozen": false, "tier": {"level": 2_000_000_000}})),
                Some(json!({"frozen": null})),
            ],
        );
    }
    Value::Object(c)
}

/// Session values meeting row values in each operator, one rule at a time, as a permit and
/// as a forbid: the row-level security policy either agrees with `decide` on a real
/// PostgreSQL for random claims, or is refused naming the rule.
#[test]
fn each_session_operator_in_row_level_security_agrees_or_is_refused() {
    let Some(mut client) = connect("each_session_operator_in_row_level_security_agrees_or_is_refused") else {
        return;
    };
    fresh_schema(&mut client, "accept_each");
    let role = "accept_each_reader";
    create_role(&mut client, role);
    client
        .batch_execute(&format!(
            "CREATE TABLE items (id bigint PRIMARY KEY, owner text NOT NULL, slug text, perm text, n bigint,
                                 tags text[]);
             GRANT USAGE ON SCHEMA accept_each TO {role};
             GRANT SELECT ON items TO {role};"
        ))
        .unwrap();
    let mut n = 0i64;
    let tag_sets: [Option<Vec<&str>>; 5] = [
        None,
        Some(vec![]),
        Some(vec!["org:items:read"]),
        Some(vec!["u1", "org:items:write"]),
        Some(vec!["org:items:read", "org:items:write"]),
    ];
    for owner in ["u1", "org_1", "adm", "a@acme.com"] {
        for slug in [None, Some("acme"), Some("cme"), Some("@acme.com")] {
            for perm in [None, Some("org:items:read"), Some("u1")] {
                for tags in &tag_sets {
                    n += 1;
                    let num: Option<i64> = [None, Some(1), Some(5)][(n % 3) as usize];
                    client
                        .execute(
                            "INSERT INTO items VALUES ($1, $2, $3, $4, $5, $6)",
                            &[&n, &owner, &slug, &perm, &num, tags],
                        )
                        .unwrap();
                }
            }
        }
    }
    let rows = json_rows(&mut client, "SELECT to_jsonb(t) FROM items t ORDER BY id");
    let resource = |row: &Value| row_resource_of("item", row);
    let conditions = [
        "resource.owner.starts_with(user.id)",
        "user.id.ends_with(resource.owner)",
        "resource.slug.ends_with(org.slug)",
        "org.slug.contains(resource.slug)",
        "resource.tags.contains(user.id)",
        "resource.tags.contains_all(org.permissions)",
        "resource.tags.contains_any(org.permissions)",
        "org.permissions.contains_all(resource.tags)",
        "org.permissions.contains(resource.perm)",
        "\"org:items:read\" in org.permissions and resource.n > 2",
        "resource.tags == org.permissions",
        "resource.owner in [user.id, org.id, \"adm\"]",
        "resource.owner in [user.id, claims.email]",
        "claims.email in [resource.owner, \"x\"]",
        "claims.email.ends_with(resource.slug)",
        "resource.owner.starts_with(claims.email)",
        "claims.email == resource.owner",
        "resource.slug == org.metadata.tier",
        "has_feature(\"org:export\") or resource.slug == org.role",
        "resource.n == session.iat or resource.owner == session.id",
        "session.actor and resource.owner == \"adm\"",
        "present(claims.beta) and resource.n > 1",
    ];
    let mut rng = ordinance_postgres_tests::gen::Rng::new(34);
    let (mut agreed, mut refused) = (0, 0);
    for (i, cond) in conditions.iter().enumerate() {
        for forbid in [false, true] {
            let rule = format!("r{i}");
            let text = format!(
                "permission org:items:read \"Read\"\npermission org:items:write \"Write\"\n\
                 resource item {{ owner: string, slug?: string, perm?: string, n?: int, tags?: [string] }}\n\
                 action view on item\n{}@id(\"{rule}\") {} view on item when {cond}\n",
                if forbid { "@id(\"all\") permit view on item\n" } else { "" },
                if forbid { "forbid" } else { "permit" },
            );
            let engine = Engine::new(Policy::parse_named("each.ord", &text).unwrap_or_else(|e| panic!("{e}")));
            let mut opts = RlsOptions::new("item", "items");
            opts.commands = vec![(SqlCommand::Select, vec!["view".into()])];
            let ddl = match row_level_security(&engine, &opts) {
                Ok(ddl) => ddl,
                Err(e) => {
                    assert_eq!(e.code(), "not_expressible", "{cond}: {e}");
                    assert_eq!(e.rule(), Some(rule.as_str()), "{cond}: {e}");
                    refused += 1;
                    continue;
                }
            };
            client.batch_execute(&ddl).unwrap_or_else(|e| panic!("{cond}: {e:?}\n{ddl}"));
            for _ in 0..40 {
                let now = now();
                let claims = random_claims(&mut rng, now);
                let want: Vec<i64> = rows
                    .iter()
                    .filter(|r| engine.decide_value(claims.clone(), "view", resource(r), None, Some(now)).allowed)
                    .map(|r| r["id"].as_i64().unwrap())
                    .collect();
                let mut tx = client.transaction().unwrap();
                as_role(&mut tx, role, &claims);
                let seen = query_ids(&mut tx, "SELECT id FROM items ORDER BY id", &[]);
                tx.rollback().unwrap();
                assert_eq!(seen, want, "{} `{cond}` claims {claims}", if forbid { "forbid" } else { "permit" });
            }
            agreed += 1;
        }
    }
    eprintln!("accept_each: {agreed} rule variants agreed, {refused} refused as not expressible");
    assert!(agreed > 30, "{agreed} agreed, {refused} refused");
}

/// `ordinance_session_ok()`, the row-level security's check of the claims, against
/// `Session::from_claims` and the engine's token-time check, claim by claim, for values of
/// every JSON type in every registered claim.
#[test]
fn session_ok_accepts_exactly_the_claims_the_engine_accepts() {
    let Some(mut client) = connect("session_ok_accepts_exactly_the_claims_the_engine_accepts") else {
        return;
    };
    fresh_schema(&mut client, "accept_session_ok");
    client.batch_execute("CREATE TABLE t (id bigint PRIMARY KEY, owner text NOT NULL)").unwrap();
    let engine = Engine::from_policy_text("resource t { owner: string }\naction view on t\npermit view on t").unwrap();
    let mut opts = RlsOptions::new("t", "t");
    opts.commands = vec![(SqlCommand::Select, vec!["view".into()])];
    client.batch_execute(&row_level_security(&engine, &opts).unwrap()).unwrap();
    let now = now();
    let odd: Vec<Value> = vec![
        Value::Null,
        json!(""),
        json!(" "),
        json!("x"),
        json!(0),
        json!(-1),
        json!(1),
        json!(1.0),
        json!(1.5),
        json!(true),
        json!([]),
        json!(["x"]),
        json!({}),
        json!({"sub": "x"}),
        json!(9_223_372_036_854_775_807i64),
        json!(18_446_744_073_709_551_615u64),
        json!(now + 600),
        json!(now - 600),
    ];
    let strings = [
        "", ",", "u:a", "o:a", "uo:a", "ou:a", "u:a,o:b", "u:a,,u:b", "u:a:b", " u:a", "u:", "x:a", "u:a,", "pending",
        "active", "ended", "1",
    ];
    let keys = [
        "sub",
        "sid",
        "azp",
        "iss",
        "jti",
        "exp",
        "nbf",
        "iat",
        "act",
        "fva",
        "fea",
        "pla",
        "org_id",
        "org_slug",
        "org_role",
        "org_permissions",
        "org_metadata",
        "sts",
        "v",
        "o",
        "email",
    ];
    let bases = [json!({"sub": "u1"}), json!({"sub": "u1", "org_id": "org_1", "org_role": "org:admin"}), json!({})];
    let fvas = [json!([1, -1]), json!([1, -2]), json!([1.5, 2]), json!([1, 2, 3]), json!([-1, -1]), json!(["1", 2])];
    let perms = [json!(["a", "b"]), json!(["a", 1]), json!([null]), json!("a")];
    let mut checked = 0;
    let mut valid = 0;
    for base in &bases {
        for key in keys {
            let mut values: Vec<Value> = odd.clone();
            values.extend(strings.iter().map(|s| json!(s)));
            if key == "fva" {
                values.extend(fvas.iter().cloned());
            }
            if key == "org_permissions" {
                values.extend(perms.iter().cloned());
            }
            for v in values {
                let mut claims = base.clone();
                claims[key] = v;
                let engine_ok =
                    engine.decide_value(claims.clone(), "view", json!({"type": "t", "owner": "x"}), None, Some(now));
                let mut tx = client.transaction().unwrap();
                tx.execute("SELECT set_config('request.jwt.claims', $1, true)", &[&claims.to_string()]).unwrap();
                let sql_ok: bool = tx.query_one("SELECT ordinance_session_ok()", &[]).unwrap().get(0);
                tx.rollback().unwrap();
                assert_eq!(sql_ok, engine_ok.allowed, "claims {claims}: decide {}", engine_ok.to_json());
                checked += 1;
                valid += sql_ok as usize;
            }
        }
    }
    assert!(valid > 100 && valid < checked - 100, "{valid} of {checked}");
}

/// Pairs of registered claims with small and odd values: `ordinance_session_ok()` agrees
/// with the engine, and on a valid session the helpers read the same user, organization,
/// role and permissions as `Session`.
#[test]
fn session_helpers_read_what_the_engine_reads_for_pairs_of_claims() {
    let Some(mut client) = connect("session_helpers_read_what_the_engine_reads_for_pairs_of_claims") else {
        return;
    };
    fresh_schema(&mut client, "accept_helpers");
    client.batch_execute("CREATE TABLE t (id bigint PRIMARY KEY, owner text NOT NULL)").unwrap();
    let engine = Engine::from_policy_text("resource t { owner: string }\naction view on t\npermit view on t").unwrap();
    let mut opts = RlsOptions::new("t", "t");
    opts.commands = vec![(SqlCommand::Select, vec!["view".into()])];
    client.batch_execute(&row_level_security(&engine, &opts).unwrap()).unwrap();
    let values: Vec<(&str, Vec<Value>)> = vec![
        ("sub", vec![json!("u1"), json!(""), json!(1), Value::Null]),
        ("org_id", vec![json!("org_1"), json!(""), json!(2), Value::Null]),
        ("org_role", vec![json!("org:admin"), json!(""), json!(["x"])]),
        ("org_slug", vec![json!("acme"), json!(3)]),
        ("org_permissions", vec![json!([]), json!(["p", "q"]), json!(["p", 1]), json!({})]),
        ("org_metadata", vec![json!({}), json!({"a": 1}), json!([]), Value::Null]),
        ("sts", vec![json!("pending"), json!("active"), json!("ended")]),
        ("fea", vec![json!("o:a"), json!("u:a"), json!("uo:a")]),
        ("pla", vec![json!("o:p"), json!("u:p,o:q")]),
        // Times relative to the moment of the check (`{"rel": seconds}`), 2 s from the
        // engine's 5 s leeway either way.
        ("exp", vec![json!({"rel": 60}), json!({"rel": -60}), json!({"rel": -3}), json!({"rel": -7})]),
        ("nbf", vec![json!({"rel": 3}), json!({"rel": 7})]),
        ("iat", vec![json!({"rel": 3}), json!({"rel": 7})]),
        ("act", vec![json!({"sub": "a"}), json!("a")]),
        ("v", vec![json!(1), json!(2), json!("1")]),
        ("o", vec![json!({"id": "org_1"}), Value::Null]),
    ];
    let (mut checked, mut valid) = (0, 0);
    for (i, (k1, v1s)) in values.iter().enumerate() {
        for (k2, v2s) in values.iter().skip(i + 1) {
            for v1 in v1s {
                for v2 in v2s {
                    let now = now();
                    let at = |v: &Value, key: &str| match v.get("rel") {
                        Some(rel) if ["exp", "nbf", "iat"].contains(&key) => json!(now + rel.as_i64().unwrap()),
                        _ => v.clone(),
                    };
                    let claims = json!({ *k1: at(v1, k1), *k2: at(v2, k2) });
                    let decided = engine.decide_value(
                        claims.clone(),
                        "view",
                        json!({"type": "t", "owner": "x"}),
                        None,
                        Some(now),
                    );
                    let mut tx = client.transaction().unwrap();
                    tx.execute("SELECT set_config('request.jwt.claims', $1, true)", &[&claims.to_string()]).unwrap();
                    let row = tx
                        .query_one(
                            "SELECT ordinance_session_ok(), ordinance_user_id(), ordinance_org_id(),
                                    ordinance_org_claim('org_role'), ordinance_org_permissions()",
                            &[],
                        )
                        .unwrap();
                    tx.rollback().unwrap();
                    let ok: bool = row.get(0);
                    if claims["v"] == json!(2) {
                        // Version 2 tokens are not decoded in SQL (docs/filters.md): no row.
                        assert!(!ok, "{claims}");
                        continue;
                    }
                    assert_eq!(ok, decided.allowed, "claims {claims}: decide {}", decided.to_json());
                    checked += 1;
                    if !ok {
                        continue;
                    }
                    valid += 1;
                    let session = Session::from_claims(claims.clone()).unwrap();
                    assert_eq!(row.get::<_, Option<String>>(1).as_deref(), session.user_id(), "{claims}");
                    assert_eq!(row.get::<_, Option<String>>(2).as_deref(), session.org_id(), "{claims}");
                    assert_eq!(row.get::<_, Option<String>>(3).as_deref(), session.org_role(), "{claims}");
                    let permissions: Option<Vec<String>> = row.get(4);
                    assert_eq!(permissions.unwrap_or_default(), session.org_permissions(), "{claims}");
                }
            }
        }
    }
    assert!(valid > 50 && valid < checked - 100, "{valid} of {checked}");
}

/// The license claim's checks in row-level security (a non-boolean license is
/// `invalid_claims`; `licensed` is true only for `true`) against `decide`, for licenses
/// declared in `org.metadata` and in custom claims, one and two levels deep.
#[test]
fn license_claims_in_row_level_security_agree_with_decide() {
    let Some(mut client) = connect("license_claims_in_row_level_security_agree_with_decide") else {
        return;
    };
    fresh_schema(&mut client, "accept_license");
    let role = "accept_license_reader";
    create_role(&mut client, role);
    client
        .batch_execute(&format!(
            "CREATE TABLE t (id bigint PRIMARY KEY, owner text NOT NULL);
             INSERT INTO t VALUES (1, 'a'), (2, 'b');
             GRANT USAGE ON SCHEMA accept_license TO {role}; GRANT SELECT ON t TO {role};"
        ))
        .unwrap();
    let shapes = [
        Value::Null,
        json!(true),
        json!(false),
        json!("true"),
        json!(1),
        json!({}),
        json!({"on": true}),
        json!({"on": false}),
        json!({"on": "yes"}),
        json!({"on": null}),
        json!([true]),
    ];
    let mut checked = 0;
    for path in ["org.metadata.seat", "org.metadata.seat.on", "claims.seat", "claims.seat.on"] {
        let text = format!(
            "resource t {{ owner: string }}\naction view on t\nlicense {path}\n\
             @id(\"a\") permit view on t when resource.owner == \"a\"\n\
             @id(\"b\") permit view on t when licensed and resource.owner == \"b\"\n"
        );
        let engine = Engine::from_policy_text(&text).unwrap_or_else(|e| panic!("{e}"));
        let mut opts = RlsOptions::new("t", "t");
        opts.commands = vec![(SqlCommand::Select, vec!["view".into()])];
        client.batch_execute(&row_level_security(&engine, &opts).unwrap()).unwrap();
        for with_org in [false, true] {
            for pending in [false, true] {
                for shape in &shapes {
                    let mut claims = json!({"sub": "u1"});
                    if pending {
                        claims["sts"] = json!("pending");
                    }
                    if with_org {
                        claims["org_id"] = json!("org_1");
                    }
                    if path.starts_with("org.") {
                        if !with_org {
                            continue;
                        }
                        claims["org_metadata"] = json!({"seat": shape});
                    } else {
                        claims["seat"] = shape.clone();
                    }
                    let want: Vec<i64> = [(1, "a"), (2, "b")]
                        .iter()
                        .filter(|(_, owner)| {
                            engine
                                .decide_value(claims.clone(), "view", json!({"type": "t", "owner": owner}), None, None)
                                .allowed
                        })
                        .map(|(id, _)| *id)
                        .collect();
                    let mut tx = client.transaction().unwrap();
                    as_role(&mut tx, role, &claims);
                    let seen = query_ids(&mut tx, "SELECT id FROM t ORDER BY id", &[]);
                    tx.rollback().unwrap();
                    assert_eq!(seen, want, "license {path}, claims {claims}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 100, "{checked}");
}
