//! Side-by-side benchmark of the Team Task rules, in its own workspace so that the root
//! `cargo test` never compiles Cedar.
//!
//! * The **floor** and the **workload** live in the shared crate
//!   `ordinance-bench-workload` (`benches/workload`), re-exported here, so this crate
//!   and the root bench crate (`benches/engine`) decide the same requests.
//! * [`cedar`]: the same rules as a Cedar schema and policy set, evaluated by the
//!   `cedar-policy` crate, with the entities built from the same claims.
//! * The `ordinance` group of `benches/compare.rs` runs ordinance on the same mix, in
//!   the same process as Cedar and the floor.
//!
//! The rules themselves are documented in `ordinance_bench_workload`.

pub mod cedar;

pub use ordinance_bench_workload::{
    floor_bench, floor_decide, floor_decide_json, workload, Claims, OrgMetadata, Task, ACTIONS,
};
