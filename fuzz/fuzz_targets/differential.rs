//! Differential: the compiled, indexed evaluator against `ordinance::reference`, the naive
//! scanning interpreter, on structured random policies and requests (see `gen.rs`). Any
//! difference in `allowed`, reason code or deciding rule is a finding.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = ordinance_fuzz::gen::run_differential(data) {
        panic!("{e}");
    }
});
