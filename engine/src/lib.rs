//! # ordinance
//!
//! An embeddable authorization policy engine for applications that sign users in with a
//! provider such as Clerk. Write roles, permissions, organization memberships, seat
//! licenses and ownership rules once, in a small policy language; ordinance compiles them
//! and answers `decide(session, action, resource)` from the verified session-token claims
//! in nanoseconds, with an explanation of every decision and the hint a UI needs.
//!
//! ordinance authorizes; it does not authenticate. Verify the token's signature first,
//! then hand its claims to [`Session::from_claims_json`].
//!
//! ```
//! use ordinance::{Engine, Options, Policy, Resource, Session};
//!
//! let policy = Policy::parse(r#"
//!     permission org:tasks:view "View tasks"
//!     permission org:tasks:edit "Create tasks and edit their own"
//!     role org:member = [org:tasks:view, org:tasks:edit]
//!     resource task { owner_id: string, created_by_id: string }
//!     action view, edit on task
//!
//!     permit view, edit on task when resource.owner_id == user.id
//!     permit view on task when org and resource.owner_id == org.id and has(org:tasks:view)
//!     permit edit on task
//!       when org and resource.owner_id == org.id and has(org:tasks:edit)
//!        and resource.created_by_id == user.id
//! "#).unwrap();
//! let engine = Engine::new(policy);
//!
//! let bob = Session::from_claims_json(r#"{"sub": "user_bob", "org_id": "org_1", "org_role": "org:member"}"#).unwrap();
//! let task = Resource::from_json(r#"{"type": "task", "owner_id": "org_1", "created_by_id": "user_alice"}"#).unwrap();
//!
//! assert!(engine.decide(&bob, "view", &task).allowed);
//! let edit = engine.decide(&bob, "edit", &task);
//! assert!(!edit.allowed);
//! assert_eq!(edit.reason, "no_matching_rule");
//! assert_eq!(engine.permitted_actions(&bob, &task, &Options::default()), vec!["view"]);
//! ```
//!
//! ## Contents
//!
//! - [`Policy`]: parse and validate policy text (errors: [`PolicyError`], each with
//!   `file:line:col`, a caret and a hint). The language is in `docs/language.md`.
//! - [`Session`]: claims of a Clerk v1 or v2 session token, or any JWT payload
//!   (errors: [`ClaimsError`]).
//! - [`Resource`] and [`Context`]: what is acted on, and facts about the request.
//! - [`Engine`]: the compiled policy; [`Engine::decide`], [`Engine::permitted_actions`],
//!   [`Engine::explain`], [`Engine::decide_ref`] for the same decision borrowed (a
//!   [`DecisionRef`]: reason and rule read in place, a deny's hint worked out when asked
//!   for), and [`Engine::is_allowed`] for the yes/no answer alone (the fastest question).
//! - [`Decision`]: `allowed`, a stable [`Reason`] code, the deciding [`RuleId`], and the
//!   [`Requirement`]s a deny is `missing`.
//! - [`SharedEngine`]: replace the policy of a running service atomically; every decision
//!   comes from exactly one policy version. [`Limits`] bound every input (see
//!   `docs/security.md`).
//!
//! ## Semantics
//!
//! Deny by default: a request is allowed iff at least one `permit` rule matches and no
//! `forbid` rule does. A rule whose condition cannot be evaluated (missing attribute,
//! wrong type) does not match; if that rule is a `forbid`, the request is denied
//! (`forbid_errored`): ordinance fails closed.
//!
#![deny(missing_docs)]

mod authzen;
mod claims;
mod claims_v2;
mod compile;
mod decision;
mod decision_ref;
#[cfg(not(target_arch = "wasm32"))]
mod diagram;
mod engine;
mod eval;
mod explain;
mod fast;
mod filter;
mod hints;
mod json;
mod limits;
mod names;
mod plan;
mod policy;
pub mod reference;
mod resource;
#[doc(hidden)]
pub mod testing;
mod watch;

pub use authzen::{authzen_decision, Directory, MAX_DIRECTORY_BYTES};
pub use claims::{ClaimsError, Session};
pub use decision::{Decision, Reason, Requirement, RuleId, SharedStr};
pub use decision_ref::DecisionRef;
pub use engine::{ActionId, Engine, Options, LEEWAY_SECONDS};
pub use explain::{Explanation, RuleTrace};
pub use filter::{row_level_security, Filter, FilterError, RlsOptions, SqlCommand, SqlFilter, SqlOptions};
pub use limits::Limits;
pub use plan::DecisionKey;
pub use policy::{Located, Policy, PolicyError, Span};
pub use resource::{Context, InputError, Resource};
pub use watch::SharedEngine;
