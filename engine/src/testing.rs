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

/// The strict reference path for claims text, which the one-pass reader behind
/// [`Session::from_claims_json_with_limits`](crate::Session::from_claims_json_with_limits)
/// must agree with on every input: the whole text parsed into a `serde_json::Value` tree
/// (duplicate keys, size and depth checked), then read back by key. For differential
/// tests and fuzzing only; slower than the real reader.
///
/// ```
/// use ordinance::{testing::session_from_claims_json_dom, Limits, Session};
/// let text = r#"{"sub": "user_1", "email": "a@b.c"}"#;
/// let dom = session_from_claims_json_dom(text, &Limits::default());
/// assert_eq!(dom, Session::from_claims_json(text));
/// ```
pub fn session_from_claims_json_dom(text: &str, limits: &crate::Limits) -> Result<crate::Session, crate::ClaimsError> {
    crate::Session::from_claims_json_dom(text, limits)
}

/// The strict reference path for resource text, which
/// [`Resource::from_json_with_limits`](crate::Resource::from_json_with_limits) must agree
/// with on every input: the whole text parsed into a `serde_json::Value` (duplicate keys,
/// size and depth checked), then read as an object. For differential tests only.
///
/// ```
/// use ordinance::{testing::resource_from_json_dom, Limits, Resource};
/// let text = r#"{"type": "task", "owner_id": "org_1"}"#;
/// assert_eq!(resource_from_json_dom(text, &Limits::default()), Resource::from_json(text));
/// ```
pub fn resource_from_json_dom(text: &str, limits: &crate::Limits) -> Result<crate::Resource, crate::InputError> {
    crate::Resource::from_json_dom(text, limits)
}
