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
use crate::eval::{Evaluator, Fault, Members};
use crate::policy::ast::{AttrType, CmpOp, Method, Root};

/// A string-valued operand.
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq)]
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
    HasRole(SharedStr),
    Licensed,
    /// A declared `bool` attribute in boolean position.
    AttrTruth(usize),
    General(Box<CExpr>),
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
        CExpr::HasRole(r) => Fast::HasRole(SharedStr::prepared(r)),
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
        other => Fast::General(Box::new(other.clone())),
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

impl Fast {
    /// Whether two leaves are the same test. A `General` one is never merged: comparing
    /// general expressions would cost more than evaluating one twice.
    pub(crate) fn same_test(&self, other: &Fast) -> bool {
        match (self, other) {
            (Fast::Const(a), Fast::Const(b)) => a == b,
            (Fast::User, Fast::User) | (Fast::Org, Fast::Org) | (Fast::Licensed, Fast::Licensed) => true,
            (Fast::StrEq(e1, l1, r1), Fast::StrEq(e2, l2, r2)) => e1 == e2 && l1 == l2 && r1 == r2,
            (Fast::AttrStrEq(e1, a1, r1), Fast::AttrStrEq(e2, a2, r2)) => e1 == e2 && a1 == a2 && r1 == r2,
            (Fast::IntCmp(o1, l1, r1), Fast::IntCmp(o2, l2, r2)) => o1 == o2 && l1 == l2 && r1 == r2,
            (Fast::HasPermission(a), Fast::HasPermission(b)) => a == b,
            (Fast::HasRole(a), Fast::HasRole(b)) => a == b,
            (Fast::AttrTruth(a), Fast::AttrTruth(b)) => a == b,
            _ => false,
        }
    }

    /// A leaf a user could make true by obtaining something (see [`FastHints::obtainable`]).
    pub(crate) fn may_be_obtained(&self) -> bool {
        matches!(
            self,
            // (`General`: a plan, a feature, a verification or scopes, possibly.)
            Fast::HasPermission(_) | Fast::HasRole(_) | Fast::Licensed | Fast::User | Fast::Org | Fast::General(_)
        )
    }

    /// A leaf whose hint is nothing or out of reach: it must already hold.
    pub(crate) fn is_fixed_leaf(&self) -> bool {
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
            Fast::General(c) => self.general.truth(c),
        }
    }

    // Inlined in wasm too: measured 20 ns off a deny in Node for 250 bytes of gzipped `.wasm`.
    #[inline(always)]
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

/// The requirements worked out so far, used as a stack: [`FastHints::cost`] appends what
/// a condition needs at the end and reports whether it is reachable at all, so the
/// alternatives are compared and merged in place, and the stack is the hint in the end.
/// Names come shared from the program (an `Arc` clone, no copy), so a deny allocates this
/// one list, and only once something is missing. (Only a scope the request names is
/// copied.)
pub(crate) type Needs = Vec<Requirement>;

/// The scopes a session has, for membership tests (a set when the list is long: a
/// request may carry thousands).
struct Have<'v, 'a>(Members<'v, 'a>);

impl Have<'_, '_> {
    fn contains(&self, scope: &str) -> bool {
        self.0.contains(&crate::eval::Val::Str(scope)) == Ok(true)
    }
}

/// A requirement named in the policy: the name the program prepared, shared.
#[cfg_attr(target_arch = "wasm32", inline(never))]
fn need(kind: &'static str, name: &SharedStr) -> Requirement {
    Requirement { kind: SharedStr::from_static(kind), name: name.clone() }
}

const SIGN_IN: Requirement = Requirement { kind: SharedStr::from_static("sign_in"), name: SharedStr::from_static("") };
const ORGANIZATION: Requirement =
    Requirement { kind: SharedStr::from_static("organization"), name: SharedStr::from_static("") };

/// Appends to the stack; the first need makes room for the usual handful at once.
#[cfg_attr(target_arch = "wasm32", inline(never))]
fn push(st: &mut Needs, r: Requirement) {
    if st.capacity() == 0 {
        st.reserve_exact(8);
    }
    st.push(r);
}

/// The name of a scope requirement.
fn scope_name(r: &Requirement) -> Option<&str> {
    (r.kind == "scope").then_some(r.name.as_str())
}

/// Drops the needs in `to..from`, moving those after down.
pub(crate) fn move_down(st: &mut Needs, from: usize, to: usize) {
    if to <= from && from <= st.len() {
        st.drain(to..from);
    }
}

/// Merges the needs from `mid` on into those in `start..mid`: each is kept, in order,
/// unless one equal to it is already there (as `hints::merge`, duplicates within the
/// merged part included; the part before `mid` is kept as it is).
pub(crate) fn merge_tail(st: &mut Needs, start: usize, mid: usize) {
    let end = st.len();
    if end.saturating_sub(start) <= 16 {
        let mut kept = mid;
        for i in mid..end {
            let new = match (st.get(start..kept), st.get(i)) {
                (Some(seen), Some(r)) => !seen.contains(r),
                _ => false,
            };
            if new {
                st.swap(kept, i);
                kept += 1;
            }
        }
        st.truncate(kept);
        return;
    }
    // Thousands of missing scopes (a long request list) must not cost a quadratic dedup:
    // scopes go through a set. Other needs come from the policy's text, so they are few,
    // and are compared one by one.
    let tail = st.split_off(start.min(end));
    let Some((kept, merged)) = tail.split_at_checked(mid.saturating_sub(start)) else { return };
    let mut scopes: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for r in kept {
        if let Some(scope) = scope_name(r) {
            scopes.insert(scope);
        }
        st.push(r.clone());
    }
    for r in merged {
        let new = match scope_name(r) {
            Some(scope) => scopes.insert(scope),
            None => !st.get(start..).is_some_and(|seen| seen.contains(r)),
        };
        if new {
            st.push(r.clone());
        }
    }
}

impl<'a> FastHints<'a, '_> {
    /// The `missing` hint of a deny on `slot`. `forbidden` is the position in
    /// `slot.fast_forbids` of the forbid that denied (the first that matched), if one did.
    /// The hint is built in `spare` (emptied first), whose allocation it reuses.
    pub fn missing(&self, slot: &'a crate::compile::Slot, forbidden: Option<usize>, spare: Needs) -> Vec<Requirement> {
        let mut st = spare;
        st.clear();
        self.needs(slot, forbidden, &mut st);
        st
    }

    fn needs(&self, slot: &'a crate::compile::Slot, forbidden: Option<usize>, st: &mut Needs) {
        if let Some(first) = forbidden {
            // Every matching forbid: the ones before the first that matched did not, and
            // that one did, so only those after it are evaluated again.
            let forbids = slot.fast_forbids.get(first..).unwrap_or_default();
            for (k, &f) in forbids.iter().enumerate() {
                if let Some(c) = self.program.fast_rules.get(f as usize).and_then(|fr| fr.condition.as_ref()) {
                    if k == 0 || self.ev.truth(c) == Ok(true) {
                        let mid = st.len();
                        if self.cost(c, false, st) {
                            merge_tail(st, 0, mid);
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
                move_down(st, start, out);
                best = Some(n);
            } else {
                st.truncate(start);
            }
        }
        if best.is_some() {
            merge_tail(st, 0, out);
        }
    }

    /// [`FastHints::cost`] of a permit's condition wanted true, given as its `and` chain:
    /// the same answer as on the nested form (the needs of every operand merged in order,
    /// the first operand's as they are), worked out in two passes. Evaluation has no
    /// effects, so the operands whose hint is nothing or out of reach are checked first: a
    /// permit that failed on the resource (`resource.owner_id == user.id`) is given up at
    /// once, with no needs collected for the operands before it.
    fn permit_cost(&self, conjuncts: &'a [Fast], st: &mut Needs) -> bool {
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
                merge_tail(st, start, mid);
            }
        }
        true
    }

    /// Whether something a user can obtain would make `e` evaluate to `want`; if so, the
    /// needs are appended to `st`, else `st` is left as it was.
    fn cost(&self, e: &'a Fast, want: bool, st: &mut Needs) -> bool {
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
                merge_tail(st, start, mid);
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
                        move_down(st, mid, start);
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
    fn operand_cost(&self, e: &'a Fast, want: bool, st: &mut Needs) -> bool {
        match e {
            Fast::And(..) | Fast::Or(..) | Fast::Not(_) => self.cost(e, want, st),
            leaf => self.leaf_cost(leaf, want, st),
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn leaf_cost(&self, e: &'a Fast, want: bool, st: &mut Needs) -> bool {
        match self.ev.leaf(e) {
            Ok(v) if v == want => true,
            Ok(_) if want && e.may_be_obtained() => self.obtainable(e, st),
            _ => false,
        }
    }

    /// What the user could obtain to make a false leaf true, appended to `st`.
    pub(crate) fn obtainable(&self, e: &'a Fast, st: &mut Needs) -> bool {
        let start = st.len();
        let found = self.obtainable_in_session(e, st);
        // Signed out, every other need waits on a sign-in: it comes first.
        if found && self.ev.general.session.user_id.is_none() && st.get(start).is_some_and(|r| *r != SIGN_IN) {
            st.insert(start, SIGN_IN);
        }
        found
    }

    /// [`FastHints::obtainable`] for a signed-in user.
    fn obtainable_in_session(&self, e: &'a Fast, st: &mut Needs) -> bool {
        let in_org = self.ev.general.session.org.is_some();
        let mut org_needed = |n: Requirement| {
            if !in_org {
                push(st, ORGANIZATION);
            }
            push(st, n);
            true
        };
        match e {
            Fast::HasPermission(i) => {
                let Some(name) = self.program.permission_names.get(*i as usize) else { return false };
                org_needed(need("permission", name))
            }
            Fast::HasRole(r) => org_needed(need("role", r)),
            // A license in the organization's metadata needs an organization; one in the
            // user's own claims does not.
            Fast::Licensed if self.program.license_root != Root::Org => {
                push(st, need("license", &self.program.license_name));
                true
            }
            Fast::Licensed => org_needed(need("license", &self.program.license_name)),
            Fast::User => {
                push(st, SIGN_IN);
                true
            }
            Fast::Org => {
                push(st, ORGANIZATION);
                true
            }
            Fast::General(c) => {
                let start = st.len();
                let found = self.obtainable_general(c, st);
                if found.is_none() {
                    st.truncate(start);
                }
                found.is_some()
            }
            _ => false,
        }
    }

    /// A plan, a feature, a recent verification or OAuth scopes (named as written, so
    /// copied); `None` for anything else. The caller drops whatever was appended then.
    fn obtainable_general(&self, c: &'a CExpr, st: &mut Needs) -> Option<()> {
        // `scopes(..).contains_all(wanted)` (or `contains`): every wanted scope the session
        // lacks; `wanted in scopes(..)` (`single`): that one, if lacking.
        let (scopes, wanted, single) = match c {
            CExpr::HasPlan(sel, name) | CExpr::HasFeature(sel, name) => {
                let kind = if matches!(c, CExpr::HasPlan(..)) { "plan" } else { "feature" };
                let prefix = match sel {
                    ScopeSel::Any => "",
                    ScopeSel::Org => "org:",
                    ScopeSel::User => "user:",
                };
                let name = SharedStr::from([prefix, name.as_ref()].concat());
                // An organization's plan or feature is had only in an organization.
                if matches!(sel, ScopeSel::Org) && self.ev.general.session.org.is_none() {
                    push(st, ORGANIZATION);
                }
                push(st, Requirement { kind: SharedStr::from_static(kind), name });
                return Some(());
            }
            CExpr::VerifiedWithin(m, f) => {
                let name = SharedStr::from(format!("{}:{m}", f.name()));
                push(st, Requirement { kind: SharedStr::from_static("verification"), name });
                return Some(());
            }
            CExpr::Call(Method::ContainsAll | Method::Contains, recv, arg) if matches!(**recv, CExpr::Scopes(_)) => {
                (recv, arg, false)
            }
            CExpr::In(item, list) if matches!(**list, CExpr::Scopes(_)) => (list, item, true),
            _ => return None,
        };
        let list = self.strings(scopes)?;
        let have = Have(Members::new(&list).ok()?);
        let before = st.len();
        let want = self.ev.general.value(wanted).ok()??;
        let mut add = |v: &crate::eval::Val<'a>| match v {
            crate::eval::Val::Str(s) => {
                if !have.contains(s) {
                    push(st, Requirement { kind: SharedStr::from_static("scope"), name: SharedStr::from(*s) });
                }
                Ok(false)
            }
            _ => Err(Fault),
        };
        // Not a list: a single wanted scope (or something unusable).
        if single || want.any_item(&mut add).is_err() {
            add(&want).ok()?;
        }
        // A scope the session has already is no hint for `in`: that test failed otherwise.
        (!single || st.len() > before).then_some(())
    }

    /// The scopes a session has (`None` unless a list of strings).
    fn strings(&self, e: &'a CExpr) -> Option<crate::eval::Val<'a>> {
        let v = self.ev.general.value(e).ok()??;
        v.any_item(|i| match i {
            crate::eval::Val::Str(_) => Ok(false),
            _ => Err(Fault),
        })
        .ok()?;
        Some(v)
    }
}

/// Whether the hint for a false `c` reads the session's scopes (and the wanted ones, which
/// may come from the context): every other leaf's hint is fixed by the policy text, given
/// whether the session has an organization (`FastHints::obtainable_general`).
pub(crate) fn hint_reads_scopes(c: &CExpr) -> bool {
    match c {
        CExpr::Call(Method::ContainsAll | Method::Contains, recv, _) => matches!(**recv, CExpr::Scopes(_)),
        CExpr::In(_, list) => matches!(**list, CExpr::Scopes(_)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn scope(name: &str) -> Requirement {
        Requirement { kind: SharedStr::from_static("scope"), name: SharedStr::from(name) }
    }

    #[test]
    fn merge_tail_keeps_the_first_of_equal_needs_in_order() {
        let mut st: Needs = vec![SIGN_IN, scope("a"), SIGN_IN, scope("a"), scope("b")];
        // [sign_in | a, sign_in, a, b] merged from 1: the duplicates within go too.
        merge_tail(&mut st, 0, 1);
        assert_eq!(st, vec![SIGN_IN, scope("a"), scope("b")]);
        // Only the part from `mid` on is deduplicated.
        let mut st: Needs = vec![scope("a"), scope("a"), scope("b"), scope("a"), scope("c")];
        merge_tail(&mut st, 0, 2);
        assert_eq!(st, vec![scope("a"), scope("a"), scope("b"), scope("c")]);
        // A long list (the hash-set path) gives what merging one by one gives; what comes
        // before `start` is not looked at.
        let names: Vec<String> = (0..40).map(|i| format!("s{}", i % 25)).collect();
        let mut long: Needs = vec![ORGANIZATION, scope("s3"), scope("s3")];
        long.extend(names.iter().map(|n| scope(n)));
        long.extend([ORGANIZATION, SIGN_IN, SIGN_IN]);
        let mut want = long[..3].to_vec();
        for r in &long[3..] {
            if !want[1..].contains(r) {
                want.push(r.clone());
            }
        }
        merge_tail(&mut long, 1, 3);
        assert_eq!(long, want);
        assert_eq!(long.len(), 3 + 24 + 2);
    }

    #[test]
    fn move_down_drops_the_gap() {
        let mut st: Needs = vec![scope("a"), scope("b"), scope("c"), scope("d")];
        move_down(&mut st, 3, 1);
        assert_eq!(st, vec![scope("a"), scope("d")]);
        move_down(&mut st, 1, 2);
        assert_eq!(st, vec![scope("a"), scope("d")], "moving up is refused");
    }
}
