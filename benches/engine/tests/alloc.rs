//! No heap allocation on the allow path of a prepared decision (issue 3).
//!
//! A counting global allocator wraps `System`. Implementing `GlobalAlloc` takes an
//! `unsafe impl`, and the workspace forbids `unsafe_code` (a `forbid` cannot be lifted by an
//! inner `allow`), so this test lives in the bench crate, whose manifest sets `unsafe_code`
//! to `deny` instead; this file alone allows it. The engine crate itself stays
//! `unsafe`-free. The unsafe code below only forwards to `System` and bumps a counter.
//!
//! Counting is per thread: libtest runs tests on several threads at once, and a global
//! counter would also see their allocations. Each thread-local is `const`-initialised and
//! has no destructor, so touching it inside the allocator never allocates itself.
#![allow(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use ordinance::Decision;
use ordinance_benches::workload::{MIX, NOW};
use ordinance_benches::{options, prepared_mix, team_tasks_engine};

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn note_allocation() {
    // `try_with`: the allocator also runs while a thread is being torn down.
    let counting = COUNTING.try_with(Cell::get).unwrap_or(false);
    if counting {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so
// `System`'s guarantees carry over; the counter is a thread-local `Cell` that never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: same contract as `GlobalAlloc::alloc`, passed through.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        // SAFETY: `ptr` and `layout` come from this allocator, which is `System` underneath.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations (including reallocations) made by `f` on this thread.
fn allocations<T>(f: impl FnOnce() -> T) -> (usize, T) {
    ALLOCATIONS.with(|n| n.set(0));
    COUNTING.with(|c| c.set(true));
    let out = f();
    COUNTING.with(|c| c.set(false));
    (ALLOCATIONS.with(Cell::get), out)
}

#[test]
fn the_counter_sees_allocations() {
    let (n, v) = allocations(|| black_box(vec![1u8; 64]));
    assert_eq!(v.len(), 64);
    assert_eq!(n, 1);
    let (n, s) = allocations(|| {
        let mut s = String::new();
        for _ in 0..100 {
            s.push_str(black_box("grow"));
        }
        s
    });
    assert_eq!(s.len(), 400);
    assert!(n >= 2, "growing a string reallocates, counted {n}");
    let (n, ()) = allocations(|| black_box(()));
    assert_eq!(n, 0);
}

#[test]
fn prepared_allow_path_does_not_allocate() {
    let engine = team_tasks_engine().unwrap();
    let opts = options();
    assert_eq!(opts.now, Some(NOW));
    let mix = prepared_mix().unwrap();
    let mut report = Vec::new();
    for p in &mix {
        // Warm-up: the first decision for a session prepares and caches its permission bits.
        let first = engine.decide_with(&p.session, p.action, &p.resource, &opts);
        assert_eq!(first.allowed, p.request.expected, "{}", p.request.name);
        let (n, d): (usize, Decision) = allocations(|| {
            engine.decide_with(black_box(&p.session), black_box(p.action), black_box(&p.resource), &opts)
        });
        assert_eq!(d.allowed, p.request.expected, "{}", p.request.name);
        report.push(format!(
            "{:5} {:3} allocation(s)  {} ({})",
            if d.allowed { "allow" } else { "deny" },
            n,
            p.request.name,
            &*d.reason
        ));
        if d.allowed {
            assert_eq!(n, 0, "allow path allocated {n} time(s): {}", p.request.name);
        }
    }
    // Deny decisions compute `missing` (the hint), which may allocate: reported, not asserted.
    // `cargo test -p ordinance-benches --test alloc -- --nocapture` shows the table.
    println!("allocations per prepared decision (team_tasks, after warm-up):");
    for line in &report {
        println!("  {line}");
    }
    assert_eq!(report.len(), MIX.len());
    assert_eq!(MIX.iter().filter(|r| r.expected).count(), 5);
}

/// Allocations of one decision from JSON text (`Engine::decide_json`), per request of the
/// mix: the claims and resource are read for this one decision, so every value kept is an
/// allocation. The bound below is the measured count; a change that allocates more per
/// decision on average fails here.
#[test]
fn json_path_allocations_stay_bounded() {
    const MAX_TOTAL: usize = JSON_PATH_ALLOCATIONS;
    let engine = team_tasks_engine().unwrap();
    let mut total = 0;
    let mut report = Vec::new();
    for r in &MIX {
        let first = engine.decide_json(r.claims, r.action, r.resource, None, Some(NOW));
        assert_eq!(first.allowed, r.expected, "{}", r.name);
        let (n, d): (usize, Decision) = allocations(|| {
            engine.decide_json(black_box(r.claims), black_box(r.action), black_box(r.resource), None, Some(NOW))
        });
        assert_eq!(d, first, "{}", r.name);
        total += n;
        report.push(format!(
            "{:5} {:3} allocation(s)  {} ({})",
            if d.allowed { "allow" } else { "deny" },
            n,
            r.name,
            &*d.reason
        ));
    }
    println!("allocations per decide_json (team_tasks):");
    for line in &report {
        println!("  {line}");
    }
    println!("  total {total} for {} decisions", MIX.len());
    assert!(total <= MAX_TOTAL, "decide_json allocated {total} times over the mix, bound {MAX_TOTAL}");
}

/// The measured total of [`json_path_allocations_stay_bounded`] over the 8 requests of the mix.
const JSON_PATH_ALLOCATIONS: usize = 38;
