//! Replacing the policy of a running service: [`SharedEngine`].
//!
//! A service loads its policy at start and, later, a new version of it (a deploy, a file
//! watcher, an admin endpoint), while other threads keep deciding. [`SharedEngine`] holds the
//! current [`Engine`] behind a lock that is taken only to clone or swap one `Arc`:
//!
//! - **every decision comes from exactly one policy version.** A decision first takes a
//!   snapshot ([`SharedEngine::load`], one `Arc` clone under a read lock) and then runs
//!   entirely on that snapshot, outside the lock. A replacement that lands meanwhile affects
//!   the next decision, never the one in flight: no decision mixes the rules, roles or
//!   limits of two versions;
//! - **a bad new policy never replaces a good one.** [`SharedEngine::reload`] parses and
//!   compiles before it takes the lock; on a [`PolicyError`] the running policy stays;
//! - **replacement does not wait for decisions**, and decisions wait at most for a pointer
//!   swap: the write lock is held for one `std::mem::replace`;
//! - the old engine is freed when the last decision that took it finishes.
//!
//! Several decisions that must agree with each other (a page that gates ten buttons, a
//! batch) should share one snapshot: `let engine = shared.load();` then decide on `engine`.
//!
//! Implemented with `std::sync::RwLock` and no extra dependency. A lock poisoned by a panic
//! elsewhere is recovered: the value it guards is always a complete `Engine`, because the
//! only write is a single swap.

use crate::{Decision, Engine, Options, PolicyError, Resource, Session};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

/// An [`Engine`] whose policy can be replaced atomically while other threads decide.
///
/// Cheap to clone (one `Arc`); clones share the same current engine.
///
/// ```
/// use ordinance::{Engine, Resource, Session, SharedEngine};
/// let v1 = Engine::from_policy_text("resource doc {}\naction read on doc\npermit read on doc when user").unwrap();
/// let shared = SharedEngine::new(v1);
/// let anon = Session::from_claims_json("{}").unwrap();
/// let doc = Resource::new("doc");
/// assert!(!shared.decide(&anon, "read", &doc).allowed);
///
/// // A new version: everyone may read. Decisions already running finish on version 1.
/// shared.reload("resource doc {}\naction read on doc\npermit read on doc").unwrap();
/// assert!(shared.decide(&anon, "read", &doc).allowed);
/// assert_eq!(shared.generation(), 2);
///
/// // A broken version is refused and the running policy stays.
/// assert!(shared.reload("permit read on nothing").is_err());
/// assert!(shared.decide(&anon, "read", &doc).allowed);
/// ```
#[derive(Debug, Clone)]
pub struct SharedEngine {
    inner: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    current: RwLock<Engine>,
    generation: AtomicU64,
}

impl SharedEngine {
    /// Starts with `engine` as generation 1.
    pub fn new(engine: Engine) -> SharedEngine {
        SharedEngine { inner: Arc::new(Shared { current: RwLock::new(engine), generation: AtomicU64::new(1) }) }
    }

    /// A snapshot of the current engine (one `Arc` clone). Decide on it as often as needed:
    /// it never changes, whatever is replaced meanwhile.
    pub fn load(&self) -> Engine {
        self.inner.current.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Makes `engine` the current one and returns the engine it replaces. Decisions already
    /// running finish on the old engine; every later [`SharedEngine::load`] sees the new one.
    pub fn replace(&self, engine: Engine) -> Engine {
        let mut guard = self.inner.current.write().unwrap_or_else(PoisonError::into_inner);
        let old = std::mem::replace(&mut *guard, engine);
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        drop(guard);
        old
    }

    /// Parses, validates and compiles `policy_text` (with the current engine's limits), then
    /// replaces the current engine with it. On an error nothing is replaced.
    pub fn reload(&self, policy_text: &str) -> Result<(), PolicyError> {
        let current = self.load();
        let limits = current.limits().clone();
        let policy = crate::Policy::parse_with_limits(current.policy().file_name(), policy_text, &limits)?;
        self.replace(Engine::with_limits(policy, limits));
        Ok(())
    }

    /// How many engines have been current: 1 at start, plus one per replacement.
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// [`Engine::decide`] on a snapshot of the current engine.
    pub fn decide(&self, session: &Session, action: &str, resource: &Resource) -> Decision {
        self.load().decide(session, action, resource)
    }

    /// [`Engine::decide_with`] on a snapshot of the current engine.
    pub fn decide_with(&self, session: &Session, action: &str, resource: &Resource, opts: &Options) -> Decision {
        self.load().decide_with(session, action, resource, opts)
    }

    /// [`Engine::decide_request_json`] on a snapshot of the current engine.
    pub fn decide_request_json(&self, line: &str) -> Decision {
        self.load().decide_request_json(line)
    }

    /// [`Engine::permitted_actions`] on one snapshot: every action is decided by the same
    /// policy version.
    pub fn permitted_actions(&self, session: &Session, resource: &Resource, opts: &Options) -> Vec<String> {
        self.load().permitted_actions(session, resource, opts)
    }
}

impl From<Engine> for SharedEngine {
    fn from(engine: Engine) -> SharedEngine {
        SharedEngine::new(engine)
    }
}
