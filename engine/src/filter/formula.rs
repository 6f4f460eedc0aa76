//! The residual condition: a two-valued boolean formula over resource attributes.
//!
//! Every formula the partial evaluator builds is *definite* on a valid row: an atom whose
//! operand may be missing (an optional attribute, a claim in row-level security) only ever
//! appears under a conjunction with its presence test, so SQL's three-valued logic never
//! lets a `NULL` escape. [`F::eval`] evaluates with the same three-valued (Kleene) logic
//! SQL uses, which lets the tests check that property on every row they generate.
//!
//! Nodes are shared (`Arc`) and carry their tree size, so building is cheap and the size
//! of the rendered SQL is known before it is rendered.

use crate::policy::ast::{AttrType, CmpOp};
use crate::resource::Resource;
use serde_json::{json, Value};
use std::sync::Arc;

/// The largest residual (counted as a tree, shared nodes counted each time) the filter
/// renders; beyond it the policy is reported as too complex rather than rendered.
pub(crate) const MAX_NODES: usize = 20_000;

/// A literal value, bound as a parameter (or quoted, in row-level security).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Lit {
    Str(String),
    Int(i64),
    StrList(Vec<String>),
    IntList(Vec<i64>),
}

impl Lit {
    pub fn to_json(&self) -> Value {
        match self {
            Lit::Str(s) => Value::String(s.clone()),
            Lit::Int(i) => Value::from(*i),
            Lit::StrList(items) => Value::from(items.clone()),
            Lit::IntList(items) => Value::from(items.clone()),
        }
    }

    /// The PostgreSQL type the parameter is cast to.
    pub fn sql_type(&self) -> &'static str {
        match self {
            Lit::Str(_) => "text",
            Lit::Int(_) => "bigint",
            Lit::StrList(_) => "text[]",
            Lit::IntList(_) => "bigint[]",
        }
    }
}

/// An operand of an atom.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Term {
    /// A resource attribute (`id` is the resource id), read from its column.
    Attr(Box<str>),
    Lit(Lit),
    /// Row-level security only: a rendered SQL expression over the claims.
    Sql(Box<str>),
}

/// A test on the row. Operands are defined wherever the formula structure reaches the atom.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Atom {
    /// The operand is not SQL `NULL`.
    Present(Term),
    /// A boolean operand is true.
    IsTrue(Term),
    /// Equal strings or integers.
    Eq(Term, Term),
    /// Equal string lists (same items in the same order).
    ListEq(Term, Term),
    /// `<`, `<=`, `>`, `>=` on integers.
    Order(CmpOp, Term, Term),
    StartsWith(Term, Term),
    EndsWith(Term, Term),
    /// Substring test.
    Contains(Term, Term),
    /// The item (left) is in the list (right).
    Member(Term, Term),
    /// Every item of the left list is in the right list.
    Subset(Term, Term),
    /// The lists share an item.
    Overlaps(Term, Term),
    /// The list has exactly this many items.
    Len(Term, usize),
    NonEmpty(Term),
    /// Row-level security only: a rendered SQL predicate that is never `NULL`.
    Sql(Box<str>),
}

#[derive(Debug, PartialEq)]
pub(crate) enum Node {
    Const(bool),
    Atom(Atom),
    Not(F),
    And(Vec<F>),
    Or(Vec<F>),
}

/// A shared formula node with its tree size.
#[derive(Debug, Clone)]
pub(crate) struct F(Arc<(Node, usize)>);

impl PartialEq for F {
    fn eq(&self, other: &F) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || (self.size() == other.size() && self.node() == other.node())
    }
}

impl F {
    fn new(node: Node) -> F {
        let size = match &node {
            Node::Const(_) | Node::Atom(_) => 1,
            Node::Not(x) => x.size().saturating_add(1),
            Node::And(xs) | Node::Or(xs) => xs.iter().fold(1usize, |n, x| n.saturating_add(x.size())),
        };
        F(Arc::new((node, size)))
    }

    pub fn node(&self) -> &Node {
        &self.0 .0
    }

    /// Nodes in the tree, shared ones counted each time they appear.
    pub fn size(&self) -> usize {
        self.0 .1
    }

    pub fn constant(b: bool) -> F {
        F::new(Node::Const(b))
    }

    pub fn yes() -> F {
        F::constant(true)
    }

    pub fn no() -> F {
        F::constant(false)
    }

    pub fn atom(a: Atom) -> F {
        F::new(Node::Atom(a))
    }

    pub fn sql(predicate: impl Into<Box<str>>) -> F {
        F::atom(Atom::Sql(predicate.into()))
    }

    pub fn as_const(&self) -> Option<bool> {
        match self.node() {
            Node::Const(b) => Some(*b),
            _ => None,
        }
    }

    pub fn is_true(&self) -> bool {
        self.as_const() == Some(true)
    }

    pub fn is_false(&self) -> bool {
        self.as_const() == Some(false)
    }

    pub fn not(&self) -> F {
        match self.node() {
            Node::Const(b) => F::constant(!b),
            Node::Not(x) => x.clone(),
            _ => F::new(Node::Not(self.clone())),
        }
    }

    pub fn and(&self, other: &F) -> F {
        F::all([self.clone(), other.clone()])
    }

    pub fn or(&self, other: &F) -> F {
        F::any([self.clone(), other.clone()])
    }

    /// Conjunction: flattened, constants folded, duplicates dropped.
    pub fn all(parts: impl IntoIterator<Item = F>) -> F {
        F::all_of(parts.into_iter().collect())
    }

    // One body for every caller's iterator type: the WebAssembly build pays for it once.
    fn all_of(parts: Vec<F>) -> F {
        let mut out: Vec<F> = Vec::new();
        for p in parts {
            match p.node() {
                Node::Const(true) => {}
                Node::Const(false) => return F::no(),
                Node::And(xs) => {
                    for x in xs {
                        push_unique(&mut out, x.clone());
                    }
                }
                _ => push_unique(&mut out, p),
            }
        }
        if has_complements(&out) {
            return F::no();
        }
        absorb(&mut out, |n| matches!(n, Node::Or(_)));
        match out.len() {
            0 => F::yes(),
            1 => out.pop().unwrap_or_else(F::yes),
            _ => F::new(Node::And(out)),
        }
    }

    /// Disjunction: flattened, constants folded, duplicates dropped.
    pub fn any(parts: impl IntoIterator<Item = F>) -> F {
        F::any_of(parts.into_iter().collect())
    }

    fn any_of(parts: Vec<F>) -> F {
        let mut out: Vec<F> = Vec::new();
        for p in parts {
            match p.node() {
                Node::Const(false) => {}
                Node::Const(true) => return F::yes(),
                Node::Or(xs) => {
                    for x in xs {
                        push_unique(&mut out, x.clone());
                    }
                }
                _ => push_unique(&mut out, p),
            }
        }
        if has_complements(&out) {
            return F::yes();
        }
        absorb(&mut out, |n| matches!(n, Node::And(_)));
        match out.len() {
            0 => F::no(),
            1 => out.pop().unwrap_or_else(F::no),
            _ => F::new(Node::Or(out)),
        }
    }

    /// `a == b` for two booleans.
    pub fn iff(&self, other: &F) -> F {
        F::any([self.and(other), self.not().and(&other.not())])
    }

    /// The formula as JSON: `{"op": "and", "args": [...]}`, `{"op": "eq", "left": {"attr": "owner_id"},
    /// "right": {"value": "org_1"}}`, ...
    pub fn to_json(&self) -> Value {
        match self.node() {
            Node::Const(b) => Value::Bool(*b),
            Node::Not(x) => json!({"op": "not", "arg": x.to_json()}),
            Node::And(xs) => json!({"op": "and", "args": xs.iter().map(F::to_json).collect::<Vec<_>>()}),
            Node::Or(xs) => json!({"op": "or", "args": xs.iter().map(F::to_json).collect::<Vec<_>>()}),
            Node::Atom(a) => a.to_json(),
        }
    }

    /// Three-valued evaluation on a resource, as SQL evaluates the rendered formula:
    /// `None` is SQL `NULL`. `Err` for row-level-security atoms, which need a database.
    pub fn eval(&self, r: &Resource) -> Result<Option<bool>, ()> {
        Ok(match self.node() {
            Node::Const(b) => Some(*b),
            Node::Atom(a) => a.eval(r)?,
            Node::Not(x) => x.eval(r)?.map(|b| !b),
            Node::And(xs) => {
                let mut out = Some(true);
                for x in xs {
                    match x.eval(r)? {
                        Some(false) => return Ok(Some(false)),
                        None => out = None,
                        Some(true) => {}
                    }
                }
                out
            }
            Node::Or(xs) => {
                let mut out = Some(false);
                for x in xs {
                    match x.eval(r)? {
                        Some(true) => return Ok(Some(true)),
                        None => out = None,
                        Some(false) => {}
                    }
                }
                out
            }
        })
    }
}

/// `x` and `not x` side by side (only atoms are compared, to keep this cheap). In SQL's
/// logic `x AND NOT x` is `NULL`, not `FALSE`, when `x` is: folding it is sound because the
/// formulas built here are definite (see the module docs).
fn has_complements(parts: &[F]) -> bool {
    parts.iter().any(|p| match p.node() {
        Node::Not(x) if matches!(x.node(), Node::Atom(_)) => parts.iter().any(|q| q == x),
        _ => false,
    })
}

/// Absorption: in a disjunction, `x OR (x AND y)` is `x`; in a conjunction, `x AND (x OR y)`
/// is `x`. `inner` says which compound parts may be absorbed.
fn absorb(parts: &mut Vec<F>, inner: impl Fn(&Node) -> bool) {
    let absorbed: Vec<bool> = parts
        .iter()
        .map(|p| match p.node() {
            Node::And(xs) | Node::Or(xs) if inner(p.node()) => {
                parts.iter().any(|q| !std::ptr::eq(q, p) && !inner(q.node()) && xs.contains(q))
            }
            _ => false,
        })
        .collect();
    let mut i = 0;
    parts.retain(|_| {
        let keep = !absorbed.get(i).copied().unwrap_or(false);
        i += 1;
        keep
    });
}

fn push_unique(out: &mut Vec<F>, f: F) {
    if !out.contains(&f) {
        out.push(f);
    }
}

fn term_json(t: &Term) -> Value {
    match t {
        Term::Attr(name) => json!({"attr": name.as_ref()}),
        Term::Lit(l) => json!({"value": l.to_json()}),
        Term::Sql(s) => json!({"sql": s.as_ref()}),
    }
}

impl Atom {
    pub fn name(&self) -> &'static str {
        match self {
            Atom::Present(_) => "present",
            Atom::IsTrue(_) => "is_true",
            Atom::Eq(..) | Atom::ListEq(..) => "eq",
            Atom::Order(CmpOp::Lt, ..) => "lt",
            Atom::Order(CmpOp::Le, ..) => "le",
            Atom::Order(CmpOp::Gt, ..) => "gt",
            Atom::Order(..) => "ge",
            Atom::StartsWith(..) => "starts_with",
            Atom::EndsWith(..) => "ends_with",
            Atom::Contains(..) => "contains",
            Atom::Member(..) => "in",
            Atom::Subset(..) => "subset",
            Atom::Overlaps(..) => "overlaps",
            Atom::Len(..) => "len_eq",
            Atom::NonEmpty(_) => "non_empty",
            Atom::Sql(_) => "sql",
        }
    }

    fn to_json(&self) -> Value {
        let op = self.name();
        match self {
            Atom::Present(t) | Atom::IsTrue(t) | Atom::NonEmpty(t) => json!({"op": op, "arg": term_json(t)}),
            Atom::Eq(a, b)
            | Atom::ListEq(a, b)
            | Atom::Order(_, a, b)
            | Atom::StartsWith(a, b)
            | Atom::EndsWith(a, b)
            | Atom::Contains(a, b)
            | Atom::Member(a, b)
            | Atom::Subset(a, b)
            | Atom::Overlaps(a, b) => json!({"op": op, "left": term_json(a), "right": term_json(b)}),
            Atom::Len(t, n) => json!({"op": op, "left": term_json(t), "right": {"value": n}}),
            Atom::Sql(s) => json!({"op": op, "sql": s.as_ref()}),
        }
    }

    fn eval(&self, r: &Resource) -> Result<Option<bool>, ()> {
        let v = |t: &Term| term_value(t, r);
        Ok(match self {
            Atom::Present(t) => Some(v(t)?.is_some()),
            Atom::IsTrue(t) => v(t)?.and_then(|x| x.as_bool()),
            Atom::Eq(a, b) | Atom::ListEq(a, b) => both(v(a)?, v(b)?, |x, y| Some(x == y)),
            Atom::Order(op, a, b) => both(v(a)?, v(b)?, |x, y| {
                let (x, y) = (x.as_i64()?, y.as_i64()?);
                Some(match op {
                    CmpOp::Lt => x < y,
                    CmpOp::Le => x <= y,
                    CmpOp::Gt => x > y,
                    _ => x >= y,
                })
            }),
            Atom::StartsWith(a, b) => both(v(a)?, v(b)?, |x, y| Some(x.as_str()?.starts_with(y.as_str()?))),
            Atom::EndsWith(a, b) => both(v(a)?, v(b)?, |x, y| Some(x.as_str()?.ends_with(y.as_str()?))),
            Atom::Contains(a, b) => both(v(a)?, v(b)?, |x, y| Some(x.as_str()?.contains(y.as_str()?))),
            Atom::Member(a, b) => both(v(a)?, v(b)?, |x, y| Some(y.as_array()?.contains(&x))),
            Atom::Subset(a, b) => both(v(a)?, v(b)?, |x, y| {
                let y = y.as_array()?;
                Some(x.as_array()?.iter().all(|i| y.contains(i)))
            }),
            Atom::Overlaps(a, b) => both(v(a)?, v(b)?, |x, y| {
                let y = y.as_array()?;
                Some(x.as_array()?.iter().any(|i| y.contains(i)))
            }),
            Atom::Len(t, n) => v(t)?.and_then(|x| Some(x.as_array()?.len() == *n)),
            Atom::NonEmpty(t) => v(t)?.and_then(|x| Some(!x.as_array()?.is_empty())),
            Atom::Sql(_) => return Err(()),
        })
    }
}

fn both(a: Option<Value>, b: Option<Value>, f: impl FnOnce(Value, Value) -> Option<bool>) -> Option<bool> {
    f(a?, b?)
}

/// The value SQL would read for a term: `None` for `NULL`.
fn term_value(t: &Term, r: &Resource) -> Result<Option<Value>, ()> {
    Ok(match t {
        Term::Attr(name) if name.as_ref() == "id" => r.id().map(|s| Value::String(s.to_string())),
        Term::Attr(name) => r.attr(name).filter(|v| !v.is_null()).cloned(),
        Term::Lit(l) => Some(l.to_json()),
        Term::Sql(_) => return Err(()),
    })
}

/// The static kind of a symbolic scalar operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Str,
    Int,
    StrList,
}

impl Kind {
    pub fn of(ty: AttrType) -> Option<Kind> {
        match ty {
            AttrType::String => Some(Kind::Str),
            AttrType::Int => Some(Kind::Int),
            AttrType::StringList => Some(Kind::StrList),
            AttrType::Bool => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn eq(attr: &str, v: &str) -> F {
        F::atom(Atom::Eq(Term::Attr(attr.into()), Term::Lit(Lit::Str(v.into()))))
    }

    #[test]
    fn constants_fold_and_duplicates_drop() {
        let a = eq("owner_id", "u");
        assert!(F::all([F::yes(), a.clone(), F::no()]).is_false());
        assert!(F::any([F::no(), a.clone(), F::yes()]).is_true());
        assert_eq!(F::all([a.clone(), a.clone()]), a);
        assert_eq!(a.not().not(), a);
        assert_eq!(F::any([a.clone(), F::any([a.clone(), eq("x", "y")])]).size(), 3);
    }

    #[test]
    fn absorption() {
        let (a, b) = (eq("owner_id", "u"), eq("created_by_id", "u"));
        assert_eq!(F::any([a.clone(), a.and(&b)]), a);
        assert_eq!(F::all([a.clone(), a.or(&b)]), a);
        assert_eq!(F::any([a.and(&b), b.clone()]), b);
    }

    #[test]
    fn kleene_evaluation_matches_sql() {
        let r = Resource::new("task").with_attr("owner_id", Value::Null);
        let a = eq("owner_id", "u");
        assert_eq!(a.eval(&r).unwrap(), None);
        assert_eq!(a.not().eval(&r).unwrap(), None);
        let guarded = F::atom(Atom::Present(Term::Attr("owner_id".into()))).and(&a);
        assert_eq!(guarded.eval(&r).unwrap(), Some(false));
        assert_eq!(guarded.not().eval(&r).unwrap(), Some(true));
    }
}
