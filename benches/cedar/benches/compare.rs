//! Team Task, side by side: the hand-written floor and `cedar-policy`.
//!
//! Every `prepared` and `json` benchmark runs the whole [`workload::MIX`] (8 requests,
//! 5 allow, 3 deny) per iteration: divide the reported time by `MIX.len()` for one
//! decision. Each decision is asserted against the expected one before timing.
//!
//! * `floor/prepared`: `floor_decide` on claims and task parsed beforehand.
//! * `floor/json`: `floor_decide_json` from the raw claims and resource JSON.
//! * `cedar/prepared`: `Authorizer::is_authorized` on a request and entity store
//!   built beforehand (the policy set compiled once).
//! * `cedar/json`: parse the same JSON, build the entities (validated against the
//!   schema) and the request (validated), then `is_authorized`.
//! * `cedar/compile`: parse the schema and the policies and validate the policies
//!   in strict mode, once per iteration (not divided).
#![allow(clippy::expect_used)] // a benchmark whose setup fails should stop loudly

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ordinance_cedar_bench::cedar::{self, TeamTasks};
use ordinance_cedar_bench::workload::{Request, MIX};
use ordinance_cedar_bench::{floor_decide, floor_decide_json, Claims, Task};

fn mix_len() -> u64 {
    u64::try_from(MIX.len()).unwrap_or(u64::MAX)
}

fn floor(c: &mut Criterion) {
    let parsed: Vec<(Claims<'static>, &'static str, Task<'static>, &Request)> = MIX
        .iter()
        .map(|r| {
            let claims: Claims<'static> = serde_json::from_str(r.claims).expect("claims parse");
            let task: Task<'static> = serde_json::from_str(r.resource).expect("task parses");
            (claims, r.action, task, r)
        })
        .collect();
    for (claims, action, task, r) in &parsed {
        assert_eq!(floor_decide(claims, action, task), r.expected, "{}", r.name);
    }
    for r in &MIX {
        assert_eq!(
            floor_decide_json(r.claims, r.action, r.resource),
            r.expected,
            "{}",
            r.name
        );
    }

    let mut group = c.benchmark_group("floor");
    group.throughput(Throughput::Elements(mix_len()));
    group.bench_function("prepared", |b| {
        b.iter(|| {
            let mut allowed = 0u32;
            for (claims, action, task, _) in &parsed {
                allowed += u32::from(floor_decide(
                    black_box(claims),
                    black_box(action),
                    black_box(task),
                ));
            }
            allowed
        });
    });
    group.bench_function("json", |b| {
        b.iter(|| {
            let mut allowed = 0u32;
            for r in &MIX {
                allowed += u32::from(floor_decide_json(
                    black_box(r.claims),
                    black_box(r.action),
                    black_box(r.resource),
                ));
            }
            allowed
        });
    });
    group.finish();
}

fn cedar(c: &mut Criterion) {
    let engine = TeamTasks::new().expect("cedar policy compiles");
    let prepared: Vec<_> = MIX
        .iter()
        .map(|r| {
            (
                engine
                    .build_json(r.claims, r.action, r.resource)
                    .expect("cedar request builds"),
                r,
            )
        })
        .collect();
    for (p, r) in &prepared {
        assert_eq!(engine.is_authorized(p), r.expected, "{}", r.name);
    }
    for r in &MIX {
        assert_eq!(
            engine.decide_json(r.claims, r.action, r.resource),
            r.expected,
            "{}",
            r.name
        );
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
                allowed += u32::from(engine.decide_json(
                    black_box(r.claims),
                    black_box(r.action),
                    black_box(r.resource),
                ));
            }
            allowed
        });
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("compile", |b| {
        b.iter(|| {
            cedar::compile(black_box(cedar::SCHEMA_SRC), black_box(cedar::POLICIES_SRC))
                .expect("cedar policy compiles")
        });
    });
    group.finish();
}

criterion_group!(benches, floor, cedar);
criterion_main!(benches);
