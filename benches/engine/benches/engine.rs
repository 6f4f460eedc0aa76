//! ordinance benchmarks, with the hand-written floor in the same run.
//!
//! Every benchmark asserts its decisions before it is timed. Criterion times one
//! *iteration*; an iteration decides a fixed batch of requests, and each benchmark declares
//! that batch size as its `Throughput::Elements`, so `median / elements` is the time of one
//! decision (`benches/report.py` does the division from `benchmark.json`).
//!
//! | group / id | one iteration | elements |
//! |---|---|---|
//! | `decide/prepared`, `floor/prepared` | the 8 requests of `workload::MIX` on sessions and resources built beforehand | 8 |
//! | `decide/prepared_allows`, `decide/prepared_denies` | the 5 allows / the 3 denies of the mix, prepared | 5 / 3 |
//! | `decide/prepared_action_into` | the mix, prepared, with `Engine::action` looked up beforehand and `decide_action_into` one `Decision` | 8 |
//! | `decide/prepared_ref` | the mix, prepared, through `Engine::decide_ref`: the decision borrowed, its `missing` hint not asked for | 8 |
//! | `decide/prepared_action_ref` | the same with `Engine::action` looked up beforehand (`decide_action_ref`) | 8 |
//! | `decide/is_allowed` | the mix, prepared, through `Engine::is_allowed`: the yes/no answer (the floor's), no `Decision` | 8 |
//! | `decide/is_allowed_action` | the same with `Engine::action` looked up beforehand (`is_allowed_action`) | 8 |
//! | `decide/json`, `floor/json` | the same 8 from the raw claims JSON and resource JSON | 8 |
//! | `permitted_actions/ordinance`, `permitted_actions/floor` | the 5 actions on each of the 8 (session, resource) pairs of the mix | 8 calls |
//! | `scaling_distinct/allow/N` | N rules over N/2 (type, action) pairs: allow on the first and on the last pair | 2 |
//! | `scaling_distinct/deny/N` | same policy: a deny (no permit matches, `missing` computed) on the last pair | 1 |
//! | `scaling_same_pair/allow/N` | N permits on one pair, only the last matches | 1 |
//! | `compile/team_tasks`, `compile/N` | `Policy::parse` (lex, parse, validate) + `Engine::new` (compile), dropped at the end | 1 |
//!
//! Run: `cargo bench -p ordinance-benches -- --warm-up-time 1 --measurement-time 3`, then
//! `python3 benches/report.py`.
#![allow(clippy::expect_used, clippy::panic)] // a benchmark whose setup is wrong must stop loudly

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use ordinance::{Engine, Policy, Session};
use ordinance_benches::floor_bench::{bench_floor, floor_inputs};
use ordinance_benches::workload::{MIX, NOW};
use ordinance_benches::{
    distinct_pairs, floor_decide, options, prepared_mix, same_pair, team_tasks_engine, Case, Claims, PreparedRequest,
    Task, ACTIONS, GENERATED_CLAIMS, TEAM_TASKS,
};

/// Rule counts for the scaling and compile benchmarks over distinct pairs.
const DISTINCT_SIZES: [usize; 4] = [10, 100, 1_000, 10_000];
/// Rule counts on one (type, action) pair.
const SAME_PAIR_SIZES: [usize; 3] = [1, 10, 100];

fn elements(n: usize) -> Throughput {
    Throughput::Elements(u64::try_from(n).unwrap_or(u64::MAX))
}

/// `decide/prepared` and `floor/prepared`, then `decide/json` and `floor/json`.
fn decide(c: &mut Criterion) {
    let engine = team_tasks_engine().expect("team_tasks compiles");
    let opts = options();
    let mix = prepared_mix().expect("the mix parses");
    for p in &mix {
        let r = p.request;
        assert_eq!(engine.decide_with(&p.session, p.action, &p.resource, &opts).allowed, r.expected, "{}", r.name);
        assert_eq!(engine.decide_json(r.claims, r.action, r.resource, None, Some(NOW)).allowed, r.expected);
    }

    let mut group = c.benchmark_group("decide");
    group.throughput(elements(MIX.len()));
    group.bench_function("prepared", |b| {
        b.iter(|| {
            let mut allowed = 0u32;
            for p in &mix {
                let d = engine.decide_with(black_box(&p.session), black_box(p.action), black_box(&p.resource), &opts);
                allowed += u32::from(d.allowed);
            }
            allowed
        });
    });
    // The same decisions split by outcome: a deny also computes `missing` (the hint).
    for (id, outcome) in [("prepared_allows", true), ("prepared_denies", false)] {
        let part: Vec<&PreparedRequest> = mix.iter().filter(|p| p.request.expected == outcome).collect();
        group.throughput(elements(part.len()));
        group.bench_function(id, |b| {
            b.iter(|| {
                let mut allowed = 0u32;
                for p in &part {
                    let d =
                        engine.decide_with(black_box(&p.session), black_box(p.action), black_box(&p.resource), &opts);
                    allowed += u32::from(d.allowed);
                }
                allowed
            });
        });
    }
    // The same mix through `Engine::decide_ref`: the same decisions, borrowed (allowed,
    // reason and rule in place; a deny's hint worked out only when asked for, which this
    // loop does not). Each one is made whole (`black_box` on it) and its `allowed` read.
    for p in &mix {
        let d = engine.decide_ref(&p.session, p.action, &p.resource, &opts);
        assert!(d == engine.decide_with(&p.session, p.action, &p.resource, &opts), "{}", p.request.name);
    }
    group.throughput(elements(MIX.len()));
    group.bench_function("prepared_ref", |b| {
        b.iter(|| {
            let mut allowed = 0u32;
            for p in &mix {
                let d = engine.decide_ref(black_box(&p.session), black_box(p.action), black_box(&p.resource), &opts);
                allowed += u32::from(black_box(&d).allowed());
            }
            allowed
        });
    });
    // The same mix through the yes/no question (`Engine::is_allowed`: no `Decision`, so no
    // reason, rule or hint), the action by name as the floor takes it, then found once.
    for p in &mix {
        let r = p.request;
        assert_eq!(engine.is_allowed(&p.session, p.action, &p.resource, &opts), r.expected, "{}", r.name);
    }
    group.throughput(elements(MIX.len()));
    group.bench_function("is_allowed", |b| {
        b.iter(|| {
            let mut allowed = 0u32;
            for p in &mix {
                allowed += u32::from(engine.is_allowed(
                    black_box(&p.session),
                    black_box(p.action),
                    black_box(&p.resource),
                    &opts,
                ));
            }
            allowed
        });
    });
    // The same mix through the API for many decisions: each action looked up once
    // (`Engine::action`), each decision made into the same `Decision` (`decide_action_into`).
    let found: Vec<_> = mix.iter().map(|p| engine.action(p.action).expect("declared")).collect();
    let (first, first_action) = (mix.first().expect("a mix"), *found.first().expect("a mix"));
    let mut reused = engine.decide_action(&first.session, first_action, &first.resource, &opts);
    for (p, &a) in mix.iter().zip(&found) {
        engine.decide_action_into(&p.session, a, &p.resource, &opts, &mut reused);
        assert_eq!(reused, engine.decide_with(&p.session, p.action, &p.resource, &opts), "{}", p.request.name);
    }
    group.throughput(elements(MIX.len()));
    for (p, &a) in mix.iter().zip(&found) {
        assert_eq!(engine.is_allowed_action(&p.session, a, &p.resource, &opts), p.request.expected);
    }
    group.bench_function("is_allowed_action", |b| {
        b.iter(|| {
            let mut allowed = 0u32;
            for (p, &a) in mix.iter().zip(&found) {
                allowed += u32::from(engine.is_allowed_action(
                    black_box(&p.session),
                    black_box(a),
                    black_box(&p.resource),
                    &opts,
                ));
            }
            allowed
        });
    });
    for (p, &a) in mix.iter().zip(&found) {
        let d = engine.decide_action_ref(&p.session, a, &p.resource, &opts);
        assert!(d == engine.decide_with(&p.session, p.action, &p.resource, &opts), "{}", p.request.name);
    }
    group.bench_function("prepared_action_ref", |b| {
        b.iter(|| {
            let mut allowed = 0u32;
            for (p, &a) in mix.iter().zip(&found) {
                let d = engine.decide_action_ref(black_box(&p.session), black_box(a), black_box(&p.resource), &opts);
                allowed += u32::from(black_box(&d).allowed());
            }
            allowed
        });
    });
    group.bench_function("prepared_action_into", |b| {
        b.iter(|| {
            let mut allowed = 0u32;
            for (p, &a) in mix.iter().zip(&found) {
                engine.decide_action_into(
                    black_box(&p.session),
                    black_box(a),
                    black_box(&p.resource),
                    &opts,
                    &mut reused,
                );
                allowed += u32::from(reused.allowed);
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
    group.finish();

    bench_floor(c, &floor_inputs().expect("the floor's inputs parse"));
}

/// `permitted_actions/ordinance` and `permitted_actions/floor`: all five actions for each
/// (session, resource) pair of the mix.
fn permitted_actions(c: &mut Criterion) {
    let engine = team_tasks_engine().expect("team_tasks compiles");
    let opts = options();
    let mix = prepared_mix().expect("the mix parses");
    let floor = floor_inputs().expect("the floor's inputs parse");
    let floor_permitted = |claims: &Claims<'_>, task: &Task<'_>| -> Vec<&'static str> {
        ACTIONS.iter().copied().filter(|a| floor_decide(claims, a, task)).collect()
    };
    for (p, (claims, _, task, _)) in mix.iter().zip(&floor) {
        let got = engine.permitted_actions(&p.session, &p.resource, &opts);
        assert_eq!(got, floor_permitted(claims, task), "{}", p.request.name);
        assert!(got.contains(&p.action.to_owned()) == p.request.expected, "{}", p.request.name);
    }

    let mut group = c.benchmark_group("permitted_actions");
    group.throughput(elements(MIX.len()));
    group.bench_function("ordinance", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for p in &mix {
                n += engine.permitted_actions(black_box(&p.session), black_box(&p.resource), &opts).len();
            }
            n
        });
    });
    group.bench_function("floor", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for (claims, _, task, _) in &floor {
                n += floor_permitted(black_box(claims), black_box(task)).len();
            }
            n
        });
    });
    group.finish();
}

/// Decides `cases` on `engine` once per case: the body of every scaling iteration.
fn decide_cases(engine: &Engine, session: &Session, cases: &[&Case]) -> u32 {
    let opts = options();
    let mut allowed = 0u32;
    for case in cases {
        let d = engine.decide_with(black_box(session), black_box(&case.action), black_box(&case.resource), &opts);
        allowed += u32::from(d.allowed);
    }
    allowed
}

/// `scaling_distinct/{allow,deny}/N` and `scaling_same_pair/allow/N`.
fn scaling(c: &mut Criterion) {
    // One session per engine: a `Session` caches its prepared permission bits for the first
    // engine that uses it, and another engine would prepare them again on every decision.
    let new_session = || Session::from_claims_json(GENERATED_CLAIMS).expect("claims parse");

    let mut group = c.benchmark_group("scaling_distinct");
    for n in DISTINCT_SIZES {
        let scenario = distinct_pairs(n);
        let engine = Engine::new(Policy::parse(&scenario.policy).expect("generated policy parses"));
        let session = new_session();
        scenario.check(&engine, &session).expect("generated policy decides as generated");
        let allow: Vec<&Case> = scenario.cases_named("allow/").collect();
        let deny: Vec<&Case> = scenario.cases_named("deny/").collect();
        assert_eq!((allow.len(), deny.len()), (2, 1));
        group.throughput(elements(allow.len()));
        group.bench_with_input(BenchmarkId::new("allow", n), &allow, |b, cases| {
            b.iter(|| decide_cases(&engine, &session, cases));
        });
        group.throughput(elements(deny.len()));
        group.bench_with_input(BenchmarkId::new("deny", n), &deny, |b, cases| {
            b.iter(|| decide_cases(&engine, &session, cases));
        });
    }
    group.finish();

    let mut group = c.benchmark_group("scaling_same_pair");
    for n in SAME_PAIR_SIZES {
        let scenario = same_pair(n);
        let engine = Engine::new(Policy::parse(&scenario.policy).expect("generated policy parses"));
        let session = new_session();
        scenario.check(&engine, &session).expect("generated policy decides as generated");
        let allow: Vec<&Case> = scenario.cases_named("allow/").collect();
        group.throughput(elements(allow.len()));
        group.bench_with_input(BenchmarkId::new("allow", n), &allow, |b, cases| {
            b.iter(|| decide_cases(&engine, &session, cases));
        });
    }
    group.finish();
}

/// `compile/team_tasks` and `compile/N`: parse, validate and compile, from text.
fn compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    group.throughput(elements(1));
    let team = team_tasks_engine().expect("team_tasks compiles");
    assert_eq!(team.policy().rule_count(), 6);
    group.bench_function("team_tasks", |b| {
        b.iter(|| Engine::new(Policy::parse(black_box(TEAM_TASKS)).expect("team_tasks parses")));
    });
    let session = Session::from_claims_json(GENERATED_CLAIMS).expect("claims parse");
    for n in DISTINCT_SIZES {
        let scenario = distinct_pairs(n);
        let engine = Engine::new(Policy::parse(&scenario.policy).expect("generated policy parses"));
        scenario.check(&engine, &session).expect("generated policy decides as generated");
        if n >= 1_000 {
            // Milliseconds or more per iteration: the same few iterations in every sample.
            group.sampling_mode(SamplingMode::Flat);
            group.sample_size(10);
            group.measurement_time(Duration::from_secs(5));
        }
        group.bench_with_input(BenchmarkId::from_parameter(n), &scenario.policy, |b, text| {
            b.iter(|| Engine::new(Policy::parse(black_box(text)).expect("generated policy parses")));
        });
    }
    group.finish();
}

criterion_group!(benches, decide, permitted_actions, scaling, compile);
criterion_main!(benches);
