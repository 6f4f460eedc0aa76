//! The decision hot path: conditions lowered per resource type into nodes that read
//! typed fields directly.
//!
//! Resource attributes are validated against their declared types before any rule runs,
//! so `resource.owner_id == user.id` on a `string` attribute can compare two `&str`
//! without building general values: it becomes [`Fast::StrCmp`] over an attribute slot.
//! Anything without a specialised node falls back to the general evaluator
//! ([`Fast::General`]), so the two always agree; the differential tests check it.

use crate::compile::{has_bit, CExpr, ScopeSel};
use crate::decision::{Requirement, SharedStr};
use crate::engine::Bound;
use crate::eval::{Evaluator, Fault};
use crate::policy::ast::{AttrType, CmpOp, Method};
use std::sync::Arc;

/// A string-valued operand.
#[derive(Debug, Clone)]
pub(crate) enum StrRef {
    Lit(Box<str>),
    UserId,
    OrgId,
    OrgSlug,
    OrgRole,
    SessionId,
    SessionAzp,
    SessionIss,
    ResourceType,
    ResourceId,
    Attr(usize),
}

/// An integer-valued operand.
#[derive(Debug, Clone)]
pub(crate) enum IntRef {
    Lit(i64),
    Exp,
    Nbf,
    Iat,
    Attr(usize),
}

#[derive(Debug, Clone)]
pub(crate) enum Fast {
    Const(bool),
    And(Box<Fast>, Box<Fast>),
    Or(Box<Fast>, Box<Fast>),
    Not(Box<Fast>),
    User,
    Org,
    StrEq(bool, StrRef, StrRef),
    /// `StrEq` with a declared `string` attribute on one side (`resource.owner_id ==
    /// user.id`, the usual form): one operand lookup fewer.
    AttrStrEq(bool, usize, StrRef),
    IntCmp(CmpOp, IntRef, IntRef),
    HasPermission(u32),
    /// The role's name, shared with the `missing` hints.
    HasRole(Arc<str>),
    Licensed,
    /// A declared `bool` attribute in boolean position.
    AttrTruth(usize),
    General(Box<CExpr>),
    /// A test on something a user can obtain, run by the general evaluator: a plan, a
    /// feature, a recent verification, OAuth scopes. Holds the names a `missing` hint would
    /// report, made once here so a deny shares them: the plan or feature as written,
    /// `first_factor:10`, or the scopes of a literal argument (empty when the scopes come
    /// from the request). See [`FastHints::obtainable_general`].
    Obtainable(Box<CExpr>, Box<[Arc<str>]>),
}

/// Lowers a compiled condition for one resource type, whose declared attributes are
/// `attrs` (name, type); slot `i` is `attrs[i]`.
pub(crate) fn lower(e: &CExpr, attrs: &[(Box<str>, AttrType, bool)]) -> Fast {
    let slot = |name: &str, ty: AttrType| attrs.iter().position(|(n, t, _)| n.as_ref() == name && *t == ty);
    let str_ref = |e: &CExpr| -> Option<StrRef> {
        Some(match e {
            CExpr::Str(s) => StrRef::Lit(s.clone()),
            CExpr::UserId => StrRef::UserId,
            CExpr::OrgId => StrRef::OrgId,
            CExpr::OrgSlug => StrRef::OrgSlug,
            CExpr::OrgRole => StrRef::OrgRole,
            CExpr::SessionId => StrRef::SessionId,
            CExpr::SessionAzp => StrRef::SessionAzp,
            CExpr::SessionIss => StrRef::SessionIss,
            CExpr::ResourceType => StrRef::ResourceType,
            CExpr::ResourceId => StrRef::ResourceId,
            CExpr::ResourceAttr(name) => StrRef::Attr(slot(name, AttrType::String)?),
            _ => return None,
        })
    };
    let int_ref = |e: &CExpr| -> Option<IntRef> {
        Some(match e {
            CExpr::Int(i) => IntRef::Lit(*i),
            CExpr::SessionExp => IntRef::Exp,
            CExpr::SessionNbf => IntRef::Nbf,
            CExpr::SessionIat => IntRef::Iat,
            CExpr::ResourceAttr(name) => IntRef::Attr(slot(name, AttrType::Int)?),
            _ => return None,
        })
    };
    let b = |e: &CExpr| Box::new(lower(e, attrs));
    match e {
        CExpr::Bool(v) => Fast::Const(*v),
        CExpr::And(x, y) => Fast::And(b(x), b(y)),
        CExpr::Or(x, y) => Fast::Or(b(x), b(y)),
        CExpr::Not(x) => Fast::Not(b(x)),
        CExpr::User => Fast::User,
        CExpr::Org => Fast::Org,
        CExpr::HasPermission(i) => Fast::HasPermission(*i),
        CExpr::HasRole(r) => Fast::HasRole(Arc::from(r.as_ref())),
        CExpr::Licensed => Fast::Licensed,
        CExpr::ResourceAttr(name) if slot(name, AttrType::Bool).is_some() => {
            Fast::AttrTruth(slot(name, AttrType::Bool).unwrap_or(0))
        }
        CExpr::Cmp(op @ (CmpOp::Eq | CmpOp::Ne), x, y) => match (str_ref(x), str_ref(y)) {
            (Some(StrRef::Attr(i)), Some(r)) | (Some(r), Some(StrRef::Attr(i))) => {
                Fast::AttrStrEq(*op == CmpOp::Eq, i, r)
            }
            (Some(l), Some(r)) => Fast::StrEq(*op == CmpOp::Eq, l, r),
            _ => match (int_ref(x), int_ref(y)) {
                (Some(l), Some(r)) => Fast::IntCmp(*op, l, r),
                _ => Fast::General(Box::new(e.clone())),
            },
        },
        CExpr::Cmp(op, x, y) => match (int_ref(x), int_ref(y)) {
            (Some(l), Some(r)) => Fast::IntCmp(*op, l, r),
            _ => Fast::General(Box::new(e.clone())),
        },
        other => match hint_names(other) {
            Some(names) => Fast::Obtainable(Box::new(other.clone()), names),
            None => Fast::General(Box::new(other.clone())),
        },
    }
}

/// The operands of `e`'s chain of `and`s, in order, each lowered (`e` itself when it is
/// not an `and`).
pub(crate) fn lower_conjuncts(e: &CExpr, attrs: &[(Box<str>, AttrType, bool)]) -> Box<[Fast]> {
    fn walk<'e>(e: &'e CExpr, out: &mut Vec<&'e CExpr>) {
        match e {
            CExpr::And(x, y) => {
                walk(x, out);
                walk(y, out);
            }
            other => out.push(other),
        }
    }
    let mut operands = Vec::new();
    walk(e, &mut operands);
    operands.into_iter().map(|c| lower(c, attrs)).collect()
}

/// For a test [`FastHints::obtainable_general`] can hint at, the names it may report.
fn hint_names(e: &CExpr) -> Option<Box<[Arc<str>]>> {
    let names: Vec<Arc<str>> = match e {
        CExpr::HasPlan(sel, name) | CExpr::HasFeature(sel, name) => {
            // As written in the policy: `org:pro`.
            let prefix = match sel {
                ScopeSel::Any => "",
                ScopeSel::Org => "org:",
                ScopeSel::User => "user:",
            };
            vec![format!("{prefix}{name}").into()]
        }
        CExpr::VerifiedWithin(m, f) => vec![format!("{}:{m}", f.name()).into()],
        CExpr::Call(Method::ContainsAll | Method::Contains, recv, wanted) | CExpr::In(wanted, recv)
            if matches!(**recv, CExpr::Scopes(_)) =>
        {
            match &**wanted {
                CExpr::Str(s) => vec![Arc::from(&**s)],
                CExpr::StrList(items) => items.iter().map(|s| Arc::from(&**s)).collect(),
                _ => Vec::new(),
            }
        }
        _ => return None,
    };
    Some(names.into_boxed_slice())
}

/// Whether `e` is a string literal or a list of them (whose items [`hint_names`] holds).
fn is_literal(e: &CExpr) -> bool {
    matches!(e, CExpr::Str(_) | CExpr::StrList(_))
}

impl Fast {
    /// A leaf a user could make true by obtaining something (see [`FastHints::obtainable`]).
    fn may_be_obtained(&self) -> bool {
        matches!(
            self,
            Fast::HasPermission(_) | Fast::HasRole(_) | Fast::Licensed | Fast::User | Fast::Org | Fast::Obtainable(..)
        )
    }

    /// A leaf whose hint is nothing or out of reach: it must already hold.
    fn is_fixed_leaf(&self) -> bool {
        !matches!(self, Fast::And(..) | Fast::Or(..) | Fast::Not(_)) && !self.may_be_obtained()
    }
}

/// Evaluates lowered conditions; `slots[i]` is the value of declared attribute `i`
/// (`None` when absent or null).
pub(crate) struct FastEval<'a> {
    pub general: Evaluator<'a>,
    pub slots: &'a [Bound<'a>],
}

impl<'a> FastEval<'a> {
    pub fn truth(&self, e: &'a Fast) -> Result<bool, Fault> {
        match e {
            Fast::And(x, y) => Ok(self.item(x)? && self.item(y)?),
            Fast::Or(x, y) => Ok(self.item(x)? || self.item(y)?),
            Fast::Not(x) => Ok(!self.item(x)?),
            leaf => self.leaf(leaf),
        }
    }

    /// An operand: a leaf without a call, `And`, `Or` and `Not` through one.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn item(&self, e: &'a Fast) -> Result<bool, Fault> {
        match e {
            Fast::And(..) | Fast::Or(..) | Fast::Not(_) => self.truth(e),
            leaf => self.leaf(leaf),
        }
    }

    /// A leaf test (`And`, `Or` and `Not` go through [`FastEval::truth`]).
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    pub(crate) fn leaf(&self, e: &'a Fast) -> Result<bool, Fault> {
        let s = self.general.session;
        match e {
            Fast::Const(b) => Ok(*b),
            Fast::And(..) | Fast::Or(..) | Fast::Not(..) => self.truth(e),
            Fast::User => Ok(s.user_id.is_some()),
            Fast::Org => Ok(s.org.is_some()),
            Fast::StrEq(eq, l, r) => {
                let (l, r) = (self.string(l)?, self.string(r)?);
                Ok((l == r) == *eq)
            }
            Fast::AttrStrEq(eq, i, r) => {
                // A fault on either side is the same fault, so the order does not matter.
                let Some(Bound::Str(l)) = self.slots.get(*i) else { return Err(Fault) };
                let r = self.string(r)?;
                Ok((l.as_ref() == r) == *eq)
            }
            Fast::IntCmp(op, l, r) => {
                let (l, r) = (self.int(l)?, self.int(r)?);
                Ok(match op {
                    CmpOp::Eq => l == r,
                    CmpOp::Ne => l != r,
                    CmpOp::Lt => l < r,
                    CmpOp::Le => l <= r,
                    CmpOp::Gt => l > r,
                    CmpOp::Ge => l >= r,
                })
            }
            Fast::HasPermission(i) => Ok(s.org.is_some() && has_bit(self.general.permissions, *i)),
            Fast::HasRole(r) => Ok(s.org.as_ref().and_then(|o| o.role.as_deref()) == Some(r.as_ref())),
            Fast::Licensed => Ok(self.general.licensed),
            Fast::AttrTruth(i) => match self.slots.get(*i) {
                None | Some(Bound::Absent) => Ok(false),
                Some(Bound::Bool(b)) => Ok(*b),
                Some(_) => Err(Fault),
            },
            Fast::General(c) | Fast::Obtainable(c, _) => self.general.truth(c),
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn string(&self, r: &'a StrRef) -> Result<&'a str, Fault> {
        let s = self.general.session;
        let org = s.org.as_ref();
        let found = match r {
            StrRef::Lit(v) => Some(v.as_ref()),
            StrRef::UserId => s.user_id.as_deref(),
            StrRef::OrgId => org.map(|o| o.id.as_str()),
            StrRef::OrgSlug => org.and_then(|o| o.slug.as_deref()),
            StrRef::OrgRole => org.and_then(|o| o.role.as_deref()),
            StrRef::SessionId => s.session_id.as_deref(),
            StrRef::SessionAzp => s.azp.as_deref(),
            StrRef::SessionIss => s.iss.as_deref(),
            StrRef::ResourceType => Some(self.general.resource.type_name.as_str()),
            StrRef::ResourceId => self.general.resource.id.as_deref(),
            StrRef::Attr(i) => match self.slots.get(*i) {
                None | Some(Bound::Absent) => None,
                Some(Bound::Str(v)) => Some(v.as_ref()),
                Some(_) => return Err(Fault),
            },
        };
        found.ok_or(Fault)
    }

    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn int(&self, r: &IntRef) -> Result<i64, Fault> {
        let s = self.general.session;
        let found = match r {
            IntRef::Lit(v) => Some(*v),
            IntRef::Exp => s.exp,
            IntRef::Nbf => s.nbf,
            IntRef::Iat => s.iat,
            IntRef::Attr(i) => match self.slots.get(*i) {
                None | Some(Bound::Absent) => None,
                Some(Bound::Int(v)) => Some(*v),
                Some(_) => return Err(Fault),
            },
        };
        found.ok_or(Fault)
    }
}

/// What a deny is missing, computed on the lowered conditions (see `hints` for the
/// semantics, which the naive version there defines and the tests compare against).
pub(crate) struct FastHints<'a, 'e> {
    pub ev: &'e FastEval<'a>,
    pub program: &'a crate::compile::Program,
}

/// One requirement while the hints are worked out: numeric, or borrowing a name the
/// program prepared, so trying every permit rule copies no strings; only the final list
/// becomes [`Requirement`]s, each sharing its name. Two needs are equal exactly when the
/// requirements they render to are.
#[derive(Debug, Clone, Copy, Default)]
enum Need<'a> {
    Permission(u32),
    Role(&'a Arc<str>),
    License,
    #[default]
    SignIn,
    Organization,
    /// A plan as written (`org:pro`).
    Plan(&'a Arc<str>),
    Feature(&'a Arc<str>),
    /// `first_factor:10`.
    Verification(&'a Arc<str>),
    /// A scope named in the policy.
    ScopeLit(&'a Arc<str>),
    /// A scope named by the request (the context or the resource).
    Scope(&'a str),
}

impl<'a> Need<'a> {
    fn scope(self) -> Option<&'a str> {
        match self {
            Need::ScopeLit(s) => Some(s),
            Need::Scope(s) => Some(s),
            _ => None,
        }
    }
}

impl PartialEq for Need<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Need::Permission(a), Need::Permission(b)) => a == b,
            (Need::Role(a), Need::Role(b))
            | (Need::Plan(a), Need::Plan(b))
            | (Need::Feature(a), Need::Feature(b))
            | (Need::Verification(a), Need::Verification(b)) => a == b,
            (Need::License, Need::License)
            | (Need::SignIn, Need::SignIn)
            | (Need::Organization, Need::Organization) => true,
            // The same scope, whether the policy or the request names it.
            _ => matches!((self.scope(), other.scope()), (Some(a), Some(b)) if a == b),
        }
    }
}

impl Eq for Need<'_> {}

/// The needs worked out so far, used as a stack: [`FastHints::cost`] appends what a
/// condition needs at the end and reports whether it is reachable at all, so the
/// alternatives are compared and merged in place, with nothing copied around or allocated
/// for the usual handful.
type Needs<'a> = Small<Need<'a>, 8>;

impl<'a> FastHints<'a, '_> {
    /// The `missing` hint of a deny on `slot`. `forbidden` is the position in
    /// `slot.fast_forbids` of the forbid that denied (the first that matched), if one did.
    pub fn missing(&self, slot: &'a crate::compile::Slot, forbidden: Option<usize>) -> Vec<Requirement> {
        let mut st = Needs::new();
        self.needs(slot, forbidden, &mut st);
        // The one allocation of a deny with hints (none when nothing is missing).
        st.as_slice().iter().map(|n| self.requirement(n)).collect()
    }

    fn needs(&self, slot: &'a crate::compile::Slot, forbidden: Option<usize>, st: &mut Needs<'a>) {
        if let Some(first) = forbidden {
            // Every matching forbid: the ones before the first that matched did not, and
            // that one did, so only those after it are evaluated again.
            let forbids = slot.fast_forbids.get(first..).unwrap_or_default();
            for (k, &f) in forbids.iter().enumerate() {
                if let Some(c) = self.program.fast_rules.get(f as usize).and_then(|fr| fr.condition.as_ref()) {
                    if k == 0 || self.ev.truth(c) == Ok(true) {
                        let mid = st.len();
                        if self.cost(c, false, st) {
                            st.merge_tail(0, mid);
                        }
                    }
                }
            }
        }
        // `st[..out]` is what lifts the forbids; the closest permit's needs follow it.
        let out = st.len();
        let mut best: Option<usize> = None;
        for fr in slot.fast_permits.iter().filter_map(|&f| self.program.fast_rules.get(f as usize)) {
            let start = st.len();
            let reachable = fr.condition.is_none() || self.permit_cost(&fr.conjuncts, st);
            if !reachable {
                continue;
            }
            let n = st.len() - start;
            if n == 0 {
                st.truncate(out);
                return;
            }
            if best.map_or(true, |b| n < b) {
                st.move_down(start, out);
                best = Some(n);
            } else {
                st.truncate(start);
            }
        }
        if best.is_some() {
            st.merge_tail(0, out);
        }
    }

    /// [`FastHints::cost`] of a permit's condition wanted true, given as its `and` chain:
    /// the same answer as on the nested form (the needs of every operand merged in order,
    /// the first operand's as they are), worked out in two passes. Evaluation has no
    /// effects, so the operands whose hint is nothing or out of reach are checked first: a
    /// permit that failed on the resource (`resource.owner_id == user.id`) is given up at
    /// once, with no needs collected for the operands before it.
    fn permit_cost(&self, conjuncts: &'a [Fast], st: &mut Needs<'a>) -> bool {
        for c in conjuncts {
            // (For such a leaf, `leaf_cost` is whether it holds, and appends nothing.)
            if c.is_fixed_leaf() && !self.leaf_cost(c, true, st) {
                return false;
            }
        }
        let start = st.len();
        for (i, c) in conjuncts.iter().enumerate() {
            if c.is_fixed_leaf() {
                // True, so it needs nothing (and merging nothing changes nothing).
                continue;
            }
            let mid = st.len();
            if !self.operand_cost(c, true, st) {
                st.truncate(start);
                return false;
            }
            if i > 0 {
                st.merge_tail(start, mid);
            }
        }
        true
    }

    /// Renders a need: the kind is static and the name shared with the program, except
    /// for a scope the request named, which is copied.
    fn requirement(&self, n: &Need<'a>) -> Requirement {
        match *n {
            Need::Permission(i) => Requirement {
                kind: SharedStr::from_static("permission"),
                name: self.program.permission_names.get(i as usize).map(SharedStr::shared).unwrap_or_default(),
            },
            Need::Role(r) => Requirement::shared("role", r),
            Need::License => Requirement::shared("license", &self.program.license_name),
            Need::SignIn => Requirement::new("sign_in", SharedStr::default()),
            Need::Organization => Requirement::new("organization", SharedStr::default()),
            Need::Plan(name) => Requirement::shared("plan", name),
            Need::Feature(name) => Requirement::shared("feature", name),
            Need::Verification(name) => Requirement::shared("verification", name),
            Need::ScopeLit(s) => Requirement::shared("scope", s),
            Need::Scope(s) => Requirement::new("scope", s),
        }
    }

    /// Whether something a user can obtain would make `e` evaluate to `want`; if so, the
    /// needs are appended to `st`, else `st` is left as it was.
    fn cost(&self, e: &'a Fast, want: bool, st: &mut Needs<'a>) -> bool {
        let start = st.len();
        match (e, want) {
            (Fast::Not(inner), _) => self.cost(inner, !want, st),
            // Both: the needs of each, merged.
            (Fast::And(a, b), true) | (Fast::Or(a, b), false) => {
                if !self.operand_cost(a, want, st) {
                    return false;
                }
                let mid = st.len();
                if !self.operand_cost(b, want, st) {
                    st.truncate(start);
                    return false;
                }
                st.merge_tail(start, mid);
                true
            }
            // Either: the one that needs fewer, the first on a tie.
            (Fast::And(a, b), false) | (Fast::Or(a, b), true) => {
                let x = self.operand_cost(a, want, st);
                let mid = st.len();
                if x && mid == start {
                    // Nothing needed: no alternative can need less.
                    return true;
                }
                let y = self.operand_cost(b, want, st);
                if x && y {
                    let (nx, ny) = (mid - start, st.len() - mid);
                    if ny < nx {
                        st.move_down(mid, start);
                    } else {
                        st.truncate(mid);
                    }
                }
                x || y
            }
            _ => self.leaf_cost(e, want, st),
        }
    }

    /// [`FastHints::cost`] of an operand, without a call for a leaf.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn operand_cost(&self, e: &'a Fast, want: bool, st: &mut Needs<'a>) -> bool {
        match e {
            Fast::And(..) | Fast::Or(..) | Fast::Not(_) => self.cost(e, want, st),
            leaf => self.leaf_cost(leaf, want, st),
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn leaf_cost(&self, e: &'a Fast, want: bool, st: &mut Needs<'a>) -> bool {
        match self.ev.leaf(e) {
            Ok(v) if v == want => true,
            Ok(_) if want && e.may_be_obtained() => self.obtainable(e, st),
            _ => false,
        }
    }

    /// What the user could obtain to make a false leaf true, appended to `st`.
    fn obtainable(&self, e: &'a Fast, st: &mut Needs<'a>) -> bool {
        let in_org = self.ev.general.session.org.is_some();
        let mut org_needed = |n: Need<'a>| {
            if !in_org {
                st.push(Need::Organization);
            }
            st.push(n);
            true
        };
        match e {
            Fast::HasPermission(i) => {
                self.program.permission_names.get(*i as usize).is_some() && org_needed(Need::Permission(*i))
            }
            Fast::HasRole(r) => org_needed(Need::Role(r)),
            Fast::Licensed => org_needed(Need::License),
            Fast::User => {
                st.push(Need::SignIn);
                true
            }
            Fast::Org => {
                st.push(Need::Organization);
                true
            }
            Fast::Obtainable(c, names) => {
                let start = st.len();
                let found = self.obtainable_general(c, names, st);
                if found.is_none() {
                    st.truncate(start);
                }
                found.is_some()
            }
            _ => false,
        }
    }

    /// `names` are the test's prepared names (see [`Fast::Obtainable`]). On `None` the
    /// caller drops whatever was appended.
    fn obtainable_general(&self, c: &'a CExpr, names: &'a [Arc<str>], st: &mut Needs<'a>) -> Option<()> {
        match c {
            CExpr::HasPlan(..) => st.push(Need::Plan(names.first()?)),
            CExpr::HasFeature(..) => st.push(Need::Feature(names.first()?)),
            CExpr::VerifiedWithin(..) => st.push(Need::Verification(names.first()?)),
            CExpr::Call(Method::ContainsAll | Method::Contains, recv, arg) if matches!(**recv, CExpr::Scopes(_)) => {
                let have = self.strings(recv)?;
                if is_literal(arg) {
                    // The literal's items, in order, as the evaluator would list them.
                    for s in names {
                        if !have.contains(&s.as_ref()) {
                            st.push(Need::ScopeLit(s));
                        }
                    }
                    return Some(());
                }
                let want = self.ev.general.value(arg).ok()??;
                let mut push = |v: &crate::eval::Val<'a>| match v {
                    crate::eval::Val::Str(s) => {
                        if !have.contains(s) {
                            st.push(Need::Scope(s));
                        }
                        Ok(false)
                    }
                    _ => Err(Fault),
                };
                if want.any_item(&mut push).is_err() {
                    // Not a list: a single wanted scope (or something unusable).
                    push(&want).ok()?;
                }
            }
            CExpr::In(item, list) if matches!(**list, CExpr::Scopes(_)) => {
                let have = self.strings(list)?;
                if is_literal(item) {
                    match (&**item, names.first()) {
                        (CExpr::Str(_), Some(s)) if !have.contains(&s.as_ref()) => st.push(Need::ScopeLit(s)),
                        _ => return None,
                    }
                    return Some(());
                }
                match self.ev.general.value(item).ok()?? {
                    crate::eval::Val::Str(s) if !have.contains(&s) => st.push(Need::Scope(s)),
                    _ => return None,
                }
            }
            _ => return None,
        }
        Some(())
    }

    /// The items of a list of strings (the scopes a session has), inline for the usual few.
    fn strings(&self, e: &'a CExpr) -> Option<Small<&'a str, 8>> {
        let v = self.ev.general.value(e).ok()??;
        let mut out = Small::new();
        v.any_item(|i| match i {
            crate::eval::Val::Str(s) => {
                out.push(*s);
                Ok(false)
            }
            _ => Err(Fault),
        })
        .ok()?;
        Some(out)
    }
}

impl<'a> Needs<'a> {
    /// Merges the needs from `mid` on into those in `start..mid`: each is kept, in order,
    /// unless one equal to it is already there (as `hints::merge`, duplicates within the
    /// merged part included).
    fn merge_tail(&mut self, start: usize, mid: usize) {
        let end = self.len();
        let items = self.as_mut_slice();
        // Thousands of missing scopes (a long request list) must not cost a quadratic
        // dedup: past 16, scopes go through a set. Other needs come from the policy's
        // text, so they are few, and are compared one by one.
        let mut scopes: Option<std::collections::HashSet<&'a str>> = None;
        if end.saturating_sub(start) > 16 {
            let mut set = std::collections::HashSet::new();
            for need in items.get(start..mid).unwrap_or_default() {
                if let Some(scope) = need.scope() {
                    set.insert(scope);
                }
            }
            scopes = Some(set);
        }
        let mut kept = mid;
        for i in mid..end {
            let Some(&need) = items.get(i) else { break };
            let new = match (need.scope(), scopes.as_mut()) {
                (Some(scope), Some(set)) => set.insert(scope),
                _ => !items.get(start..kept).is_some_and(|seen| seen.contains(&need)),
            };
            if new {
                if let Some(slot) = items.get_mut(kept) {
                    *slot = need;
                }
                kept += 1;
            }
        }
        self.truncate(kept);
    }
}

/// A list of up to `N` copyable items kept inline, moving to the heap past that: working
/// out a deny's hints (a handful of needs per rule) then allocates nothing.
///
/// Hand-written rather than the `smallvec` crate: the items are `Copy`, so a plain array
/// with a length needs no `unsafe` and no dependency (and adds little to the wasm module).
#[derive(Debug, Clone)]
pub(crate) enum Small<T: Copy + Default, const N: usize> {
    /// The first `len` items are the list; the rest are filler.
    Inline(usize, [T; N]),
    Heap(Vec<T>),
}

impl<T: Copy + Default + PartialEq, const N: usize> Small<T, N> {
    pub(crate) fn new() -> Self {
        Small::Inline(0, [T::default(); N])
    }

    pub(crate) fn as_slice(&self) -> &[T] {
        match self {
            Small::Inline(len, items) => items.get(..*len).unwrap_or_default(),
            Small::Heap(items) => items,
        }
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        match self {
            Small::Inline(len, items) => items.get_mut(..*len).unwrap_or_default(),
            Small::Heap(items) => items,
        }
    }

    /// Keeps the first `len` items.
    pub(crate) fn truncate(&mut self, len: usize) {
        match self {
            Small::Inline(n, _) => *n = len.min(*n),
            Small::Heap(items) => items.truncate(len),
        }
    }

    /// Moves the items from `from` on down to start at `to` (`to <= from`), dropping
    /// those in between.
    pub(crate) fn move_down(&mut self, from: usize, to: usize) {
        let items = self.as_mut_slice();
        let moved = items.len().saturating_sub(from);
        if to > from {
            return;
        }
        for k in 0..moved {
            if let Some(&item) = items.get(from + k) {
                if let Some(slot) = items.get_mut(to + k) {
                    *slot = item;
                }
            }
        }
        self.truncate(to + moved);
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Small::Inline(len, _) => *len,
            Small::Heap(items) => items.len(),
        }
    }

    pub(crate) fn contains(&self, item: &T) -> bool {
        self.as_slice().contains(item)
    }

    pub(crate) fn push(&mut self, item: T) {
        match self {
            Small::Inline(len, items) => {
                if let Some(free) = items.get_mut(*len) {
                    *free = item;
                    *len += 1;
                    return;
                }
                let mut spilled = Vec::with_capacity(2 * N);
                spilled.extend_from_slice(items);
                spilled.push(item);
                *self = Small::Heap(spilled);
            }
            Small::Heap(items) => items.push(item),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn small_keeps_order_inline_and_after_spilling() {
        let mut s: Small<u32, 3> = Small::new();
        assert!(s.len() == 0 && s.as_slice().is_empty());
        for i in 0..3 {
            s.push(i * 10);
        }
        assert!(matches!(s, Small::Inline(3, _)));
        assert_eq!(s.as_slice(), &[0, 10, 20]);
        s.push(30);
        assert!(matches!(s, Small::Heap(_)));
        s.push(40);
        assert_eq!(s.as_slice(), &[0, 10, 20, 30, 40]);
        assert_eq!(s.len(), 5);
        assert!(s.contains(&30) && !s.contains(&5));
        s.move_down(3, 1);
        assert_eq!(s.as_slice(), &[0, 30, 40]);
        s.truncate(2);
        assert_eq!(s.as_slice(), &[0, 30]);
        s.move_down(1, 2);
        assert_eq!(s.as_slice(), &[0, 30], "moving up is refused");
        let mut t: Small<u32, 4> = Small::new();
        t.push(5);
        t.push(6);
        t.move_down(1, 0);
        assert_eq!(t.as_slice(), &[6]);
    }

    #[test]
    fn merge_tail_keeps_the_first_of_equal_needs_in_order() {
        let (a, b): (Arc<str>, Arc<str>) = (Arc::from("a"), Arc::from("b"));
        let mut st: Needs<'_> = Small::new();
        // [SignIn | a, SignIn, a, b] merged from 1: the duplicates within go too.
        for n in [Need::SignIn, Need::ScopeLit(&a), Need::SignIn, Need::Scope("a"), Need::ScopeLit(&b)] {
            st.push(n);
        }
        st.merge_tail(0, 1);
        assert_eq!(st.as_slice(), &[Need::SignIn, Need::ScopeLit(&a), Need::ScopeLit(&b)]);
        // A long list (the hash-set path) gives the same.
        let names: Vec<Arc<str>> = (0..40).map(|i| Arc::from(format!("s{}", i % 25).as_str())).collect();
        let mut long: Needs<'_> = Small::new();
        long.push(Need::ScopeLit(&names[3]));
        for n in &names {
            long.push(Need::ScopeLit(n));
        }
        long.merge_tail(0, 1);
        let got: Vec<&str> = long.as_slice().iter().filter_map(|n| n.scope()).collect();
        let want: Vec<String> =
            std::iter::once(3).chain((0..25).filter(|&i| i != 3)).map(|i| format!("s{i}")).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_scope_is_one_need_whoever_names_it() {
        let lit: Arc<str> = Arc::from("a");
        let other: Arc<str> = Arc::from("b");
        assert_eq!(Need::ScopeLit(&lit), Need::Scope("a"));
        assert_eq!(Need::Scope("a"), Need::ScopeLit(&lit));
        assert_ne!(Need::ScopeLit(&other), Need::Scope("a"));
        // Same text, other kinds: different requirements.
        assert_ne!(Need::Plan(&lit), Need::Feature(&lit));
        assert_ne!(Need::Plan(&lit), Need::ScopeLit(&lit));
        assert_ne!(Need::Role(&lit), Need::Scope("a"));
        assert_eq!(Need::Permission(1), Need::Permission(1));
        assert_ne!(Need::Permission(1), Need::Permission(2));
        assert_ne!(Need::SignIn, Need::Organization);
    }
}
