//! A loop to run under a profiler: one workload of the benchmarks, many times, with the
//! decisions checked first.
//!
//! ```text
//! cargo build --release -p ordinance-benches --example profile
//! valgrind --tool=callgrind --callgrind-out-file=cg.out target/release/examples/profile prepared 20000
//! callgrind_annotate --inclusive=yes cg.out | head -60
//! ```
//!
//! Workloads:
//!
//! * `prepared` (the mix on prepared sessions), `prepared-allow` / `prepared-deny` (only
//!   its allows / denies);
//! * `is-allowed`, `is-allowed-allow`, `is-allowed-deny`: the same through
//!   `Engine::is_allowed_action` (with `ONE=k` in the environment, request `k` of the mix
//!   eight times instead);
//! * `decide-ref`, `decide-ref-allow`, `decide-ref-deny`: the same through
//!   `Engine::decide_ref` (the decision borrowed);
//! * `floor`: the floor's `floor_decide` on the mix, prepared;
//! * `permitted`: `permitted_actions` for each request of the mix;
//! * `json` (the mix from JSON), `floor-json` (the floor's `floor_decide_json` on it);
//! * `allow-N` / `deny-N`: the allows / the deny of `scaling_distinct` on N rules, e.g.
//!   `deny-10000`;
//! * `compile-team` (parse + compile team_tasks), `compile-N` (parse + compile
//!   `distinct_pairs(N)`).

use std::error::Error;
use std::hint::black_box;

use ordinance::{Engine, Policy, Session};
use ordinance_benches::workload::{MIX, NOW};
use ordinance_benches::{
    distinct_pairs, floor_decide, floor_decide_json, options, prepared_mix, team_tasks_engine, GENERATED_CLAIMS,
    TEAM_TASKS,
};

/// Whether a request the mix expects `allowed` is part of `workload`: its allows only for
/// `…-allow`, its denies only for `…-deny`, all of it otherwise.
fn kept(workload: &str, allowed: bool) -> bool {
    if workload.ends_with("-allow") {
        allowed
    } else if workload.ends_with("-deny") {
        !allowed
    } else {
        true
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let workload = args.next().unwrap_or_else(|| "prepared".into());
    let iterations: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(10_000);
    let opts = options();
    let mut allowed = 0usize;
    match workload.as_str() {
        "prepared" | "prepared-allow" | "prepared-deny" => {
            let engine = team_tasks_engine()?;
            let mix: Vec<_> = prepared_mix()?.into_iter().filter(|p| kept(&workload, p.request.expected)).collect();
            for p in &mix {
                if engine.decide_with(&p.session, p.action, &p.resource, &opts).allowed != p.request.expected {
                    return Err(format!("wrong decision: {}", p.request.name).into());
                }
            }
            for _ in 0..iterations {
                for p in &mix {
                    allowed +=
                        usize::from(engine.decide_with(black_box(&p.session), p.action, &p.resource, &opts).allowed);
                }
            }
        }
        "is-allowed" | "is-allowed-allow" | "is-allowed-deny" => {
            // `Engine::is_allowed_action` on the mix (or its allows / denies); with `ONE=k`
            // in the environment, request `k` of the mix eight times instead (one path,
            // perfectly predicted: the cost of that request alone).
            let engine = team_tasks_engine()?;
            let mut mix: Vec<_> = prepared_mix()?.into_iter().filter(|p| kept(&workload, p.request.expected)).collect();
            if let Ok(k) = std::env::var("ONE") {
                let k: usize = k.parse()?;
                mix = (0..8)
                    .map(|_| prepared_mix())
                    .collect::<Result<Vec<_>, _>>()?
                    .into_iter()
                    .filter_map(|m| m.into_iter().nth(k))
                    .collect();
            }
            let mut found = Vec::new();
            for p in &mix {
                let a = engine.action(p.action).ok_or("an action of the mix is not declared")?;
                if engine.is_allowed_action(&p.session, a, &p.resource, &opts) != p.request.expected {
                    return Err(format!("wrong decision: {}", p.request.name).into());
                }
                found.push(a);
            }
            for _ in 0..iterations {
                for (p, &a) in mix.iter().zip(&found) {
                    allowed +=
                        usize::from(engine.is_allowed_action(black_box(&p.session), black_box(a), &p.resource, &opts));
                }
            }
        }
        "decide-ref" | "decide-ref-allow" | "decide-ref-deny" => {
            // `Engine::decide_ref` on the mix (or its allows / denies): the decision
            // borrowed, as the benchmark `decide/prepared_ref` makes it.
            let engine = team_tasks_engine()?;
            let mix: Vec<_> = prepared_mix()?.into_iter().filter(|p| kept(&workload, p.request.expected)).collect();
            for p in &mix {
                let d = engine.decide_ref(&p.session, p.action, &p.resource, &opts);
                if d != engine.decide_with(&p.session, p.action, &p.resource, &opts) {
                    return Err(format!("wrong decision: {}", p.request.name).into());
                }
            }
            for _ in 0..iterations {
                for p in &mix {
                    let d = engine.decide_ref(black_box(&p.session), p.action, &p.resource, &opts);
                    allowed += usize::from(black_box(&d).allowed());
                }
            }
        }
        "floor" => {
            let inputs = ordinance_benches::floor_bench::floor_inputs()?;
            for _ in 0..iterations {
                for (claims, action, task, _) in &inputs {
                    allowed += usize::from(floor_decide(black_box(claims), black_box(action), black_box(task)));
                }
            }
        }
        "permitted" => {
            let engine = team_tasks_engine()?;
            let mix = prepared_mix()?;
            for _ in 0..iterations {
                for p in &mix {
                    allowed += engine.permitted_actions(black_box(&p.session), &p.resource, &opts).len();
                }
            }
        }
        "json" => {
            let engine = team_tasks_engine()?;
            for r in &MIX {
                if engine.decide_json(r.claims, r.action, r.resource, None, Some(NOW)).allowed != r.expected {
                    return Err(format!("wrong decision: {}", r.name).into());
                }
            }
            for _ in 0..iterations {
                for r in &MIX {
                    let d = engine.decide_json(black_box(r.claims), r.action, black_box(r.resource), None, Some(NOW));
                    allowed += usize::from(d.allowed);
                }
            }
        }
        "floor-json" => {
            for r in &MIX {
                if floor_decide_json(r.claims, r.action, r.resource) != r.expected {
                    return Err(format!("wrong decision: {}", r.name).into());
                }
            }
            for _ in 0..iterations {
                for r in &MIX {
                    allowed += usize::from(floor_decide_json(black_box(r.claims), r.action, black_box(r.resource)));
                }
            }
        }
        w if w.starts_with("allow-") || w.starts_with("deny-") => {
            let (kind, n) = w.split_once('-').unwrap_or_default();
            let scenario = distinct_pairs(n.parse()?);
            let engine = Engine::new(Policy::parse(&scenario.policy)?);
            let session = Session::from_claims_json(GENERATED_CLAIMS)?;
            scenario.check(&engine, &session)?;
            let prefix = if kind == "deny" { "deny/" } else { "allow/" };
            let cases: Vec<_> = scenario.cases_named(prefix).collect();
            for _ in 0..iterations {
                for case in &cases {
                    let d = engine.decide_with(black_box(&session), &case.action, &case.resource, &opts);
                    allowed += usize::from(d.allowed);
                }
            }
        }
        "compile-team" => {
            for _ in 0..iterations {
                allowed += Engine::new(Policy::parse(black_box(TEAM_TASKS))?).policy().rule_count();
            }
        }
        w if w.starts_with("compile-") => {
            let scenario = distinct_pairs(w.trim_start_matches("compile-").parse()?);
            for _ in 0..iterations {
                allowed += Engine::new(Policy::parse(black_box(&scenario.policy))?).policy().rule_count();
            }
        }
        other => return Err(format!("unknown workload `{other}`").into()),
    }
    println!("{workload} x {iterations}: {allowed}");
    Ok(())
}
