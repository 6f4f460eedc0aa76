//! The Rust examples of `README.md` and `docs/filters.md`, compiled and run here.
//!
//! The documents show only the lines a reader needs (rustdoc's hidden `# ` lines would
//! show on GitHub), so each example lives in this file between an `// example: NAME` line
//! and an `// end example` line, inside the setup that makes it a program and the checks
//! that pin what the document says it prints. `the_documents_show_these_examples` holds
//! the two together: every Rust block of the documents must be, line for line, one of the
//! examples here, and every example here must be shown somewhere.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// The examples borrow what their caller already holds by reference (`&session`), as an
// application handler would write them.
#![allow(clippy::needless_borrow)]

use ordinance::Requirement;
use serde_json::json;

const DOCUMENTS: [(&str, &str); 2] =
    [("README.md", include_str!("../../README.md")), ("docs/filters.md", include_str!("../../docs/filters.md"))];

fn policy_path(name: &str) -> String {
    format!("{}/../policies/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[derive(Debug)]
enum AppError {
    Forbidden {
        #[allow(dead_code)] // shown by Debug in a failing test
        reason: String,
        #[allow(dead_code)]
        missing: Vec<Requirement>,
    },
    Other(#[allow(dead_code)] Box<dyn std::error::Error>),
}
use AppError::Forbidden;

impl<E: std::error::Error + 'static> From<E> for AppError {
    fn from(e: E) -> AppError {
        AppError::Other(Box::new(e))
    }
}

/// The README's paths are relative to the repository root. Every test that needs it sets
/// the same directory (the others use absolute paths), so tests running at once agree.
fn at_repository_root() {
    std::env::set_current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).unwrap();
}

/// README.md, "Rust": decide, the buttons, many decisions on one action, the yes/no
/// answer, the borrowed decisions.
#[rustfmt::skip]
fn readme_decide(verified_claims_json: &str) -> Result<(ordinance::Decision, Vec<String>, usize, Vec<String>), AppError> {
    let rows = [
        ordinance::Resource::from_json(r#"{"type": "task", "owner_id": "org_1", "created_by_id": "user_2"}"#)?,
        ordinance::Resource::from_json(r#"{"type": "task", "owner_id": "org_1", "created_by_id": "user_9"}"#)?,
    ];
    at_repository_root();
    {
        // example: readme-decide
        use ordinance::{Engine, Options, Policy, Resource, Session};

        let engine = Engine::new(Policy::from_file("policies/team_tasks.ord")?); // once; Send + Sync, cheap to clone
        let session = Session::from_claims_json(verified_claims_json)?;           // once per token
        let task = Resource::from_json(r#"{"type": "task", "id": "42", "owner_id": "org_1", "created_by_id": "user_2"}"#)?;

        let decision = engine.decide(&session, "edit", &task);
        if !decision.allowed {
            return Err(Forbidden { reason: decision.reason.to_string(), missing: decision.missing });
        }
        let buttons = engine.permitted_actions(&session, &task, &Options::default()); // ["view", "create", ...]

        // Many decisions on one action: look it up once, and decide into the same `Decision`.
        let edit = engine.action("edit").expect("declared");
        let mut d = engine.decide_action(&session, edit, &task, &Options::default());
        for row in &rows {
            engine.decide_action_into(&session, edit, row, &Options::default(), &mut d);
        }

        // Only the answer (a list filter, a guard): no `Decision` built, no allocation.
        let opts = Options::default();
        let editable: Vec<&Resource> = rows.iter().filter(|row| engine.is_allowed(&session, "edit", row, &opts)).collect();

        // A button per row: the decision borrowed (reason and rule in place, no allocation),
        // the hint worked out only for the rows whose button is disabled.
        let mut hints = Vec::new();
        for row in &rows {
            let d = engine.decide_ref(&session, "edit", row, &opts);
            if !d.allowed() {
                let needs: Vec<String> = d.missing().iter().map(ToString::to_string).collect();
                hints.push(format!("{}: {}", d.reason(), needs.join(", "))); // "no_matching_rule: requires the ..."
            }
        }
        // end example
        Ok((d, buttons, editable.len(), hints))
    }
}

#[test]
fn readme_decide_runs_as_shown() {
    let member =
        r#"{"sub": "user_2", "org_id": "org_1", "org_role": "org:member", "org_metadata": {"isLicensed": true}}"#;
    let (last, buttons, editable, hints) = readme_decide(member).unwrap();
    assert_eq!(hints, ["no_matching_rule: requires the `org:tasks:manage` permission"]);
    assert_eq!(buttons, ["view", "create", "edit", "complete", "delete"]);
    assert!(!last.allowed, "the last row was created by someone else: {last:?}");
    assert_eq!(editable, 1, "a member may edit the row they created, not the other");
    let viewer =
        r#"{"sub": "user_3", "org_id": "org_1", "org_role": "org:viewer", "org_metadata": {"isLicensed": true}}"#;
    match readme_decide(viewer) {
        // The task is user_2's: a viewer (user_3) would need to manage tasks to edit it.
        Err(AppError::Forbidden { reason, missing }) => {
            assert_eq!(reason, "no_matching_rule");
            assert_eq!(
                serde_json::to_value(&missing).unwrap(),
                json!([{"kind": "permission", "name": "org:tasks:manage"}])
            );
        }
        other => panic!("a viewer may not edit: {other:?}"),
    }
}

/// A database client as the filter examples use it: records the query it was given.
struct Client(std::cell::RefCell<Vec<(String, Vec<String>)>>);

impl Client {
    fn query(&self, sql: &str, params: &[String]) -> Result<Vec<String>, std::fmt::Error> {
        self.0.borrow_mut().push((sql.to_owned(), params.to_vec()));
        Ok(vec!["row".to_owned()])
    }
}

fn params(values: &[serde_json::Value]) -> Vec<String> {
    values.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).collect()
}

fn bind(values: &[serde_json::Value]) -> Vec<String> {
    params(values)
}

const BOB: &str = r#"{"sub": "user_bob", "org_id": "org_1", "org_role": "org:member"}"#;
const BOB_SQL: &str = r#"SELECT * FROM tasks WHERE "owner_id" IS NOT NULL AND "created_by_id" IS NOT NULL AND ("owner_id" = $1::text OR "owner_id" = $2::text)"#;

/// README.md and docs/filters.md ("README snippet"): the policy as a SQL filter.
#[rustfmt::skip]
fn readme_filter(
    engine: &ordinance::Engine,
    session: &ordinance::Session,
    client: &Client,
) -> Result<(), Box<dyn std::error::Error>> {
    use ordinance::{Options, SqlOptions};
    // example: readme-filter
    let filter = engine.filter(&session, "view", "task", &Options::default())?;
    let sql = filter.to_sql(&SqlOptions::default())?;   // ... AND ("owner_id" = $1::text OR "owner_id" = $2::text)
    client.query(&format!("SELECT * FROM tasks WHERE {}", sql.sql), &params(&sql.params))?;
    // end example
    Ok(())
}

#[test]
fn readme_filter_runs_as_shown() {
    let engine = ordinance::Engine::new(ordinance::Policy::from_file(policy_path("team_tasks.ord")).unwrap());
    let client = Client(Default::default());
    readme_filter(&engine, &ordinance::Session::from_claims_json(BOB).unwrap(), &client).unwrap();
    assert_eq!(client.0.into_inner(), [(BOB_SQL.to_owned(), vec!["user_bob".to_owned(), "org_1".to_owned()])]);
}

/// docs/filters.md, "Quick start": a list endpoint's query.
#[rustfmt::skip]
#[allow(unused_imports)] // the example imports what a handler's module would
fn filters_quick_start(
    engine: &ordinance::Engine,
    session: &ordinance::Session,
    client: &Client,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    // example: filters-quick-start
    use ordinance::{Engine, Options, Session, SqlOptions};

    let filter = engine.filter(&session, "view", "task", &Options::default())?;
    if filter.kind() == "never" { return Ok(vec![]); }          // filter.reason() says why
    let sql = filter.to_sql(&SqlOptions::default())?;
    // sql.sql:    "owner_id" IS NOT NULL AND "created_by_id" IS NOT NULL
    //             AND ("owner_id" = $1::text OR "owner_id" = $2::text)
    // sql.params: ["user_bob", "org_1"]
    let rows = client.query(&format!("SELECT * FROM tasks WHERE {}", sql.sql), &bind(&sql.params))?;
    // end example
    Ok(rows)
}

#[test]
fn filters_quick_start_runs_as_shown() {
    let engine = ordinance::Engine::new(ordinance::Policy::from_file(policy_path("team_tasks.ord")).unwrap());
    let client = Client(Default::default());
    let bob = ordinance::Session::from_claims_json(BOB).unwrap();
    assert_eq!(filters_quick_start(&engine, &bob, &client).unwrap(), ["row"]);
    assert_eq!(client.0.borrow().clone(), [(BOB_SQL.to_owned(), vec!["user_bob".to_owned(), "org_1".to_owned()])]);
    // An expired token: `never`, and no query at all.
    let expired = ordinance::Session::from_claims_json(r#"{"sub": "user_bob", "exp": 1}"#).unwrap();
    assert!(filters_quick_start(&engine, &expired, &client).unwrap().is_empty());
    assert_eq!(client.0.borrow().len(), 1);
}

/// README.md, "AuthZEN".
#[rustfmt::skip]
fn readme_authzen() -> Result<(), Box<dyn std::error::Error>> {
    at_repository_root();
    {
        // example: readme-authzen
        use ordinance::{Directory, Engine, Policy};
        let engine = Engine::new(Policy::from_file("policies/authzen_todo.ord")?)
            .with_directory(Directory::from_json(&std::fs::read_to_string("policies/authzen_todo.directory.json")?)?);
        let response = engine.evaluate(&serde_json::json!({
            "subject": {"type": "user", "id": "CiRmZDA2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs"},
            "action": {"name": "can_delete_todo"},
            "resource": {"type": "todo", "id": "1", "properties": {"ownerID": "morty@the-citadel.com"}}
        }))?;   // Err(InputError) = HTTP 400 Bad Request
        assert_eq!(response, serde_json::json!({"decision": true}));
        // end example
        Ok(())
    }
}

#[test]
fn readme_authzen_runs_as_shown() {
    readme_authzen().unwrap();
}

/// The examples of this file: name and lines, without the indentation of their function.
fn examples() -> Vec<(String, Vec<String>)> {
    let source = include_str!("doc_examples.rs");
    let mut found = Vec::new();
    let mut open: Option<(String, usize, Vec<&str>)> = None;
    for line in source.lines() {
        let trimmed = line.trim_start();
        if let Some(name) = trimmed.strip_prefix("// example: ") {
            open = Some((name.to_owned(), line.len() - trimmed.len(), Vec::new()));
        } else if trimmed == "// end example" {
            let (name, indent, lines) = open.take().expect("an `// end example` without its start");
            let lines = lines.iter().map(|l| l.get(indent..).unwrap_or("").to_owned()).collect();
            found.push((name, lines));
        } else if let Some((_, _, lines)) = open.as_mut() {
            lines.push(line);
        }
    }
    assert!(open.is_none(), "an example without `// end example`");
    found
}

/// The ```rust blocks of a markdown text, each as its lines.
fn rust_blocks(markdown: &str) -> Vec<Vec<String>> {
    let mut blocks = Vec::new();
    let mut open: Option<Vec<String>> = None;
    for line in markdown.lines() {
        match open.as_mut() {
            None if line.trim_start().starts_with("```rust") => open = Some(Vec::new()),
            Some(_) if line.trim_start().starts_with("```") => blocks.extend(open.take()),
            Some(lines) => lines.push(line.to_owned()),
            None => {}
        }
    }
    blocks
}

#[test]
fn the_documents_show_these_examples() {
    let examples = examples();
    assert_eq!(examples.len(), 4, "{:?}", examples.iter().map(|e| &e.0).collect::<Vec<_>>());
    let mut shown = vec![false; examples.len()];
    for (document, text) in DOCUMENTS {
        let blocks = rust_blocks(text);
        assert!(!blocks.is_empty(), "{document} has no Rust block");
        for block in blocks {
            let Some(i) = examples.iter().position(|(_, lines)| *lines == block) else {
                panic!(
                    "a Rust block of {document} is not an example of engine/tests/doc_examples.rs \
                     (change both together):\n{}",
                    block.join("\n")
                );
            };
            shown[i] = true;
        }
    }
    for ((name, _), shown) in examples.iter().zip(shown) {
        assert!(shown, "example `{name}` is in no document");
    }
}
