//! A decision borrowed from the engine and the request ([`Engine::decide_ref`]): what it
//! settled is read in place, and a deny's hint is worked out only when asked for.
//!
//! [`Engine::decide_ref`]: crate::Engine::decide_ref

use std::fmt;
use std::sync::OnceLock;

use crate::decision::{Decision, Reason, Requirement, RuleId};
use crate::engine::Pending;
use crate::plan::Memo;

/// The answer to one request, as [`Engine::decide_ref`](crate::Engine::decide_ref) gives
/// it: the same decision as [`Engine::decide_with`](crate::Engine::decide_with), whose
/// `allowed`, reason and rule cost nothing to build (they were settled when the policy was
/// compiled and are borrowed from the engine), and whose `missing` hint is worked out on
/// each call to [`DecisionRef::missing`] or [`DecisionRef::to_decision`].
///
/// It borrows the engine, the session, the resource and the options it was decided with,
/// so it lives as long as they do; [`DecisionRef::to_decision`] (or `Decision::from`) gives
/// an owned [`Decision`] to keep.
///
/// ```
/// # use ordinance::*;
/// let engine = Engine::from_policy_text(
///     "resource doc { owner: string }\naction read on doc\n@id(\"owner\") permit read on doc when resource.owner == user.id").unwrap();
/// let s = Session::from_claims_json(r#"{"sub": "u1"}"#).unwrap();
/// let opts = Options::default().at(0);
/// let docs = [Resource::new("doc").with_attr("owner", "u1"), Resource::new("doc").with_attr("owner", "u2")];
/// let decisions: Vec<DecisionRef<'_>> = docs.iter().map(|d| engine.decide_ref(&s, "read", d, &opts)).collect();
/// assert_eq!(decisions.iter().filter(|d| d.allowed()).count(), 1);
/// assert_eq!(decisions[0].rule().map(|r| r.as_str()), Some("owner"));
/// let owned: Decision = decisions[1].to_decision();
/// assert_eq!((owned.allowed, owned.reason.as_str()), (false, "no_matching_rule"));
/// ```
#[derive(Clone)]
pub struct DecisionRef<'a> {
    /// The decision's `allowed`, apart from where the rest is: read without a branch.
    allowed: bool,
    inner: Inner<'a>,
}

/// The part of a decision a decision diagram's leaf settles (see `crate::diagram`): its
/// `allowed`, reason and rule, as `decide_planned` gives them; `hint` when it is a deny whose
/// `missing` is worked out on the pair's plan (a forbid that held, or no permit that did):
/// at once by `decide_with`, when asked by a [`DecisionRef`].
#[derive(Debug, Clone)]
pub(crate) struct Settled {
    pub allowed: bool,
    pub reason: Reason,
    pub rule: Option<RuleId>,
    pub hint: bool,
    /// For a forbid's deny: that forbid's position in the plan (the hint lifts it).
    pub forbidden: Option<usize>,
    /// For a deny with a hint: the tests' values on every walk that ends here, where the
    /// hint starts from (it reads them again otherwise).
    pub known: Memo,
    /// Whether the hint may be remembered (see [`Settled::remembered`]): the plan's hints
    /// read nothing but its tests and the session facts (no OAuth scopes, and no forbid
    /// whose permission is checked outside the tests).
    pub rememberable: bool,
    /// Hints once worked out here, each with what it read: a deny copies the first whose
    /// reads it shares instead of working its own out (the first requests to end here fill
    /// them; a leaf keeps [`REMEMBERED`] at most).
    pub remembered: [OnceLock<RememberedHint>; REMEMBERED],
}

/// The most hints a [`Settled`] leaf remembers (a UI deciding many rows for one session
/// asks for few different ones, and every deny leaf holds room for them all).
pub(crate) const REMEMBERED: usize = 2;

/// A hint worked out on a diagram's leaf, and what it was worked out from besides the
/// policy: the session facts (`Facts::of`) and every test's value it read. A hint reads
/// its tests in an order fixed by the values read before, so a request with those facts
/// whose tests have those values gets the same hint.
#[derive(Debug, Clone)]
pub(crate) struct RememberedHint {
    pub facts: u8,
    pub read: Memo,
    pub hint: Box<[Requirement]>,
}

// (Diagrams, which build leaves, are native only.)
#[cfg(not(target_arch = "wasm32"))]
impl Settled {
    /// Whether two ends decide alike and start their hints alike (one leaf serves both).
    pub fn same_end(&self, other: &Settled) -> bool {
        // The numbers first: most leaves differ there, before their texts are compared.
        (self.known, self.allowed, self.hint, self.forbidden, self.rememberable)
            == (other.known, other.allowed, other.hint, other.forbidden, other.rememberable)
            && (&self.reason, &self.rule) == (&other.reason, &other.rule)
    }
}

#[derive(Clone)]
enum Inner<'a> {
    /// Settled by a leaf of the pair's decision diagram; `request` works out the hint.
    // (Never built in wasm, which has no diagrams.)
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    Settled { leaf: &'a Settled, request: Pending<'a> },
    /// Decided in full (a request off the fast path, or a deny the diagram leaves open).
    Whole(Decision),
}

impl<'a> DecisionRef<'a> {
    #[cfg(not(target_arch = "wasm32"))]
    #[inline(always)]
    pub(crate) fn settled(leaf: &'a Settled, request: Pending<'a>) -> DecisionRef<'a> {
        DecisionRef { allowed: leaf.allowed, inner: Inner::Settled { leaf, request } }
    }

    pub(crate) fn whole(decision: Decision) -> DecisionRef<'a> {
        DecisionRef { allowed: decision.allowed, inner: Inner::Whole(decision) }
    }

    /// Whether the action may go ahead ([`Decision::allowed`]).
    ///
    /// ```
    /// # use ordinance::*;
    /// # let engine = Engine::from_policy_text("resource doc {}\naction read on doc\npermit read on doc when user").unwrap();
    /// # let (doc, opts) = (Resource::new("doc"), Options::default().at(0));
    /// let s = Session::from_claims_json(r#"{"sub": "u"}"#).unwrap();
    /// assert!(engine.decide_ref(&s, "read", &doc, &opts).allowed());
    /// ```
    #[inline]
    pub fn allowed(&self) -> bool {
        self.allowed
    }

    /// The machine code of why ([`Decision::reason`]).
    ///
    /// ```
    /// # use ordinance::*;
    /// # let engine = Engine::from_policy_text("resource doc {}\naction read on doc\npermit read on doc when user").unwrap();
    /// # let (doc, opts) = (Resource::new("doc"), Options::default().at(0));
    /// let s = Session::from_claims_json(r#"{"sub": "u", "exp": 10}"#).unwrap();
    /// assert_eq!(engine.decide_ref(&s, "read", &doc, &opts).reason(), "permit");
    /// assert_eq!(engine.decide_ref(&s, "read", &doc, &Options::default().at(100)).reason(), "session_expired");
    /// ```
    #[inline]
    pub fn reason(&self) -> &Reason {
        match &self.inner {
            Inner::Settled { leaf, .. } => &leaf.reason,
            Inner::Whole(d) => &d.reason,
        }
    }

    /// The rule that decided ([`Decision::rule`]): the permit that matched, or the forbid
    /// that denied.
    ///
    /// ```
    /// # use ordinance::*;
    /// let engine = Engine::from_policy_text(
    ///     "resource doc {}\naction read on doc\n@id(\"signed_in\") permit read on doc when user").unwrap();
    /// # let (doc, opts) = (Resource::new("doc"), Options::default().at(0));
    /// let s = Session::from_claims_json(r#"{"sub": "u"}"#).unwrap();
    /// assert_eq!(engine.decide_ref(&s, "read", &doc, &opts).rule().unwrap(), "signed_in");
    /// ```
    #[inline]
    pub fn rule(&self) -> Option<&RuleId> {
        match &self.inner {
            Inner::Settled { leaf, .. } => leaf.rule.as_ref(),
            Inner::Whole(d) => d.rule.as_ref(),
        }
    }

    /// What went wrong, for a deny caused by bad input or a failing forbid
    /// ([`Decision::error`]).
    ///
    /// ```
    /// # use ordinance::*;
    /// # let engine = Engine::from_policy_text("resource doc {}\naction read on doc\npermit read on doc when user").unwrap();
    /// # let (s, opts) = (Session::from_claims_json(r#"{"sub": "u"}"#).unwrap(), Options::default().at(0));
    /// let folder = Resource::new("folder");
    /// let d = engine.decide_ref(&s, "read", &folder, &opts);
    /// assert_eq!(d.reason(), "unknown_resource_type");
    /// assert!(d.error().unwrap().contains("folder"));
    /// ```
    pub fn error(&self) -> Option<&str> {
        match &self.inner {
            // A leaf settles only decisions without an error.
            Inner::Settled { .. } => None,
            Inner::Whole(d) => d.error.as_deref(),
        }
    }

    /// For a deny, what would make it an allow ([`Decision::missing`]): worked out on each
    /// call, as [`Engine::decide_with`](crate::Engine::decide_with) would (empty for an
    /// allow).
    ///
    /// ```
    /// # use ordinance::*;
    /// let engine = Engine::from_policy_text(
    ///     "permission docs:read \"Read\"\nresource doc {}\naction read on doc\npermit read on doc when has(docs:read)").unwrap();
    /// # let (doc, opts) = (Resource::new("doc"), Options::default().at(0));
    /// let s = Session::from_claims_json(r#"{"sub": "u", "org_id": "o"}"#).unwrap();
    /// let d = engine.decide_ref(&s, "read", &doc, &opts);
    /// assert_eq!(d.missing()[0].to_string(), "requires the `docs:read` permission");
    /// ```
    pub fn missing(&self) -> Vec<Requirement> {
        match &self.inner {
            Inner::Settled { leaf, request } if leaf.hint => request.hint(leaf),
            Inner::Settled { .. } => Vec::new(),
            Inner::Whole(d) => d.missing.clone(),
        }
    }

    /// The whole decision, owned: equal to what
    /// [`Engine::decide_with`](crate::Engine::decide_with) gives for the same request at
    /// the same time.
    ///
    /// ```
    /// # use ordinance::*;
    /// # let engine = Engine::from_policy_text("resource doc {}\naction read on doc\npermit read on doc when user").unwrap();
    /// # let (doc, opts) = (Resource::new("doc"), Options::default().at(0));
    /// let s = Session::from_claims_json("{}").unwrap();
    /// let d = engine.decide_ref(&s, "read", &doc, &opts);
    /// assert_eq!(d.to_decision(), engine.decide_with(&s, "read", &doc, &opts));
    /// assert_eq!(d.to_decision().to_json()["missing"][0]["kind"], "sign_in");
    /// ```
    pub fn to_decision(&self) -> Decision {
        match &self.inner {
            Inner::Settled { leaf, request } => request.settled_decision(leaf),
            Inner::Whole(d) => d.clone(),
        }
    }
}

impl From<DecisionRef<'_>> for Decision {
    /// [`DecisionRef::to_decision`], taking the decision out when it is already whole.
    fn from(decision: DecisionRef<'_>) -> Decision {
        match decision.inner {
            Inner::Whole(d) => d,
            settled @ Inner::Settled { .. } => DecisionRef { inner: settled, ..decision }.to_decision(),
        }
    }
}

impl PartialEq<Decision> for DecisionRef<'_> {
    /// Whether [`DecisionRef::to_decision`] would equal `other`.
    fn eq(&self, other: &Decision) -> bool {
        match &self.inner {
            Inner::Settled { leaf, request } => {
                leaf.allowed == other.allowed
                    && leaf.reason == other.reason
                    && leaf.rule == other.rule
                    && other.error.is_none()
                    && if leaf.hint { request.hint(leaf) == other.missing } else { other.missing.is_empty() }
            }
            Inner::Whole(d) => d == other,
        }
    }
}

impl fmt::Debug for DecisionRef<'_> {
    /// The settled fields; the hint is not worked out to print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecisionRef")
            .field("allowed", &self.allowed())
            .field("reason", self.reason())
            .field("rule", &self.rule())
            .field("error", &self.error())
            .finish_non_exhaustive()
    }
}
