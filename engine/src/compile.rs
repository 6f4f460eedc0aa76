//! Policy AST -> compiled program: interned names, permission bitsets, a rule index by
//! (resource type, action), and conditions with every name resolved.
//!
//! The decision path then works on small integers and borrowed data: looking up the
//! action and type is one hash each, permission tests are one bit test, and only the rules
//! filed under the request's (type, action) are looked at.

use crate::claims::Session;
use crate::decision::{Reason, RuleId, SharedStr, Text};
use crate::policy::ast::*;
use crate::policy::validate::Schema;
use crate::policy::Policy;
use rustc_hash::FxHashMap;
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT_ENGINE_ID: AtomicU64 = AtomicU64::new(1);

#[derive(Debug)]
pub(crate) struct Program {
    pub id: u64,
    pub actions: FxHashMap<Box<str>, u32>,
    /// The same, for lookups on the decision path.
    pub action_index: crate::names::NameIndex,
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
    pub permission_names: Vec<SharedStr>,
    pub license_name: SharedStr,
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
    /// The same rules over the slot's distinct tests, when every condition is a chain of
    /// tests (see `plan`).
    pub plan: Option<Box<crate::plan::SlotPlan>>,
    /// The plan unrolled into one branching program, for `Engine::is_allowed`,
    /// `Engine::decide_ref` and `Engine::decide_with` (`None`: no plan, or too large). Kept
    /// here rather than in the plan: one pointer fewer to follow before the first test.
    #[cfg(not(target_arch = "wasm32"))]
    pub diagram: Option<crate::diagram::Diagram>,
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
    /// The user's and the active organization's ids in place (`Engine::is_allowed`).
    #[cfg(not(target_arch = "wasm32"))]
    pub ids: [crate::diagram::ShortText; 2],
    /// The token's validity as two bounds (see [`PreparedSession::valid_at`]).
    #[cfg(not(target_arch = "wasm32"))]
    window: [i64; 2],
}

#[cfg(not(target_arch = "wasm32"))]
impl PreparedSession {
    /// Whether the token is valid at `now`: `Session::validity` with the engine's leeway
    /// is `Valid`. An absent `exp` is an end that never comes (`i64::MAX`: the leeway's
    /// saturating subtraction never reaches it), an absent `nbf` or `iat` a start that has
    /// always passed (`i64::MIN`); the later of `nbf` and `iat` is the start.
    #[inline(always)]
    pub fn valid_at(&self, now: i64) -> bool {
        let [start, end] = self.window;
        let leeway = crate::engine::LEEWAY_SECONDS;
        now.saturating_add(leeway) >= start && now.saturating_sub(leeway) < end
    }
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
            let deny_reason = match &rule.because {
                Some(code) => format!("forbidden:{}", code.text),
                None => format!("forbidden:{}", info.id),
            };
            rules.push(CompiledRule {
                id: RuleId(Text::new(info.id.as_str())),
                deny_reason: Reason(Text::new(&deny_reason)),
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
            action_index: crate::names::NameIndex::new(&actions),
            actions,
            types,
            type_info,
            n_actions,
            index: slots
                .into_iter()
                .zip(lists)
                .enumerate()
                .map(|(index, (slot, [p, f, fp, ff]))| {
                    let lowered =
                        |ids: &[u32]| ids.iter().map(|&f| fast_rules.get(f as usize)).collect::<Option<Vec<_>>>();
                    let plan = match (lowered(&ff), lowered(&fp)) {
                        (Some(forbids), Some(permits)) => crate::plan::SlotPlan::build(forbids, permits),
                        _ => None,
                    };
                    let plan = plan.map(|mut p| {
                        p.index = u32::try_from(index).unwrap_or(u32::MAX);
                        p
                    });
                    Slot {
                        declared: slot.declared,
                        permits: p.into(),
                        forbids: f.into(),
                        fast_permits: fp.into(),
                        fast_forbids: ff.into(),
                        #[cfg(not(target_arch = "wasm32"))]
                        diagram: plan.as_ref().and_then(|plan| crate::diagram::Diagram::build(plan, &rules)),
                        plan: plan.map(Box::new),
                    }
                })
                .collect(),
            rules,
            fast_rules,
            permission_names: schema.permissions.iter().map(|p| SharedStr::prepared(p.as_str())).collect(),
            license_name: SharedStr::prepared(&schema.license.as_ref().map(|p| p.display()).unwrap_or_default()),
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

    /// The name of action number `index` (a scan: for messages, not decisions).
    pub fn action_name(&self, index: u32) -> Option<&str> {
        self.actions.iter().find(|&(_, &i)| i == index).map(|(name, _)| &**name)
    }

    pub fn prepare(&self, session: &Session) -> PreparedSession {
        let mut bits = vec![0u64; self.permission_words];
        let licensed = self.prepare_into(session, &mut bits);
        PreparedSession {
            engine_id: self.id,
            permissions: bits.into_boxed_slice(),
            licensed,
            #[cfg(not(target_arch = "wasm32"))]
            ids: [
                crate::diagram::ShortText::of(session.user_id.as_deref()),
                crate::diagram::ShortText::of(session.org.as_ref().map(|o| o.id.as_str())),
            ],
            #[cfg(not(target_arch = "wasm32"))]
            window: [
                session.nbf.unwrap_or(i64::MIN).max(session.iat.unwrap_or(i64::MIN)),
                session.exp.unwrap_or(i64::MAX),
            ],
        }
    }

    /// What [`Program::prepare`] computes, with the permission bits added to `bits`
    /// (`permission_words` words: zeroed, or, for `Engine::decide_json`, holding the bits
    /// of the permissions the claims reader interned instead of keeping their names); the
    /// license flag is returned.
    pub fn prepare_into(&self, session: &Session, bits: &mut [u64]) -> Result<bool, String> {
        if let Some(org) = &session.org {
            for p in &org.permissions {
                if let Some(&i) = self.permission_index.get(p.as_str()) {
                    set_bit(bits, i);
                }
            }
            if let Some(role_bits) = org.role.as_deref().and_then(|r| self.roles.get(r)) {
                for (w, r) in bits.iter_mut().zip(role_bits.iter()) {
                    *w |= r;
                }
            }
        }
        match &self.license {
            None => Ok(false),
            Some(path) => {
                let found = match self.license_root {
                    Root::Org => session.org.as_ref().map(|o| walk_map(&o.metadata, path)),
                    _ => Some(walk_map(&session.claims, path)),
                };
                match found {
                    None | Some(Ok(None)) => LicenseFound::Absent,
                    Some(Ok(Some(Value::Bool(b)))) => LicenseFound::Bool(*b),
                    Some(Ok(Some(other))) => LicenseFound::Other(crate::claims::kind_of(other)),
                    Some(Err(())) => LicenseFound::ParentNotObject,
                }
                .flag()
            }
        }
    }

    /// The license path inside `org_metadata`, when the policy declares `license org.<path>`.
    pub fn org_license_path(&self) -> Option<&[Box<str>]> {
        self.license.as_deref().filter(|_| self.license_root == Root::Org)
    }

    /// Whether every rule on resource type `t` reads the resource's attributes through
    /// their bound slots only (`fast::Fast` leaves), never through the general evaluator
    /// (which reads `Resource::attrs` by name): then a resource of this type decided on
    /// once need not keep its attributes, only their values by slot (`Engine::decide_json`).
    pub fn slots_only(&self, t: usize) -> bool {
        let row = self.index.get(t * self.n_actions..(t + 1) * self.n_actions).unwrap_or_default();
        row.iter()
            .flat_map(|slot| slot.fast_permits.iter().chain(slot.fast_forbids.iter()))
            .filter_map(|&f| self.fast_rules.get(f as usize)?.condition.as_ref())
            .all(|c| !fast_reads_attrs(c))
    }

    /// Which session and resource fields some rule reads as text (see [`TextReads`]).
    pub fn text_reads(&self) -> TextReads {
        let mut reads = TextReads::default();
        for rule in &self.rules {
            if let Some(c) = &rule.condition {
                reads.note(c);
            }
        }
        reads
    }
}

/// The session and resource fields whose text some rule of a policy reads. A decision
/// from JSON (`Engine::decide_json`) builds only these: the claims and resource it reads
/// are dropped after one decision, so a field no rule reads is type-checked, as the strict
/// path checks it, and not copied out of the text. Every other reader of these fields
/// (`explain`, `filter`, the accessors) works on sessions and resources built in full.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TextReads {
    /// `session.id` (`sid`).
    pub session_id: bool,
    /// `session.azp`.
    pub azp: bool,
    /// `session.iss`.
    pub iss: bool,
    /// `org.slug` (`org_slug`).
    pub org_slug: bool,
    /// `org.permissions` as a list of names (`has(...)` reads permission bits instead).
    pub org_permissions: bool,
    /// `org.<metadata path>` (a `license org.<path>` declaration is read apart from it).
    pub org_metadata: bool,
    /// `resource.id`.
    pub resource_id: bool,
    /// `resource.<attribute>` (see [`Program::slots_only`] for where it is read).
    pub resource_attrs: bool,
}

impl TextReads {
    /// Every field read: what a session or resource kept beyond one decision needs.
    pub const ALL: TextReads = TextReads {
        session_id: true,
        azp: true,
        iss: true,
        org_slug: true,
        org_permissions: true,
        org_metadata: true,
        resource_id: true,
        resource_attrs: true,
    };

    fn note(&mut self, e: &CExpr) {
        match e {
            CExpr::SessionId => self.session_id = true,
            CExpr::SessionAzp => self.azp = true,
            CExpr::SessionIss => self.iss = true,
            CExpr::OrgSlug => self.org_slug = true,
            CExpr::OrgPermissions => self.org_permissions = true,
            CExpr::OrgMetadata(_) => self.org_metadata = true,
            CExpr::ResourceId => self.resource_id = true,
            CExpr::ResourceAttr(_) => self.resource_attrs = true,
            CExpr::List(items) => items.iter().for_each(|i| self.note(i)),
            CExpr::And(a, b) | CExpr::Or(a, b) | CExpr::Cmp(_, a, b) | CExpr::In(a, b) | CExpr::Call(_, a, b) => {
                self.note(a);
                self.note(b);
            }
            CExpr::Not(a) | CExpr::Scopes(a) | CExpr::Present(a) => self.note(a),
            // Listed, not `_`: a new variant must be sorted into reads or leaves here.
            CExpr::Bool(_)
            | CExpr::Int(_)
            | CExpr::Str(_)
            | CExpr::StrList(_)
            | CExpr::IntList(_)
            | CExpr::User
            | CExpr::UserId
            | CExpr::Org
            | CExpr::OrgId
            | CExpr::OrgRole
            | CExpr::Session
            | CExpr::SessionExp
            | CExpr::SessionNbf
            | CExpr::SessionIat
            | CExpr::Actor(_)
            | CExpr::ResourceType
            | CExpr::Context(_)
            | CExpr::Claims(_)
            | CExpr::HasPermission(_)
            | CExpr::HasRole(_)
            | CExpr::HasPlan(..)
            | CExpr::HasFeature(..)
            | CExpr::Licensed
            | CExpr::VerifiedWithin(..) => {}
        }
    }
}

/// Whether a lowered condition reads a resource attribute through the general evaluator.
fn fast_reads_attrs(e: &crate::fast::Fast) -> bool {
    use crate::fast::Fast;
    match e {
        Fast::And(a, b) | Fast::Or(a, b) => fast_reads_attrs(a) || fast_reads_attrs(b),
        Fast::Not(a) => fast_reads_attrs(a),
        Fast::General(c) => reads_attrs(c),
        Fast::Const(_)
        | Fast::User
        | Fast::Org
        | Fast::StrEq(..)
        | Fast::AttrStrEq(..)
        | Fast::IntCmp(..)
        | Fast::HasPermission(_)
        | Fast::HasRole(_)
        | Fast::Licensed
        | Fast::AttrTruth(_) => false,
    }
}

/// Whether a condition reads `resource.<attribute>`.
fn reads_attrs(e: &CExpr) -> bool {
    let mut reads = TextReads::default();
    reads.note(e);
    reads.resource_attrs
}

/// Permission bits of a session decided on once (`Engine::decide_json`): inline for
/// policies of up to 128 permissions, on the heap beyond. (A prepared session kept for
/// many decisions has a `Box<[u64]>`: reading these costs a branch per decision.)
#[derive(Debug, Clone)]
pub(crate) enum Bits {
    Inline(usize, [u64; 2]),
    Heap(Box<[u64]>),
}

impl Bits {
    /// `words` zeroed words.
    pub fn zeroed(words: usize) -> Bits {
        if words <= 2 {
            Bits::Inline(words, [0; 2])
        } else {
            Bits::Heap(vec![0; words].into_boxed_slice())
        }
    }

    /// Sets bit `i` (ignored beyond the last word).
    pub fn set(&mut self, i: u32) {
        set_bit(self, i);
    }
}

impl std::ops::Deref for Bits {
    type Target = [u64];
    fn deref(&self) -> &[u64] {
        match self {
            Bits::Inline(n, words) => words.get(..*n).unwrap_or_default(),
            Bits::Heap(words) => words,
        }
    }
}

impl std::ops::DerefMut for Bits {
    fn deref_mut(&mut self) -> &mut [u64] {
        match self {
            Bits::Inline(n, words) => words.get_mut(..*n).unwrap_or_default(),
            Bits::Heap(words) => words,
        }
    }
}

/// What the declared license path leads to in a session's claims.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum LicenseFound {
    /// Nothing there (an absent key on the way).
    #[default]
    Absent,
    Bool(bool),
    /// A value of another kind, named as `claims::kind_of` names it.
    Other(&'static str),
    /// A value on the way is not an object.
    ParentNotObject,
}

impl LicenseFound {
    /// The license flag, or why the claims cannot say.
    pub fn flag(self) -> Result<bool, String> {
        match self {
            LicenseFound::Absent => Ok(false),
            LicenseFound::Bool(b) => Ok(b),
            LicenseFound::Other(kind) => Err(format!("the license claim must be a boolean, found {kind}")),
            LicenseFound::ParentNotObject => Err("the license claim's parent is not an object".to_string()),
        }
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn program(text: &str) -> Program {
        Program::compile(&Policy::parse(text).unwrap())
    }

    #[test]
    fn slots_only_and_text_reads_see_what_rules_read() {
        let p = program(
            r#"resource doc { owner_id: string, tags: [string], size?: int, public?: bool }
            resource note { owner_id: string, tags: [string] }
            action read, share on doc
            action read on note
            permit read on doc when resource.owner_id == user.id and resource.size > 1 and org.slug == "a"
            permit share on doc when resource.public or session.iss == "i"
            permit read on note when "x" in resource.tags"#,
        );
        let doc = p.types.get("doc").map(|&t| t as usize);
        let note = p.types.get("note").map(|&t| t as usize);
        assert_eq!(doc.map(|t| p.slots_only(t)), Some(true));
        assert_eq!(note.map(|t| p.slots_only(t)), Some(false));
        let reads = p.text_reads();
        assert!(reads.org_slug && reads.iss && reads.resource_attrs);
        assert!(!reads.session_id && !reads.azp && !reads.org_permissions && !reads.resource_id);
        let all = program(
            "resource doc {}\naction read on doc\npermit read on doc when resource.id in org.permissions or present(session.id) or session.azp == \"z\"",
        );
        let reads = all.text_reads();
        assert!(reads.resource_id && reads.org_permissions && reads.session_id && reads.azp);
    }
}
