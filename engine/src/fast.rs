//! The decision hot path: conditions lowered per resource type into nodes that read
//! typed fields directly.
//!
//! Resource attributes are validated against their declared types before any rule runs,
//! so `resource.owner_id == user.id` on a `string` attribute can compare two `&str`
//! without building general values: it becomes [`Fast::StrCmp`] over an attribute slot.
//! Anything without a specialised node falls back to the general evaluator
//! ([`Fast::General`]), so the two always agree; the differential tests check it.

use crate::compile::{has_bit, CExpr};
use crate::decision::Requirement;
use crate::engine::Bound;
use crate::eval::{Evaluator, Fault};
use crate::policy::ast::{AttrType, CmpOp};

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
    HasRole(Box<str>),
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
        CExpr::HasRole(r) => Fast::HasRole(r.clone()),
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

/// One requirement while the hints are worked out: borrowed or numeric, so trying every
/// permit rule allocates no strings; only the final list becomes [`Requirement`]s. Two
/// needs are equal exactly when the requirements they render to are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need<'a> {
    Permission(u32),
    Role(&'a str),
    License,
    SignIn,
    Organization,
    Plan(crate::compile::ScopeSel, &'a str),
    Feature(crate::compile::ScopeSel, &'a str),
    Verification(i64, crate::policy::ast::Factor),
    Scope(&'a str),
}

type Cost<'a> = Option<Vec<Need<'a>>>;

impl<'a> FastHints<'a, '_> {
    pub fn missing(&self, slot: &'a crate::compile::Slot, forbidden: bool) -> Vec<Requirement> {
        let needs = self.needs(slot, forbidden);
        needs.iter().map(|n| self.requirement(n)).collect()
    }

    fn needs(&self, slot: &'a crate::compile::Slot, forbidden: bool) -> Vec<Need<'a>> {
        let mut out = Vec::new();
        if forbidden {
            for fr in slot.fast_forbids.iter().filter_map(|&f| self.program.fast_rules.get(f as usize)) {
                if let Some(c) = &fr.condition {
                    if self.ev.truth(c) == Ok(true) {
                        if let Some(reqs) = self.cost(c, false) {
                            merge(&mut out, reqs);
                        }
                    }
                }
            }
        }
        let mut best: Option<Vec<Need<'a>>> = None;
        for fr in slot.fast_permits.iter().filter_map(|&f| self.program.fast_rules.get(f as usize)) {
            let Some(c) = &fr.condition else { return out };
            match self.cost(c, true) {
                Some(reqs) if reqs.is_empty() => return out,
                Some(reqs) if best.as_ref().map_or(true, |b| reqs.len() < b.len()) => best = Some(reqs),
                _ => {}
            }
        }
        if let Some(reqs) = best {
            merge(&mut out, reqs);
        }
        out
    }

    fn requirement(&self, n: &Need<'a>) -> Requirement {
        use crate::compile::ScopeSel;
        let scoped = |sel: &ScopeSel, name: &str| match sel {
            ScopeSel::Any => name.to_string(),
            ScopeSel::Org => format!("org:{name}"),
            ScopeSel::User => format!("user:{name}"),
        };
        match n {
            Need::Permission(i) => Requirement::new(
                "permission",
                self.program.permission_names.get(*i as usize).map(|p| p.as_ref()).unwrap_or_default(),
            ),
            Need::Role(r) => Requirement::new("role", *r),
            Need::License => Requirement::new("license", self.program.license_name.as_ref()),
            Need::SignIn => Requirement::new("sign_in", ""),
            Need::Organization => Requirement::new("organization", ""),
            Need::Plan(sel, name) => Requirement::new("plan", scoped(sel, name)),
            Need::Feature(sel, name) => Requirement::new("feature", scoped(sel, name)),
            Need::Verification(m, f) => Requirement::new("verification", format!("{}:{m}", f.name())),
            Need::Scope(s) => Requirement::new("scope", *s),
        }
    }

    fn cost(&self, e: &'a Fast, want: bool) -> Cost<'a> {
        match (e, want) {
            (Fast::Not(inner), _) => self.cost(inner, !want),
            (Fast::And(a, b), true) | (Fast::Or(a, b), false) => {
                let mut x = self.operand_cost(a, want)?;
                let y = self.operand_cost(b, want)?;
                merge(&mut x, y);
                Some(x)
            }
            (Fast::And(a, b), false) | (Fast::Or(a, b), true) => {
                match (self.operand_cost(a, want), self.operand_cost(b, want)) {
                    (Some(x), Some(y)) => Some(if y.len() < x.len() { y } else { x }),
                    (x, None) => x,
                    (None, y) => y,
                }
            }
            _ => self.leaf_cost(e, want),
        }
    }

    /// [`FastHints::cost`] of an operand, without a call for a leaf.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn operand_cost(&self, e: &'a Fast, want: bool) -> Cost<'a> {
        match e {
            Fast::And(..) | Fast::Or(..) | Fast::Not(_) => self.cost(e, want),
            leaf => self.leaf_cost(leaf, want),
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn leaf_cost(&self, e: &'a Fast, want: bool) -> Cost<'a> {
        match self.ev.leaf(e) {
            Ok(v) if v == want => Some(Vec::new()),
            Ok(_) if want => self.obtainable(e),
            _ => None,
        }
    }

    fn obtainable(&self, e: &'a Fast) -> Cost<'a> {
        let in_org = self.ev.general.session.org.is_some();
        let org_needed = |n: Need<'a>| {
            if in_org {
                Some(vec![n])
            } else {
                Some(vec![Need::Organization, n])
            }
        };
        match e {
            Fast::HasPermission(i) => {
                self.program.permission_names.get(*i as usize)?;
                org_needed(Need::Permission(*i))
            }
            Fast::HasRole(r) => org_needed(Need::Role(r)),
            Fast::Licensed => org_needed(Need::License),
            Fast::User => Some(vec![Need::SignIn]),
            Fast::Org => Some(vec![Need::Organization]),
            Fast::General(c) => self.obtainable_general(c),
            _ => None,
        }
    }

    fn obtainable_general(&self, c: &'a CExpr) -> Cost<'a> {
        match c {
            CExpr::HasPlan(sel, name) => Some(vec![Need::Plan(*sel, name)]),
            CExpr::HasFeature(sel, name) => Some(vec![Need::Feature(*sel, name)]),
            CExpr::VerifiedWithin(m, f) => Some(vec![Need::Verification(*m, *f)]),
            CExpr::Call(crate::policy::ast::Method::ContainsAll | crate::policy::ast::Method::Contains, recv, arg)
                if matches!(**recv, CExpr::Scopes(_)) =>
            {
                let have = self.strings(recv)?;
                let want = self.ev.general.value(arg).ok()??;
                let mut reqs = Vec::new();
                let mut push = |v: &crate::eval::Val<'a>| match v {
                    crate::eval::Val::Str(s) => {
                        if !have.contains(s) {
                            reqs.push(Need::Scope(s));
                        }
                        Ok(false)
                    }
                    _ => Err(Fault),
                };
                if want.any_item(&mut push).is_err() {
                    // Not a list: a single wanted scope (or something unusable).
                    push(&want).ok()?;
                }
                Some(reqs)
            }
            CExpr::In(item, list) if matches!(**list, CExpr::Scopes(_)) => {
                let have = self.strings(list)?;
                match self.ev.general.value(item).ok()?? {
                    crate::eval::Val::Str(s) if !have.contains(&s) => Some(vec![Need::Scope(s)]),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn strings(&self, e: &'a CExpr) -> Option<Vec<&'a str>> {
        let v = self.ev.general.value(e).ok()??;
        let mut out = Vec::new();
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

/// Adds the needs of `reqs` not already in `out`, in order (moving `reqs` when `out` is
/// empty, the usual case, so no list is built twice).
fn merge<'a>(out: &mut Vec<Need<'a>>, reqs: Vec<Need<'a>>) {
    if out.is_empty() {
        *out = reqs;
        return;
    }
    for r in reqs {
        if !out.contains(&r) {
            out.push(r);
        }
    }
}
