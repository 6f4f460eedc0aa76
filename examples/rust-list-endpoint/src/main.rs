//! A list endpoint on `Engine::filter`: the tasks a session may see, filtered by PostgreSQL.
//!
//! Run: `scripts/with-postgres.sh cargo run --manifest-path examples/rust-list-endpoint/Cargo.toml`

use ordinance::{Engine, Options, Policy, Resource, Session, SqlOptions};
use postgres::types::ToSql;
use postgres::{Client, NoTls};
use serde_json::{json, Value};
use std::process::ExitCode;

#[derive(Debug)]
struct Task {
    id: i64,
    name: String,
    owner_id: String,
    created_by_id: String,
}

/// `GET /tasks?action=...`: the tasks `session` may take `action` on, in one query.
///
/// The filter holds everything the session decides (role, permissions, seat, active
/// organization); the database applies what depends on the row. Values travel as bind
/// parameters, never inside the SQL text.
fn list_tasks(db: &mut Client, engine: &Engine, session: &Session, action: &str) -> Result<Vec<Task>, String> {
    let filter = engine.filter(session, action, "task", &Options::default()).map_err(|e| e.to_string())?;
    if filter.kind() == "never" {
        return Ok(Vec::new()); // skip the round trip: nothing is allowed
    }
    // $1 is the page size below, so the filter's parameters start at $2.
    let opts = SqlOptions { first_param: 2, ..SqlOptions::default() };
    let sql = filter.to_sql(&opts).map_err(|e| e.to_string())?;
    let query = format!("SELECT id, name, owner_id, created_by_id FROM tasks WHERE {} ORDER BY id LIMIT $1", sql.sql);
    let mut params: Vec<Box<dyn ToSql + Sync>> = vec![Box::new(100i64)];
    params.extend(sql.params.iter().map(bind));
    let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref()).collect();
    let rows = db.query(&query, &refs).map_err(|e| e.to_string())?;
    Ok(rows
        .iter()
        .map(|r| Task { id: r.get(0), name: r.get(1), owner_id: r.get(2), created_by_id: r.get(3) })
        .collect())
}

/// A filter parameter as the type its cast in the SQL names (`$n::text`, `$n::bigint`,
/// `$n::text[]`, `$n::bigint[]`; an empty list is `text[]`).
fn bind(v: &Value) -> Box<dyn ToSql + Sync> {
    match v {
        Value::String(s) => Box::new(s.clone()),
        Value::Number(n) => Box::new(n.as_i64().unwrap_or_default()),
        Value::Bool(b) => Box::new(*b),
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_i64) => {
            Box::new(items.iter().filter_map(Value::as_i64).collect::<Vec<i64>>())
        }
        Value::Array(items) => {
            Box::new(items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect::<Vec<String>>())
        }
        Value::Null | Value::Object(_) => Box::new(Option::<String>::None),
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn run() -> Result<(), String> {
    let Ok(url) = std::env::var("ORDINANCE_PG_URL") else {
        return Err("set ORDINANCE_PG_URL, or run through scripts/with-postgres.sh".into());
    };
    let policy_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies/team_tasks.ord");
    let engine = Engine::new(Policy::from_file(policy_path).map_err(|e| e.to_string())?);
    let mut db = Client::connect(&url, NoTls).map_err(|e| e.to_string())?;
    db.batch_execute(
        "CREATE TEMPORARY TABLE tasks (id bigint PRIMARY KEY, name text NOT NULL,
                                       owner_id text NOT NULL, created_by_id text NOT NULL);
         INSERT INTO tasks VALUES
           (1, 'Write the brief',       'org_acme',  'user_alice'),
           (2, 'Review the brief',      'org_acme',  'user_bob'),
           (3, 'Buy milk',              'user_bob',  'user_bob'),
           (4, 'Plan the offsite',      'org_other', 'user_carol'),
           (5, 'Fix the login page',    'org_acme',  'user_alice');",
    )
    .map_err(|e| e.to_string())?;

    let sessions = [
        ("bob, member of acme, no seat", json!({"sub": "user_bob", "org_id": "org_acme", "org_role": "org:member"})),
        (
            "bob, member of acme, with a seat",
            json!({"sub": "user_bob", "org_id": "org_acme", "org_role": "org:member", "org_metadata": {"isLicensed": true}}),
        ),
        (
            "alice, admin of acme, with a seat",
            json!({"sub": "user_alice", "org_id": "org_acme", "org_role": "org:admin", "org_metadata": {"isLicensed": true}}),
        ),
        ("bob, personal account", json!({"sub": "user_bob"})),
    ];
    for (who, claims) in sessions {
        let session = Session::from_claims(claims).map_err(|e| e.to_string())?;
        for action in ["view", "edit"] {
            let tasks = list_tasks(&mut db, &engine, &session, action)?;
            let names: Vec<String> = tasks.iter().map(|t| format!("#{} {}", t.id, t.name)).collect();
            println!("{who:<34} {action:<5} {}", names.join(", "));
            // The same answer as asking `decide` about every task.
            let everything = db
                .query("SELECT id, name, owner_id, created_by_id FROM tasks ORDER BY id", &[])
                .map_err(|e| e.to_string())?;
            for row in everything {
                let t = Task { id: row.get(0), name: row.get(1), owner_id: row.get(2), created_by_id: row.get(3) };
                let resource = Resource::new("task")
                    .with_id(t.id.to_string())
                    .with_attr("owner_id", t.owner_id.as_str())
                    .with_attr("created_by_id", t.created_by_id.as_str());
                let listed = tasks.iter().any(|l| l.id == t.id);
                if engine.decide(&session, action, &resource).allowed != listed {
                    return Err(format!("`{}`: the list and `decide` disagree for {who} / {action}", t.name));
                }
            }
        }
    }
    Ok(())
}
