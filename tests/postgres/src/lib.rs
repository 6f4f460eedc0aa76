//! Helpers for the PostgreSQL agreement tests: a connection from `ORDINANCE_PG_URL`, tables
//! built from random rows, and bind parameters from a filter's JSON values.
//!
//! Without `ORDINANCE_PG_URL` the tests fail when `CI` is set and are skipped (loudly)
//! otherwise. `scripts/with-postgres.sh` starts a throwaway server and sets the variable.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../../../engine/tests/filter_support/mod.rs"]
pub mod gen;

use postgres::types::ToSql;
pub use postgres::{Client, NoTls};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::io::Write;

/// Connects to `ORDINANCE_PG_URL`; `None` (after a loud message) when it is unset outside CI.
pub fn connect(test: &str) -> Option<Client> {
    match std::env::var("ORDINANCE_PG_URL") {
        Ok(url) => Some(Client::connect(&url, NoTls).unwrap_or_else(|e| panic!("cannot connect to `{url}`: {e}"))),
        Err(_) if std::env::var_os("CI").is_some() => panic!(
            "ORDINANCE_PG_URL is not set but CI is: run `scripts/with-postgres.sh cargo test --manifest-path tests/postgres/Cargo.toml`"
        ),
        Err(_) => {
            // Straight to stderr: `eprintln!` output is captured and hidden for a passing test.
            let _ = writeln!(
                std::io::stderr(),
                "\n*** SKIPPED {test}: ORDINANCE_PG_URL is not set. Run it against a real PostgreSQL with\n***   scripts/with-postgres.sh cargo test --manifest-path tests/postgres/Cargo.toml\n"
            );
            None
        }
    }
}

/// A fresh schema, first on the search path.
pub fn fresh_schema(client: &mut Client, name: &str) {
    client
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}; SET search_path = {name};"
        ))
        .unwrap();
}

/// `CREATE TABLE table (id bigint PRIMARY KEY, <columns>)`; columns are quoted.
pub fn create_table(client: &mut Client, table: &str, columns: &[(String, &str)]) {
    let cols: Vec<String> = columns.iter().map(|(c, ty)| format!("\"{}\" {ty}", c.replace('"', "\"\""))).collect();
    client.batch_execute(&format!("CREATE TABLE {table} (id bigint PRIMARY KEY, {})", cols.join(", "))).unwrap();
}

/// Inserts rows given as JSON objects keyed by column (arrays become SQL arrays, nested
/// arrays two-dimensional ones, `null` is `NULL`).
pub fn insert_rows(client: &mut Client, table: &str, rows: &[Value]) {
    let stmt =
        client.prepare(&format!("INSERT INTO {table} SELECT * FROM jsonb_populate_record(NULL::{table}, $1)")).unwrap();
    for row in rows {
        client.execute(&stmt, &[row]).unwrap();
    }
}

/// Every row as stored, as `to_jsonb` gives it, by id.
pub fn read_rows(client: &mut Client, table: &str) -> Vec<Value> {
    client
        .query(&format!("SELECT to_jsonb(t) FROM {table} t ORDER BY id"), &[])
        .unwrap()
        .iter()
        .map(|r| r.get::<_, Value>(0))
        .collect()
}

/// Renames the keys of a row object (`from` -> `to`).
pub fn rename(row: &Value, map: &HashMap<String, String>) -> Value {
    let mut out = Map::new();
    for (k, v) in row.as_object().cloned().unwrap_or_default() {
        out.insert(map.get(&k).cloned().unwrap_or(k), v);
    }
    Value::Object(out)
}

/// A filter parameter as the type its cast names: a string binds as `text`, an integer as
/// `bigint`, a boolean as `boolean`, a list of integers as `bigint[]` and any other list
/// (strings, or empty) as `text[]`.
pub fn bind(v: &Value) -> Box<dyn ToSql + Sync> {
    match v {
        Value::String(s) => Box::new(s.clone()),
        Value::Bool(b) => Box::new(*b),
        Value::Number(n) => Box::new(n.as_i64().expect("integer parameter")),
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_i64) => {
            Box::new(items.iter().map(|i| i.as_i64().unwrap()).collect::<Vec<i64>>())
        }
        Value::Array(items) => {
            Box::new(items.iter().map(|i| i.as_str().expect("string item").to_string()).collect::<Vec<String>>())
        }
        other => panic!("unexpected parameter {other}"),
    }
}

/// The ids a query returns, in order.
pub fn ids(client: &mut impl postgres::GenericClient, sql: &str, params: &[Value]) -> Vec<i64> {
    let boxed: Vec<Box<dyn ToSql + Sync>> = params.iter().map(bind).collect();
    let refs: Vec<&(dyn ToSql + Sync)> = boxed.iter().map(|b| b.as_ref()).collect();
    match client.query(sql, &refs) {
        Ok(rows) => rows.iter().map(|r| r.get::<_, i64>(0)).collect(),
        Err(e) => panic!("query failed: {e}\n{sql}\nparams {params:?}"),
    }
}

/// The id column of a read-back row.
pub fn row_id(row: &Value) -> i64 {
    row["id"].as_i64().unwrap()
}
