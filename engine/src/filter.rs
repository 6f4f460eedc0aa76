//! Partial evaluation: "which resources may this session act on?" as a condition over the
//! resource's attributes, and that condition as a PostgreSQL `WHERE` fragment.
//!
//! [`Engine::filter`](crate::Engine::filter) evaluates everything the session decides
//! (token validity, roles, permissions, the license flag, the organization, the user, the
//! context) and keeps what depends on the row. The result is exact: a row passes the
//! filter if and only if [`Engine::decide`](crate::Engine::decide) allows the action on the
//! resource built from that row, including the corner cases:
//!
//! - a `forbid` whose condition would raise an error on a row (a missing optional
//!   attribute, a type mismatch) excludes that row, as `decide` denies with
//!   `forbid_errored`; a `permit` that errors does not match;
//! - a row whose required attribute is `NULL` (or whose string list holds a `NULL` or is
//!   multi-dimensional) is not a valid resource, which `decide` denies with
//!   `invalid_resource`: [`Filter::to_sql`] renders those checks too.
//!
//! A construct that cannot be rendered exactly is an error naming the rule
//! ([`FilterError::code`] `not_expressible`), never an approximate filter. `docs/filters.md`
//! lists what renders.
//!
//! The row is read as the resource `{"type": <type>, "id": <id column>, <attr>: <column>...}`:
//! a `string` attribute is a `text` (or `varchar`) column, `int` any integer column, `bool` a
//! `boolean` column and `[string]` a `text[]` column; `NULL` is an absent attribute.
//!
//! ```
//! use ordinance::{Engine, Options, Session, SqlOptions};
//! use serde_json::json;
//!
//! let engine = Engine::from_policy_text(r#"
//!     resource task { owner_id: string }
//!     action view on task
//!     permit view on task when resource.owner_id == user.id
//! "#).unwrap();
//! let alice = Session::from_claims_json(r#"{"sub": "user_alice"}"#).unwrap();
//! let filter = engine.filter(&alice, "view", "task", &Options::default()).unwrap();
//! assert_eq!(filter.kind(), "condition");
//! let sql = filter.to_sql(&SqlOptions::default()).unwrap();
//! assert_eq!(sql.sql, r#""owner_id" IS NOT NULL AND "owner_id" = $1::text"#);
//! assert_eq!(sql.params, vec![json!("user_alice")]);
//!
//! let anonymous = Session::from_claims_json("{}").unwrap();
//! let none = engine.filter(&anonymous, "view", "task", &Options::default()).unwrap();
//! assert_eq!(none.kind(), "never");
//! assert_eq!(none.to_sql(&SqlOptions::default()).unwrap().sql, "FALSE");
//! ```

mod formula;
mod rls;
mod sql;
mod symbolic;

use crate::claims::{Session, Validity};
use crate::compile::{CompiledRule, PreparedSession, Program, Slot, TypeInfo};
use crate::eval::Evaluator;
use crate::policy::ast::AttrType;
use crate::resource::{Context, Resource};
use formula::{F, MAX_NODES};
use serde_json::{json, Value};
use std::collections::HashMap;
use symbolic::{Sym, Tri};

pub use rls::{row_level_security, RlsOptions, SqlCommand};

/// Why a filter could not be built or rendered.
///
/// ```
/// # use ordinance::*;
/// let engine = Engine::from_policy_text("resource doc {}\naction read on doc\npermit read on doc").unwrap();
/// let s = Session::from_claims_json("{}").unwrap();
/// let err = engine.filter(&s, "write", "doc", &Options::default()).unwrap_err();
/// assert_eq!(err.code(), "unknown_action");
/// assert_eq!(err.to_string(), "the policy declares no action `write` on `doc`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FilterError {
    code: &'static str,
    rule: Option<String>,
    message: String,
}

impl FilterError {
    fn new(code: &'static str, rule: Option<&str>, message: String) -> FilterError {
        FilterError { code, rule: rule.map(str::to_string), message }
    }

    pub(crate) fn not_expressible(rule: &str, target: &str, why: &str) -> FilterError {
        FilterError::new("not_expressible", Some(rule), format!("rule `{rule}` is not expressible in {target}: {why}"))
    }

    pub(crate) fn not_expressible_value(why: &str) -> FilterError {
        FilterError::new("not_expressible", None, format!("a value is not expressible in SQL: {why}"))
    }

    pub(crate) fn invalid_option(message: String) -> FilterError {
        FilterError::new("invalid_option", None, message)
    }

    fn too_complex(rule: Option<&str>) -> FilterError {
        let what = match rule {
            Some(r) => format!("rule `{r}`"),
            None => "the policy".to_string(),
        };
        FilterError::new(
            "too_complex",
            rule,
            format!("{what} is too complex to render as SQL (more than {MAX_NODES} formula nodes)"),
        )
    }

    /// A stable code: `unknown_resource_type`, `unknown_action`, `not_expressible`,
    /// `too_complex` or `invalid_option`.
    pub fn code(&self) -> &str {
        self.code
    }

    /// The id of the rule that cannot be rendered, if the error is about one.
    pub fn rule(&self) -> Option<&str> {
        self.rule.as_deref()
    }

    /// The message (also the `Display`).
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// How to render a [`Filter`] as SQL.
///
/// ```
/// let mut opts = ordinance::SqlOptions::default();
/// assert_eq!(opts.first_param, 1);
/// opts.columns.insert("owner_id".into(), "t.owner".into()); // rendered as "t"."owner"
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlOptions {
    /// Attribute name -> column name; an attribute not listed uses the column of its own
    /// name. `id` is the resource id. A dot qualifies: `t.owner` is rendered `"t"."owner"`.
    pub columns: HashMap<String, String>,
    /// The number of the first bind parameter (`$1` by default), to append the filter to a
    /// query that already has parameters. PostgreSQL numbers parameters from `$1` to
    /// `$65535`: a `first_param` of 0, or one that would number a parameter beyond
    /// `$65535`, is an `invalid_option` error from [`Filter::to_sql`].
    pub first_param: usize,
}

/// The highest bind parameter number PostgreSQL can bind (`$65535`): the protocol counts
/// parameters in 16 bits.
const MAX_PARAM: usize = 65_535;

impl Default for SqlOptions {
    fn default() -> SqlOptions {
        SqlOptions { columns: HashMap::new(), first_param: 1 }
    }
}

/// A PostgreSQL `WHERE` fragment and its bind parameters.
///
/// Each parameter is cast in the text to the type it binds as: a JSON string binds as
/// `text`, an integer as `bigint`, a list of strings as `text[]` and a list of integers as
/// `bigint[]`. An empty list is always `text[]`; booleans never occur (a comparison with a
/// boolean becomes a test of the column).
#[derive(Debug, Clone, PartialEq)]
pub struct SqlFilter {
    /// The condition, e.g. `"owner_id" IS NOT NULL AND "owner_id" = $1::text`.
    pub sql: String,
    /// The values of `$first_param`, `$first_param + 1`, ... in order.
    pub params: Vec<Value>,
}

#[derive(Debug, Clone)]
enum Body {
    Always,
    Never(String),
    Condition(F),
}

/// The residual of a policy for one session, action and resource type: which resources
/// the session may act on. Built by [`Engine::filter`](crate::Engine::filter).
///
/// Its [`kind`](Filter::kind) is `always` (every valid resource of the type), `never`
/// (none; [`Filter::reason`] says why) or `condition`.
#[derive(Debug, Clone)]
pub struct Filter {
    resource_type: String,
    action: String,
    attrs: Vec<(Box<str>, AttrType, bool)>,
    body: Body,
}

impl Filter {
    /// `always`, `never` or `condition`.
    pub fn kind(&self) -> &str {
        match self.body {
            Body::Always => "always",
            Body::Never(_) => "never",
            Body::Condition(_) => "condition",
        }
    }

    /// For `never`, the reason code `decide` gives every resource: `session_expired`,
    /// `session_not_yet_valid`, `invalid_claims`, `forbidden:<code>`, `forbid_errored` or
    /// `no_matching_rule`.
    pub fn reason(&self) -> Option<&str> {
        match &self.body {
            Body::Never(r) => Some(r),
            _ => None,
        }
    }

    /// The resource type filtered.
    pub fn resource_type(&self) -> &str {
        &self.resource_type
    }

    /// The action filtered for.
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The attributes a valid resource must have (not `NULL`), in declaration order.
    pub fn required_attributes(&self) -> Vec<&str> {
        self.attrs.iter().filter(|(_, _, optional)| !optional).map(|(n, _, _)| n.as_ref()).collect()
    }

    /// The residual as JSON: `{"kind", "resource_type", "action", "required", "condition"?,
    /// "reason"?}`, where a condition is `{"op": "and" | "or", "args": [...]}`,
    /// `{"op": "not", "arg": ...}` or a test such as
    /// `{"op": "eq", "left": {"attr": "owner_id"}, "right": {"value": "org_1"}}`.
    ///
    /// ```
    /// # use ordinance::*;
    /// let engine = Engine::from_policy_text(
    ///     "resource doc { owner: string }\naction read on doc\npermit read on doc when resource.owner == user.id").unwrap();
    /// let s = Session::from_claims_json(r#"{"sub": "u1"}"#).unwrap();
    /// let json = engine.filter(&s, "read", "doc", &Options::default()).unwrap().to_json();
    /// assert_eq!(json["condition"], serde_json::json!(
    ///     {"op": "eq", "left": {"attr": "owner"}, "right": {"value": "u1"}}));
    /// ```
    pub fn to_json(&self) -> Value {
        let mut out = serde_json::Map::new();
        out.insert("kind".into(), json!(self.kind()));
        out.insert("resource_type".into(), json!(self.resource_type));
        out.insert("action".into(), json!(self.action));
        out.insert("required".into(), json!(self.required_attributes()));
        match &self.body {
            Body::Condition(f) => out.insert("condition".into(), f.to_json()),
            Body::Never(r) => out.insert("reason".into(), json!(r)),
            Body::Always => None,
        };
        Value::Object(out)
    }

    /// The filter as a PostgreSQL `WHERE` fragment with bind parameters. It always renders
    /// the validity checks: `always` is every row whose required columns are not `NULL`
    /// (`TRUE` when there are none), `never` is `FALSE`.
    ///
    /// ```
    /// # use ordinance::*;
    /// let engine = Engine::from_policy_text(
    ///     "resource doc { owner: string }\naction read on doc\npermit read on doc when resource.owner == user.id").unwrap();
    /// let s = Session::from_claims_json(r#"{"sub": "u1"}"#).unwrap();
    /// let f = engine.filter(&s, "read", "doc", &Options::default()).unwrap();
    /// let sql = f.to_sql(&SqlOptions { first_param: 3, ..SqlOptions::default() }).unwrap();
    /// assert_eq!(sql.sql, r#""owner" IS NOT NULL AND "owner" = $3::text"#);
    /// let zero = f.to_sql(&SqlOptions { first_param: 0, ..SqlOptions::default() }).unwrap_err();
    /// assert_eq!(zero.code(), "invalid_option");
    /// ```
    pub fn to_sql(&self, opts: &SqlOptions) -> Result<SqlFilter, FilterError> {
        if opts.first_param == 0 || opts.first_param > MAX_PARAM {
            return Err(FilterError::invalid_option(format!(
                "`first_param` must be between 1 and {MAX_PARAM} (PostgreSQL numbers parameters from $1), not {}",
                opts.first_param
            )));
        }
        for key in opts.columns.keys() {
            if key != "id" && !self.attrs.iter().any(|(n, _, _)| n.as_ref() == key) {
                return Err(FilterError::invalid_option(format!(
                    "the column map names `{key}`, which is not an attribute of `{}`",
                    self.resource_type
                )));
            }
        }
        let formula = match &self.body {
            Body::Never(_) => return Ok(SqlFilter { sql: "FALSE".into(), params: Vec::new() }),
            Body::Always => F::yes(),
            Body::Condition(f) => f.clone(),
        };
        let mut parts = sql::validity(&self.attrs, &opts.columns)?;
        let mut render = sql::Render {
            columns: &opts.columns,
            literals: sql::Literals::Params { first: opts.first_param, params: Vec::new(), seen: HashMap::new() },
        };
        if !formula.is_true() {
            parts.push(sql::conjunct(&mut render, &formula)?);
        }
        let sql = if parts.is_empty() { "TRUE".to_string() } else { parts.join(" AND ") };
        let params = render.params();
        let last = opts.first_param.saturating_add(params.len().saturating_sub(1));
        if last > MAX_PARAM {
            return Err(FilterError::invalid_option(format!(
                "the filter's {} parameters starting at `first_param` {} go beyond ${MAX_PARAM}, PostgreSQL's last parameter",
                params.len(),
                opts.first_param
            )));
        }
        Ok(SqlFilter { sql, params })
    }

    /// Whether `decide` allows the action on `resource`, answered from the filter alone
    /// (for lists already in memory). `false` for a resource of another type.
    ///
    /// ```
    /// # use ordinance::*;
    /// let engine = Engine::from_policy_text(
    ///     "resource doc { owner: string }\naction read on doc\npermit read on doc when resource.owner == user.id").unwrap();
    /// let s = Session::from_claims_json(r#"{"sub": "u1"}"#).unwrap();
    /// let f = engine.filter(&s, "read", "doc", &Options::default()).unwrap();
    /// assert!(f.matches(&Resource::new("doc").with_attr("owner", "u1")));
    /// assert!(!f.matches(&Resource::new("doc").with_attr("owner", "u2")));
    /// assert!(!f.matches(&Resource::new("doc")));
    /// ```
    pub fn matches(&self, resource: &Resource) -> bool {
        self.sql_logic(resource) == Some(true)
    }

    /// The filter's value on `resource` in SQL's three-valued logic (`None` is `NULL`, which
    /// the construction never yields on a valid resource). For tests.
    #[doc(hidden)]
    pub fn sql_logic(&self, resource: &Resource) -> Option<bool> {
        if resource.type_name() != self.resource_type || crate::engine::check_resource(&self.attrs, resource).is_err() {
            return Some(false);
        }
        match &self.body {
            Body::Always => Some(true),
            Body::Never(_) => Some(false),
            Body::Condition(f) => f.eval(resource).unwrap_or(None),
        }
    }
}

/// Finds the type and the rules filed under (type, action).
pub(crate) fn lookup<'p>(
    program: &'p Program,
    resource_type: &str,
    action: &str,
) -> Result<(&'p TypeInfo, &'p Slot), FilterError> {
    let info = program.types.get(resource_type).and_then(|&t| program.type_info.get(t as usize).map(|i| (t, i)));
    let Some((t, info)) = info else {
        return Err(FilterError::new(
            "unknown_resource_type",
            None,
            format!("the policy declares no resource type `{resource_type}`"),
        ));
    };
    let slot = program
        .actions
        .get(action)
        .and_then(|&a| program.index.get(t as usize * program.n_actions + a as usize))
        .filter(|s| s.declared);
    let Some(slot) = slot else {
        return Err(FilterError::new(
            "unknown_action",
            None,
            format!("the policy declares no action `{action}` on `{resource_type}`"),
        ));
    };
    Ok((info, slot))
}

/// The allowed rows as one formula: no forbid is true or errors, and some permit is true.
/// Returns the formula and, when it is `false`, the reason `decide` gives.
pub(crate) fn residual<'a>(
    program: &'a Program,
    slot: &'a Slot,
    sym: &Sym<'a>,
    target: &str,
) -> Result<(F, String), FilterError> {
    let rule_tri = |rule: &'a CompiledRule| -> Result<Tri, FilterError> {
        let id = rule.id.as_str();
        let tri = match &rule.condition {
            None => Tri::known(true),
            Some(c) => sym.truth(c).map_err(|why| FilterError::not_expressible(id, target, &why))?,
        };
        if tri.size() > MAX_NODES {
            return Err(FilterError::too_complex(Some(id)));
        }
        Ok(tri)
    };
    let mut deny = F::no();
    let mut reason: Option<String> = None;
    for rule in slot.forbids.iter().filter_map(|&i| program.rules.get(i as usize)) {
        let tri = rule_tri(rule)?;
        let denies = tri.t.or(&tri.e);
        if denies.is_true() && reason.is_none() {
            reason = Some(if tri.t.is_true() { rule.deny_reason.to_string() } else { "forbid_errored".into() });
        }
        deny = deny.or(&denies);
    }
    let mut allow = F::no();
    for rule in slot.permits.iter().filter_map(|&i| program.rules.get(i as usize)) {
        allow = allow.or(&rule_tri(rule)?.t);
    }
    let body = deny.not().and(&allow);
    if body.size() > MAX_NODES {
        return Err(FilterError::too_complex(None));
    }
    Ok((body, reason.unwrap_or_else(|| "no_matching_rule".into())))
}

/// Partially evaluates the rules filed under (`resource_type`, `action`) for `session`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn build(
    program: &Program,
    session: &Session,
    prepared: &PreparedSession,
    action: &str,
    resource_type: &str,
    context: &Context,
    now: i64,
) -> Result<Filter, FilterError> {
    let (info, slot) = lookup(program, resource_type, action)?;
    let mut filter = Filter {
        resource_type: resource_type.to_string(),
        action: action.to_string(),
        attrs: info.attrs.clone(),
        body: Body::Always,
    };
    let never = |mut f: Filter, reason: &str| {
        f.body = Body::Never(reason.to_string());
        Ok(f)
    };
    match session.validity(now, crate::engine::LEEWAY_SECONDS) {
        Validity::Valid => {}
        Validity::Expired => return never(filter, "session_expired"),
        Validity::NotYetValid => return never(filter, "session_not_yet_valid"),
    }
    let licensed = match &prepared.licensed {
        Ok(b) => *b,
        Err(_) => return never(filter, "invalid_claims"),
    };
    let resource = Resource::new(resource_type);
    let sym = Sym {
        ev: Evaluator { session, permissions: &prepared.permissions, licensed, resource: &resource, context },
        attrs: &info.attrs,
        claims: None,
    };
    let (body, reason) = residual(program, slot, &sym, "SQL")?;
    filter.body = match body.as_const() {
        Some(true) => Body::Always,
        Some(false) => Body::Never(reason),
        None => Body::Condition(body),
    };
    Ok(filter)
}
