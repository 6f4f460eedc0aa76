//! PostgreSQL row-level security from a policy: one `CREATE POLICY` per SQL command, with
//! the session read from the verified claims in `current_setting('request.jwt.claims',
//! true)`, as the Supabase guide's `requesting_user_id()` does.
//!
//! Unlike [`Filter`](crate::Filter), nothing is known when the SQL is generated: the claims
//! are symbolic too. Roles, permissions (the policy's role table is compiled into each
//! `has(...)` test), the license flag, the organization, the user, plans, features,
//! reverification and custom claims all become SQL over the claims JSON, with the same
//! three-valued care as the filter. The claims are checked the way
//! [`Session::from_claims`](crate::Session::from_claims) checks a Clerk v1 token (types of
//! the registered claims, organization fields only with `org_id`, `sts`, `exp`/`nbf`/`iat`
//! against `now()` with the engine's leeway), and the declared license claim must be a
//! boolean, as `decide` requires; invalid claims match no row.
//!
//! Limits (each documented in `docs/filters.md`): Clerk v2 tokens (`"v": 2`) match no row;
//! the request context is empty (`context.*` is absent); claims values of run-time type
//! (`claims.*`, `org.metadata.*`, `session.actor.*`) render in conditions, comparisons with
//! scalars and `present`, but not as lists; the JSON size and depth limits of the engine
//! are not enforced, duplicate keys are not detected (`jsonb` keeps the last) and a number
//! written with an exponent (`1e3`) reads as an integer.

use super::formula::{Kind, Node, F};
use super::sql::{quote_column, quote_ident, quote_str, Literals, Render};
use super::symbolic::{ClaimsSql, FVal, Op, PVal, Sym, Tri, R};
use super::{lookup, residual, FilterError};
use crate::claims::Session;
use crate::compile::{has_bit, CExpr, Program, ScopeSel};
use crate::eval::Evaluator;
use crate::policy::ast::{Factor, Root};
use crate::resource::{Context, Resource};
use crate::Engine;
use std::collections::HashMap;
use std::fmt::Write;

/// A SQL command a row-level security policy applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SqlCommand {
    /// `FOR SELECT ... USING`: the rows a query sees.
    Select,
    /// `FOR INSERT ... WITH CHECK`: the rows that may be inserted.
    Insert,
    /// `FOR UPDATE ... USING ... WITH CHECK`: the rows that may be updated, before and after.
    Update,
    /// `FOR DELETE ... USING`: the rows that may be deleted.
    Delete,
}

impl SqlCommand {
    /// `SELECT`, `INSERT`, `UPDATE` or `DELETE`.
    pub fn keyword(self) -> &'static str {
        match self {
            SqlCommand::Select => "SELECT",
            SqlCommand::Insert => "INSERT",
            SqlCommand::Update => "UPDATE",
            SqlCommand::Delete => "DELETE",
        }
    }

    /// The default mapping from actions: `view` to SELECT, `create` to INSERT, `edit` and
    /// `complete` to UPDATE, `delete` to DELETE.
    pub fn default_actions(self) -> &'static [&'static str] {
        match self {
            SqlCommand::Select => &["view"],
            SqlCommand::Insert => &["create"],
            SqlCommand::Update => &["edit", "complete"],
            SqlCommand::Delete => &["delete"],
        }
    }

    /// Every command, in the order the policies are printed.
    pub const ALL: [SqlCommand; 4] = [SqlCommand::Select, SqlCommand::Insert, SqlCommand::Update, SqlCommand::Delete];
}

/// What [`row_level_security`] generates.
///
/// ```
/// let opts = ordinance::RlsOptions::new("task", "tasks");
/// assert!(opts.commands.is_empty()); // the default mapping, restricted to declared actions
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RlsOptions {
    /// The policy's resource type the table holds.
    pub resource_type: String,
    /// The table, optionally schema-qualified (`public.tasks`).
    pub table: String,
    /// Which actions each command requires; a row passes when *every* listed action is
    /// allowed on it. Empty: [`SqlCommand::default_actions`], keeping the declared ones and
    /// leaving out commands with none. A command listed twice requires the actions of both
    /// entries; a command with an empty list, or not listed, gets no policy (and its
    /// `ordinance_<type>_<command>` policy from an earlier run is dropped), so PostgreSQL
    /// refuses it on every row.
    pub commands: Vec<(SqlCommand, Vec<String>)>,
    /// Attribute -> column where they differ (`id` is the resource id).
    pub columns: HashMap<String, String>,
    /// The database role the policies apply to (`TO "role"`, quoted, so case matters);
    /// `None`, or `public` in any case (`TO PUBLIC`), applies them to all.
    pub role: Option<String>,
}

impl RlsOptions {
    /// Options for `table` holding resources of `resource_type`, with the default mapping.
    pub fn new(resource_type: impl Into<String>, table: impl Into<String>) -> RlsOptions {
        RlsOptions {
            resource_type: resource_type.into(),
            table: table.into(),
            commands: Vec::new(),
            columns: HashMap::new(),
            role: None,
        }
    }
}

/// The SQL helper functions every generated policy calls. `CREATE OR REPLACE`: loading
/// them twice, or for several tables, is harmless.
const HELPERS: &str = r#"-- The verified claims of the request, as PostgREST / Supabase set them (the empty object
-- when the setting is absent: an anonymous session).
CREATE OR REPLACE FUNCTION ordinance_claims() RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT COALESCE(NULLIF(current_setting('request.jwt.claims', true), '')::jsonb, '{}'::jsonb)
$$;

-- A JSON integer that fits 64 bits (what the engine reads as an integer).
CREATE OR REPLACE FUNCTION ordinance_json_is_int(v jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT COALESCE(CASE WHEN jsonb_typeof(v) = 'number' AND v::text ~ '^-?[0-9]+$'
    THEN v::text::numeric BETWEEN -9223372036854775808 AND 9223372036854775807 ELSE FALSE END, FALSE)
$$;

CREATE OR REPLACE FUNCTION ordinance_json_int(v jsonb) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN ordinance_json_is_int(v) THEN v::text::bigint END
$$;

-- A pending session (`sts`) is signed out: no user, organization, actor, plans or factors.
CREATE OR REPLACE FUNCTION ordinance_pending() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT COALESCE(ordinance_claims() ->> 'sts' = 'pending', FALSE)
$$;

-- The claims a policy reads as `claims.*` (and a license declared there): none in a pending
-- session, which is signed out.
CREATE OR REPLACE FUNCTION ordinance_custom_claims() RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN ordinance_pending() THEN '{}'::jsonb ELSE ordinance_claims() END
$$;

-- The Supabase guide's requesting_user_id(), for a Clerk session token.
CREATE OR REPLACE FUNCTION ordinance_user_id() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN ordinance_pending() THEN NULL ELSE NULLIF(ordinance_claims() ->> 'sub', '') END
$$;

CREATE OR REPLACE FUNCTION ordinance_org_id() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN ordinance_pending() THEN NULL ELSE ordinance_claims() ->> 'org_id' END
$$;

CREATE OR REPLACE FUNCTION ordinance_org_claim(name text) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN ordinance_org_id() IS NULL THEN NULL ELSE ordinance_claims() ->> name END
$$;

CREATE OR REPLACE FUNCTION ordinance_org_permissions() RETURNS text[] LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN ordinance_org_id() IS NULL THEN NULL
    WHEN jsonb_typeof(ordinance_claims() -> 'org_permissions') = 'array' THEN ARRAY(
      SELECT p FROM jsonb_array_elements_text(ordinance_claims() -> 'org_permissions') WITH ORDINALITY AS t(p, n)
      ORDER BY n)
    ELSE '{}'::text[] END
$$;

CREATE OR REPLACE FUNCTION ordinance_org_metadata() RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN ordinance_org_id() IS NULL THEN NULL
    ELSE COALESCE(ordinance_claims() -> 'org_metadata', '{}'::jsonb) END
$$;

CREATE OR REPLACE FUNCTION ordinance_actor() RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN ordinance_pending() THEN NULL ELSE ordinance_claims() -> 'act' END
$$;

-- Whether a plan or feature list (`pla`, `fea`: "u:free,o:pro") grants `name` in a scope
-- matching `scopes` (a regular expression over `u`, `o`, `uo`, the scopes the engine accepts).
CREATE OR REPLACE FUNCTION ordinance_scoped(claim text, scopes text, name text) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT NOT ordinance_pending() AND COALESCE(
    EXISTS (SELECT 1 FROM unnest(string_to_array(ordinance_claims() ->> claim, ',')) AS e
            WHERE split_part(e, ':', 2) = name AND split_part(e, ':', 1) ~ scopes), FALSE)
$$;

-- Minutes since the first / second factor verification (`fva`), NULL when never.
CREATE OR REPLACE FUNCTION ordinance_fva(i int) RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN ordinance_pending() THEN NULL ELSE ordinance_json_int(ordinance_claims() -> 'fva' -> i) END
$$;

-- Whether the claims are a valid Clerk v1 session token now, as Session::from_claims and
-- the engine's token-time check (5 s leeway) see it. Invalid claims match no row.
CREATE OR REPLACE FUNCTION ordinance_session_ok() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT COALESCE((
    SELECT jsonb_typeof(c) = 'object'
      AND (NOT c ? 'v' OR (c -> 'v')::text = '1')
      AND NOT c ? 'o'
      AND (NOT c ? 'sts' OR (jsonb_typeof(c -> 'sts') = 'string' AND c ->> 'sts' IN ('active', 'pending')))
      AND (NOT c ? 'sub' OR (jsonb_typeof(c -> 'sub') = 'string' AND c ->> 'sub' <> ''))
      AND (NOT c ? 'sid' OR jsonb_typeof(c -> 'sid') = 'string')
      AND (NOT c ? 'azp' OR jsonb_typeof(c -> 'azp') = 'string')
      AND (NOT c ? 'iss' OR jsonb_typeof(c -> 'iss') = 'string')
      AND (NOT c ? 'jti' OR jsonb_typeof(c -> 'jti') = 'string')
      AND (NOT c ? 'exp' OR ordinance_json_is_int(c -> 'exp'))
      AND (NOT c ? 'nbf' OR ordinance_json_is_int(c -> 'nbf'))
      AND (NOT c ? 'iat' OR ordinance_json_is_int(c -> 'iat'))
      AND (NOT c ? 'act' OR jsonb_typeof(c -> 'act') = 'object')
      AND (NOT c ? 'fva' OR COALESCE(CASE WHEN jsonb_typeof(c -> 'fva') = 'array' AND jsonb_array_length(c -> 'fva') = 2
        THEN ordinance_json_int(c -> 'fva' -> 0) >= -1 AND ordinance_json_int(c -> 'fva' -> 1) >= -1 END, FALSE))
      AND (NOT c ? 'fea' OR (jsonb_typeof(c -> 'fea') = 'string'
        AND c ->> 'fea' ~ '^((u|o|uo):[^:,]+(,(u|o|uo):[^:,]+)*)?$'))
      AND (NOT c ? 'pla' OR (jsonb_typeof(c -> 'pla') = 'string'
        AND c ->> 'pla' ~ '^((u|o|uo):[^:,]+(,(u|o|uo):[^:,]+)*)?$'))
      AND (NOT c ? 'org_id' OR (jsonb_typeof(c -> 'org_id') = 'string' AND c ->> 'org_id' <> ''))
      AND (NOT c ? 'org_slug' OR jsonb_typeof(c -> 'org_slug') = 'string')
      AND (NOT c ? 'org_role' OR jsonb_typeof(c -> 'org_role') = 'string')
      AND (NOT c ? 'org_metadata' OR jsonb_typeof(c -> 'org_metadata') = 'object')
      AND (NOT c ? 'org_permissions' OR COALESCE(CASE WHEN jsonb_typeof(c -> 'org_permissions') = 'array'
        THEN NOT EXISTS (SELECT 1 FROM jsonb_array_elements(c -> 'org_permissions') AS e
                         WHERE jsonb_typeof(e) <> 'string') END, FALSE))
      AND (c ? 'org_id' OR (NOT c ?| ARRAY['org_slug', 'org_role', 'org_permissions']
        AND (NOT c ? 'org_metadata' OR c -> 'org_metadata' = '{}'::jsonb)))
      AND (c ? 'org_id' OR NOT (COALESCE(c ->> 'fea', '') ~ '(^|,)o:' OR COALESCE(c ->> 'pla', '') ~ '(^|,)o:'))
      AND (NOT c ? 'exp' OR floor(extract(epoch FROM now())) - 5 < ordinance_json_int(c -> 'exp'))
      AND (NOT c ? 'nbf' OR floor(extract(epoch FROM now())) + 5 >= ordinance_json_int(c -> 'nbf'))
      AND (NOT c ? 'iat' OR floor(extract(epoch FROM now())) + 5 >= ordinance_json_int(c -> 'iat'))
    FROM (SELECT ordinance_claims() AS c) AS claims), FALSE)
$$;
"#;

const CLAIMS: &str = "(SELECT ordinance_claims())";
/// What `claims.*` reads: nothing in a pending session, as in the engine.
const CUSTOM_CLAIMS: &str = "(SELECT ordinance_custom_claims())";

/// Session leaves as SQL over the claims.
struct ClaimsV1<'p> {
    program: &'p Program,
    permission_names: Vec<&'p str>,
}

fn sub(call: &str) -> String {
    format!("(SELECT {call})")
}

fn is_null(expr: &str) -> F {
    F::atom(super::formula::Atom::Present(super::formula::Term::Sql(expr.into()))).not()
}

impl ClaimsV1<'_> {
    /// Reads `keys` from a JSON object (`base`, `NULL` when absent) as the engine's
    /// `walk_map` does: an error when a value on the way is not an object.
    fn walk(&self, base: &str, keys: &[Box<str>]) -> R<PVal> {
        let mut path = base.to_string();
        let mut err = F::no();
        for (i, k) in keys.iter().enumerate() {
            if i > 0 {
                err = err.or(&F::sql(format!("COALESCE(jsonb_typeof({path}) <> 'object', FALSE)")));
            }
            let key = quote_str(k).map_err(|e| e.message().to_string())?;
            path = format!("({path} -> {key})");
        }
        Ok(PVal { missing: err.not().and(&is_null(&path)), err, op: Op::Dyn(path) })
    }

    fn object_when(&self, expr: &str) -> PVal {
        PVal { err: F::no(), missing: is_null(expr), op: Op::Known(FVal::Object) }
    }

    fn term(&self, expr: String, kind: Kind) -> PVal {
        PVal { err: F::no(), missing: is_null(&expr), op: Op::Term(super::formula::Term::Sql(expr.into()), kind) }
    }

    fn org_metadata_path(&self, keys: &[Box<str>]) -> R<PVal> {
        self.walk(&sub("ordinance_org_metadata()"), keys)
    }
}

impl ClaimsSql for ClaimsV1<'_> {
    fn value(&self, e: &CExpr) -> R<PVal> {
        let claim = |name: &str| format!("({CLAIMS} ->> '{name}')");
        Ok(match e {
            CExpr::User => self.object_when(&sub("ordinance_user_id()")),
            CExpr::UserId => self.term(sub("ordinance_user_id()"), Kind::Str),
            CExpr::Org => self.object_when(&sub("ordinance_org_id()")),
            CExpr::OrgId => self.term(sub("ordinance_org_id()"), Kind::Str),
            CExpr::OrgSlug => self.term(sub("ordinance_org_claim('org_slug')"), Kind::Str),
            CExpr::OrgRole => self.term(sub("ordinance_org_claim('org_role')"), Kind::Str),
            // Cast, so `x = ANY(...)` reads an array: `ANY((SELECT ...))` would be a
            // subquery of arrays, which PostgreSQL refuses (`text = text[]`).
            CExpr::OrgPermissions => {
                self.term(format!("{}::text[]", sub("ordinance_org_permissions()")), Kind::StrList)
            }
            CExpr::OrgMetadata(keys) if keys.is_empty() => self.object_when(&sub("ordinance_org_id()")),
            CExpr::OrgMetadata(keys) => self.org_metadata_path(keys)?,
            CExpr::SessionId => self.term(claim("sid"), Kind::Str),
            CExpr::SessionAzp => self.term(claim("azp"), Kind::Str),
            CExpr::SessionIss => self.term(claim("iss"), Kind::Str),
            CExpr::SessionExp => self.term(format!("ordinance_json_int({CLAIMS} -> 'exp')"), Kind::Int),
            CExpr::SessionNbf => self.term(format!("ordinance_json_int({CLAIMS} -> 'nbf')"), Kind::Int),
            CExpr::SessionIat => self.term(format!("ordinance_json_int({CLAIMS} -> 'iat')"), Kind::Int),
            CExpr::Actor(keys) if keys.is_empty() => self.object_when(&sub("ordinance_actor()")),
            CExpr::Actor(keys) => self.walk(&sub("ordinance_actor()"), keys)?,
            CExpr::Claims(keys) if keys.is_empty() => PVal::defined(Op::Known(FVal::Object)),
            CExpr::Claims(keys) => self.walk(CUSTOM_CLAIMS, keys)?,
            _ => return Err("an unsupported session value".into()),
        })
    }

    fn truth(&self, e: &CExpr) -> R<Tri> {
        let sql = match e {
            CExpr::HasPermission(i) => {
                let name = self.permission_names.get(*i as usize).copied().unwrap_or_default();
                let name = quote_str(name).map_err(|e| e.message().to_string())?;
                let mut roles: Vec<String> = Vec::new();
                for (role, bits) in &self.program.roles {
                    if has_bit(bits, *i) {
                        roles.push(quote_str(role).map_err(|e| e.message().to_string())?);
                    }
                }
                roles.sort();
                let by_role = if roles.is_empty() {
                    String::new()
                } else {
                    format!(" OR {} IN ({})", sub("ordinance_org_claim('org_role')"), roles.join(", "))
                };
                format!(
                    "COALESCE({} IS NOT NULL AND ({} @> ARRAY[{name}]::text[]{by_role}), FALSE)",
                    sub("ordinance_org_id()"),
                    sub("ordinance_org_permissions()")
                )
            }
            CExpr::HasRole(r) => {
                let r = quote_str(r).map_err(|e| e.message().to_string())?;
                format!("COALESCE({} = {r}, FALSE)", sub("ordinance_org_claim('org_role')"))
            }
            CExpr::HasPlan(sel, name) | CExpr::HasFeature(sel, name) => {
                let claim = if matches!(e, CExpr::HasPlan(..)) { "pla" } else { "fea" };
                let scopes = match sel {
                    ScopeSel::Any => "^(u|o|uo)$",
                    ScopeSel::Org => "^(o|uo)$",
                    ScopeSel::User => "^(u|uo)$",
                };
                let name = quote_str(name).map_err(|e| e.message().to_string())?;
                format!("ordinance_scoped('{claim}', '{scopes}', {name})")
            }
            CExpr::Licensed => {
                let Some(path) = &self.program.license else {
                    return Ok(Tri::known(false));
                };
                let base = if self.program.license_root == Root::Org {
                    sub("ordinance_org_metadata()")
                } else {
                    CUSTOM_CLAIMS.to_string()
                };
                let v = self.walk(&base, path)?;
                let Op::Dyn(d) = v.op else { return Err("the license claim".into()) };
                format!("COALESCE({d} = 'true'::jsonb, FALSE)")
            }
            CExpr::VerifiedWithin(minutes, factor) => {
                let within =
                    |i: u8| format!("COALESCE({} BETWEEN 0 AND {minutes}, FALSE)", sub(&format!("ordinance_fva({i})")));
                match factor {
                    Factor::First => within(0),
                    Factor::Second => within(1),
                    Factor::Multi => format!("{} AND {}", within(0), within(1)),
                }
            }
            _ => return Err("an unsupported session test".into()),
        };
        Ok(Tri::when(F::sql(sql)))
    }
}

/// The declared license claim must be a boolean where it is present, or every decision is
/// `invalid_claims`.
fn license_ok(program: &Program, claims: &ClaimsV1<'_>) -> R<Option<F>> {
    let Some(path) = &program.license else {
        return Ok(None);
    };
    let base =
        if program.license_root == Root::Org { sub("ordinance_org_metadata()") } else { CUSTOM_CLAIMS.to_string() };
    let v = claims.walk(&base, path)?;
    let Op::Dyn(d) = &v.op else { return Err("the license claim".into()) };
    let bad_type = F::sql(format!("COALESCE(jsonb_typeof({d}) <> 'boolean', FALSE)"));
    Ok(Some(v.err.or(&bad_type).not()))
}

/// PostgreSQL statements that enable row-level security on a table and create one policy
/// per SQL command, each allowing exactly the rows `decide` allows for the command's
/// actions, for the session in `current_setting('request.jwt.claims', true)`.
///
/// The output starts with the helper functions (`ordinance_claims()`,
/// `ordinance_user_id()`, ...; `CREATE OR REPLACE`), then `ALTER TABLE ... ENABLE ROW LEVEL
/// SECURITY` and, per command, `DROP POLICY IF EXISTS` and `CREATE POLICY`. A command
/// without a policy is denied on every row once row-level security is on.
///
/// ```
/// # use ordinance::*;
/// let engine = Engine::from_policy_text(r#"
///     resource task { owner_id: string }
///     action view, edit on task
///     permit view, edit on task when resource.owner_id == user.id
/// "#).unwrap();
/// let sql = row_level_security(&engine, &RlsOptions::new("task", "tasks")).unwrap();
/// assert!(sql.contains(r#"CREATE POLICY "ordinance_task_select" ON "tasks" AS PERMISSIVE FOR SELECT"#));
/// assert!(sql.contains(r#""owner_id" = (SELECT ordinance_user_id())"#));
/// assert!(!sql.contains("FOR INSERT")); // no action maps to INSERT
/// ```
pub fn row_level_security(engine: &Engine, opts: &RlsOptions) -> Result<String, FilterError> {
    let program = Program::compile(engine.policy());
    let mut permission_names: Vec<&str> = vec![""; program.permission_index.len()];
    for (name, &i) in &program.permission_index {
        if let Some(slot) = permission_names.get_mut(i as usize) {
            *slot = name;
        }
    }
    let claims = ClaimsV1 { program: &program, permission_names };
    let ty = opts.resource_type.as_str();
    let declared = engine.policy().actions(ty);
    if !program.types.contains_key(ty) {
        return Err(FilterError::new(
            "unknown_resource_type",
            None,
            format!("the policy declares no resource type `{ty}`"),
        ));
    }
    let commands: Vec<(SqlCommand, Vec<String>)> = if opts.commands.is_empty() {
        SqlCommand::ALL
            .iter()
            .map(|c| {
                let actions = c.default_actions().iter().filter(|a| declared.contains(a)).map(|a| a.to_string());
                (*c, actions.collect::<Vec<_>>())
            })
            .filter(|(_, actions)| !actions.is_empty())
            .collect()
    } else {
        // A command listed twice requires the actions of both entries; a command with no
        // action gets no policy (an empty list must not allow every row).
        let mut merged: Vec<(SqlCommand, Vec<String>)> = Vec::new();
        for (cmd, actions) in &opts.commands {
            let at = match merged.iter().position(|(c, _)| c == cmd) {
                Some(at) => at,
                None => {
                    merged.push((*cmd, Vec::new()));
                    merged.len() - 1
                }
            };
            if let Some((_, all)) = merged.get_mut(at) {
                for a in actions {
                    if !all.contains(a) {
                        all.push(a.clone());
                    }
                }
            }
        }
        merged.retain(|(_, actions)| !actions.is_empty());
        merged
    };
    let table = quote_column(&opts.table)?;
    let policy_name = |cmd: SqlCommand| quote_ident(&format!("ordinance_{ty}_{}", cmd.keyword().to_lowercase()));
    let empty_session = Session::from_claims(serde_json::json!({}))
        .map_err(|e| FilterError::invalid_option(format!("internal: {e}")))?;
    let resource = Resource::new(ty);
    let context = Context::default();
    let no_permissions = vec![0u64; program.permission_words];
    let mut out = String::new();
    // A line break in a name would end the comment and start a statement.
    let one_line = |s: &str| s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>();
    let _ = writeln!(
        out,
        "-- Row-level security for {} (resource type `{ty}`), generated by `ordinance rls` from {}.",
        one_line(&table),
        one_line(engine.policy().file_name())
    );
    let _ = writeln!(
        out,
        "-- Reads the verified Clerk (v1) session claims from current_setting('request.jwt.claims', true)."
    );
    for cmd in SqlCommand::ALL {
        match commands.iter().find(|(c, _)| *c == cmd) {
            Some((_, actions)) => {
                let _ = writeln!(out, "-- {}: {}", cmd.keyword(), actions.join(" and "));
            }
            None => {
                let _ = writeln!(out, "-- {}: no action, no policy (refused on every row)", cmd.keyword());
            }
        }
    }
    out.push('\n');
    out.push_str(HELPERS);
    let _ = writeln!(out, "\nALTER TABLE {table} ENABLE ROW LEVEL SECURITY;");
    // A policy an earlier run created for a command that now has no action would still
    // allow that command: drop it.
    for cmd in SqlCommand::ALL {
        if !commands.iter().any(|(c, _)| *c == cmd) {
            let _ = writeln!(out, "DROP POLICY IF EXISTS {} ON {table};", policy_name(cmd)?);
        }
    }
    let mut validity = None;
    let license = license_ok(&program, &claims).map_err(|why| FilterError::not_expressible("license", "SQL", &why))?;
    for (cmd, actions) in &commands {
        let mut allowed = F::yes();
        for action in actions {
            let (info, slot) = lookup(&program, ty, action)?;
            if validity.is_none() {
                for key in opts.columns.keys() {
                    if key != "id" && !info.attrs.iter().any(|(n, _, _)| n.as_ref() == key) {
                        return Err(FilterError::invalid_option(format!(
                            "the column map names `{key}`, which is not an attribute of `{ty}`"
                        )));
                    }
                }
                validity = Some(super::sql::validity(&info.attrs, &opts.columns)?);
            }
            let sym = Sym {
                ev: Evaluator {
                    session: &empty_session,
                    permissions: &no_permissions,
                    licensed: false,
                    resource: &resource,
                    context: &context,
                },
                attrs: &info.attrs,
                claims: Some(&claims),
            };
            let (body, _) = residual(&program, slot, &sym, "row-level security")?;
            allowed = allowed.and(&body);
        }
        let mut render = Render { columns: &opts.columns, literals: Literals::Inline };
        let mut parts = vec![sub("ordinance_session_ok()")];
        if let Some(l) = &license {
            parts.push(super::sql::conjunct(&mut render, l)?);
        }
        parts.extend(validity.clone().unwrap_or_default());
        match allowed.node() {
            Node::And(xs) => {
                for x in xs {
                    parts.push(super::sql::conjunct(&mut render, x)?);
                }
            }
            _ => parts.push(super::sql::conjunct(&mut render, &allowed)?),
        }
        let condition = parts.join("\n    AND ");
        let name = policy_name(*cmd)?;
        let to = match &opts.role {
            // `PUBLIC` is a keyword, not a role: quoted, `"PUBLIC"` names no role.
            Some(r) if r.eq_ignore_ascii_case("public") => " TO PUBLIC".to_string(),
            Some(r) => format!(" TO {}", quote_ident(r)?),
            None => String::new(),
        };
        let clause = match cmd {
            SqlCommand::Insert => format!("WITH CHECK (\n    {condition}\n  )"),
            SqlCommand::Update => format!("USING (\n    {condition}\n  )\n  WITH CHECK (\n    {condition}\n  )"),
            _ => format!("USING (\n    {condition}\n  )"),
        };
        let _ = writeln!(out, "\nDROP POLICY IF EXISTS {name} ON {table};");
        let _ = writeln!(out, "CREATE POLICY {name} ON {table} AS PERMISSIVE FOR {}{to}\n  {clause};", cmd.keyword());
    }
    Ok(out)
}
