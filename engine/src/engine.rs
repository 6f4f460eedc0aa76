//! The engine: a compiled policy that answers requests.

use crate::claims::{Session, Validity};
use crate::compile::{PreparedSession, Program};
use crate::decision::{Decision, Reason, Requirement};
use crate::decision_ref::{DecisionRef, Settled};
use crate::eval::Evaluator;
use crate::fast::Needs;
use crate::limits::Limits;
use crate::plan::DecisionKey;
use crate::policy::ast::AttrType;
use crate::policy::validate::TypeSchema;
use crate::policy::Policy;
use crate::resource::{Context, PreBound, Resource};
use serde_json::Value;
use std::mem::take;
use std::sync::Arc;

/// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds. Clerk's SDKs allow 5 s.
pub const LEEWAY_SECONDS: i64 = 5;

/// Per-request inputs besides the session, action and resource.
///
/// ```
/// let opts = ordinance::Options::default().at(1_721_770_150);
/// assert_eq!(opts.now, Some(1_721_770_150));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Unix time in seconds to check the token against; `None` reads the system clock.
    pub now: Option<i64>,
    /// The request context (`context.*` in conditions); `None` is the empty context.
    pub context: Option<Context>,
}

impl Options {
    /// Sets `now`.
    pub fn at(mut self, now: i64) -> Options {
        self.now = Some(now);
        self
    }

    /// Sets the context.
    pub fn with_context(mut self, context: Context) -> Options {
        self.context = Some(context);
        self
    }
}

/// A compiled policy. `Send + Sync` and cheap to clone (one `Arc`): build it once at start
/// and share it between threads.
///
/// ```
/// use ordinance::{Engine, Policy, Resource, Session};
/// let engine = Engine::new(Policy::parse(r#"
///     resource task { owner_id: string }
///     action view, edit on task
///     permit view, edit on task when resource.owner_id == user.id
/// "#).unwrap());
/// let alice = Session::from_claims_json(r#"{"sub": "user_alice"}"#).unwrap();
/// let mine = Resource::new("task").with_attr("owner_id", "user_alice");
/// let theirs = Resource::new("task").with_attr("owner_id", "user_bob");
/// assert!(engine.decide(&alice, "edit", &mine).allowed);
/// assert_eq!(engine.decide(&alice, "edit", &theirs).reason, "no_matching_rule");
/// ```
#[derive(Debug, Clone)]
pub struct Engine {
    inner: Arc<Inner>,
    /// The AuthZEN subject directory (see `authzen.rs`).
    pub(crate) directory: Option<Arc<crate::authzen::Directory>>,
}

#[derive(Debug)]
struct Inner {
    policy: Policy,
    program: Program,
    limits: Limits,
    /// Whether the policy reads `claims.*` (else `decide_json` does not keep the claims text).
    reads_claims: bool,
    /// The session and resource fields some rule reads (`decide_json` builds only these).
    text_reads: crate::compile::TextReads,
    /// By type index: whether its rules read attributes through their slots only
    /// (`Program::slots_only`; `decide_json` then binds them as it reads them).
    slots_only: Vec<bool>,
}

static EMPTY_CONTEXT: std::sync::OnceLock<Context> = std::sync::OnceLock::new();

fn empty_context() -> &'static Context {
    EMPTY_CONTEXT.get_or_init(Context::default)
}

pub(crate) fn system_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Engine {
    /// Compiles a policy.
    pub fn new(policy: Policy) -> Engine {
        Engine::with_limits(policy, Limits::default())
    }

    /// Compiles a policy; requests are bounded by `limits`.
    pub fn with_limits(policy: Policy, limits: Limits) -> Engine {
        let program = Program::compile(&policy);
        let reads_claims = policy.ast.reads_claims();
        // What `decide_json` may leave unread; the wasm build (whose `decide_json` takes the
        // strict readers, see there) neither needs nor carries the analysis.
        let (text_reads, slots_only) = if cfg!(target_arch = "wasm32") {
            (crate::compile::TextReads::ALL, Vec::new())
        } else {
            (program.text_reads(), (0..program.type_info.len()).map(|t| program.slots_only(t)).collect())
        };
        let inner = Inner { policy, program, limits, reads_claims, text_reads, slots_only };
        Engine { inner: Arc::new(inner), directory: None }
    }

    /// Parses, validates and compiles policy text.
    ///
    /// ```
    /// let engine = ordinance::Engine::from_policy_text("resource doc {}\naction read on doc\npermit read on doc").unwrap();
    /// assert_eq!(engine.policy().rule_count(), 1);
    /// ```
    pub fn from_policy_text(text: &str) -> Result<Engine, crate::PolicyError> {
        Ok(Engine::new(Policy::parse(text)?))
    }

    /// The policy this engine was compiled from.
    pub fn policy(&self) -> &Policy {
        &self.inner.policy
    }

    /// The limits applied to requests.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// Decides `action` on `resource` for `session`, now, with an empty context.
    pub fn decide(&self, session: &Session, action: &str, resource: &Resource) -> Decision {
        self.decide_with(session, action, resource, &Options::default())
    }

    /// Decides with an explicit time and context.
    ///
    /// ```
    /// # use ordinance::*;
    /// let engine = Engine::from_policy_text(
    ///     "resource doc {}\naction read on doc\npermit read on doc when user").unwrap();
    /// let s = Session::from_claims_json(r#"{"sub": "u", "exp": 100}"#).unwrap();
    /// let doc = Resource::new("doc");
    /// assert!(engine.decide_with(&s, "read", &doc, &Options::default().at(50)).allowed);
    /// assert_eq!(engine.decide_with(&s, "read", &doc, &Options::default().at(500)).reason, "session_expired");
    /// ```
    pub fn decide_with(&self, session: &Session, action: &str, resource: &Resource, opts: &Options) -> Decision {
        let context = opts.context.as_ref().unwrap_or_else(|| empty_context());
        let now = opts.now.unwrap_or_else(system_now);
        self.decide_now(session, ActionRef::Name(action), resource, now, context)
    }

    /// The whole decision: on the usual request from the leaf the pair's diagram ends on
    /// (a deny's hint worked out on the pair's plan), else on the general path.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn decide_now(
        &self,
        session: &Session,
        action: ActionRef<'_>,
        resource: &Resource,
        now: i64,
        context: &Context,
    ) -> Decision {
        #[cfg(not(target_arch = "wasm32"))]
        if let Answer::End(slot, diagram, end) = self.fast_answer(session, action, resource, now, context) {
            if let Some(leaf) = diagram.leaf(end) {
                let program = &self.inner.program;
                return Pending { program, session, resource, context, slot }.settled_decision(leaf);
            }
        }
        let req = Request { session, resource, context, now, pre: None, prepared: None };
        self.decide_in_general(&req, action)
    }

    /// The declared action `name`, looked up once for many decisions with
    /// [`Engine::decide_action`]; `None` when the policy declares no such action on any type.
    ///
    /// ```
    /// # use ordinance::*;
    /// let engine = Engine::from_policy_text(
    ///     "resource doc {}\naction read on doc\npermit read on doc when user").unwrap();
    /// let read = engine.action("read").unwrap();
    /// assert_eq!(engine.action_name(read), Some("read"));
    /// assert!(engine.action("write").is_none());
    /// let s = Session::from_claims_json(r#"{"sub": "u"}"#).unwrap();
    /// let opts = Options::default().at(0);
    /// assert!(engine.decide_action(&s, read, &Resource::new("doc"), &opts).allowed);
    /// ```
    pub fn action(&self, name: &str) -> Option<ActionId> {
        let program = &self.inner.program;
        program.action_index.get(name).map(|index| ActionId { program: program.id, index })
    }

    /// The name of an action this engine looked up (`None` for another engine's).
    ///
    /// ```
    /// # use ordinance::*;
    /// let text = "resource doc {}\naction read on doc\npermit read on doc when user";
    /// let (a, b) = (Engine::from_policy_text(text).unwrap(), Engine::from_policy_text(text).unwrap());
    /// let read = a.action("read").unwrap();
    /// assert_eq!((a.action_name(read), b.action_name(read)), (Some("read"), None));
    /// ```
    pub fn action_name(&self, action: ActionId) -> Option<&str> {
        let program = &self.inner.program;
        (action.program == program.id).then(|| program.action_name(action.index)).flatten()
    }

    /// [`Engine::decide_with`] for an action found by [`Engine::action`]: the same decision,
    /// without looking the name up. An action of another engine (a `SharedEngine` reloaded
    /// since, say) is denied as `unknown_action`.
    ///
    /// ```
    /// # use ordinance::*;
    /// let text = "resource doc {}\naction read on doc\npermit read on doc when user";
    /// let (engine, other) = (Engine::from_policy_text(text).unwrap(), Engine::from_policy_text(text).unwrap());
    /// let s = Session::from_claims_json(r#"{"sub": "u"}"#).unwrap();
    /// let (doc, opts) = (Resource::new("doc"), Options::default().at(0));
    /// let read = engine.action("read").unwrap();
    /// assert_eq!(engine.decide_action(&s, read, &doc, &opts), engine.decide_with(&s, "read", &doc, &opts));
    /// let foreign = other.action("read").unwrap();
    /// assert_eq!(engine.decide_action(&s, foreign, &doc, &opts).reason, "unknown_action");
    /// ```
    pub fn decide_action(&self, session: &Session, action: ActionId, resource: &Resource, opts: &Options) -> Decision {
        let context = opts.context.as_ref().unwrap_or_else(|| empty_context());
        let now = opts.now.unwrap_or_else(system_now);
        self.decide_now(session, ActionRef::Found(action), resource, now, context)
    }

    /// Whether `session` may do `action` on `resource`: [`Engine::decide_with`]'s
    /// `allowed`, without building the [`Decision`] (no reason, rule or `missing` hint).
    /// For the checks that only branch on the answer: a guard in a server action, a row
    /// kept or dropped from a list. Ask [`Engine::decide_with`] for why, when it is a no.
    ///
    /// ```
    /// # use ordinance::*;
    /// let engine = Engine::from_policy_text(
    ///     "resource doc { owner: string }\naction read on doc\npermit read on doc when resource.owner == user.id").unwrap();
    /// let s = Session::from_claims_json(r#"{"sub": "u1", "exp": 100}"#).unwrap();
    /// let doc = Resource::new("doc").with_attr("owner", "u1");
    /// let opts = Options::default().at(50);
    /// assert!(engine.is_allowed(&s, "read", &doc, &opts));
    /// assert!(!engine.is_allowed(&s, "read", &Resource::new("doc").with_attr("owner", "u2"), &opts));
    /// assert!(!engine.is_allowed(&s, "read", &doc, &Options::default().at(500)), "expired");
    /// assert!(!engine.is_allowed(&s, "delete", &doc, &opts), "undeclared");
    /// ```
    pub fn is_allowed(&self, session: &Session, action: &str, resource: &Resource, opts: &Options) -> bool {
        self.allowed(session, ActionRef::Name(action), resource, opts)
    }

    /// [`Engine::is_allowed`] for an action found by [`Engine::action`]: the same answer,
    /// without looking the name up (an action of another engine is not allowed).
    ///
    /// ```
    /// # use ordinance::*;
    /// let engine = Engine::from_policy_text(
    ///     "resource doc {}\naction read on doc\npermit read on doc when user").unwrap();
    /// let read = engine.action("read").unwrap();
    /// let (doc, opts) = (Resource::new("doc"), Options::default().at(0));
    /// assert!(engine.is_allowed_action(&Session::from_claims_json(r#"{"sub": "u"}"#).unwrap(), read, &doc, &opts));
    /// assert!(!engine.is_allowed_action(&Session::from_claims_json("{}").unwrap(), read, &doc, &opts));
    /// ```
    pub fn is_allowed_action(&self, session: &Session, action: ActionId, resource: &Resource, opts: &Options) -> bool {
        self.allowed(session, ActionRef::Found(action), resource, opts)
    }

    /// [`Engine::decide_with`]'s decision, borrowed from the engine and the request: its
    /// `allowed`, reason and rule read without building a [`Decision`], and a deny's
    /// `missing` hint worked out only when asked for ([`DecisionRef::missing`]). For code
    /// that decides often and explains seldom: a list of rows, each with a button that shows
    /// its hint when it is disabled. [`DecisionRef::to_decision`] gives the whole
    /// [`Decision`], equal to `decide_with`'s on the same request at the same time (`now`
    /// is read once, here).
    ///
    /// On the usual request (a session and a resource already prepared for this engine, a
    /// pair whose rules unroll into a decision diagram) this costs about as much as
    /// [`Engine::is_allowed`]; any other is decided in full at once.
    ///
    /// ```
    /// # use ordinance::*;
    /// let engine = Engine::from_policy_text(r#"
    ///     permission docs:edit "Edit"
    ///     resource doc { owner: string }
    ///     action edit on doc
    ///     @id("own") permit edit on doc when resource.owner == user.id
    ///     permit edit on doc when has(docs:edit)
    /// "#).unwrap();
    /// let s = Session::from_claims_json(r#"{"sub": "u1", "org_id": "o1"}"#).unwrap();
    /// let opts = Options::default().at(0);
    /// let mine = Resource::new("doc").with_attr("owner", "u1");
    /// let d = engine.decide_ref(&s, "edit", &mine, &opts);
    /// assert!(d.allowed());
    /// assert_eq!((d.reason().as_str(), d.rule().map(|r| r.as_str())), ("permit", Some("own")));
    ///
    /// let theirs = Resource::new("doc").with_attr("owner", "u2");
    /// let d = engine.decide_ref(&s, "edit", &theirs, &opts);
    /// assert!(!d.allowed());
    /// assert_eq!(d.reason(), "no_matching_rule");
    /// assert_eq!(d.missing()[0].to_string(), "requires the `docs:edit` permission");
    /// assert_eq!(d.to_decision(), engine.decide_with(&s, "edit", &theirs, &opts));
    /// ```
    pub fn decide_ref<'a>(
        &'a self,
        session: &'a Session,
        action: &'a str,
        resource: &'a Resource,
        opts: &'a Options,
    ) -> DecisionRef<'a> {
        self.decision_ref(session, ActionRef::Name(action), resource, opts)
    }

    /// [`Engine::decide_ref`] for an action found by [`Engine::action`]: the decision of
    /// [`Engine::decide_action`], borrowed.
    ///
    /// ```
    /// # use ordinance::*;
    /// let engine = Engine::from_policy_text(
    ///     "resource doc {}\naction read on doc\npermit read on doc when user").unwrap();
    /// let read = engine.action("read").unwrap();
    /// let (doc, opts) = (Resource::new("doc"), Options::default().at(0));
    /// let anonymous = Session::from_claims_json("{}").unwrap();
    /// let d = engine.decide_action_ref(&anonymous, read, &doc, &opts);
    /// assert_eq!(d.to_decision(), engine.decide_action(&anonymous, read, &doc, &opts));
    /// assert_eq!(d.missing()[0].kind, "sign_in");
    /// ```
    pub fn decide_action_ref<'a>(
        &'a self,
        session: &'a Session,
        action: ActionId,
        resource: &'a Resource,
        opts: &'a Options,
    ) -> DecisionRef<'a> {
        self.decision_ref(session, ActionRef::Found(action), resource, opts)
    }

    /// [`Engine::decide_ref`]: settled by the pair's diagram when the request takes the
    /// fast path and the walk ends on a leaf, else decided in full.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn decision_ref<'a>(
        &'a self,
        session: &'a Session,
        action: ActionRef<'a>,
        resource: &'a Resource,
        opts: &'a Options,
    ) -> DecisionRef<'a> {
        let now = opts.now.unwrap_or_else(system_now);
        let context = opts.context.as_ref().unwrap_or_else(|| empty_context());
        #[cfg(not(target_arch = "wasm32"))]
        if let Answer::End(slot, diagram, end) = self.fast_answer(session, action, resource, now, context) {
            if let Some(leaf) = diagram.leaf(end) {
                let program = &self.inner.program;
                return DecisionRef::settled(leaf, Pending { program, session, resource, context, slot });
            }
        }
        let req = Request { session, resource, context, now, pre: None, prepared: None };
        DecisionRef::whole(self.decide_in_general(&req, action))
    }

    /// The whole decision of `action` on `req`, with its hint, on the general path: for
    /// `decide_with`, `decide_action` and `decide_ref` off their fast path (kept out of
    /// line, so the fast path stays small).
    #[cold]
    #[inline(never)]
    fn decide_in_general(&self, req: &Request<'_>, action: ActionRef<'_>) -> Decision {
        self.decide_request_parts(req, Some(action), true, Hints::Fresh)
            .unwrap_or_else(|_| Decision::deny(Reason::NO_MATCHING_RULE))
    }

    /// [`Engine::is_allowed`]: on the usual request straight to the rules; anything else
    /// through the general path, without hints.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn allowed(&self, session: &Session, action: ActionRef<'_>, resource: &Resource, opts: &Options) -> bool {
        let now = opts.now.unwrap_or_else(system_now);
        let context = opts.context.as_ref().unwrap_or_else(|| empty_context());
        match self.fast_answer(session, action, resource, now, context) {
            #[cfg(not(target_arch = "wasm32"))]
            Answer::End(_, _, end) => crate::diagram::Diagram::allowed(end),
            #[cfg(target_arch = "wasm32")]
            Answer::End(..) => false,
            Answer::Allowed(allowed) => allowed,
            Answer::General => {
                let req = Request { session, resource, context, now, pre: None, prepared: None };
                self.allowed_in_general(&req, action)
            }
        }
    }

    /// The answer on the usual request (a session and a resource already prepared for this
    /// engine, a planned pair), straight from the rules: the end of the pair's diagram, or
    /// the plan's walk where it has none; [`Answer::General`] for any other request.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn fast_answer<'a>(
        &'a self,
        session: &Session,
        action: ActionRef<'_>,
        resource: &Resource,
        now: i64,
        context: &Context,
    ) -> Answer<'a> {
        let program = &self.inner.program;
        let prepared = session.prepared.get_or_init(|| program.prepare(session));
        let binding = resource.binding.get_or_init(|| Binding::new(program, resource));
        let index = match action {
            ActionRef::Name(name) => program.action_index.get(name),
            ActionRef::Found(id) => (id.program == program.id).then_some(id.index),
        };
        let (true, &Ok(licensed), Some(t), Ok(slots), Some(a)) = (
            prepared.engine_id == program.id && binding.program_id == program.id,
            &prepared.licensed,
            binding.type_index,
            &binding.slots,
            index,
        ) else {
            return Answer::General;
        };
        let slot = program.index.get(t as usize * program.n_actions + a as usize);
        let Some((slot, plan)) = slot.filter(|s| s.declared).and_then(|s| Some((s, s.plan.as_deref()?))) else {
            return Answer::General;
        };
        #[cfg(not(target_arch = "wasm32"))]
        let valid = prepared.valid_at(now);
        #[cfg(target_arch = "wasm32")]
        let valid = session.validity(now, LEEWAY_SECONDS) == Validity::Valid;
        if !valid {
            // Denied: the general path says why (expired, or not yet valid).
            return Answer::General;
        }
        let general = Evaluator { session, permissions: &prepared.permissions, licensed, resource, context };
        let ev = crate::fast::FastEval { general, slots };
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(diagram) = &slot.diagram {
            let [user, org] = &prepared.ids;
            let ids = crate::diagram::Ids { attrs: &binding.ids, user, org };
            return Answer::End(slot, diagram, diagram.walk(plan, &ev, ids));
        }
        #[cfg(target_arch = "wasm32")]
        let _ = slot;
        Answer::Allowed(plan.allows(&ev))
    }

    /// `Engine::allowed` off its fast path (kept out of line, so the fast path stays
    /// small): the general decision on the same request (the same `now`), without hints.
    #[cold]
    #[inline(never)]
    fn allowed_in_general(&self, req: &Request<'_>, action: ActionRef<'_>) -> bool {
        self.decide_request_parts(req, Some(action), true, Hints::Skip).is_ok_and(|d| d.allowed)
    }

    /// [`Engine::decide_action`] into `out`, replacing what it held: the same decision,
    /// built in the allocation of `out.missing`, which is kept for the next call when the
    /// decision needs none. For loops that decide many times and look at each decision
    /// before the next; a deny with a hint then allocates nothing once `out` has one.
    ///
    /// ```
    /// # use ordinance::*;
    /// let engine = Engine::from_policy_text(
    ///     "permission docs:read \"Read\"\nresource doc {}\naction read on doc\npermit read on doc when has(docs:read)").unwrap();
    /// let read = engine.action("read").unwrap();
    /// let s = Session::from_claims_json(r#"{"sub": "u", "org_id": "o", "org_role": "r"}"#).unwrap();
    /// let opts = Options::default().at(0);
    /// let mut d = engine.decide_action(&s, read, &Resource::new("doc"), &opts);
    /// for _ in 0..3 {
    ///     engine.decide_action_into(&s, read, &Resource::new("doc"), &opts, &mut d);
    ///     assert_eq!(d.missing[0].to_string(), "requires the `docs:read` permission");
    /// }
    /// ```
    pub fn decide_action_into(
        &self,
        session: &Session,
        action: ActionId,
        resource: &Resource,
        opts: &Options,
        out: &mut Decision,
    ) {
        let context = opts.context.as_ref().unwrap_or_else(|| empty_context());
        let now = opts.now.unwrap_or_else(system_now);
        let req = Request { session, resource, context, now, pre: None, prepared: None };
        let mut spare = take(&mut out.missing);
        *out = self
            .decide_request_parts(&req, Some(ActionRef::Found(action)), true, Hints::Into(&mut spare))
            .unwrap_or_else(|_| Decision::deny(Reason::NO_MATCHING_RULE));
        if out.missing.capacity() == 0 {
            // The hint did not take it: keep it for the next call.
            spare.clear();
            out.missing = spare;
        }
    }

    /// [`Engine::decide_action`], with a [`DecisionKey`] naming the decision when the
    /// (type, action) pair is decided on a plan: an allow comes back whole with the key of
    /// its rule; a deny whose hint follows from the values of the pair's tests comes back
    /// *without its `missing`*, with the key of the whole decision. Within one engine,
    /// equal keys are equal decisions, `missing` included, so a caller that numbers its
    /// answers (as the WebAssembly binding does) works each deny's hint out once per key,
    /// with [`Engine::decide_action`], and reuses it. Every other decision comes back
    /// whole, with `None`.
    ///
    /// ```
    /// # use ordinance::*;
    /// let engine = Engine::from_policy_text(
    ///     "permission docs:read \"Read\"\nresource doc {}\naction read on doc\npermit read on doc when has(docs:read)").unwrap();
    /// let read = engine.action("read").unwrap();
    /// let opts = Options::default().at(0);
    /// let doc = Resource::new("doc");
    /// let a = Session::from_claims_json(r#"{"sub": "a", "org_id": "o", "org_role": "r"}"#).unwrap();
    /// let b = Session::from_claims_json(r#"{"sub": "b", "org_id": "o", "org_role": "r"}"#).unwrap();
    /// let (d, key) = engine.decide_action_keyed(&a, read, &doc, &opts);
    /// assert!(!d.allowed && d.missing.is_empty() && key.is_some());
    /// // Another user, the same hint: the same key.
    /// assert_eq!(engine.decide_action_keyed(&b, read, &doc, &opts).1, key);
    /// // The hint itself, once per key.
    /// assert_eq!(engine.decide_action(&a, read, &doc, &opts).missing[0].name, "docs:read");
    /// ```
    pub fn decide_action_keyed(
        &self,
        session: &Session,
        action: ActionId,
        resource: &Resource,
        opts: &Options,
    ) -> (Decision, Option<DecisionKey>) {
        let context = opts.context.as_ref().unwrap_or_else(|| empty_context());
        let now = opts.now.unwrap_or_else(system_now);
        let req = Request { session, resource, context, now, pre: None, prepared: None };
        let mut key = None;
        let d = self
            .decide_request_parts(&req, Some(ActionRef::Found(action)), true, Hints::Keyed(&mut key))
            .unwrap_or_else(|_| Decision::deny(Reason::NO_MATCHING_RULE));
        (d, key)
    }

    /// Decides from raw JSON: claims, resource and (optional) context documents.
    /// Malformed input is a deny with reason `invalid_claims`, `invalid_resource` or
    /// `invalid_context` and the error in [`Decision::error`].
    ///
    /// ```
    /// # use ordinance::*;
    /// let engine = Engine::from_policy_text(
    ///     "resource doc { owner: string }\naction read on doc\npermit read on doc when resource.owner == user.id").unwrap();
    /// let d = engine.decide_json(r#"{"sub":"u1"}"#, "read", r#"{"type":"doc","owner":"u1"}"#, None, Some(0));
    /// assert!(d.allowed);
    /// let bad = engine.decide_json(r#"{"sub":1}"#, "read", r#"{"type":"doc","owner":"u1"}"#, None, Some(0));
    /// assert_eq!(bad.reason, "invalid_claims");
    /// ```
    pub fn decide_json(
        &self,
        claims: &str,
        action: &str,
        resource: &str,
        context: Option<&str>,
        now: Option<i64>,
    ) -> Decision {
        let inner = &*self.inner;
        let (limits, program) = (&inner.limits, &inner.program);
        if cfg!(target_arch = "wasm32") {
            // The size-bound wasm build reads JSON through the strict readers, which
            // engine/tests/intake_props.rs proves equal to the one-pass ones below (these cost
            // more of the 150 KB gzip budget than they save there: the JS wrapper prepares a
            // session and a resource once per object anyway).
            let session = Session::from_claims_json_dom(claims, limits);
            let resource = Resource::from_json_dom(resource, limits);
            let context = context.map(|text| Context::from_json_with_limits(text, limits));
            return self.decide_inputs(session, action, resource, context, now);
        }
        // Built for this one decision: only what the policy reads is kept, the permissions
        // go straight into the session's prepared bits and the resource's declared
        // attributes into their slots. Unusable input is a deny naming what was wrong,
        // claims first (as `decide_inputs`; the later inputs are then not read at all).
        let shot = crate::claims::OneShot {
            keep_claims: inner.reads_claims,
            reads: inner.text_reads,
            permissions: Some((&program.permission_index, program.permission_words)),
            license: program.org_license_path(),
        };
        let (session, read) = match Session::from_claims_one_shot(claims, limits, &shot) {
            Ok(read) => read,
            Err(e) => return Decision::deny_with_error(Reason::INVALID_CLAIMS, e.to_string()),
        };
        // The interned bits count only in an organization (as `Program::prepare` adds the
        // bits of the session's own names only then).
        let mut bits = match read.interned {
            Some(bits) if session.org.is_some() => bits,
            _ => crate::compile::Bits::zeroed(program.permission_words),
        };
        let mut licensed = program.prepare_into(&session, &mut bits);
        if let (Some(found), Some(_)) = (read.license, &session.org) {
            // `org_metadata` was read apart (the session's copy is empty): the license
            // flag is what its path led to, as `prepare_into` would find it.
            licensed = found.flag();
        }
        let declared = |type_name: &str| {
            let t = program.types.get(type_name).map(|&t| t as usize);
            let attrs = t.and_then(|t| program.type_info.get(t)).map(|i| i.attrs.as_slice()).unwrap_or_default();
            let bind = t.map_or(true, |t| inner.slots_only.get(t).copied().unwrap_or(false));
            crate::resource::DeclaredType { attrs, bind: bind && attrs.len() <= crate::resource::PRE_BOUND }
        };
        let mut pre = PreBound::new();
        let keep_id = inner.text_reads.resource_id;
        let (resource, bound) =
            match Resource::from_json_declared(resource, limits, Some(&declared), keep_id, Some(&mut pre)) {
                Ok(read) => read,
                Err(e) => return Decision::deny_with_error(Reason::INVALID_RESOURCE, e.to_string()),
            };
        let context = match context.map(|text| Context::from_json_with_limits(text, limits)).transpose() {
            Ok(c) => c,
            Err(e) => return Decision::deny_with_error(Reason::INVALID_CONTEXT, e.to_string()),
        };
        let req = Request {
            session: &session,
            resource: &resource,
            context: context.as_ref().unwrap_or_else(|| empty_context()),
            now: now.unwrap_or_else(system_now),
            pre: bound.then_some(&pre),
            prepared: Some((&bits, &licensed)),
        };
        self.decide_inner(&req, action, true)
    }

    /// Decides from parsed JSON values, as the bindings receive them.
    pub fn decide_value(
        &self,
        claims: Value,
        action: &str,
        resource: Value,
        context: Option<Value>,
        now: Option<i64>,
    ) -> Decision {
        let limits = &self.inner.limits;
        // A value built in code may nest without bound, and `Value`'s drop recurses: check (and
        // take apart) every input before an early return below could drop one unchecked.
        // Each is bounded in size as its text would be (`json::checked_sized`; the context's
        // size is checked by `Context::from_value_with_limits`).
        let resource = crate::json::checked_sized(resource, limits.max_json_depth, limits.max_request_bytes);
        let context = context.map(|c| crate::json::checked(c, limits.max_json_depth));
        let session = Session::from_value_sized(claims, limits);
        let resource = resource
            .map_err(|e| crate::InputError::new("resource", e))
            .and_then(|r| Resource::from_value_with_limits(r, limits));
        let context = context.map(|c| {
            c.map_err(|e| crate::InputError::new("context", e)).and_then(|v| Context::from_value_with_limits(v, limits))
        });
        self.decide_inputs(session, action, resource, context, now)
    }

    /// Decides once the inputs are parsed; unusable input is a deny naming what was wrong,
    /// claims first.
    fn decide_inputs(
        &self,
        session: Result<Session, crate::ClaimsError>,
        action: &str,
        resource: Result<Resource, crate::InputError>,
        context: Option<Result<Context, crate::InputError>>,
        now: Option<i64>,
    ) -> Decision {
        let session = match session {
            Ok(s) => s,
            Err(e) => return Decision::deny_with_error(Reason::INVALID_CLAIMS, e.to_string()),
        };
        let resource = match resource {
            Ok(r) => r,
            Err(e) => return Decision::deny_with_error(Reason::INVALID_RESOURCE, e.to_string()),
        };
        let context = match context.transpose() {
            Ok(c) => c,
            Err(e) => return Decision::deny_with_error(Reason::INVALID_CONTEXT, e.to_string()),
        };
        let ctx = context.as_ref().unwrap_or_else(|| empty_context());
        let now = now.unwrap_or_else(system_now);
        let req = Request { session: &session, resource: &resource, context: ctx, now, pre: None, prepared: None };
        self.decide_inner(&req, action, true)
    }

    /// Decides one request object `{"claims", "action", "resource", "context"?, "now"?}`,
    /// the line format of `ordinance decide --requests`. A malformed request (not JSON, not
    /// an object, an unknown key, a missing `claims`, `action` or `resource`, an `action`
    /// that is not a string or a `now` that is not an integer) is a deny with reason
    /// `invalid_request`; claims, a resource or a context that are present but unusable are
    /// denied as [`Engine::decide_value`] denies them (`invalid_claims`, ...).
    ///
    /// ```
    /// # use ordinance::*;
    /// let engine = Engine::from_policy_text("resource doc {}\naction read on doc\npermit read on doc when user").unwrap();
    /// let d = engine.decide_request_json(r#"{"claims": {"sub": "u"}, "action": "read", "resource": {"type": "doc"}, "now": 0}"#);
    /// assert!(d.allowed);
    /// assert_eq!(engine.decide_request_json("not json").reason, "invalid_request");
    /// ```
    pub fn decide_request_json(&self, text: &str) -> Decision {
        let limits = &self.inner.limits;
        let max = limits.max_claims_bytes.saturating_add(limits.max_request_bytes.saturating_mul(2));
        match crate::json::parse_strict(text, max, limits.max_json_depth.saturating_add(1)) {
            Ok(v) => self.decide_request(v),
            Err(e) => Decision::deny_with_error(Reason::INVALID_REQUEST, format!("invalid request: {e}")),
        }
    }

    /// As [`Engine::decide_request_json`], on a parsed value.
    pub fn decide_request(&self, request: Value) -> Decision {
        // As in `decide_value`: never drop an unchecked value on an early return.
        let request = match crate::json::checked(request, self.inner.limits.max_json_depth.saturating_add(1)) {
            Ok(v) => v,
            Err(e) => return Decision::deny_with_error(Reason::INVALID_REQUEST, format!("invalid request: {e}")),
        };
        let Value::Object(mut req) = request else {
            return Decision::deny_with_error(Reason::INVALID_REQUEST, "invalid request: must be a JSON object");
        };
        for key in req.keys() {
            if !matches!(key.as_str(), "claims" | "action" | "resource" | "context" | "now") {
                return Decision::deny_with_error(
                    Reason::INVALID_REQUEST,
                    format!("invalid request: unknown field `{key}`"),
                );
            }
        }
        // A key left out makes the request malformed, whereas claims or a resource that are
        // present but unusable (`null` included) are `invalid_claims` / `invalid_resource`.
        let missing = |key: &str| {
            Decision::deny_with_error(
                Reason::INVALID_REQUEST,
                format!(
                    "invalid request: the request has no `{key}`; a request is \
                     {{\"claims\", \"action\", \"resource\", \"context\"?, \"now\"?}}"
                ),
            )
        };
        let Some(claims) = req.remove("claims") else {
            return missing("claims");
        };
        let action = match req.remove("action") {
            Some(Value::String(a)) => a,
            Some(_) => {
                return Decision::deny_with_error(Reason::INVALID_REQUEST, "invalid request: `action` must be a string")
            }
            None => return missing("action"),
        };
        let Some(resource) = req.remove("resource") else {
            return missing("resource");
        };
        let now = match req.remove("now") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64(),
            Some(_) => {
                return Decision::deny_with_error(Reason::INVALID_REQUEST, "invalid request: `now` must be an integer")
            }
        };
        let context = req.remove("context");
        self.decide_value(claims, &action, resource, context, now)
    }

    /// Every action declared on the resource's type that `session` may take, in
    /// declaration order: one call to gate every button of a row.
    ///
    /// ```
    /// # use ordinance::*;
    /// let engine = Engine::from_policy_text(
    ///     "resource doc {}\naction read, write on doc\npermit read on doc\npermit write on doc when has_role(org:admin)\nrole org:admin = []").unwrap();
    /// let s = Session::from_claims_json(r#"{"sub": "u"}"#).unwrap();
    /// assert_eq!(engine.permitted_actions(&s, &Resource::new("doc"), &Options::default()), vec!["read"]);
    /// ```
    pub fn permitted_actions(&self, session: &Session, resource: &Resource, opts: &Options) -> Vec<String> {
        let context = opts.context.as_ref().unwrap_or_else(|| empty_context());
        let now = opts.now.unwrap_or_else(system_now);
        let req = Request { session, resource, context, now, pre: None, prepared: None };
        // The session, type and attributes are resolved once for the whole row; any
        // decision there (expired, unknown type, invalid resource) denies every action.
        self.decide_request_parts(&req, None, true, Hints::Skip).err().unwrap_or_default()
    }

    /// Which resources of `resource_type` may `session` act on with `action`: the policy
    /// partially evaluated for this session (roles, permissions, license, organization, user,
    /// context and time), leaving a condition over the resource's attributes that renders as
    /// a SQL `WHERE` fragment. A row passes it if and only if `decide` allows the action on
    /// that row; see [`Filter`](crate::Filter) and `docs/filters.md`.
    ///
    /// ```
    /// # use ordinance::*;
    /// let engine = Engine::from_policy_text(
    ///     "resource doc { owner: string }\naction read on doc\npermit read on doc when resource.owner == user.id").unwrap();
    /// let s = Session::from_claims_json(r#"{"sub": "u1"}"#).unwrap();
    /// let sql = engine.filter(&s, "read", "doc", &Options::default()).unwrap().to_sql(&SqlOptions::default()).unwrap();
    /// assert_eq!(sql.sql, r#""owner" IS NOT NULL AND "owner" = $1::text"#);
    /// ```
    pub fn filter(
        &self,
        session: &Session,
        action: &str,
        resource_type: &str,
        opts: &Options,
    ) -> Result<crate::Filter, crate::FilterError> {
        let context = opts.context.as_ref().unwrap_or_else(|| empty_context());
        let now = opts.now.unwrap_or_else(system_now);
        let mut scratch = None;
        let prepared = self.prepared(session, &mut scratch);
        crate::filter::build(&self.inner.program, session, prepared, action, resource_type, context, now)
    }

    /// Decides and returns the full trace: every rule considered and the value of each
    /// sub-condition. For the CLI and debugging; slower than [`Engine::decide`].
    pub fn explain(&self, session: &Session, action: &str, resource: &Resource, opts: &Options) -> crate::Explanation {
        let decision = self.decide_with(session, action, resource, opts);
        let context = opts.context.as_ref().unwrap_or_else(|| empty_context());
        crate::explain::explain(&self.inner.policy, decision, session, action, resource, context)
    }

    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn prepared<'s>(&self, session: &'s Session, scratch: &'s mut Option<PreparedSession>) -> &'s PreparedSession {
        let program = &self.inner.program;
        let cached = session.prepared.get_or_init(|| program.prepare(session));
        if cached.engine_id == program.id {
            return cached;
        }
        scratch.insert(program.prepare(session))
    }

    /// Decides without touching the resource's binding cache: for a resource built for
    /// this one request (the JSON paths), where filling the cache would only copy strings.
    fn decide_inner(&self, req: &Request<'_>, action: &str, with_hints: bool) -> Decision {
        let hints = if with_hints { Hints::Fresh } else { Hints::Skip };
        self.decide_request_parts(req, Some(ActionRef::Name(action)), false, hints)
            .unwrap_or_else(|_| Decision::deny(Reason::NO_MATCHING_RULE))
    }

    /// Everything before the rules: token times, the prepared session, the resource type
    /// and its declared attributes (from `resource`'s binding cache when `cache`); then
    /// `Some(action)` is decided, or, for `None`, every declared action of the type is
    /// decided and the permitted ones are returned.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn decide_request_parts(
        &self,
        req: &Request<'_>,
        action: Option<ActionRef<'_>>,
        cache: bool,
        hints: Hints<'_>,
    ) -> Result<Decision, Vec<String>> {
        let Request { session, resource, context, now, pre, prepared } = *req;
        match session.validity(now, LEEWAY_SECONDS) {
            Validity::Valid => {}
            Validity::Expired => return Ok(Decision::deny(Reason::SESSION_EXPIRED)),
            Validity::NotYetValid => return Ok(Decision::deny(Reason::SESSION_NOT_YET_VALID)),
        }
        let mut scratch = None;
        let (permissions, licensed) = match prepared {
            Some(p) => p,
            None => {
                let p = self.prepared(session, &mut scratch);
                (&*p.permissions, &p.licensed)
            }
        };
        let licensed = match licensed {
            Ok(b) => *b,
            Err(e) => {
                return Ok(Decision::deny_with_error(Reason::INVALID_CLAIMS, format!("invalid claims: {e}")));
            }
        };
        let program = &self.inner.program;
        let binding = if cache {
            let b = resource.binding.get_or_init(|| Binding::new(program, resource));
            (b.program_id == program.id).then_some(b)
        } else {
            None
        };
        let t = match binding {
            Some(b) => b.type_index,
            None => program.types.get(resource.type_name.as_str()).copied(),
        };
        let Some(t) = t else {
            return Ok(Decision::deny_with_error(
                Reason::UNKNOWN_RESOURCE_TYPE,
                format!("the policy declares no resource type `{}`", resource.type_name),
            ));
        };
        let row = program.index.get(t as usize * program.n_actions..).unwrap_or_default();
        let slot = match action {
            Some(action) => {
                let index = match action {
                    ActionRef::Name(name) => program.action_index.get(name),
                    ActionRef::Found(id) => (id.program == program.id).then_some(id.index),
                };
                match index.and_then(|a| row.get(a as usize)).filter(|s| s.declared) {
                    Some(slot) => Some(slot),
                    None => return Ok(unknown_action(program, action, resource)),
                }
            }
            None => None,
        };
        let info = program.type_info.get(t as usize);
        let attrs = info.map(|i| i.attrs.as_slice()).unwrap_or_default();
        // Declared attributes bound to slots: cached in the resource, or on the stack for
        // the usual handful.
        // (Initialised only when used, so the cached path neither fills nor drops them.)
        let inline: [Bound<'_>; 16];
        let spilled: Vec<Bound<'_>>;
        let slots: &[Bound<'_>] = match binding.map(|b| &b.slots) {
            Some(Ok(cached)) => cached,
            Some(Err(e)) => {
                return Ok(Decision::deny_with_error(Reason::INVALID_RESOURCE, format!("invalid resource: {e}")));
            }
            None if attrs.len() <= 16 => {
                let mut slots = [const { Bound::Absent }; 16];
                let bound = match pre {
                    Some(pre) => pre.bind(attrs, &mut slots),
                    None => bind_resource(attrs, resource, &mut slots),
                };
                if let Err(e) = bound {
                    return Ok(Decision::deny_with_error(Reason::INVALID_RESOURCE, format!("invalid resource: {e}")));
                }
                inline = slots;
                inline.get(..attrs.len()).unwrap_or_default()
            }
            None => {
                let mut slots = vec![Bound::Absent; attrs.len()];
                let bound = match pre {
                    Some(pre) => pre.bind(attrs, &mut slots),
                    None => bind_resource(attrs, resource, &mut slots),
                };
                if let Err(e) = bound {
                    return Ok(Decision::deny_with_error(Reason::INVALID_RESOURCE, format!("invalid resource: {e}")));
                }
                spilled = slots;
                &spilled
            }
        };
        let general = Evaluator { session, permissions, licensed, resource, context };
        let ev = crate::fast::FastEval { general, slots };
        match slot {
            Some(slot) => Ok(decide_slot(program, &ev, slot, hints)),
            None => Err(info
                .map(|i| {
                    i.actions
                        .iter()
                        .zip(&i.action_names)
                        .filter(|(&a, _)| {
                            row.get(a as usize)
                                .is_some_and(|s| s.declared && decide_slot(program, &ev, s, Hints::Skip).allowed)
                        })
                        .map(|(_, name)| name.to_string())
                        .collect()
                })
                .unwrap_or_default()),
        }
    }
}

/// An action found by [`Engine::action`]: its number in one engine's policy.
///
/// ```
/// # let engine = ordinance::Engine::from_policy_text(
/// #     "resource doc {}\naction read on doc\npermit read on doc when user").unwrap();
/// let read: ordinance::ActionId = engine.action("read").unwrap();
/// assert_eq!(engine.action("read"), Some(read));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ActionId {
    /// The `Program::id` of the engine that found it.
    program: u64,
    index: u32,
}

/// The action of a request: as named, or found beforehand.
#[derive(Clone, Copy)]
enum ActionRef<'a> {
    Name(&'a str),
    Found(ActionId),
}

/// How far [`Engine::fast_answer`] got.
enum Answer<'a> {
    /// The end of the walk down the diagram of the pair's slot.
    #[cfg(not(target_arch = "wasm32"))]
    End(&'a crate::compile::Slot, &'a crate::diagram::Diagram, u16),
    /// (No diagrams in wasm.)
    #[cfg(target_arch = "wasm32")]
    #[allow(dead_code)]
    End(&'a crate::compile::Slot),
    /// The answer of the plan's walk (a pair without a diagram).
    Allowed(bool),
    /// Off the fast path: the general path decides.
    General,
}

/// A request a decision diagram settled, kept by a [`DecisionRef`] to work out the rest of
/// its decision (the `missing` hint) when asked: the pair's rules on the same session,
/// resource and context.
#[derive(Clone, Copy)]
#[cfg_attr(target_arch = "wasm32", allow(dead_code))] // no diagrams there
pub(crate) struct Pending<'a> {
    program: &'a Program,
    session: &'a Session,
    resource: &'a Resource,
    context: &'a Context,
    slot: &'a crate::compile::Slot,
}

#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
impl Pending<'_> {
    /// The whole decision of the request, which the pair's diagram settled on `leaf`: the
    /// leaf's `allowed`, reason and rule, and for a deny the hint worked out on the pair's
    /// plan, as `decide_planned` does (the tests it needs are evaluated there).
    #[inline(always)]
    pub(crate) fn settled_decision(&self, leaf: &Settled) -> Decision {
        let mut d = Decision {
            allowed: leaf.allowed,
            reason: leaf.reason.clone(),
            rule: leaf.rule.clone(),
            missing: Vec::new(),
            error: None,
        };
        if leaf.hint {
            d.missing = self.hint(leaf);
        }
        d
    }

    /// The `missing` hint of a deny the diagram settled on `leaf` (denied by the forbid at
    /// `leaf.forbidden` in the plan, or by no permit): one `leaf` remembers for these
    /// session facts and these values of the tests that hint read, or else worked out on
    /// the plan from the tests' values the walk had, and remembered when the plan's hints
    /// read nothing but tests and facts (out of line: the allows stay small).
    #[inline(never)]
    pub(crate) fn hint(&self, leaf: &Settled) -> Vec<Requirement> {
        let Pending { program, session, resource, context, slot } = *self;
        // Both caches were filled for this engine before the walk, and cannot change while
        // borrowed; were they not, the hint would be empty.
        let (Some(prepared), Some(binding), Some(plan)) = (session.prepared.get(), resource.binding.get(), &slot.plan)
        else {
            return Vec::new();
        };
        let (Ok(licensed), Ok(slots)) = (&prepared.licensed, &binding.slots) else { return Vec::new() };
        let general = Evaluator { session, permissions: &prepared.permissions, licensed: *licensed, resource, context };
        let ev = crate::fast::FastEval { general, slots };
        let facts = crate::plan::Facts::of(&ev);
        // The walk's values to start from; tests read after them are kept for the hint.
        let mut memo = leaf.known;
        for r in leaf.remembered.iter().filter_map(std::sync::OnceLock::get) {
            if r.facts == facts && plan.reads_alike(&ev, &mut memo, &r.read, &leaf.known) {
                return r.hint.to_vec();
            }
        }
        let hints = crate::fast::FastHints { ev: &ev, program };
        let hint = plan.missing(&hints, facts, &mut memo, leaf.forbidden, Vec::new());
        if leaf.rememberable {
            // In the first free place (another thread may take one first).
            let mut entry = crate::decision_ref::RememberedHint { facts, read: memo, hint: hint.as_slice().into() };
            for place in &leaf.remembered {
                match place.set(entry) {
                    Ok(()) => break,
                    Err(back) => entry = back,
                }
            }
        }
        hint
    }
}

/// The deny of an action the resource's type does not declare.
#[cold]
fn unknown_action(program: &Program, action: ActionRef<'_>, resource: &Resource) -> Decision {
    let message = match action {
        ActionRef::Name(name) => format!("the policy declares no action `{name}` on `{}`", resource.type_name),
        ActionRef::Found(id) => match (id.program == program.id).then(|| program.action_name(id.index)).flatten() {
            Some(name) => format!("the policy declares no action `{name}` on `{}`", resource.type_name),
            None => "the action was looked up in another engine's policy (`Engine::action`)".to_string(),
        },
    };
    Decision::deny_with_error(Reason::UNKNOWN_ACTION, message)
}

/// Whether a deny gets its `missing` hint, and where it is built.
enum Hints<'s> {
    /// No hint (`permitted_actions` asks only whether each action is allowed).
    Skip,
    /// In a new vector.
    Fresh,
    /// In this one's allocation (`Engine::decide_action_into`).
    Into(&'s mut Needs),
    /// As the decision's key, when the slot's plan gives one (`Engine::decide_action_keyed`);
    /// in a new vector otherwise.
    Keyed(&'s mut Option<DecisionKey>),
}

impl Hints<'_> {
    /// The vector to build the hint in, or `None` for no hint.
    fn spare(self) -> Option<Needs> {
        match self {
            Hints::Skip => None,
            Hints::Fresh => Some(Vec::new()),
            Hints::Into(spare) => Some(take(spare)),
            Hints::Keyed(_) => Some(Vec::new()),
        }
    }
}

/// The inputs of one decision besides the action.
#[derive(Clone, Copy)]
struct Request<'r> {
    session: &'r Session,
    resource: &'r Resource,
    context: &'r Context,
    now: i64,
    /// The resource's declared attributes when read apart from it (`decide_json`).
    pre: Option<&'r PreBound<'r>>,
    /// The session's permission bits and license flag for this engine when prepared apart
    /// from it (`decide_json`; see `PreparedSession`).
    prepared: Option<(&'r [u64], &'r Result<bool, String>)>,
}

/// The rules of one (type, action) slot on a bound request.
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
fn decide_slot<'a>(
    program: &'a Program,
    ev: &crate::fast::FastEval<'a>,
    slot: &'a crate::compile::Slot,
    hints: Hints<'_>,
) -> Decision {
    if let Some(plan) = &slot.plan {
        return decide_planned(program, ev, plan, hints);
    }
    let mut errored: Option<u32> = None;
    for (position, &f) in slot.fast_forbids.iter().enumerate() {
        let Some(fr) = program.fast_rules.get(f as usize) else { continue };
        let outcome = match &fr.condition {
            None => Ok(true),
            Some(c) => ev.truth(c),
        };
        match outcome {
            Ok(true) => {
                let Some(rule) = program.rules.get(fr.rule as usize) else { continue };
                let mut d = forbidden_by(rule);
                if let Some(spare) = hints.spare() {
                    d.missing = crate::fast::FastHints { ev, program }.missing(slot, Some(position), spare);
                }
                return d;
            }
            Ok(false) => {}
            Err(_) => {
                errored.get_or_insert(fr.rule);
            }
        }
    }
    if let Some(i) = errored {
        return forbid_errored(program, i);
    }
    for &f in slot.fast_permits.iter() {
        let Some(fr) = program.fast_rules.get(f as usize) else { continue };
        let matched = match &fr.condition {
            None => true,
            Some(c) => ev.truth(c) == Ok(true),
        };
        if matched {
            let Some(rule) = program.rules.get(fr.rule as usize) else { continue };
            return permitted_by(rule);
        }
    }
    let mut d = Decision::deny(Reason::NO_MATCHING_RULE);
    if let Some(spare) = hints.spare() {
        d.missing = crate::fast::FastHints { ev, program }.missing(slot, None, spare);
    }
    d
}

/// The deny of a forbid that matched (its `missing` is the caller's).
fn forbidden_by(rule: &crate::compile::CompiledRule) -> Decision {
    let mut d = Decision::deny(rule.deny_reason.clone());
    d.rule = Some(rule.id.clone());
    d
}

/// The deny when the first forbid that could not be evaluated is rule `i` (fail closed).
fn forbid_errored(program: &Program, i: u32) -> Decision {
    let mut d = Decision::deny(Reason::FORBID_ERRORED);
    d.rule = program.rules.get(i as usize).map(|r| r.id.clone());
    d.error = Some("a forbid rule could not be evaluated, so the request is denied (fail closed)".into());
    d
}

/// The allow of a permit that matched.
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
fn permitted_by(rule: &crate::compile::CompiledRule) -> Decision {
    Decision { allowed: true, reason: Reason::PERMIT, rule: Some(rule.id.clone()), missing: Vec::new(), error: None }
}

/// [`decide_slot`] on the slot's plan: the same rules in the same order, each test
/// evaluated at most once.
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
fn decide_planned<'a>(
    program: &'a Program,
    ev: &crate::fast::FastEval<'a>,
    plan: &'a crate::plan::SlotPlan,
    hints: Hints<'_>,
) -> Decision {
    let mut memo = crate::plan::Memo::default();
    let facts = crate::plan::Facts::of(ev);
    let mut errored: Option<u32> = None;
    for (position, planned) in plan.forbids.iter().enumerate() {
        match plan.holds(ev, facts, &mut memo, planned) {
            Ok(true) => {
                let Some(rule) = program.rules.get(planned.rule as usize) else { continue };
                let mut d = forbidden_by(rule);
                d.missing = planned_hint(program, ev, plan, facts, &mut memo, Some(position), hints);
                return d;
            }
            Ok(false) => {}
            Err(_) => {
                errored.get_or_insert(planned.rule);
            }
        }
    }
    if let Some(i) = errored {
        return forbid_errored(program, i);
    }
    for (position, planned) in plan.permits.iter().enumerate() {
        if plan.holds(ev, facts, &mut memo, planned) == Ok(true) {
            let Some(rule) = program.rules.get(planned.rule as usize) else { continue };
            if let Hints::Keyed(key) = hints {
                *key = Some(plan.allow_key(program.id, position));
            }
            return permitted_by(rule);
        }
    }
    let mut d = Decision::deny(Reason::NO_MATCHING_RULE);
    d.missing = planned_hint(program, ev, plan, facts, &mut memo, None, hints);
    d
}

/// The `missing` hint of a deny on a planned slot, as `hints` asks; empty when only its key
/// is wanted (and the plan can give one).
fn planned_hint<'a>(
    program: &'a Program,
    ev: &crate::fast::FastEval<'a>,
    plan: &'a crate::plan::SlotPlan,
    facts: u8,
    memo: &mut crate::plan::Memo,
    forbidden: Option<usize>,
    hints: Hints<'_>,
) -> Vec<Requirement> {
    let hints = match hints {
        Hints::Keyed(key) => match plan.deny_key(program.id, ev, facts, memo) {
            Some(k) => {
                *key = Some(k);
                return Vec::new();
            }
            None => Hints::Fresh,
        },
        other => other,
    };
    match hints.spare() {
        Some(spare) => plan.missing(&crate::fast::FastHints { ev, program }, facts, memo, forbidden, spare),
        None => Vec::new(),
    }
}

/// A resource's declared attributes bound for one engine, cached in the [`Resource`]
/// (like a session's prepared permission bits): the type's index and each declared
/// attribute's value, or why the resource does not fit its type. Strings are copied, so
/// the binding does not borrow from the resource it lives in.
#[derive(Debug, Clone)]
pub(crate) struct Binding {
    program_id: u64,
    /// `None` when the policy declares no such type.
    type_index: Option<u32>,
    slots: Result<Box<[Bound<'static>]>, String>,
    /// The string attributes of `slots` in place (`Engine::is_allowed`).
    #[cfg(not(target_arch = "wasm32"))]
    ids: Box<[crate::diagram::ShortText]>,
}

impl Binding {
    fn new(program: &Program, resource: &Resource) -> Binding {
        let type_index = program.types.get(resource.type_name.as_str()).copied();
        let attrs =
            type_index.and_then(|t| program.type_info.get(t as usize)).map(|i| i.attrs.as_slice()).unwrap_or_default();
        let mut slots = vec![Bound::Absent; attrs.len()];
        let slots = bind_resource(attrs, resource, &mut slots)
            .map(|()| slots.into_iter().map(Bound::into_owned).collect::<Box<[_]>>());
        #[cfg(not(target_arch = "wasm32"))]
        let ids = match &slots {
            Ok(bound) => bound
                .iter()
                .map(|b| crate::diagram::ShortText::of(if let Bound::Str(s) = b { Some(s.as_ref()) } else { None }))
                .collect(),
            Err(_) => Box::default(),
        };
        Binding {
            program_id: program.id,
            type_index,
            slots,
            #[cfg(not(target_arch = "wasm32"))]
            ids,
        }
    }
}

/// The value of a declared attribute, checked against its declared type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bound<'r> {
    /// Absent, or null (optional attributes only).
    Absent,
    Str(std::borrow::Cow<'r, str>),
    Int(i64),
    Bool(bool),
    /// A `string[]`: present, read through the general evaluator.
    List,
}

impl Bound<'_> {
    fn into_owned(self) -> Bound<'static> {
        match self {
            Bound::Absent => Bound::Absent,
            Bound::Str(s) => Bound::Str(std::borrow::Cow::Owned(s.into_owned())),
            Bound::Int(i) => Bound::Int(i),
            Bound::Bool(b) => Bound::Bool(b),
            Bound::List => Bound::List,
        }
    }
}

/// Checks the resource's attributes against its declared type. Undeclared attributes are
/// ignored (rows often carry more columns than the policy reads); `null` counts as absent
/// for an optional attribute.
pub(crate) fn check_resource(attrs: &[(Box<str>, AttrType, bool)], resource: &Resource) -> Result<(), String> {
    let mut slots = vec![Bound::Absent; attrs.len()];
    bind_resource(attrs, resource, &mut slots)
}

/// Checks the resource against its declared attributes (as [`check_resource`]) and binds
/// each declared attribute's value to its slot.
pub(crate) fn bind_resource<'r>(
    attrs: &[(Box<str>, AttrType, bool)],
    resource: &'r Resource,
    slots: &mut [Bound<'r>],
) -> Result<(), String> {
    for ((name, ty, optional), slot) in attrs.iter().zip(slots.iter_mut()) {
        let value = resource.attrs.get(name.as_ref());
        match value {
            None | Some(Value::Null) if *optional => *slot = Bound::Absent,
            None => return Err(format!("attribute `{name}` is missing")),
            Some(Value::Null) => return Err(format!("attribute `{name}` is null but not optional")),
            Some(v) => {
                let bound = match (ty, v) {
                    (AttrType::String, Value::String(s)) => Some(Bound::Str(std::borrow::Cow::Borrowed(s.as_str()))),
                    (AttrType::Int, Value::Number(n)) => n.as_i64().map(Bound::Int),
                    (AttrType::Bool, Value::Bool(b)) => Some(Bound::Bool(*b)),
                    (AttrType::StringList, Value::Array(items)) if items.iter().all(Value::is_string) => {
                        Some(Bound::List)
                    }
                    _ => None,
                };
                let Some(bound) = bound else {
                    return Err(format!(
                        "attribute `{name}` must be {}, found {}",
                        ty.keyword(),
                        crate::resource::attr_kind(v)
                    ));
                };
                *slot = bound;
            }
        }
    }
    Ok(())
}

/// The same check, written against the schema for the reference interpreter.
pub(crate) fn check_resource_naive(ty: &TypeSchema, resource: &Resource) -> Result<(), String> {
    for a in &ty.attrs {
        let v = resource.attrs.get(&a.name.text);
        let absent = matches!(v, None | Some(Value::Null));
        if absent {
            if a.optional {
                continue;
            }
            return Err(format!("attribute `{}` is missing", a.name.text));
        }
        let good = match (a.ty, v) {
            (AttrType::String, Some(Value::String(_))) => true,
            (AttrType::Bool, Some(Value::Bool(_))) => true,
            (AttrType::Int, Some(Value::Number(n))) => n.is_i64(),
            (AttrType::StringList, Some(Value::Array(items))) => items.iter().all(|i| matches!(i, Value::String(_))),
            _ => false,
        };
        if !good {
            return Err(format!("attribute `{}` has the wrong type", a.name.text));
        }
    }
    Ok(())
}
