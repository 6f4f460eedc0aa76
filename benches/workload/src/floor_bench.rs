//! The floor's criterion group, run by both bench crates (`benches/engine` and
//! `benches/cedar`) so that each reports the floor measured in its own process.

use std::hint::black_box;

use criterion::{Criterion, Throughput};

use crate::workload::{Request, MIX};
use crate::{floor_decide, floor_decide_json, Claims, Task};

/// One request of [`MIX`] as the floor's prepared path takes it: claims and task parsed
/// beforehand with the floor's own serde types.
pub type FloorInput = (Claims<'static>, &'static str, Task<'static>, &'static Request);

/// Parses the claims and task of every request of [`MIX`] for [`floor_decide`].
///
/// ```
/// use ordinance_bench_workload::{floor_bench::floor_inputs, floor_decide};
/// for (claims, action, task, request) in floor_inputs().unwrap() {
///     assert_eq!(floor_decide(&claims, action, &task), request.expected);
/// }
/// ```
pub fn floor_inputs() -> Result<Vec<FloorInput>, serde_json::Error> {
    MIX.iter()
        .map(|r| {
            let claims: Claims<'static> = serde_json::from_str(r.claims)?;
            let task: Task<'static> = serde_json::from_str(r.resource)?;
            Ok((claims, r.action, task, r))
        })
        .collect()
}

/// The `floor` group: `floor/prepared` ([`floor_decide`] on `inputs`) and `floor/json`
/// ([`floor_decide_json`] on the raw JSON of [`MIX`]), each iteration deciding the whole
/// mix (`Throughput::Elements(8)`). Both paths are checked against the mix's expected
/// decisions before anything is timed.
pub fn bench_floor(c: &mut Criterion, inputs: &[FloorInput]) {
    for (claims, action, task, r) in inputs {
        assert_eq!(floor_decide(claims, action, task), r.expected, "{}", r.name);
    }
    for r in &MIX {
        assert_eq!(floor_decide_json(r.claims, r.action, r.resource), r.expected, "{}", r.name);
    }

    let mut group = c.benchmark_group("floor");
    group.throughput(Throughput::Elements(u64::try_from(MIX.len()).unwrap_or(u64::MAX)));
    group.bench_function("prepared", |b| {
        b.iter(|| {
            let mut allowed = 0u32;
            for (claims, action, task, _) in inputs {
                allowed += u32::from(floor_decide(black_box(claims), black_box(action), black_box(task)));
            }
            allowed
        });
    });
    group.bench_function("json", |b| {
        b.iter(|| {
            let mut allowed = 0u32;
            for r in &MIX {
                allowed +=
                    u32::from(floor_decide_json(black_box(r.claims), black_box(r.action), black_box(r.resource)));
            }
            allowed
        });
    });
    group.finish();
}
