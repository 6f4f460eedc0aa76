//! Partial evaluation of compiled conditions: what is known (the session, the context,
//! literals) is evaluated by the engine's own evaluator; what depends on the row (resource
//! attributes, and in row-level security also the claims) becomes a formula.
//!
//! The engine's evaluator has three outcomes per condition: true, false and error (a
//! missing attribute, a type mismatch). A permit matches only when true; a forbid denies
//! when true *or* error. So every condition becomes a pair of formulas [`Tri`]: `t` (it
//! evaluates to true) and `e` (it raises an error); false is neither. `and` and `or`
//! short-circuit left to right exactly as in `eval.rs`, and list scans stop at the same
//! item, so errors surface under the same circumstances.

use super::formula::{Atom, Kind, Lit, Term, F};
use crate::compile::CExpr;
use crate::eval::{Evaluator, Val};
use crate::policy::ast::{AttrType, CmpOp, Method};

/// Why a construct has no SQL rendering (without the rule id, added by the caller).
pub(crate) type R<T> = Result<T, String>;

/// A condition's outcome as formulas: `t` when it is true, `e` when it errors.
#[derive(Debug, Clone)]
pub(crate) struct Tri {
    pub t: F,
    pub e: F,
}

impl Tri {
    pub fn known(b: bool) -> Tri {
        Tri { t: F::constant(b), e: F::no() }
    }

    pub fn error() -> Tri {
        Tri { t: F::no(), e: F::yes() }
    }

    pub fn when(t: F) -> Tri {
        Tri { t, e: F::no() }
    }

    /// It evaluates to false.
    pub fn falsity(&self) -> F {
        if self.e.is_false() {
            return self.t.not();
        }
        F::all([self.t.not(), self.e.not()])
    }

    /// `a and b and ...`, scanned left to right: true when every item is; an error when the
    /// first item that is not true errors. Flat, so a chain of n items stays O(n²) in size
    /// where nesting the pairwise rule would double it with every item.
    pub fn all(items: &[Tri]) -> Tri {
        let mut errors = Vec::new();
        let mut true_before: Vec<F> = Vec::new();
        for item in items {
            if !item.e.is_false() {
                errors.push(F::all(true_before.iter().cloned().chain([item.e.clone()])));
            }
            true_before.push(item.t.clone());
        }
        Tri { t: F::all(items.iter().map(|i| i.t.clone())), e: F::any(errors) }
    }

    /// `a or b or ...`, scanned left to right: true when the first item that is not false
    /// is true, an error when it errors.
    pub fn any(items: &[Tri]) -> Tri {
        let (mut truths, mut errors) = (Vec::new(), Vec::new());
        let (mut no_error_before, mut not_true_before): (Vec<F>, Vec<F>) = (Vec::new(), Vec::new());
        for item in items {
            truths.push(F::all(no_error_before.iter().cloned().chain([item.t.clone()])));
            if !item.e.is_false() {
                errors.push(F::all(not_true_before.iter().cloned().chain([item.e.clone()])));
                no_error_before.push(item.e.not());
            }
            not_true_before.push(item.t.not());
        }
        Tri { t: F::any(truths), e: F::any(errors) }
    }

    pub fn not(&self) -> Tri {
        Tri { t: self.falsity(), e: self.e.clone() }
    }

    /// The outcome when the operands may be undefined (missing or erroring): an error then.
    pub fn guarded(undefined: &F, r: Tri) -> Tri {
        if undefined.is_false() {
            return r;
        }
        Tri { t: undefined.not().and(&r.t), e: undefined.or(&r.e) }
    }

    pub fn size(&self) -> usize {
        self.t.size().saturating_add(self.e.size())
    }
}

/// A known value, owned (the engine's `Val` borrows from the session).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FVal {
    Bool(bool),
    Int(i64),
    Str(String),
    Object,
    Opaque,
    List(Vec<FVal>),
}

impl FVal {
    pub fn from_val(v: &Val) -> FVal {
        match v {
            Val::Bool(b) => FVal::Bool(*b),
            Val::Int(i) => FVal::Int(*i),
            Val::Str(s) => FVal::Str((*s).to_string()),
            Val::Object => FVal::Object,
            Val::Opaque => FVal::Opaque,
            Val::JsonList(items) => {
                FVal::List(items.iter().map(|i| FVal::from_val(&crate::eval::from_json(i))).collect())
            }
            Val::StrList(items) => FVal::List(items.iter().map(|s| FVal::Str(s.to_string())).collect()),
            Val::IntList(items) => FVal::List(items.iter().map(|i| FVal::Int(*i)).collect()),
            Val::Strings(items) => FVal::List(items.iter().map(|s| FVal::Str(s.clone())).collect()),
            Val::Words(text) => FVal::List(text.split_ascii_whitespace().map(|s| FVal::Str(s.to_string())).collect()),
            Val::Owned(items) => FVal::List(items.iter().map(FVal::from_val).collect()),
        }
    }

    fn to_val(&self) -> Val<'_> {
        match self {
            FVal::Bool(b) => Val::Bool(*b),
            FVal::Int(i) => Val::Int(*i),
            FVal::Str(s) => Val::Str(s),
            FVal::Object => Val::Object,
            FVal::Opaque => Val::Opaque,
            FVal::List(items) => Val::Owned(items.iter().map(FVal::to_val).collect()),
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            FVal::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// An operand, valid where it is defined.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    Known(FVal),
    /// A string, integer or string-list column (or claim, in row-level security).
    Term(Term, Kind),
    /// A boolean that depends on the row.
    Bool(F),
    /// Row-level security: a `jsonb` value whose type is only known at run time.
    Dyn(String),
    /// A list literal with row-dependent items.
    List(Vec<Op>),
}

/// A value: `err` when evaluating it fails, `missing` when it is absent (the engine's
/// `None`); the operand is meaningful only when neither holds.
#[derive(Debug, Clone)]
pub(crate) struct PVal {
    pub err: F,
    pub missing: F,
    pub op: Op,
}

impl PVal {
    pub fn defined(op: Op) -> PVal {
        PVal { err: F::no(), missing: F::no(), op }
    }

    fn error() -> PVal {
        PVal { err: F::yes(), missing: F::no(), op: Op::Known(FVal::Opaque) }
    }

    fn absent() -> PVal {
        PVal { err: F::no(), missing: F::yes(), op: Op::Known(FVal::Opaque) }
    }

    /// `required` fails: an error or a missing value.
    pub fn undefined(&self) -> F {
        self.err.or(&self.missing)
    }
}

/// The claims side of row-level security: how session leaves read the claims in SQL.
pub(crate) trait ClaimsSql {
    fn value(&self, e: &CExpr) -> R<PVal>;
    fn truth(&self, e: &CExpr) -> R<Tri>;
}

/// Row-level security support for run-time typed JSON values.
pub(crate) mod dynsql {
    use super::F;
    use crate::filter::formula::Term;

    pub fn type_is(d: &str, ty: &str) -> F {
        F::sql(format!("COALESCE(jsonb_typeof({d}) = '{ty}', FALSE)"))
    }

    pub fn is_int(d: &str) -> F {
        F::sql(format!("ordinance_json_is_int({d})"))
    }

    pub fn text(d: &str) -> Term {
        Term::Sql(format!("({d} #>> '{{}}')").into())
    }

    pub fn int(d: &str) -> Term {
        Term::Sql(format!("ordinance_json_int({d})").into())
    }
}

pub(crate) struct Sym<'a> {
    /// Evaluates everything that does not depend on the row.
    pub ev: Evaluator<'a>,
    /// The resource type's declared attributes.
    pub attrs: &'a [(Box<str>, AttrType, bool)],
    /// `Some` in row-level security: the session is symbolic too.
    pub claims: Option<&'a dyn ClaimsSql>,
}

fn not_expressible(what: impl std::fmt::Display) -> String {
    what.to_string()
}

impl<'a> Sym<'a> {
    fn is_session_leaf(e: &CExpr) -> bool {
        matches!(
            e,
            CExpr::User
                | CExpr::UserId
                | CExpr::Org
                | CExpr::OrgId
                | CExpr::OrgSlug
                | CExpr::OrgRole
                | CExpr::OrgPermissions
                | CExpr::OrgMetadata(_)
                | CExpr::SessionId
                | CExpr::SessionAzp
                | CExpr::SessionIss
                | CExpr::SessionExp
                | CExpr::SessionNbf
                | CExpr::SessionIat
                | CExpr::Actor(_)
                | CExpr::Claims(_)
                | CExpr::HasPermission(_)
                | CExpr::HasRole(_)
                | CExpr::HasPlan(..)
                | CExpr::HasFeature(..)
                | CExpr::Licensed
                | CExpr::VerifiedWithin(..)
        )
    }

    /// Whether `e` depends on the row.
    pub fn symbolic(&self, e: &CExpr) -> bool {
        match e {
            CExpr::ResourceAttr(_) | CExpr::ResourceId => true,
            CExpr::Not(a) | CExpr::Scopes(a) | CExpr::Present(a) => self.symbolic(a),
            CExpr::And(a, b) | CExpr::Or(a, b) | CExpr::Cmp(_, a, b) | CExpr::In(a, b) | CExpr::Call(_, a, b) => {
                self.symbolic(a) || self.symbolic(b)
            }
            CExpr::List(items) => items.iter().any(|i| self.symbolic(i)),
            leaf => self.claims.is_some() && Sym::is_session_leaf(leaf),
        }
    }

    fn static_value(&self, e: &'a CExpr) -> PVal {
        match self.ev.value(e) {
            Err(_) => PVal::error(),
            Ok(None) => PVal::absent(),
            Ok(Some(v)) => PVal::defined(Op::Known(FVal::from_val(&v))),
        }
    }

    pub fn truth(&self, e: &'a CExpr) -> R<Tri> {
        if !self.symbolic(e) {
            return Ok(match self.ev.truth(e) {
                Ok(b) => Tri::known(b),
                Err(_) => Tri::error(),
            });
        }
        match e {
            CExpr::And(..) => Ok(Tri::all(&self.chain(e, true)?)),
            CExpr::Or(..) => Ok(Tri::any(&self.chain(e, false)?)),
            CExpr::Not(a) => Ok(self.truth(a)?.not()),
            CExpr::Cmp(op, a, b) => {
                let (x, y) = (self.value(a)?, self.value(b)?);
                let r = match op {
                    CmpOp::Eq => eq(&x.op, &y.op)?,
                    CmpOp::Ne => {
                        let r = eq(&x.op, &y.op)?;
                        Tri { t: r.falsity(), e: r.e }
                    }
                    _ => order(*op, &x.op, &y.op)?,
                };
                Ok(Tri::guarded(&x.undefined().or(&y.undefined()), r))
            }
            CExpr::In(a, b) => {
                let (x, y) = (self.value(a)?, self.value(b)?);
                Ok(Tri::guarded(&x.undefined().or(&y.undefined()), member(&y.op, &x.op)?))
            }
            CExpr::Call(m, recv, arg) => {
                let (r, a) = (self.value(recv)?, self.value(arg)?);
                Ok(Tri::guarded(&r.undefined().or(&a.undefined()), call(*m, &r.op, &a.op)?))
            }
            CExpr::Present(p) => {
                let v = self.value(p)?;
                let present = match &v.op {
                    // A JSON null counts as absent for `present`.
                    Op::Dyn(d) => F::sql(format!("COALESCE(jsonb_typeof({d}) <> 'null', FALSE)")),
                    _ => F::yes(),
                };
                Ok(Tri { t: F::all([v.err.not(), v.missing.not(), present]), e: v.err })
            }
            leaf if is_boolean_leaf(leaf) => match self.claims {
                Some(c) => c.truth(leaf),
                None => Err(not_expressible("a session test that depends on the row")),
            },
            other => self.truthy(self.value(other)?),
        }
    }

    /// The operands of a chain of `and` (or of `or`), in evaluation order.
    fn chain(&self, e: &'a CExpr, and: bool) -> R<Vec<Tri>> {
        let mut out = Vec::new();
        let mut stack = vec![e];
        while let Some(x) = stack.pop() {
            match (x, and) {
                (CExpr::And(a, b), true) | (CExpr::Or(a, b), false) => {
                    stack.push(b);
                    stack.push(a);
                }
                _ => out.push(self.truth(x)?),
            }
        }
        Ok(out)
    }

    /// A value in condition position: absent is false, booleans are themselves, objects
    /// are true, anything else is an error.
    fn truthy(&self, v: PVal) -> R<Tri> {
        let (t, e) = match &v.op {
            Op::Known(FVal::Bool(b)) => (F::constant(*b), F::no()),
            Op::Known(FVal::Object) => (F::yes(), F::no()),
            Op::Known(_) | Op::Term(..) | Op::List(_) => (F::no(), F::yes()),
            Op::Bool(f) => (f.clone(), F::no()),
            Op::Dyn(d) => (
                F::sql(format!("COALESCE({d} = 'true'::jsonb OR jsonb_typeof({d}) = 'object', FALSE)")),
                F::sql(format!("COALESCE(jsonb_typeof({d}) NOT IN ('boolean', 'object'), TRUE)")),
            ),
        };
        Ok(Tri { t: F::all([v.err.not(), v.missing.not(), t]), e: v.err.or(&v.missing.not().and(&e)) })
    }

    pub fn value(&self, e: &'a CExpr) -> R<PVal> {
        if !self.symbolic(e) {
            return Ok(self.static_value(e));
        }
        match e {
            CExpr::ResourceAttr(name) => self.attr(name),
            CExpr::ResourceId => {
                let t = Term::Attr("id".into());
                Ok(PVal { err: F::no(), missing: F::atom(Atom::Present(t.clone())).not(), op: Op::Term(t, Kind::Str) })
            }
            CExpr::List(items) => {
                let mut err = F::no();
                let mut ops = Vec::with_capacity(items.len());
                for i in items.iter() {
                    let v = self.value(i)?;
                    err = err.or(&v.undefined());
                    ops.push(v.op);
                }
                Ok(PVal { err, missing: F::no(), op: Op::List(ops) })
            }
            CExpr::Scopes(_) => Err(not_expressible("`scopes` of a value read from the row")),
            leaf if Sym::is_session_leaf(leaf) && !is_boolean_leaf(leaf) => match self.claims {
                Some(c) => c.value(leaf),
                None => Ok(self.static_value(leaf)),
            },
            boolean => {
                let r = self.truth(boolean)?;
                Ok(PVal { err: r.e, missing: F::no(), op: Op::Bool(r.t) })
            }
        }
    }

    fn attr(&self, name: &str) -> R<PVal> {
        let Some((_, ty, optional)) = self.attrs.iter().find(|(n, _, _)| n.as_ref() == name) else {
            return Err(not_expressible(format!("attribute `{name}` is not declared on the resource type")));
        };
        let t = Term::Attr(name.into());
        let missing = if *optional { F::atom(Atom::Present(t.clone())).not() } else { F::no() };
        let op = match Kind::of(*ty) {
            Some(kind) => Op::Term(t, kind),
            None => Op::Bool(F::atom(Atom::IsTrue(t))),
        };
        Ok(PVal { err: F::no(), missing, op })
    }
}

fn is_boolean_leaf(e: &CExpr) -> bool {
    matches!(
        e,
        CExpr::HasPermission(_)
            | CExpr::HasRole(_)
            | CExpr::HasPlan(..)
            | CExpr::HasFeature(..)
            | CExpr::Licensed
            | CExpr::VerifiedWithin(..)
    )
}

fn known_eq(x: &FVal, y: &FVal) -> Tri {
    match crate::eval::equals(&x.to_val(), &y.to_val()) {
        Ok(b) => Tri::known(b),
        Err(_) => Tri::error(),
    }
}

/// Left-to-right `and` over the items of a list: stops at the first non-true item.
fn all_chain(items: impl IntoIterator<Item = R<Tri>>) -> R<Tri> {
    Ok(Tri::all(&items.into_iter().collect::<R<Vec<Tri>>>()?))
}

/// Left-to-right `or` over the items of a list: stops at the first true item.
fn any_chain(items: impl IntoIterator<Item = R<Tri>>) -> R<Tri> {
    Ok(Tri::any(&items.into_iter().collect::<R<Vec<Tri>>>()?))
}

/// The engine's `equals`: same-kind scalars compare, lists compare item by item after
/// their lengths, anything else is an error.
pub(crate) fn eq(a: &Op, b: &Op) -> R<Tri> {
    use Op::*;
    match (a, b) {
        (Known(x), Known(y)) => Ok(known_eq(x, y)),
        (Dyn(d), other) | (other, Dyn(d)) => dyn_eq(d, other),
        (List(xs), List(ys)) => {
            if xs.len() != ys.len() {
                return Ok(Tri::known(false));
            }
            all_chain(xs.iter().zip(ys).map(|(x, y)| eq(x, y)))
        }
        (List(xs), Known(FVal::List(ys))) | (Known(FVal::List(ys)), List(xs)) => {
            if xs.len() != ys.len() {
                return Ok(Tri::known(false));
            }
            all_chain(xs.iter().zip(ys).map(|(x, y)| eq(x, &Known(y.clone()))))
        }
        (List(_), Term(_, Kind::StrList)) | (Term(_, Kind::StrList), List(_)) => {
            Err(not_expressible("comparing a list written in the policy with a list read from the row"))
        }
        (List(_), _) | (_, List(_)) => Ok(Tri::error()),
        (Term(t, k), Known(x)) | (Known(x), Term(t, k)) => term_known_eq(t, *k, x),
        (Term(s, ks), Term(u, ku)) => Ok(match (ks, ku) {
            (Kind::StrList, Kind::StrList) => Tri::when(F::atom(Atom::ListEq(s.clone(), u.clone()))),
            (x, y) if x == y => Tri::when(F::atom(Atom::Eq(s.clone(), u.clone()))),
            _ => Tri::error(),
        }),
        (Bool(f), Known(FVal::Bool(b))) | (Known(FVal::Bool(b)), Bool(f)) => {
            Ok(Tri::when(if *b { f.clone() } else { f.not() }))
        }
        (Bool(f), Bool(g)) => Ok(Tri::when(f.iff(g))),
        (Bool(_), _) | (_, Bool(_)) => Ok(Tri::error()),
    }
}

fn term_known_eq(t: &Term, kind: Kind, x: &FVal) -> R<Tri> {
    Ok(match (kind, x) {
        (Kind::Str, FVal::Str(s)) => Tri::when(F::atom(Atom::Eq(t.clone(), Term::Lit(Lit::Str(s.clone()))))),
        (Kind::Int, FVal::Int(i)) => Tri::when(F::atom(Atom::Eq(t.clone(), Term::Lit(Lit::Int(*i))))),
        (Kind::StrList, FVal::List(items)) => {
            if items.is_empty() {
                Tri::when(F::atom(Atom::Len(t.clone(), 0)))
            } else if let Some(strs) = all_strs(items) {
                Tri::when(F::atom(Atom::ListEq(t.clone(), Term::Lit(Lit::StrList(strs)))))
            } else if items.first().and_then(FVal::as_str).is_none() {
                // Same length: the first item comparison is an error; else false.
                Tri { t: F::no(), e: F::atom(Atom::Len(t.clone(), items.len())) }
            } else {
                return Err(not_expressible("comparing a list attribute with a list that mixes value types"));
            }
        }
        _ => Tri::error(),
    })
}

fn all_strs(items: &[FVal]) -> Option<Vec<String>> {
    items.iter().map(|i| i.as_str().map(str::to_string)).collect()
}

fn all_ints(items: &[FVal]) -> Option<Vec<i64>> {
    items
        .iter()
        .map(|i| match i {
            FVal::Int(n) => Some(*n),
            _ => None,
        })
        .collect()
}

/// Row-level security: equality with a run-time typed JSON value.
fn dyn_eq(d: &str, other: &Op) -> R<Tri> {
    let typed = |ty: &str, t: F| Tri { t: dynsql::type_is(d, ty).and(&t), e: dynsql::type_is(d, ty).not() };
    Ok(match other {
        Op::Known(FVal::Str(s)) => typed("string", F::atom(Atom::Eq(dynsql::text(d), Term::Lit(Lit::Str(s.clone()))))),
        Op::Term(t, Kind::Str) => typed("string", F::atom(Atom::Eq(dynsql::text(d), t.clone()))),
        Op::Known(FVal::Bool(b)) => typed("boolean", F::sql(format!("{d} = '{b}'::jsonb"))),
        Op::Bool(f) => typed("boolean", F::sql(format!("{d} = 'true'::jsonb")).iff(f)),
        Op::Known(FVal::Int(i)) => Tri {
            t: dynsql::is_int(d).and(&F::atom(Atom::Eq(dynsql::int(d), Term::Lit(Lit::Int(*i))))),
            e: dynsql::is_int(d).not(),
        },
        Op::Term(t, Kind::Int) => {
            Tri { t: dynsql::is_int(d).and(&F::atom(Atom::Eq(dynsql::int(d), t.clone()))), e: dynsql::is_int(d).not() }
        }
        Op::Known(FVal::Object | FVal::Opaque) => Tri::error(),
        _ => return Err(not_expressible("comparing a claim whose type is only known at run time with this value")),
    })
}

/// `<`, `<=`, `>`, `>=`: integers only, anything else is an error.
fn order(op: CmpOp, a: &Op, b: &Op) -> R<Tri> {
    let int_term = |o: &Op| -> R<Option<(Term, F)>> {
        Ok(match o {
            Op::Known(FVal::Int(i)) => Some((Term::Lit(Lit::Int(*i)), F::yes())),
            Op::Term(t, Kind::Int) => Some((t.clone(), F::yes())),
            Op::Dyn(d) => Some((dynsql::int(d), dynsql::is_int(d))),
            _ => None,
        })
    };
    if let (Op::Known(FVal::Int(x)), Op::Known(FVal::Int(y))) = (a, b) {
        return Ok(Tri::known(match op {
            CmpOp::Lt => x < y,
            CmpOp::Le => x <= y,
            CmpOp::Gt => x > y,
            _ => x >= y,
        }));
    }
    if matches!((a, b), (Op::Dyn(_), Op::Dyn(_))) {
        return Err(not_expressible("ordering two claims whose types are only known at run time"));
    }
    Ok(match (int_term(a)?, int_term(b)?) {
        (Some((x, okx)), Some((y, oky))) => {
            let ok = okx.and(&oky);
            Tri { t: ok.and(&F::atom(Atom::Order(op, x, y))), e: ok.not() }
        }
        _ => Tri::error(),
    })
}

/// The engine's `member(list, item)`: scans the list in order with `equals`.
pub(crate) fn member(list: &Op, item: &Op) -> R<Tri> {
    match list {
        Op::Known(FVal::List(xs)) if xs.is_empty() => Ok(Tri::known(false)),
        Op::Known(FVal::List(xs)) => {
            match item {
                Op::Term(t, Kind::Str) => {
                    if let Some(strs) = all_strs(xs) {
                        return Ok(Tri::when(F::atom(Atom::Member(t.clone(), Term::Lit(Lit::StrList(strs))))));
                    }
                }
                Op::Term(t, Kind::Int) => {
                    if let Some(ints) = all_ints(xs) {
                        return Ok(Tri::when(F::atom(Atom::Member(t.clone(), Term::Lit(Lit::IntList(ints))))));
                    }
                }
                _ => {}
            }
            any_chain(xs.iter().map(|x| eq(item, &Op::Known(x.clone()))))
        }
        Op::List(ops) => any_chain(ops.iter().map(|x| eq(item, x))),
        Op::Term(c, Kind::StrList) => Ok(match item {
            Op::Known(FVal::Str(s)) => Tri::when(F::atom(Atom::Member(Term::Lit(Lit::Str(s.clone())), c.clone()))),
            Op::Term(u, Kind::Str) => Tri::when(F::atom(Atom::Member(u.clone(), c.clone()))),
            Op::Dyn(d) => {
                let is_str = dynsql::type_is(d, "string");
                Tri {
                    t: is_str.and(&F::atom(Atom::Member(dynsql::text(d), c.clone()))),
                    e: is_str.not().and(&F::atom(Atom::NonEmpty(c.clone()))),
                }
            }
            // Comparing anything but a string with the first item is an error.
            _ => Tri { t: F::no(), e: F::atom(Atom::NonEmpty(c.clone())) },
        }),
        Op::Dyn(_) => Err(not_expressible("a list claim whose items are only known at run time")),
        _ => Ok(Tri::error()),
    }
}

/// A string operand and the condition under which it is one.
fn as_str(o: &Op) -> Option<(Term, F)> {
    match o {
        Op::Known(FVal::Str(s)) => Some((Term::Lit(Lit::Str(s.clone())), F::yes())),
        Op::Term(t, Kind::Str) => Some((t.clone(), F::yes())),
        Op::Dyn(d) => Some((dynsql::text(d), dynsql::type_is(d, "string"))),
        _ => None,
    }
}

fn is_list(o: &Op) -> bool {
    matches!(o, Op::Known(FVal::List(_)) | Op::List(_) | Op::Term(_, Kind::StrList))
}

/// The engine's `call`: string methods and list containment.
pub(crate) fn call(m: Method, recv: &Op, arg: &Op) -> R<Tri> {
    if let (Op::Known(r), Op::Known(a)) = (recv, arg) {
        return Ok(match crate::eval::call(m, &r.to_val(), &a.to_val()) {
            Ok(b) => Tri::known(b),
            Err(_) => Tri::error(),
        });
    }
    match m {
        Method::StartsWith | Method::EndsWith => Ok(match (as_str(recv), as_str(arg)) {
            (Some((r, okr)), Some((a, oka))) => {
                let atom = if m == Method::StartsWith { Atom::StartsWith(r, a) } else { Atom::EndsWith(r, a) };
                let ok = okr.and(&oka);
                Tri { t: ok.and(&F::atom(atom)), e: ok.not() }
            }
            _ => Tri::error(),
        }),
        Method::Contains => match recv {
            Op::Dyn(_) => Err(not_expressible("`contains` on a claim whose type is only known at run time")),
            Op::Known(FVal::Str(_)) | Op::Term(_, Kind::Str) => Ok(match (as_str(recv), as_str(arg)) {
                (Some((r, okr)), Some((a, oka))) => {
                    let ok = okr.and(&oka);
                    Tri { t: ok.and(&F::atom(Atom::Contains(r, a))), e: ok.not() }
                }
                _ => Tri::error(),
            }),
            list if is_list(list) => member(list, arg),
            _ => Ok(Tri::error()),
        },
        Method::ContainsAll | Method::ContainsAny => {
            let all = m == Method::ContainsAll;
            if matches!(recv, Op::Dyn(_)) || matches!(arg, Op::Dyn(_)) {
                return Err(not_expressible(format!("`{}` on a claim whose type is only known at run time", m.name())));
            }
            if !is_list(recv) {
                return Ok(Tri::error());
            }
            match arg {
                Op::Known(FVal::List(items)) => {
                    if let (Op::Term(c, Kind::StrList), Some(strs)) = (recv, all_strs(items)) {
                        let lit = Term::Lit(Lit::StrList(strs));
                        let atom = if all { Atom::Subset(lit, c.clone()) } else { Atom::Overlaps(c.clone(), lit) };
                        return Ok(Tri::when(F::atom(atom)));
                    }
                    let tris = items.iter().map(|i| member(recv, &Op::Known(i.clone())));
                    if all {
                        all_chain(tris)
                    } else {
                        any_chain(tris)
                    }
                }
                Op::List(ops) => {
                    let tris = ops.iter().map(|i| member(recv, i));
                    if all {
                        all_chain(tris)
                    } else {
                        any_chain(tris)
                    }
                }
                Op::Term(c, Kind::StrList) => list_of_row_items(all, recv, c),
                _ => Ok(Tri::error()),
            }
        }
    }
}

/// `recv.contains_all(c)` / `recv.contains_any(c)` where `c` is a string list from the row,
/// scanned item by item in an order SQL cannot see.
fn list_of_row_items(all: bool, recv: &Op, c: &Term) -> R<Tri> {
    match recv {
        Op::Term(d, Kind::StrList) => {
            let atom = if all { Atom::Subset(c.clone(), d.clone()) } else { Atom::Overlaps(c.clone(), d.clone()) };
            Ok(Tri::when(F::atom(atom)))
        }
        Op::Known(FVal::List(items)) => {
            // Each row item is a string: it is found among the string items before the first
            // non-string one; past that, comparing with a non-string is an error.
            let bad = items.iter().position(|i| i.as_str().is_none());
            let prefix: Vec<String> =
                items.iter().take(bad.unwrap_or(items.len())).filter_map(|i| i.as_str().map(str::to_string)).collect();
            let lit = Term::Lit(Lit::StrList(prefix.clone()));
            if all {
                let subset = F::atom(Atom::Subset(c.clone(), lit));
                let e = if bad.is_some() { subset.not() } else { F::no() };
                Ok(Tri { t: subset, e })
            } else if bad.is_none() {
                Ok(Tri::when(F::atom(Atom::Overlaps(c.clone(), lit))))
            } else if prefix.is_empty() {
                Ok(Tri { t: F::no(), e: F::atom(Atom::NonEmpty(c.clone())) })
            } else {
                Err(not_expressible("`contains_any` of a list attribute in a list that mixes value types"))
            }
        }
        _ => Err(not_expressible("a list built from row values, scanned by a list attribute")),
    }
}
