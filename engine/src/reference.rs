//! A deliberately naive interpreter of the policy AST, used as a test oracle for the
//! compiled evaluator, and to explain decisions.
//!
//! It scans every rule in file order, looks names up as strings and copies values. It
//! shares no evaluation code with `eval`, so a disagreement between the two is a bug in
//! one of them. It is public so that tests and fuzz targets outside the crate can compare;
//! it is not the API to decide with.

use crate::claims::{Session, Validity};
use crate::policy::ast::*;
use crate::policy::Policy;
use crate::resource::{Context, Resource};
use serde_json::Value;
use std::borrow::Cow;

/// A value in the naive interpreter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RV<'a> {
    Bool(bool),
    Int(i64),
    Str(Cow<'a, str>),
    List(Vec<RV<'a>>),
    Object,
    Opaque,
}

impl<'a> RV<'a> {
    fn from_json(v: &'a Value) -> RV<'a> {
        match v {
            Value::Bool(b) => RV::Bool(*b),
            Value::String(s) => RV::Str(Cow::Borrowed(s)),
            Value::Number(n) => match n.as_i64() {
                Some(i) => RV::Int(i),
                None => RV::Opaque,
            },
            Value::Array(items) => RV::List(items.iter().map(RV::from_json).collect()),
            Value::Object(_) => RV::Object,
            Value::Null => RV::Opaque,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            RV::Bool(_) => "a boolean",
            RV::Int(_) => "an integer",
            RV::Str(_) => "a string",
            RV::List(_) => "a list",
            RV::Object => "an object",
            RV::Opaque => "null or a non-integer number",
        }
    }
}

/// The outcome of one rule.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    Match,
    NoMatch,
    Error(String),
}

/// Everything a condition can read.
pub(crate) struct Env<'a> {
    pub policy: &'a Policy,
    pub session: &'a Session,
    pub resource: &'a Resource,
    pub context: &'a Context,
}

/// One evaluated sub-condition, for `explain`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Step {
    pub text: String,
    pub value: Result<String, String>,
}

pub(crate) struct Interp<'a> {
    env: &'a Env<'a>,
    pub trace: Option<Vec<Step>>,
}

type R<T> = Result<T, String>;

impl<'a> Interp<'a> {
    pub fn new(env: &'a Env<'a>, tracing: bool) -> Interp<'a> {
        Interp { env, trace: tracing.then(Vec::new) }
    }

    pub fn rule(&mut self, rule: &Rule) -> Outcome {
        match &rule.condition {
            None => Outcome::Match,
            Some(c) => match self.truth(c) {
                Ok(true) => Outcome::Match,
                Ok(false) => Outcome::NoMatch,
                Err(e) => Outcome::Error(e),
            },
        }
    }

    /// An error message, spelled out only when tracing (`explain`): the deny path computes
    /// hints with this interpreter and should not pay for formatting expressions.
    fn describe(&self, message: impl FnOnce() -> String) -> String {
        if self.trace.is_some() {
            message()
        } else {
            String::new()
        }
    }

    fn record(&mut self, e: &Expr, value: &R<String>) {
        if let Some(trace) = &mut self.trace {
            let is_leaf = !matches!(e.kind, ExprKind::And(..) | ExprKind::Or(..) | ExprKind::Not(_));
            if is_leaf {
                trace.push(Step { text: crate::policy::format::expr(e, 0), value: value.clone() });
            }
        }
    }

    pub fn truth(&mut self, e: &Expr) -> R<bool> {
        let result = self.truth_inner(e);
        let shown = result.as_ref().map(|b| b.to_string()).map_err(Clone::clone);
        self.record(e, &shown);
        result
    }

    fn truth_inner(&mut self, e: &Expr) -> R<bool> {
        match &e.kind {
            ExprKind::And(a, b) => {
                if !self.truth(a)? {
                    return Ok(false);
                }
                self.truth(b)
            }
            ExprKind::Or(a, b) => {
                if self.truth(a)? {
                    return Ok(true);
                }
                self.truth(b)
            }
            ExprKind::Not(a) => Ok(!self.truth(a)?),
            ExprKind::Cmp(op, a, b) => {
                let x = self.required(a)?;
                let y = self.required(b)?;
                match op {
                    CmpOp::Eq => equals(&x, &y),
                    CmpOp::Ne => equals(&x, &y).map(|v| !v),
                    _ => match (&x, &y) {
                        (RV::Int(x), RV::Int(y)) => Ok(match op {
                            CmpOp::Lt => x < y,
                            CmpOp::Le => x <= y,
                            CmpOp::Gt => x > y,
                            _ => x >= y,
                        }),
                        _ => Err(format!("`{}` needs two integers, found {} and {}", op.symbol(), x.kind(), y.kind())),
                    },
                }
            }
            ExprKind::In(a, b) => {
                let x = self.required(a)?;
                let y = self.required(b)?;
                member(&y, &x)
            }
            ExprKind::Call(recv, m, args) => {
                let r = self.required(recv)?;
                let Some(arg) = args.first() else {
                    return Err("a method needs an argument".into());
                };
                let a = self.required(arg)?;
                call(*m, &r, &a)
            }
            ExprKind::HasPermission(p) => {
                let Some(org) = &self.env.session.org else {
                    return Ok(false);
                };
                if org.permissions.contains(&p.text) {
                    return Ok(true);
                }
                let schema = &self.env.policy.schema;
                let granted =
                    org.role.as_ref().and_then(|r| schema.roles.get(r)).is_some_and(|grants| {
                        grants.iter().any(|g| schema.permissions.get(*g as usize) == Some(&p.text))
                    });
                Ok(granted)
            }
            ExprKind::HasRole(r) => Ok(self.env.session.org.as_ref().and_then(|o| o.role.as_ref()) == Some(&r.text)),
            ExprKind::HasPlan(n) => Ok(scoped(&self.env.session.plans, &n.text)),
            ExprKind::HasFeature(n) => Ok(scoped(&self.env.session.features, &n.text)),
            ExprKind::Licensed => licensed(self.env.policy, self.env.session),
            ExprKind::VerifiedWithin(minutes, factor) => {
                let Some((first, second)) = self.env.session.fva else {
                    return Ok(false);
                };
                let ok = |m: i64| m != -1 && m <= *minutes && m >= 0;
                Ok(match factor {
                    Factor::First => ok(first),
                    Factor::Second => ok(second),
                    Factor::Multi => ok(first) && ok(second),
                })
            }
            ExprKind::Present(p) => Ok(!matches!(self.lookup(p)?, None | Some(RawOrValue::Null))),
            _ => match self.value(e)? {
                None => Ok(false),
                Some(RV::Bool(b)) => Ok(b),
                Some(RV::Object) => Ok(true),
                Some(other) => Err(self.describe(|| {
                    format!("`{}` is {}, not a condition", crate::policy::format::expr(e, 0), other.kind())
                })),
            },
        }
    }

    fn required(&mut self, e: &Expr) -> R<RV<'a>> {
        match self.value(e)? {
            Some(v) => Ok(v),
            None => Err(self.describe(|| format!("`{}` is missing", crate::policy::format::expr(e, 0)))),
        }
    }

    pub(crate) fn value(&mut self, e: &Expr) -> R<Option<RV<'a>>> {
        match &e.kind {
            ExprKind::Lit(Literal::Str(s)) => Ok(Some(RV::Str(Cow::Owned(s.clone())))),
            ExprKind::Lit(Literal::Int(i)) => Ok(Some(RV::Int(*i))),
            ExprKind::Lit(Literal::Bool(b)) => Ok(Some(RV::Bool(*b))),
            ExprKind::List(items) => {
                let mut out = Vec::new();
                for i in items {
                    out.push(self.required(i)?);
                }
                Ok(Some(RV::List(out)))
            }
            ExprKind::Path(p) => Ok(match self.lookup(p)? {
                None => None,
                Some(RawOrValue::Null) => {
                    if p.root == Root::Resource {
                        None
                    } else {
                        Some(RV::Opaque)
                    }
                }
                Some(RawOrValue::Value(v)) => Some(v),
            }),
            ExprKind::Scopes(inner) => match self.value(inner)? {
                None => Ok(Some(RV::List(Vec::new()))),
                Some(RV::Str(text)) => {
                    let words: Vec<RV<'a>> = match text {
                        Cow::Borrowed(t) => t.split_ascii_whitespace().map(|w| RV::Str(Cow::Borrowed(w))).collect(),
                        Cow::Owned(t) => {
                            t.split_ascii_whitespace().map(|w| RV::Str(Cow::Owned(w.to_string()))).collect()
                        }
                    };
                    Ok(Some(RV::List(words)))
                }
                Some(RV::List(items)) => {
                    if items.iter().all(|i| matches!(i, RV::Str(_))) {
                        Ok(Some(RV::List(items)))
                    } else {
                        Err("`scopes` needs a list of strings".into())
                    }
                }
                Some(other) => Err(format!("`scopes` needs a list or a string, found {}", other.kind())),
            },
            _ => Ok(Some(RV::Bool(self.truth(e)?))),
        }
    }

    fn lookup(&mut self, p: &Path) -> R<Option<RawOrValue<'a>>> {
        let s = self.env.session;
        // Most paths have a few segments: keep them on the stack.
        let mut inline: [&str; 4] = [""; 4];
        let spilled: Vec<&str>;
        let segs: &[&str] = if p.segments.len() <= inline.len() {
            for (slot, seg) in inline.iter_mut().zip(&p.segments) {
                *slot = seg.text.as_str();
            }
            inline.get(..p.segments.len()).unwrap_or_default()
        } else {
            spilled = p.segments.iter().map(|x| x.text.as_str()).collect();
            &spilled
        };
        let string = |v: Option<&'a String>| v.map(|x| RawOrValue::Value(RV::Str(Cow::Borrowed(x.as_str()))));
        let json_walk = |start: Option<&'a serde_json::Map<String, Value>>,
                         keys: &[&str]|
         -> R<Option<RawOrValue<'a>>> {
            let Some(map) = start else { return Ok(None) };
            if keys.is_empty() {
                return Ok(Some(RawOrValue::Value(RV::Object)));
            }
            let mut cur: Option<&Value> = None;
            for (i, k) in keys.iter().enumerate() {
                let next = if i == 0 {
                    map.get(*k)
                } else {
                    match cur {
                        Some(Value::Object(m)) => m.get(*k),
                        _ => return Err(format!("`{}` is not an object", keys.get(..i).unwrap_or_default().join("."))),
                    }
                };
                match next {
                    None => return Ok(None),
                    Some(v) => cur = Some(v),
                }
            }
            Ok(cur.map(|v| if v.is_null() { RawOrValue::Null } else { RawOrValue::Value(RV::from_json(v)) }))
        };
        let org = s.org.as_ref();
        match p.root {
            Root::User => Ok(match segs {
                [] => s.user_id.as_ref().map(|_| RawOrValue::Value(RV::Object)),
                _ => string(s.user_id.as_ref()),
            }),
            Root::Org => match segs {
                [] => Ok(org.map(|_| RawOrValue::Value(RV::Object))),
                ["id"] => Ok(string(org.map(|o| &o.id))),
                ["slug"] => Ok(string(org.and_then(|o| o.slug.as_ref()))),
                ["role"] => Ok(string(org.and_then(|o| o.role.as_ref()))),
                ["permissions"] => Ok(org.map(|o| {
                    RawOrValue::Value(RV::List(
                        o.permissions.iter().map(|x| RV::Str(Cow::Borrowed(x.as_str()))).collect(),
                    ))
                })),
                [_, rest @ ..] => json_walk(org.map(|o| &o.metadata), rest),
                #[allow(unreachable_patterns)]
                _ => Ok(None),
            },
            Root::Session => Ok(match segs {
                [] => Some(RawOrValue::Value(RV::Object)),
                ["id"] => string(s.session_id.as_ref()),
                ["azp"] => string(s.azp.as_ref()),
                ["iss"] => string(s.iss.as_ref()),
                ["exp"] => s.exp.map(|v| RawOrValue::Value(RV::Int(v))),
                ["nbf"] => s.nbf.map(|v| RawOrValue::Value(RV::Int(v))),
                ["iat"] => s.iat.map(|v| RawOrValue::Value(RV::Int(v))),
                [_, rest @ ..] => return json_walk(s.actor.as_ref(), rest),
            }),
            Root::Resource => Ok(match segs {
                [] | ["type"] => Some(RawOrValue::Value(RV::Str(Cow::Borrowed(self.env.resource.type_name.as_str())))),
                ["id"] => string(self.env.resource.id.as_ref()),
                [name, ..] => self.env.resource.attrs.get(*name).map(|v| {
                    if v.is_null() {
                        RawOrValue::Null
                    } else {
                        RawOrValue::Value(RV::from_json(v))
                    }
                }),
            }),
            Root::Context => json_walk(Some(&self.env.context.values), segs),
            Root::Claims => json_walk(Some(&s.claims), segs),
        }
    }
}

enum RawOrValue<'a> {
    Null,
    Value(RV<'a>),
}

fn equals(a: &RV<'_>, b: &RV<'_>) -> R<bool> {
    match (a, b) {
        (RV::Str(x), RV::Str(y)) => Ok(x == y),
        (RV::Int(x), RV::Int(y)) => Ok(x == y),
        (RV::Bool(x), RV::Bool(y)) => Ok(x == y),
        (RV::List(x), RV::List(y)) => {
            if x.len() != y.len() {
                return Ok(false);
            }
            for (p, q) in x.iter().zip(y) {
                if !equals(p, q)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        _ => Err(format!("cannot compare {} with {}", a.kind(), b.kind())),
    }
}

/// A long list of strings as a set, so that `contains_all` / `contains_any` on two long
/// lists (this interpreter also computes `missing` on every deny) stay linear.
fn string_set<'l>(list: &'l [RV<'_>]) -> Option<std::collections::HashSet<&'l str>> {
    if list.len() <= 16 {
        return None;
    }
    list.iter().map(|v| if let RV::Str(s) = v { Some(s.as_ref()) } else { None }).collect()
}

fn member_in(list: &RV<'_>, set: Option<&std::collections::HashSet<&str>>, item: &RV<'_>) -> R<bool> {
    match (set, item) {
        (Some(set), RV::Str(s)) => Ok(set.contains(s.as_ref())),
        _ => member(list, item),
    }
}

fn member(list: &RV<'_>, item: &RV<'_>) -> R<bool> {
    let RV::List(items) = list else {
        return Err(format!("expected a list, found {}", list.kind()));
    };
    for x in items {
        if equals(item, x)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn call(m: Method, recv: &RV<'_>, arg: &RV<'_>) -> R<bool> {
    match (m, recv, arg) {
        (Method::StartsWith, RV::Str(r), RV::Str(a)) => Ok(r.starts_with(a.as_ref())),
        (Method::EndsWith, RV::Str(r), RV::Str(a)) => Ok(r.ends_with(a.as_ref())),
        (Method::Contains, RV::Str(r), RV::Str(a)) => Ok(r.contains(a.as_ref())),
        (Method::Contains, RV::List(_), item) => member(recv, item),
        (Method::ContainsAll, RV::List(list), RV::List(items)) => {
            let set = string_set(list);
            for i in items {
                if !member_in(recv, set.as_ref(), i)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        (Method::ContainsAny, RV::List(list), RV::List(items)) => {
            let set = string_set(list);
            for i in items {
                if member_in(recv, set.as_ref(), i)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        _ => Err(format!("`{}` cannot be called on {} with {}", m.name(), recv.kind(), arg.kind())),
    }
}

fn scoped(list: &[crate::claims::Scoped], name: &str) -> bool {
    let (want_org, want_user, bare) = if let Some(n) = name.strip_prefix("org:") {
        (true, false, n)
    } else if let Some(n) = name.strip_prefix("user:") {
        (false, true, n)
    } else {
        (false, false, name)
    };
    list.iter().any(|p| p.name == bare && (!want_org || p.org) && (!want_user || p.user))
}

/// The license flag; an error when the declared claim is not a boolean.
pub(crate) fn licensed(policy: &Policy, session: &Session) -> R<bool> {
    let Some(path) = &policy.schema.license else {
        return Ok(false);
    };
    let keys: Vec<&str> = path.segments.iter().map(|s| s.text.as_str()).collect();
    let (map, keys) = match path.root {
        Root::Org => match &session.org {
            Some(o) => (&o.metadata, keys.get(1..).unwrap_or_default()),
            None => return Ok(false),
        },
        _ => (session.claims(), keys.as_slice()),
    };
    let mut cur: Option<&Value> = None;
    for (i, k) in keys.iter().enumerate() {
        cur = if i == 0 {
            map.get(*k)
        } else {
            match cur {
                Some(Value::Object(m)) => m.get(*k),
                _ => return Err("the license claim's parent is not an object".into()),
            }
        };
        if cur.is_none() {
            return Ok(false);
        }
    }
    match cur {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(format!("the license claim must be a boolean, found {}", crate::claims::kind_of(other))),
    }
}

/// What the naive interpreter decides: (allowed, reason, deciding rule id).
///
/// Follows the written semantics step by step: token validity, claims, resource, then
/// every forbid and every permit in file order.
pub fn reference_decide(
    policy: &Policy,
    session: &Session,
    action: &str,
    resource: &Resource,
    context: &Context,
    now: i64,
) -> (bool, String, Option<String>) {
    match session.validity(now, crate::engine::LEEWAY_SECONDS) {
        Validity::Expired => return (false, "session_expired".into(), None),
        Validity::NotYetValid => return (false, "session_not_yet_valid".into(), None),
        Validity::Valid => {}
    }
    if licensed(policy, session).is_err() {
        return (false, "invalid_claims".into(), None);
    }
    let schema = &policy.schema;
    let Some(ty) = schema.types.iter().find(|t| t.name == resource.type_name) else {
        return (false, "unknown_resource_type".into(), None);
    };
    if !ty.actions.iter().any(|a| a == action) {
        return (false, "unknown_action".into(), None);
    }
    if crate::engine::check_resource_naive(ty, resource).is_err() {
        return (false, "invalid_resource".into(), None);
    }
    let env = Env { policy, session, resource, context };
    let applies = |i: usize| {
        schema.rules.get(i).is_some_and(|info| {
            info.applies.iter().any(|(t, a)| schema.types.get(*t).is_some_and(|x| x.name == ty.name) && a == action)
        })
    };
    let mut errored: Option<String> = None;
    for (i, rule) in policy.ast.rules.iter().enumerate() {
        if rule.effect != Effect::Forbid || !applies(i) {
            continue;
        }
        let id = schema.rules.get(i).map(|r| r.id.clone()).unwrap_or_default();
        match Interp::new(&env, false).rule(rule) {
            Outcome::Match => {
                let code = rule.because.as_ref().map(|b| b.text.clone()).unwrap_or_else(|| id.clone());
                return (false, format!("forbidden:{code}"), Some(id));
            }
            Outcome::Error(_) => {
                if errored.is_none() {
                    errored = Some(id);
                }
            }
            Outcome::NoMatch => {}
        }
    }
    if let Some(id) = errored {
        return (false, "forbid_errored".into(), Some(id));
    }
    for (i, rule) in policy.ast.rules.iter().enumerate() {
        if rule.effect != Effect::Permit || !applies(i) {
            continue;
        }
        if Interp::new(&env, false).rule(rule) == Outcome::Match {
            return (true, "permit".into(), schema.rules.get(i).map(|r| r.id.clone()));
        }
    }
    (false, "no_matching_rule".into(), None)
}

/// The `missing` requirements the naive interpreter derives for a deny (the semantics the
/// engine's compiled hints must reproduce): `forbidden` says whether a forbid denied.
pub fn reference_missing(
    policy: &Policy,
    session: &Session,
    action: &str,
    resource: &Resource,
    context: &Context,
    forbidden: bool,
) -> Vec<crate::Requirement> {
    let schema = &policy.schema;
    let rules = (0..policy.ast.rules.len()).filter(|&i| {
        schema.rules.get(i).is_some_and(|info| {
            info.applies
                .iter()
                .any(|(t, a)| a == action && schema.types.get(*t).is_some_and(|ts| ts.name == resource.type_name))
        })
    });
    crate::hints::missing(policy, session, resource, context, forbidden, rules.map(|i| i as u32))
}
