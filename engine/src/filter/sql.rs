//! Rendering a residual formula as a PostgreSQL boolean expression.
//!
//! Literals become bind parameters with an explicit cast (`$1::text`, `$2::bigint`,
//! `$3::text[]`, `$4::bigint[]`), so no value from a session or a policy is
//! ever spliced into the SQL text. A `bigint[]` parameter is never empty, so an empty JSON
//! list always binds as `text[]`. Row-level security, which has no parameters, quotes
//! policy literals instead (`E'...'` with every quote and backslash escaped).

use super::formula::{Atom, Lit, Node, Term, F};
use super::FilterError;
use crate::policy::ast::{AttrType, CmpOp};
use serde_json::Value;
use std::collections::HashMap;

pub(crate) enum Literals {
    /// Bind parameters numbered from `first`; equal literals share one parameter.
    Params { first: usize, params: Vec<Value>, seen: HashMap<Lit, usize> },
    /// Quoted into the text (row-level security policies).
    Inline,
}

pub(crate) struct Render<'a> {
    pub columns: &'a HashMap<String, String>,
    pub literals: Literals,
}

/// `"name"`, with embedded quotes doubled. Control characters (a line break, NUL) are
/// refused: no table, column or role is meant to have one.
pub(crate) fn quote_ident(name: &str) -> Result<String, FilterError> {
    if name.is_empty() || name.chars().any(char::is_control) {
        // Escaped char by char (`\n`, `\u{0}`): `str::escape_debug` would carry Unicode's
        // printable tables into the size-bound WebAssembly build for this one message.
        let shown: String = name.chars().flat_map(char::escape_default).collect();
        return Err(FilterError::invalid_option(format!("`{shown}` is not a valid SQL identifier")));
    }
    Ok(format!("\"{}\"", name.replace('"', "\"\"")))
}

/// A column reference: `table.column` is split at the dot and each part quoted.
pub(crate) fn quote_column(name: &str) -> Result<String, FilterError> {
    let parts: Vec<String> = name.split('.').map(quote_ident).collect::<Result<_, _>>()?;
    Ok(parts.join("."))
}

/// A SQL string literal that means `s` whatever `standard_conforming_strings` is.
pub(crate) fn quote_str(s: &str) -> Result<String, FilterError> {
    if s.contains('\0') {
        return Err(FilterError::not_expressible_value("a string with a NUL character"));
    }
    if s.contains('\\') {
        Ok(format!("E'{}'", s.replace('\\', "\\\\").replace('\'', "''")))
    } else {
        Ok(format!("'{}'", s.replace('\'', "''")))
    }
}

fn inline(l: &Lit) -> Result<String, FilterError> {
    Ok(match l {
        Lit::Str(s) => format!("{}::text", quote_str(s)?),
        Lit::Int(i) => format!("{i}::bigint"),
        Lit::StrList(items) if items.is_empty() => "'{}'::text[]".to_string(),
        Lit::StrList(items) => {
            let items: Vec<String> = items.iter().map(|s| quote_str(s)).collect::<Result<_, _>>()?;
            format!("ARRAY[{}]::text[]", items.join(", "))
        }
        Lit::IntList(items) if items.is_empty() => "'{}'::bigint[]".to_string(),
        Lit::IntList(items) => {
            let items: Vec<String> = items.iter().map(|i| i.to_string()).collect();
            format!("ARRAY[{}]::bigint[]", items.join(", "))
        }
    })
}

/// The conditions under which a row is a valid resource of its type (what `decide`
/// checks before any rule): required attributes are not `NULL`, and a string list is
/// one-dimensional with no `NULL` item.
pub(crate) fn validity(
    attrs: &[(Box<str>, AttrType, bool)],
    columns: &HashMap<String, String>,
) -> Result<Vec<String>, FilterError> {
    let mut out = Vec::new();
    for (name, ty, optional) in attrs {
        let col = column(columns, name)?;
        if !optional {
            out.push(format!("{col} IS NOT NULL"));
        }
        if *ty == AttrType::StringList {
            out.push(format!(
                "(CASE WHEN array_ndims({col}) > 1 THEN FALSE ELSE array_position({col}, NULL) IS NULL END)"
            ));
        }
    }
    Ok(out)
}

pub(crate) fn column(columns: &HashMap<String, String>, attr: &str) -> Result<String, FilterError> {
    quote_column(columns.get(attr).map(String::as_str).unwrap_or(attr))
}

impl Render<'_> {
    pub fn params(self) -> Vec<Value> {
        match self.literals {
            Literals::Params { params, .. } => params,
            Literals::Inline => Vec::new(),
        }
    }

    fn lit(&mut self, l: &Lit) -> Result<String, FilterError> {
        match &mut self.literals {
            Literals::Inline => inline(l),
            Literals::Params { first, params, seen } => {
                let n = match seen.get(l) {
                    Some(n) => *n,
                    None => {
                        let n = first.saturating_add(params.len());
                        params.push(l.to_json());
                        seen.insert(l.clone(), n);
                        n
                    }
                };
                Ok(format!("${n}::{}", l.sql_type()))
            }
        }
    }

    fn term(&mut self, t: &Term) -> Result<String, FilterError> {
        match t {
            Term::Attr(name) => column(self.columns, name),
            Term::Lit(l) => self.lit(l),
            Term::Sql(s) => Ok(s.to_string()),
        }
    }

    /// A list operand whose lower bound is 1, as JSON arrays have (`col[:]`).
    fn list(&mut self, t: &Term) -> Result<String, FilterError> {
        Ok(match t {
            Term::Attr(_) => format!("{}[:]", self.term(t)?),
            _ => self.term(t)?,
        })
    }

    fn atom(&mut self, a: &Atom) -> Result<String, FilterError> {
        Ok(match a {
            Atom::Present(t) => format!("{} IS NOT NULL", self.term(t)?),
            Atom::IsTrue(t) => self.term(t)?,
            Atom::Eq(x, y) => format!("{} = {}", self.term(x)?, self.term(y)?),
            Atom::ListEq(x, y) => format!("{} = {}", self.list(x)?, self.list(y)?),
            Atom::Order(op, x, y) => {
                let sym = match op {
                    CmpOp::Lt => "<",
                    CmpOp::Le => "<=",
                    CmpOp::Gt => ">",
                    _ => ">=",
                };
                format!("{} {sym} {}", self.term(x)?, self.term(y)?)
            }
            Atom::StartsWith(x, y) => format!("starts_with({}, {})", self.term(x)?, self.term(y)?),
            Atom::EndsWith(x, y) => {
                let (x, y) = (self.term(x)?, self.term(y)?);
                format!("right({x}, length({y})) = {y}")
            }
            Atom::Contains(x, y) => format!("strpos({}, {}) > 0", self.term(x)?, self.term(y)?),
            Atom::Member(x, y) => format!("{} = ANY({})", self.term(x)?, self.term(y)?),
            Atom::Subset(x, y) => format!("{} <@ {}", self.term(x)?, self.term(y)?),
            Atom::Overlaps(x, y) => format!("{} && {}", self.term(x)?, self.term(y)?),
            Atom::Len(t, n) => format!("cardinality({}) = {n}", self.term(t)?),
            Atom::NonEmpty(t) => format!("cardinality({}) > 0", self.term(t)?),
            Atom::Sql(s) => format!("({s})"),
        })
    }

    pub fn formula(&mut self, f: &F) -> Result<String, FilterError> {
        let mut out = String::new();
        self.write(f, &mut out)?;
        Ok(out)
    }

    fn write(&mut self, f: &F, out: &mut String) -> Result<(), FilterError> {
        match f.node() {
            Node::Const(true) => out.push_str("TRUE"),
            Node::Const(false) => out.push_str("FALSE"),
            Node::Atom(a) => {
                let s = self.atom(a)?;
                out.push_str(&s);
            }
            Node::Not(x) => match x.node() {
                Node::Atom(Atom::Present(t)) => {
                    let t = self.term(t)?;
                    out.push_str(&t);
                    out.push_str(" IS NULL");
                }
                Node::Atom(Atom::Sql(_)) => {
                    out.push_str("NOT ");
                    self.write(x, out)?;
                }
                _ => {
                    out.push_str("NOT (");
                    self.write(x, out)?;
                    out.push(')');
                }
            },
            Node::And(xs) | Node::Or(xs) => {
                let sep = if matches!(f.node(), Node::And(_)) { " AND " } else { " OR " };
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(sep);
                    }
                    if matches!(x.node(), Node::And(_) | Node::Or(_)) {
                        out.push('(');
                        self.write(x, out)?;
                        out.push(')');
                    } else {
                        self.write(x, out)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Renders `f` as one conjunct: a top-level `OR` is parenthesised.
pub(crate) fn conjunct(render: &mut Render<'_>, f: &F) -> Result<String, FilterError> {
    let sql = render.formula(f)?;
    Ok(if matches!(f.node(), Node::Or(_)) { format!("({sql})") } else { sql })
}
