//! Team Task, side by side: the hand-written floor, ordinance and `cedar-policy`, in one
//! process so that the ratios come from the same run.
//!
//! Every `prepared` and `json` benchmark runs the whole [`workload::MIX`] (8 requests,
//! 5 allow, 3 deny) per iteration: divide the reported time by `MIX.len()` for one
//! decision. Each decision is asserted against the expected one before timing.
//!
//! * `floor/prepared`: `floor_decide` on claims and task parsed beforehand.
//! * `floor/json`: `floor_decide_json` from the raw claims and resource JSON.
//! * `ordinance/prepared`: `Engine::decide_with` on `Session`s and `Resource`s built
//!   beforehand (`policies/team_tasks.ord`, fixed `now`, no context).
//! * `ordinance/prepared_ref`: `Engine::decide_ref` on the same: the same decisions,
//!   borrowed (allowed, reason and rule in place; a deny's hint only when asked for).
//! * `ordinance/is_allowed`: `Engine::is_allowed` on the same: the yes/no answer the floor
//!   gives, without the `Decision` (reason, rule, hint).
//! * `ordinance/json`: `Engine::decide_json` from the raw claims and resource JSON.
//! * `ordinance/compile`: `Policy::parse` (lex, parse, validate) + `Engine::new` (compile)
//!   of `policies/team_tasks.ord`, once per iteration (not divided).
//! * `cedar/prepared`: `Authorizer::is_authorized` on a request and entity store
//!   built beforehand (the policy set compiled once).
//! * `cedar/json`: parse the same JSON, build the entities (validated against the
//!   schema) and the request (validated), then `is_authorized`.
//! * `cedar/compile`: parse the schema and the policies and validate the policies
//!   in strict mode, once per iteration (not divided).
#![allow(clippy::expect_used)] // a benchmark whose setup fails should stop loudly

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ordinance::{Engine, Options, Policy, Resource, Session};
use ordinance_cedar_bench::cedar::{self, TeamTasks};
use ordinance_cedar_bench::floor_bench::{bench_floor, floor_inputs};
use ordinance_cedar_bench::workload::{Request, MIX, NOW};

fn mix_len() -> u64 {
    u64::try_from(MIX.len()).unwrap_or(u64::MAX)
}

fn floor(c: &mut Criterion) {
    bench_floor(c, &floor_inputs().expect("the floor's inputs parse"));
}

/// The Team Task policy, embedded so that no iteration reads a file.
const TEAM_TASKS_ORD: &str = include_str!("../../../policies/team_tasks.ord");

fn ordinance(c: &mut Criterion) {
    let engine = Engine::new(Policy::parse(TEAM_TASKS_ORD).expect("team_tasks.ord compiles"));
    let opts = Options { now: Some(NOW), context: None };
    let prepared: Vec<(Session, Resource, &Request)> = MIX
        .iter()
        .map(|r| {
            (
                Session::from_claims_json(r.claims).expect("claims parse"),
                Resource::from_json(r.resource).expect("resource parses"),
                r,
            )
        })
        .collect();
    for (session, resource, r) in &prepared {
        let d = engine.decide_with(session, r.action, resource, &opts);
        assert_eq!(d.allowed, r.expected, "{}", r.name);
        let d = engine.decide_json(r.claims, r.action, r.resource, None, Some(NOW));
        assert_eq!(d.allowed, r.expected, "{}", r.name);
        assert_eq!(engine.is_allowed(session, r.action, resource, &opts), r.expected, "{}", r.name);
        let borrowed = engine.decide_ref(session, r.action, resource, &opts);
        assert!(borrowed == engine.decide_with(session, r.action, resource, &opts), "{}", r.name);
    }

    let mut group = c.benchmark_group("ordinance");
    group.throughput(Throughput::Elements(mix_len()));
    group.bench_function("prepared", |b| {
        b.iter(|| {
            let mut allowed = 0u32;
            for (session, resource, r) in &prepared {
                let d = engine.decide_with(black_box(session), black_box(r.action), black_box(resource), &opts);
                allowed += u32::from(d.allowed);
            }
            allowed
        });
    });
    group.bench_function("prepared_ref", |b| {
        b.iter(|| {
            let mut allowed = 0u32;
            for (session, resource, r) in &prepared {
                let d = engine.decide_ref(black_box(session), black_box(r.action), black_box(resource), &opts);
                allowed += u32::from(black_box(&d).allowed());
            }
            allowed
        });
    });
    group.bench_function("is_allowed", |b| {
        b.iter(|| {
            let mut allowed = 0u32;
            for (session, resource, r) in &prepared {
                allowed +=
                    u32::from(engine.is_allowed(black_box(session), black_box(r.action), black_box(resource), &opts));
            }
            allowed
        });
    });
    group.bench_function("json", |b| {
        b.iter(|| {
            let mut allowed = 0u32;
            for r in &MIX {
                let d = engine.decide_json(
                    black_box(r.claims),
                    black_box(r.action),
                    black_box(r.resource),
                    None,
                    Some(NOW),
                );
                allowed += u32::from(d.allowed);
            }
            allowed
        });
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("compile", |b| {
        b.iter(|| Engine::new(Policy::parse(black_box(TEAM_TASKS_ORD)).expect("team_tasks.ord compiles")));
    });
    group.finish();
}

fn cedar(c: &mut Criterion) {
    let engine = TeamTasks::new().expect("cedar policy compiles");
    let prepared: Vec<_> = MIX
        .iter()
        .map(|r| (engine.build_json(r.claims, r.action, r.resource).expect("cedar request builds"), r))
        .collect();
    for (p, r) in &prepared {
        assert_eq!(engine.is_authorized(p), r.expected, "{}", r.name);
    }
    for r in &MIX {
        assert_eq!(engine.decide_json(r.claims, r.action, r.resource), r.expected, "{}", r.name);
    }

    let mut group = c.benchmark_group("cedar");
    group.throughput(Throughput::Elements(mix_len()));
    group.bench_function("prepared", |b| {
        b.iter(|| {
            let mut allowed = 0u32;
            for (p, _) in &prepared {
                allowed += u32::from(engine.is_authorized(black_box(p)));
            }
            allowed
        });
    });
    group.bench_function("json", |b| {
        b.iter(|| {
            let mut allowed = 0u32;
            for r in &MIX {
                allowed +=
                    u32::from(engine.decide_json(black_box(r.claims), black_box(r.action), black_box(r.resource)));
            }
            allowed
        });
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("compile", |b| {
        b.iter(|| {
            cedar::compile(black_box(cedar::SCHEMA_SRC), black_box(cedar::POLICIES_SRC)).expect("cedar policy compiles")
        });
    });
    group.finish();
}

criterion_group!(benches, floor, ordinance, cedar);
criterion_main!(benches);
