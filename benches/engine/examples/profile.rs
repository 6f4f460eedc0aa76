//! A loop to run under a profiler: one workload of the benchmarks, many times, with the
//! decisions checked first.
//!
//! ```text
//! cargo build --release -p ordinance-benches --example profile
//! valgrind --tool=callgrind --callgrind-out-file=cg.out target/release/examples/profile prepared 20000
//! callgrind_annotate --inclusive=yes cg.out | head -60
//! ```
//!
//! Workloads: `prepared` (the mix on prepared sessions), `prepared-allow` / `prepared-deny`
//! (only its allows / denies), `permitted` (`permitted_actions` for each request of the
//! mix), `json` (the mix from JSON), `floor-json` (the floor's `floor_decide_json` on the
//! same mix), `allow-N` / `deny-N` (the
//! allows / the deny of `scaling_distinct` on N rules, e.g. `deny-10000`), `compile-team`
//! (parse + compile team_tasks), `compile-N` (parse + compile `distinct_pairs(N)`).

use std::error::Error;
use std::hint::black_box;

use ordinance::{Engine, Policy, Session};
use ordinance_benches::workload::{MIX, NOW};
use ordinance_benches::{
    distinct_pairs, floor_decide_json, options, prepared_mix, team_tasks_engine, GENERATED_CLAIMS, TEAM_TASKS,
};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let workload = args.next().unwrap_or_else(|| "prepared".into());
    let iterations: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(10_000);
    let opts = options();
    let mut allowed = 0usize;
    match workload.as_str() {
        "prepared" | "prepared-allow" | "prepared-deny" => {
            let engine = team_tasks_engine()?;
            let keep = |expected: bool| match workload.as_str() {
                "prepared-allow" => expected,
                "prepared-deny" => !expected,
                _ => true,
            };
            let mix: Vec<_> = prepared_mix()?.into_iter().filter(|p| keep(p.request.expected)).collect();
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
