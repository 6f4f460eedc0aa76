//! On a real PostgreSQL: the row-level security policies `row_level_security` generates
//! (what `ordinance rls` prints) let a non-superuser role see, insert, update and delete
//! exactly the rows `decide` allows, with the session in `request.jwt.claims`, for random
//! tables and random Clerk v1 claims (roles, permission lists, license flag true / false /
//! absent / `"true"` / null, personal and organization sessions, other organizations,
//! expired, not yet valid, pending and invalid tokens).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use ordinance::{row_level_security, Engine, Policy, RlsOptions, SqlCommand};
use ordinance_postgres_tests::gen::{self, Rng};
use ordinance_postgres_tests::*;
use postgres::error::SqlState;
use postgres::Transaction;
use serde_json::Value;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

#[derive(Default)]
struct Tally {
    sessions: usize,
    checks: usize,
    allowed: usize,
}

/// Makes row `i` of a table.
type RowGen<'a> = Box<dyn Fn(&mut Rng, usize) -> Value + 'a>;

struct Case<'a> {
    schema: &'a str,
    engine: Engine,
    resource_type: &'a str,
    /// (column, SQL type), by attribute name.
    columns: Vec<(&'a str, &'a str)>,
    commands: Vec<(SqlCommand, Vec<String>)>,
    rows: RowGen<'a>,
    seeds: u64,
    sessions: usize,
    /// The least number of allowed (row, command) pairs for the run to prove anything.
    min_allowed: usize,
}

/// Whether `decide` allows every action in `actions` on the row.
fn allowed(engine: &Engine, claims: &Value, actions: &[String], ty: &str, row: &Value, now: i64) -> bool {
    actions.iter().all(|a| engine.decide_value(claims.clone(), a, gen::row_resource(ty, row), None, Some(now)).allowed)
}

fn as_role(tx: &mut Transaction, role: &str, claims: &Value) {
    tx.batch_execute(&format!("SET LOCAL ROLE {role}")).unwrap();
    tx.execute("SELECT set_config('request.jwt.claims', $1, true)", &[&claims.to_string()]).unwrap();
}

fn run(case: Case) {
    let Some(mut client) = connect(case.schema) else { return };
    fresh_schema(&mut client, case.schema);
    let reader = format!("{}_reader", case.schema);
    let owner = format!("{}_owner", case.schema);
    for role in [&reader, &owner] {
        client
            .batch_execute(&format!(
                "DO $$ BEGIN CREATE ROLE {role} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
                 GRANT USAGE ON SCHEMA {} TO {role};",
                case.schema
            ))
            .unwrap();
    }
    let started = Instant::now();
    let mut tally = Tally::default();
    for seed in 1..=case.seeds {
        let mut rng = Rng::new(seed * 104_729 + case.schema.len() as u64);
        let table = format!("t{seed}");
        let mut cols: Vec<(String, &str)> = case.columns.iter().map(|(c, ty)| (c.to_string(), *ty)).collect();
        cols.push(("touched".into(), "integer"));
        create_table(&mut client, &table, &cols);
        create_table(&mut client, &format!("{table}_src"), &cols);
        let rows: Vec<Value> = (0..30).map(|i| (case.rows)(&mut rng, i)).collect();
        insert_rows(&mut client, &table, &rows);
        insert_rows(&mut client, &format!("{table}_src"), &rows);
        let rows = read_rows(&mut client, &table);
        let mut opts = RlsOptions::new(case.resource_type, table.clone());
        opts.commands = case.commands.clone();
        if case.columns.iter().any(|(c, _)| *c == "rid") {
            opts.columns.insert("id".into(), "rid".into());
        }
        let ddl = row_level_security(&case.engine, &opts).unwrap();
        client.batch_execute(&ddl).unwrap_or_else(|e| panic!("{e}\n{ddl}"));
        client
            .batch_execute(&format!(
                "ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
                 ALTER TABLE {table} OWNER TO {owner};
                 GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {reader};
                 GRANT SELECT ON {table}_src TO {reader};"
            ))
            .unwrap();
        let all: Vec<i64> = rows.iter().map(row_id).collect();
        for _ in 0..case.sessions {
            let now = now();
            let claims = gen::claims(&mut rng, now);
            tally.sessions += 1;
            for (cmd, actions) in &case.commands {
                let want: Vec<i64> = rows
                    .iter()
                    .filter(|r| allowed(&case.engine, &claims, actions, case.resource_type, r, now))
                    .map(row_id)
                    .collect();
                let context = format!("{cmd:?} {actions:?} on {table}\nclaims {claims}\n{ddl}");
                let mut tx = client.transaction().unwrap();
                let got: Vec<i64> = match cmd {
                    SqlCommand::Select => {
                        as_role(&mut tx, &reader, &claims);
                        let seen = ids(&mut tx, &format!("SELECT id FROM {table} ORDER BY id"), &[]);
                        // The owner sees the same rows: FORCE ROW LEVEL SECURITY applies the policies to it too.
                        tx.batch_execute(&format!("SET LOCAL ROLE {owner}")).unwrap();
                        let by_owner = ids(&mut tx, &format!("SELECT id FROM {table} ORDER BY id"), &[]);
                        assert_eq!(seen, by_owner, "{context}");
                        seen
                    }
                    SqlCommand::Update => {
                        as_role(&mut tx, &reader, &claims);
                        tx.execute(&format!("UPDATE {table} SET touched = 1"), &[]).unwrap();
                        tx.batch_execute("RESET ROLE").unwrap();
                        ids(&mut tx, &format!("SELECT id FROM {table} WHERE touched = 1 ORDER BY id"), &[])
                    }
                    SqlCommand::Delete => {
                        as_role(&mut tx, &reader, &claims);
                        tx.execute(&format!("DELETE FROM {table}"), &[]).unwrap();
                        tx.batch_execute("RESET ROLE").unwrap();
                        let left = ids(&mut tx, &format!("SELECT id FROM {table} ORDER BY id"), &[]);
                        all.iter().copied().filter(|id| !left.contains(id)).collect()
                    }
                    SqlCommand::Insert => {
                        tx.execute(&format!("DELETE FROM {table}"), &[]).unwrap();
                        as_role(&mut tx, &reader, &claims);
                        let mut inserted = Vec::new();
                        for id in &all {
                            let mut sp = tx.savepoint("row").unwrap();
                            match sp
                                .execute(&format!("INSERT INTO {table} SELECT * FROM {table}_src WHERE id = $1"), &[id])
                            {
                                Ok(1) => {
                                    inserted.push(*id);
                                    sp.commit().unwrap();
                                }
                                Err(e) if e.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) => {}
                                other => panic!("{other:?}\n{context}"),
                            }
                        }
                        inserted
                    }
                };
                tx.rollback().unwrap();
                assert_eq!(got, want, "{context}");
                tally.checks += all.len();
                tally.allowed += want.len();
            }
        }
    }
    eprintln!(
        "{}: {} sessions, {} row checks ({} allowed), {:.2?}",
        case.schema,
        tally.sessions,
        tally.checks,
        tally.allowed,
        started.elapsed()
    );
    assert!(tally.allowed >= case.min_allowed, "too few allowed rows to prove anything");
    assert!(tally.allowed * 2 < tally.checks, "the data should deny more than it allows");
}

fn commands(spec: &[(SqlCommand, &[&str])]) -> Vec<(SqlCommand, Vec<String>)> {
    spec.iter().map(|(c, a)| (*c, a.iter().map(|s| s.to_string()).collect())).collect()
}

fn shipped(file: &str) -> Engine {
    Engine::new(Policy::from_file(format!("{}/../../policies/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap())
}

#[test]
fn team_tasks_rls_agrees_with_decide() {
    run(Case {
        schema: "rls_team_tasks",
        engine: shipped("team_tasks.ord"),
        resource_type: "task",
        columns: vec![("name", "text"), ("owner_id", "text"), ("created_by_id", "text")],
        commands: commands(&[
            (SqlCommand::Select, &["view"]),
            (SqlCommand::Insert, &["create"]),
            (SqlCommand::Update, &["edit", "complete"]),
            (SqlCommand::Delete, &["delete"]),
        ]),
        rows: Box::new(gen::task_row),
        seeds: 6,
        sessions: 14,
        min_allowed: 300,
    });
}

#[test]
fn item_rls_agrees_with_decide() {
    run(Case {
        schema: "rls_items",
        engine: Engine::new(Policy::parse_named("rls.ord", gen::RLS_POLICY).unwrap()),
        resource_type: "item",
        columns: vec![
            ("rid", "text"),
            ("owner_id", "text"),
            ("team", "text"),
            ("level", "integer"),
            ("quota", "bigint"),
            ("archived", "boolean"),
            ("pinned", "boolean"),
            ("tags", "text[]"),
            ("labels", "text[]"),
            ("title", "text"),
        ],
        commands: commands(&[
            (SqlCommand::Select, &["view"]),
            (SqlCommand::Insert, &["create"]),
            (SqlCommand::Update, &["edit"]),
            (SqlCommand::Delete, &["delete"]),
        ]),
        rows: Box::new(gen::item_row),
        seeds: 6,
        sessions: 14,
        min_allowed: 300,
    });
}

#[test]
fn shipped_policies_rls_agree_with_decide() {
    for (file, ty, attrs) in gen::shipped_types() {
        if ty == "task" {
            continue; // covered above
        }
        let actions = shipped(file).policy().actions(ty).iter().map(|a| a.to_string()).collect::<Vec<_>>();
        let first = actions.first().cloned().unwrap();
        let last = actions.last().cloned().unwrap();
        let attrs_for_rows = attrs.clone();
        run(Case {
            schema: &format!("rls_{ty}"),
            engine: shipped(file),
            resource_type: ty,
            columns: attrs.iter().map(|(n, t, _)| (*n, *t)).collect(),
            commands: vec![
                (SqlCommand::Select, vec![first.clone()]),
                (SqlCommand::Update, vec![first, last.clone()]),
                (SqlCommand::Delete, vec![last]),
            ],
            rows: Box::new(move |rng: &mut Rng, i: usize| gen::generic_row(rng, i, &attrs_for_rows)),
            seeds: 3,
            sessions: 14,
            // Row-level security has no request context: without approved scopes, no
            // calendar is readable, and `decide` (with no context) agrees.
            min_allowed: if ty == "calendar" { 0 } else { 5 },
        });
    }
}
