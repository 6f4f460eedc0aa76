//! The filter agrees with `decide`: for random sessions, contexts and rows, a row passes
//! the residual (evaluated in SQL's three-valued logic, as PostgreSQL would evaluate the
//! rendered `WHERE`) exactly when `decide` allows it, and the residual is never `NULL`.
//! `tests/postgres` runs the same generators against a real PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod filter_support;

use filter_support::*;
use ordinance::{Context, Engine, Options, Policy, Resource, Session};
use serde_json::Value;

const NOW: i64 = 1_721_770_150;

struct Tally {
    compared: usize,
    not_expressible: usize,
    filters: usize,
}

fn agree(engine: &Engine, ty: &str, rows: &[Value], claims: &Value, context: Option<&Value>, tally: &mut Tally) {
    let session = Session::from_claims(claims.clone());
    let mut opts = Options::default().at(NOW);
    if let Some(c) = context {
        opts = opts.with_context(Context::from_value(c.clone()).unwrap());
    }
    for action in engine.policy().actions(ty) {
        let resources: Vec<Resource> =
            rows.iter().map(|r| Resource::from_value(row_resource(ty, r)).unwrap()).collect();
        let Ok(session) = &session else {
            // Invalid claims: every decision is a deny; there is no session to filter for.
            for r in &resources {
                let d = engine.decide_value(
                    claims.clone(),
                    action,
                    serde_json::to_value(r_json(r)).unwrap(),
                    context.cloned(),
                    Some(NOW),
                );
                assert!(!d.allowed);
            }
            continue;
        };
        tally.filters += 1;
        let filter = match engine.filter(session, action, ty, &opts) {
            Ok(f) => f,
            Err(e) => {
                assert_eq!(e.code(), "not_expressible", "{e}");
                assert!(e.rule().is_some());
                tally.not_expressible += 1;
                continue;
            }
        };
        let sql = filter.to_sql(&Default::default());
        assert!(sql.is_ok(), "{action}: {sql:?}");
        for r in &resources {
            let d = engine.decide_with(session, action, r, &opts);
            let got = filter.sql_logic(r);
            assert_eq!(
                got,
                Some(d.allowed),
                "action `{action}` claims {claims} context {context:?}\nresource {r:?}\ndecision {}\nfilter {}",
                d.to_json(),
                filter.to_json()
            );
            assert_eq!(filter.matches(r), d.allowed);
            tally.compared += 1;
        }
    }
}

fn r_json(r: &Resource) -> Value {
    let mut v = serde_json::Map::new();
    v.insert("type".into(), r.type_name().into());
    if let Some(id) = r.id() {
        v.insert("id".into(), id.into());
    }
    Value::Object(v)
}

fn policy(name: &str) -> Engine {
    let path = format!("{}/../policies/{name}", env!("CARGO_MANIFEST_DIR"));
    Engine::new(Policy::from_file(&path).unwrap())
}

#[test]
fn stress_policy_filters_agree_with_decide() {
    let engine = Engine::new(Policy::parse_named("stress.ord", STRESS_POLICY).unwrap());
    let mut tally = Tally { compared: 0, not_expressible: 0, filters: 0 };
    for seed in 1..=15u64 {
        let mut rng = Rng::new(seed);
        let rows: Vec<Value> = (0..60).map(|i| item_row(&mut rng, i)).collect();
        for _ in 0..30 {
            let claims = claims(&mut rng, NOW);
            let context = context(&mut rng);
            agree(&engine, "item", &rows, &claims, Some(&context), &mut tally);
        }
    }
    eprintln!(
        "stress: {} comparisons, {} filters, {} not expressible",
        tally.compared, tally.filters, tally.not_expressible
    );
    assert!(tally.compared > 50_000);
    // Only the context lists that mix value types against a row list are refused.
    assert!(tally.not_expressible * 10 < tally.filters, "{} of {}", tally.not_expressible, tally.filters);
}

#[test]
fn rls_policy_filters_agree_with_decide() {
    let engine = Engine::new(Policy::parse_named("rls.ord", RLS_POLICY).unwrap());
    let mut tally = Tally { compared: 0, not_expressible: 0, filters: 0 };
    for seed in 100..=110u64 {
        let mut rng = Rng::new(seed);
        let rows: Vec<Value> = (0..60).map(|i| item_row(&mut rng, i)).collect();
        for _ in 0..30 {
            let claims = claims(&mut rng, NOW);
            agree(&engine, "item", &rows, &claims, None, &mut tally);
        }
    }
    eprintln!("rls policy: {} comparisons, {} filters", tally.compared, tally.filters);
    assert_eq!(tally.not_expressible, 0);
    assert!(tally.compared > 50_000);
}

#[test]
fn shipped_policies_filters_agree_with_decide() {
    for (file, ty, attrs) in shipped_types() {
        let engine = policy(file);
        let mut tally = Tally { compared: 0, not_expressible: 0, filters: 0 };
        for seed in 1..=10u64 {
            let mut rng = Rng::new(seed * 7919);
            let rows: Vec<Value> = if ty == "task" {
                (0..40).map(|i| task_row(&mut rng, i)).collect()
            } else {
                (0..40).map(|i| generic_row(&mut rng, i, &attrs)).collect()
            };
            for _ in 0..30 {
                let claims = claims(&mut rng, NOW);
                let scopes = rng.pick(&[
                    serde_json::json!({}),
                    serde_json::json!({"approved_scopes": "https://www.googleapis.com/auth/calendar.readonly"}),
                    serde_json::json!({"approved_scopes": ["https://www.googleapis.com/auth/calendar.readonly", "https://www.googleapis.com/auth/calendar.events"]}),
                ]);
                agree(&engine, ty, &rows, &claims, Some(&scopes), &mut tally);
            }
        }
        eprintln!("{file}: {} comparisons, {} filters", tally.compared, tally.filters);
        assert_eq!(tally.not_expressible, 0, "{file}");
        assert!(tally.compared > 5_000, "{file}");
    }
}
