//! The decision hot path: conditions lowered per resource type into nodes that read
//! typed fields directly.
//!
//! Resource attributes are validated against their declared types before any rule runs,
//! so `resource.owner_id == user.id` on a `string` attribute can compare two `&str`
//! without building general values: it becomes [`Fast::StrCmp`] over an attribute slot.
//! Anything without a specialised node falls back to the general evaluator
//! ([`Fast::General`]), so the two always agree; the differential tests check it.

use crate::compile::{has_bit, CExpr};
use crate::eval::{Evaluator, Fault};
use crate::policy::ast::{AttrType, CmpOp};
use serde_json::Value;

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
    pub slots: &'a [Option<&'a Value>],
}

impl<'a> FastEval<'a> {
    pub fn truth(&self, e: &'a Fast) -> Result<bool, Fault> {
        let s = self.general.session;
        match e {
            Fast::Const(b) => Ok(*b),
            Fast::And(x, y) => Ok(self.truth(x)? && self.truth(y)?),
            Fast::Or(x, y) => Ok(self.truth(x)? || self.truth(y)?),
            Fast::Not(x) => Ok(!self.truth(x)?),
            Fast::User => Ok(s.user_id.is_some()),
            Fast::Org => Ok(s.org.is_some()),
            Fast::StrEq(eq, l, r) => {
                let (l, r) = (self.string(l)?, self.string(r)?);
                Ok((l == r) == *eq)
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
            Fast::AttrTruth(i) => match self.slots.get(*i).copied().flatten() {
                None => Ok(false),
                Some(Value::Bool(b)) => Ok(*b),
                Some(_) => Err(Fault),
            },
            Fast::General(c) => self.general.truth(c),
        }
    }

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
            StrRef::Attr(i) => match self.slots.get(*i).copied().flatten() {
                None => None,
                Some(Value::String(v)) => Some(v.as_str()),
                Some(_) => return Err(Fault),
            },
        };
        found.ok_or(Fault)
    }

    fn int(&self, r: &IntRef) -> Result<i64, Fault> {
        let s = self.general.session;
        let found = match r {
            IntRef::Lit(v) => Some(*v),
            IntRef::Exp => s.exp,
            IntRef::Nbf => s.nbf,
            IntRef::Iat => s.iat,
            IntRef::Attr(i) => match self.slots.get(*i).copied().flatten() {
                None => None,
                Some(v) => Some(v.as_i64().ok_or(Fault)?),
            },
        };
        found.ok_or(Fault)
    }
}
