//! On a real PostgreSQL: for random tables and random sessions, the rows
//! `SELECT id FROM t WHERE <filter>` returns are exactly the rows `decide` allows, for
//! every action of every shipped policy and of a policy that exercises every construct
//! the filter renders.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use ordinance::{Context, Engine, Options, Policy, Resource, Session, SqlOptions};
use ordinance_postgres_tests::gen::{self, Rng};
use ordinance_postgres_tests::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Instant;

const NOW: i64 = 1_721_770_150;

#[derive(Default)]
struct Tally {
    queries: usize,
    rows: usize,
    allowed: usize,
    invalid_rows: usize,
    not_expressible: usize,
}

struct Table<'a> {
    name: &'a str,
    resource_type: &'a str,
    /// attribute or column name -> SQL type, by attribute name.
    columns: Vec<(&'a str, &'a str)>,
    /// attribute -> column, where they differ.
    column_map: HashMap<String, String>,
}

/// Creates and fills the table; returns the rows as stored, keyed by attribute.
fn load(client: &mut Client, t: &Table, rows: &[Value]) -> Vec<Value> {
    let cols: Vec<(String, &str)> = t
        .columns
        .iter()
        .map(|(attr, ty)| (t.column_map.get(*attr).cloned().unwrap_or_else(|| (*attr).to_string()), *ty))
        .collect();
    create_table(client, t.name, &cols);
    let stored: Vec<Value> = rows.iter().map(|r| rename(r, &t.column_map)).collect();
    insert_rows(client, t.name, &stored);
    reload(client, t)
}

/// The rows as stored, keyed by attribute.
fn reload(client: &mut Client, t: &Table) -> Vec<Value> {
    let back: HashMap<String, String> = t.column_map.iter().map(|(a, c)| (c.clone(), a.clone())).collect();
    read_rows(client, t.name).iter().map(|r| rename(r, &back)).collect()
}

#[allow(clippy::too_many_arguments)]
fn compare(
    client: &mut Client,
    engine: &Engine,
    t: &Table,
    rows: &[Value],
    claims: &Value,
    context: Option<&Value>,
    first_param: usize,
    tally: &mut Tally,
) {
    let Ok(session) = Session::from_claims(claims.clone()) else {
        return; // invalid claims: `decide` denies everything; there is no session to filter for
    };
    let mut opts = Options::default().at(NOW);
    if let Some(c) = context {
        opts = opts.with_context(Context::from_value(c.clone()).unwrap());
    }
    let resources: Vec<(i64, Resource)> = rows
        .iter()
        .map(|r| (row_id(r), Resource::from_value(gen::row_resource(t.resource_type, r)).unwrap()))
        .collect();
    let mut columns = t.column_map.clone();
    if t.columns.iter().any(|(c, _)| *c == "rid") {
        columns.insert("id".into(), "rid".into());
    }
    for action in engine.policy().actions(t.resource_type) {
        let filter = match engine.filter(&session, action, t.resource_type, &opts) {
            Ok(f) => f,
            Err(e) => {
                assert_eq!(e.code(), "not_expressible", "{e}");
                tally.not_expressible += 1;
                continue;
            }
        };
        let sql = filter.to_sql(&SqlOptions { columns: columns.clone(), first_param }).unwrap();
        let (query, params) = if first_param == 1 {
            (format!("SELECT id FROM {} WHERE {} ORDER BY id", t.name, sql.sql), sql.params.clone())
        } else {
            // The filter appended to a query that already binds `$1`.
            let mut params = vec![json!(-1)];
            params.extend(sql.params.iter().cloned());
            (format!("SELECT id FROM {} WHERE id > $1::bigint AND ({}) ORDER BY id", t.name, sql.sql), params)
        };
        let got = ids(client, &query, &params);
        let mut want = Vec::new();
        for (id, r) in &resources {
            let d = engine.decide_with(&session, action, r, &opts);
            if d.allowed {
                want.push(*id);
            }
            if d.reason == "invalid_resource" {
                tally.invalid_rows += 1;
            }
        }
        assert_eq!(
            got,
            want,
            "action `{action}` on `{}`\nclaims {claims}\ncontext {context:?}\nfilter {}\nsql {}\nparams {:?}",
            t.name,
            filter.to_json(),
            sql.sql,
            sql.params
        );
        tally.queries += 1;
        tally.rows += resources.len();
        tally.allowed += want.len();
    }
}

fn item_columns() -> Vec<(&'static str, &'static str)> {
    vec![
        ("rid", "text"),
        ("owner_id", "text"),
        ("team", "varchar(40)"),
        ("level", "integer"),
        ("quota", "bigint"),
        ("archived", "boolean"),
        ("pinned", "boolean"),
        ("tags", "text[]"),
        ("labels", "text[]"),
        ("title", "text"),
    ]
}

#[test]
fn stress_policy_where_clauses_agree_with_decide() {
    let Some(mut client) = connect("stress_policy_where_clauses_agree_with_decide") else { return };
    fresh_schema(&mut client, "filter_stress");
    let engine = Engine::new(Policy::parse_named("stress.ord", gen::STRESS_POLICY).unwrap());
    let started = Instant::now();
    let mut tally = Tally::default();
    for seed in 1..=16u64 {
        let mut rng = Rng::new(seed);
        let name = format!("items_{seed}");
        let mut column_map = HashMap::new();
        if seed % 2 == 0 {
            // A column that needs quoting, mapped from its attribute.
            column_map.insert("owner_id".to_string(), "Owner \"Id\"".to_string());
        }
        let t = Table { name: &name, resource_type: "item", columns: item_columns(), column_map };
        let rows: Vec<Value> = (0..50).map(|i| gen::item_row(&mut rng, i)).collect();
        load(&mut client, &t, &rows);
        // Arrays whose subscripts do not start at 1 (JSON cannot say so; SQL can).
        client
            .batch_execute(&format!(
                "UPDATE {name} SET labels = '[5:6]={{a,b}}'::text[] WHERE labels = ARRAY['a', 'b'] AND id % 2 = 0;
                 UPDATE {name} SET tags = '[0:1]={{public,x}}'::text[] WHERE id % 5 = 0 AND tags IS NOT NULL"
            ))
            .unwrap();
        let rows = reload(&mut client, &t);
        for i in 0..25 {
            let claims = gen::claims(&mut rng, NOW);
            let context = gen::context(&mut rng);
            let first = if i % 3 == 0 { 2 } else { 1 };
            compare(&mut client, &engine, &t, &rows, &claims, Some(&context), first, &mut tally);
        }
    }
    eprintln!(
        "stress: {} queries, {} rows compared ({} allowed, {} invalid), {} not expressible, {:.2?}",
        tally.queries,
        tally.rows,
        tally.allowed,
        tally.invalid_rows,
        tally.not_expressible,
        started.elapsed()
    );
    assert!(tally.queries > 1500 && tally.allowed > 5000 && tally.invalid_rows > 1000);
    assert!(tally.allowed * 2 < tally.rows, "the data should deny more than it allows");
}

#[test]
fn shipped_policies_where_clauses_agree_with_decide() {
    let Some(mut client) = connect("shipped_policies_where_clauses_agree_with_decide") else { return };
    fresh_schema(&mut client, "filter_shipped");
    let started = Instant::now();
    let mut tally = Tally::default();
    for (file, ty, attrs) in gen::shipped_types() {
        let path = format!("{}/../../policies/{file}", env!("CARGO_MANIFEST_DIR"));
        let engine = Engine::new(Policy::from_file(&path).unwrap());
        for seed in 1..=6u64 {
            let mut rng = Rng::new(seed * 31 + file.len() as u64);
            let name = format!("{ty}s_{seed}");
            let mut columns: Vec<(&str, &str)> = attrs.iter().map(|(n, ty, _)| (*n, *ty)).collect();
            if ty == "task" {
                columns.push(("name", "text"));
            }
            let t = Table { name: &name, resource_type: ty, columns, column_map: HashMap::new() };
            let rows: Vec<Value> = (0..40)
                .map(|i| if ty == "task" { gen::task_row(&mut rng, i) } else { gen::generic_row(&mut rng, i, &attrs) })
                .collect();
            let rows = load(&mut client, &t, &rows);
            for _ in 0..25 {
                let claims = gen::claims(&mut rng, NOW);
                let scopes = rng.pick(&[
                    json!({}),
                    json!({"approved_scopes": "https://www.googleapis.com/auth/calendar.readonly"}),
                    json!({"approved_scopes": ["https://www.googleapis.com/auth/calendar.readonly", "https://www.googleapis.com/auth/calendar.events"]}),
                ]);
                compare(&mut client, &engine, &t, &rows, &claims, Some(&scopes), 1, &mut tally);
            }
        }
    }
    eprintln!(
        "shipped: {} queries, {} rows compared ({} allowed, {} invalid), {:.2?}",
        tally.queries,
        tally.rows,
        tally.allowed,
        tally.invalid_rows,
        started.elapsed()
    );
    assert_eq!(tally.not_expressible, 0);
    assert!(tally.queries > 1000 && tally.allowed > 2000);
}
