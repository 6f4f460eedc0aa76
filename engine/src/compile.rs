//! Policy AST -> compiled program: interned names, permission bitsets, a rule index by
//! (resource type, action), and conditions with every name resolved.
//!
//! The decision path then works on small integers and borrowed data: looking up the
//! action and type is one hash each, permission tests are one bit test, and only the rules
//! filed under the request's (type, action) are looked at.

use crate::claims::Session;
use crate::decision::{Reason, RuleId, Text};
use crate::policy::ast::*;
use crate::policy::validate::Schema;
use crate::policy::Policy;
use rustc_hash::FxHashMap;
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

static NEXT_ENGINE_ID: AtomicU64 = AtomicU64::new(1);

#[derive(Debug)]
pub(crate) struct Program {
    pub id: u64,
    pub actions: FxHashMap<Box<str>, u32>,
    pub types: FxHashMap<Box<str>, u32>,
    pub type_info: Vec<TypeInfo>,
    pub n_actions: usize,
    /// `index[type * n_actions + action]`.
    pub index: Vec<Slot>,
    pub rules: Vec<CompiledRule>,
    pub fast_rules: Vec<FastRule>,
    pub permission_index: FxHashMap<Box<str>, u32>,
    /// Permission names by id, and the license claim as written, for `missing` hints
    /// (shared by every hint that names them, so a deny copies no string).
    pub permission_names: Vec<Arc<str>>,
    pub license_name: Arc<str>,
    pub permission_words: usize,
    pub roles: FxHashMap<Box<str>, Box<[u64]>>,
    pub license: Option<Box<[Box<str>]>>,
    pub license_root: Root,
}

#[derive(Debug)]
pub(crate) struct TypeInfo {
    pub attrs: Vec<(Box<str>, AttrType, bool)>,
    /// Declared action ids, in declaration order.
    pub actions: Vec<u32>,
    pub action_names: Vec<Box<str>>,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Slot {
    pub declared: bool,
    pub permits: Box<[u32]>,
    pub forbids: Box<[u32]>,
    /// The same rules, as indexes into `Program::fast_rules` (lowered for this type).
    pub fast_permits: Box<[u32]>,
    pub fast_forbids: Box<[u32]>,
}

/// A rule's condition lowered for one resource type (see `fast`).
#[derive(Debug)]
pub(crate) struct FastRule {
    pub rule: u32,
    pub condition: Option<crate::fast::Fast>,
    /// The condition's `and` chain flattened (`a and (b and c)`: `a, b, c`), for the
    /// `missing` hints of a permit (see `FastHints::permit_cost`); empty without a condition.
    pub conjuncts: Box<[crate::fast::Fast]>,
}

#[derive(Debug)]
pub(crate) struct CompiledRule {
    pub id: RuleId,
    /// `forbidden:<because>` or `forbidden:<id>`.
    pub deny_reason: Reason,
    pub condition: Option<CExpr>,
}

/// Which scope a plan or feature test looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScopeSel {
    Any,
    Org,
    User,
}

pub(crate) fn scope_of(name: &str) -> (ScopeSel, &str) {
    if let Some(n) = name.strip_prefix("org:") {
        (ScopeSel::Org, n)
    } else if let Some(n) = name.strip_prefix("user:") {
        (ScopeSel::User, n)
    } else {
        (ScopeSel::Any, name)
    }
}

type Keys = Box<[Box<str>]>;

/// A condition with every name resolved.
#[derive(Debug, Clone)]
pub(crate) enum CExpr {
    Bool(bool),
    Int(i64),
    Str(Box<str>),
    StrList(Keys),
    IntList(Box<[i64]>),
    List(Box<[CExpr]>),
    User,
    UserId,
    Org,
    OrgId,
    OrgSlug,
    OrgRole,
    OrgPermissions,
    OrgMetadata(Keys),
    Session,
    SessionId,
    SessionAzp,
    SessionIss,
    SessionExp,
    SessionNbf,
    SessionIat,
    Actor(Keys),
    ResourceType,
    ResourceId,
    ResourceAttr(Box<str>),
    Context(Keys),
    Claims(Keys),
    Not(Box<CExpr>),
    And(Box<CExpr>, Box<CExpr>),
    Or(Box<CExpr>, Box<CExpr>),
    Cmp(CmpOp, Box<CExpr>, Box<CExpr>),
    In(Box<CExpr>, Box<CExpr>),
    Call(Method, Box<CExpr>, Box<CExpr>),
    HasPermission(u32),
    HasRole(Box<str>),
    HasPlan(ScopeSel, Box<str>),
    HasFeature(ScopeSel, Box<str>),
    Licensed,
    VerifiedWithin(i64, Factor),
    Scopes(Box<CExpr>),
    Present(Box<CExpr>),
}

/// Session facts that depend on the engine: permission bits and the license flag.
#[derive(Debug)]
pub(crate) struct PreparedSession {
    pub engine_id: u64,
    pub permissions: Box<[u64]>,
    /// `Err` when the declared license claim has a type other than boolean.
    pub licensed: Result<bool, String>,
}

impl Program {
    pub fn compile(policy: &Policy) -> Program {
        let schema: &Schema = &policy.schema;
        let mut actions: FxHashMap<Box<str>, u32> = FxHashMap::default();
        let mut types: FxHashMap<Box<str>, u32> = FxHashMap::default();
        let mut type_info = Vec::new();
        for ts in &schema.types {
            types.insert(ts.name.as_str().into(), type_info.len() as u32);
            let mut ids = Vec::new();
            for a in &ts.actions {
                let next = actions.len() as u32;
                ids.push(*actions.entry(a.as_str().into()).or_insert(next));
            }
            type_info.push(TypeInfo {
                attrs: ts.attrs.iter().map(|a| (a.name.text.as_str().into(), a.ty, a.optional)).collect(),
                actions: ids,
                action_names: ts.actions.iter().map(|a| a.as_str().into()).collect(),
            });
        }
        let n_actions = actions.len();
        let mut slots: Vec<Slot> = vec![Slot::default(); type_info.len() * n_actions];
        let mut lists: Vec<[Vec<u32>; 4]> = vec![Default::default(); slots.len()];
        let mut fast_rules = Vec::new();
        for (t, info) in type_info.iter().enumerate() {
            for &a in &info.actions {
                if let Some(slot) = slots.get_mut(t * n_actions + a as usize) {
                    slot.declared = true;
                }
            }
        }
        let permission_words = schema.permissions.len().div_ceil(64).max(1);
        let mut rules = Vec::with_capacity(policy.ast.rules.len());
        for (i, (rule, info)) in policy.ast.rules.iter().zip(&schema.rules).enumerate() {
            let condition = rule.condition.as_ref().map(|c| compile_expr(c, schema));
            let mut lowered: Vec<(usize, u32)> = Vec::new();
            for (t, action) in &info.applies {
                let fast = match lowered.iter().find(|(lt, _)| lt == t) {
                    Some((_, f)) => *f,
                    None => {
                        let attrs = type_info.get(*t).map(|ti| ti.attrs.as_slice()).unwrap_or_default();
                        fast_rules.push(FastRule {
                            rule: i as u32,
                            condition: condition.as_ref().map(|c| crate::fast::lower(c, attrs)),
                            conjuncts: condition
                                .as_ref()
                                .map(|c| crate::fast::lower_conjuncts(c, attrs))
                                .unwrap_or_default(),
                        });
                        let f = (fast_rules.len() - 1) as u32;
                        lowered.push((*t, f));
                        f
                    }
                };
                if let Some(&a) = actions.get(action.as_str()) {
                    if let Some(l) = lists.get_mut(t * n_actions + a as usize) {
                        let base = if rule.effect == Effect::Permit { 0 } else { 1 };
                        if let Some(v) = l.get_mut(base) {
                            v.push(i as u32);
                        }
                        if let Some(v) = l.get_mut(base + 2) {
                            v.push(fast);
                        }
                    }
                }
            }
            let id: Arc<str> = info.id.as_str().into();
            let deny_reason = match &rule.because {
                Some(code) => format!("forbidden:{}", code.text),
                None => format!("forbidden:{}", info.id),
            };
            rules.push(CompiledRule {
                id: RuleId(Text::Shared(id)),
                deny_reason: Reason(Text::Shared(deny_reason.into())),
                condition,
            });
        }
        let roles = schema
            .roles
            .iter()
            .map(|(name, grants)| {
                let mut bits = vec![0u64; permission_words];
                for &g in grants {
                    set_bit(&mut bits, g);
                }
                (name.as_str().into(), bits.into_boxed_slice())
            })
            .collect();
        let (license, license_root) = match &schema.license {
            Some(p) if p.root == Root::Org => (Some(keys(p.segments.iter().skip(1))), Root::Org),
            Some(p) => (Some(keys(p.segments.iter())), Root::Claims),
            None => (None, Root::Org),
        };
        Program {
            id: NEXT_ENGINE_ID.fetch_add(1, Ordering::Relaxed),
            actions,
            types,
            type_info,
            n_actions,
            index: slots
                .into_iter()
                .zip(lists)
                .map(|(slot, [p, f, fp, ff])| Slot {
                    declared: slot.declared,
                    permits: p.into(),
                    forbids: f.into(),
                    fast_permits: fp.into(),
                    fast_forbids: ff.into(),
                })
                .collect(),
            rules,
            fast_rules,
            permission_names: schema.permissions.iter().map(|p| p.as_str().into()).collect(),
            license_name: schema.license.as_ref().map(|p| p.display()).unwrap_or_default().into(),
            permission_index: schema
                .permissions
                .iter()
                .enumerate()
                .map(|(i, p)| (p.as_str().into(), i as u32))
                .collect(),
            permission_words,
            roles,
            license,
            license_root,
        }
    }

    pub fn prepare(&self, session: &Session) -> PreparedSession {
        let mut bits = vec![0u64; self.permission_words];
        if let Some(org) = &session.org {
            for p in &org.permissions {
                if let Some(&i) = self.permission_index.get(p.as_str()) {
                    set_bit(&mut bits, i);
                }
            }
            if let Some(role_bits) = org.role.as_deref().and_then(|r| self.roles.get(r)) {
                for (w, r) in bits.iter_mut().zip(role_bits.iter()) {
                    *w |= r;
                }
            }
        }
        let licensed = match &self.license {
            None => Ok(false),
            Some(path) => {
                let found = match self.license_root {
                    Root::Org => session.org.as_ref().map(|o| walk_map(&o.metadata, path)),
                    _ => Some(walk_map(&session.claims, path)),
                };
                match found {
                    None | Some(Ok(None)) => Ok(false),
                    Some(Ok(Some(Value::Bool(b)))) => Ok(*b),
                    Some(Ok(Some(other))) => {
                        Err(format!("the license claim must be a boolean, found {}", crate::claims::kind_of(other)))
                    }
                    Some(Err(())) => Err("the license claim's parent is not an object".to_string()),
                }
            }
        };
        PreparedSession { engine_id: self.id, permissions: bits.into_boxed_slice(), licensed }
    }
}

/// Follows `keys` through nested objects. `Ok(None)` when a key is absent, `Err` when a
/// value on the way is not an object.
pub(crate) fn walk_map<'a>(
    map: &'a serde_json::Map<String, Value>,
    keys: &[Box<str>],
) -> Result<Option<&'a Value>, ()> {
    let Some((first, rest)) = keys.split_first() else {
        return Ok(None);
    };
    let mut cur = match map.get(first.as_ref()) {
        Some(v) => v,
        None => return Ok(None),
    };
    for k in rest {
        match cur {
            Value::Object(m) => match m.get(k.as_ref()) {
                Some(v) => cur = v,
                None => return Ok(None),
            },
            _ => return Err(()),
        }
    }
    Ok(Some(cur))
}

fn set_bit(bits: &mut [u64], i: u32) {
    if let Some(w) = bits.get_mut(i as usize / 64) {
        *w |= 1u64 << (i % 64);
    }
}

pub(crate) fn has_bit(bits: &[u64], i: u32) -> bool {
    bits.get(i as usize / 64).is_some_and(|w| w & (1u64 << (i % 64)) != 0)
}

fn keys<'a>(segs: impl Iterator<Item = &'a Name>) -> Keys {
    segs.map(|s| s.text.as_str().into()).collect()
}

fn compile_expr(e: &Expr, schema: &Schema) -> CExpr {
    let b = |e: &Expr| Box::new(compile_expr(e, schema));
    match &e.kind {
        ExprKind::Lit(Literal::Bool(v)) => CExpr::Bool(*v),
        ExprKind::Lit(Literal::Int(v)) => CExpr::Int(*v),
        ExprKind::Lit(Literal::Str(v)) => CExpr::Str(v.as_str().into()),
        ExprKind::List(items) => {
            let strs: Option<Vec<Box<str>>> = items
                .iter()
                .map(|i| match &i.kind {
                    ExprKind::Lit(Literal::Str(s)) => Some(s.as_str().into()),
                    _ => None,
                })
                .collect();
            let ints: Option<Vec<i64>> = items
                .iter()
                .map(|i| match &i.kind {
                    ExprKind::Lit(Literal::Int(v)) => Some(*v),
                    _ => None,
                })
                .collect();
            match (strs, ints) {
                (Some(s), _) => CExpr::StrList(s.into()),
                (None, Some(i)) => CExpr::IntList(i.into()),
                _ => CExpr::List(items.iter().map(|i| compile_expr(i, schema)).collect()),
            }
        }
        ExprKind::Path(p) => compile_path(p),
        ExprKind::Not(a) => CExpr::Not(b(a)),
        ExprKind::And(x, y) => CExpr::And(b(x), b(y)),
        ExprKind::Or(x, y) => CExpr::Or(b(x), b(y)),
        ExprKind::Cmp(op, x, y) => CExpr::Cmp(*op, b(x), b(y)),
        ExprKind::In(x, y) => CExpr::In(b(x), b(y)),
        ExprKind::Call(recv, m, args) => match args.first() {
            Some(arg) => CExpr::Call(*m, b(recv), b(arg)),
            None => CExpr::Bool(false),
        },
        ExprKind::HasPermission(n) => match schema.permission_index.get(&n.text) {
            Some(&i) => CExpr::HasPermission(i),
            None => CExpr::Bool(false),
        },
        ExprKind::HasRole(n) => CExpr::HasRole(n.text.as_str().into()),
        ExprKind::HasPlan(n) => {
            let (sel, name) = scope_of(&n.text);
            CExpr::HasPlan(sel, name.into())
        }
        ExprKind::HasFeature(n) => {
            let (sel, name) = scope_of(&n.text);
            CExpr::HasFeature(sel, name.into())
        }
        ExprKind::Licensed => CExpr::Licensed,
        ExprKind::VerifiedWithin(m, f) => CExpr::VerifiedWithin(*m, *f),
        ExprKind::Scopes(inner) => CExpr::Scopes(b(inner)),
        ExprKind::Present(p) => CExpr::Present(Box::new(compile_path(p))),
    }
}

fn compile_path(p: &Path) -> CExpr {
    let segs: Vec<&str> = p.segments.iter().map(|s| s.text.as_str()).collect();
    let rest = |n: usize| keys(p.segments.iter().skip(n));
    match (p.root, segs.as_slice()) {
        (Root::User, []) => CExpr::User,
        (Root::User, _) => CExpr::UserId,
        (Root::Org, []) => CExpr::Org,
        (Root::Org, ["id"]) => CExpr::OrgId,
        (Root::Org, ["slug"]) => CExpr::OrgSlug,
        (Root::Org, ["role"]) => CExpr::OrgRole,
        (Root::Org, ["permissions"]) => CExpr::OrgPermissions,
        (Root::Org, _) => CExpr::OrgMetadata(rest(1)),
        (Root::Session, []) => CExpr::Session,
        (Root::Session, ["id"]) => CExpr::SessionId,
        (Root::Session, ["azp"]) => CExpr::SessionAzp,
        (Root::Session, ["iss"]) => CExpr::SessionIss,
        (Root::Session, ["exp"]) => CExpr::SessionExp,
        (Root::Session, ["nbf"]) => CExpr::SessionNbf,
        (Root::Session, ["iat"]) => CExpr::SessionIat,
        (Root::Session, _) => CExpr::Actor(rest(1)),
        (Root::Resource, ["type"]) => CExpr::ResourceType,
        (Root::Resource, ["id"]) => CExpr::ResourceId,
        (Root::Resource, [name, ..]) => CExpr::ResourceAttr((*name).into()),
        (Root::Resource, []) => CExpr::ResourceType,
        (Root::Context, _) => CExpr::Context(rest(0)),
        (Root::Claims, _) => CExpr::Claims(rest(0)),
    }
}
