//! Test support for the bindings: a deliberate panic inside the engine, so that their
//! tests can prove a panic surfaces as an exception and never crosses the FFI boundary.
//! Not part of the supported API.

/// Panics with `message`. Only for tests of the bindings' panic handling.
///
/// ```should_panic
/// ordinance::testing::panic_for_tests("boom");
/// ```
#[allow(clippy::panic)]
pub fn panic_for_tests(message: &str) -> ! {
    panic!("deliberate panic for tests: {message}")
}
