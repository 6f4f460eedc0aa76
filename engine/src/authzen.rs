//! The OpenID AuthZEN Authorization API 1.0, in process: the Access Evaluation
//! ([`Engine::evaluate`]) and Access Evaluations ([`Engine::evaluations`]) requests and
//! responses, mapped onto an ordinance decision.
//!
//! ## Mapping
//!
//! | AuthZEN | ordinance |
//! |---|---|
//! | `subject.id` | claim `sub` (`user.id` in a policy) |
//! | `subject.properties` | session claims: custom ones as `claims.<name>`, and registered ones (`org_id`, `org_role`, `exp`, `v`, `o`, ...) with their usual meaning, so a PEP can pass a verified token's claims |
//! | directory attributes of `subject.id` | custom claims `claims.<name>`; they win over `subject.properties` on a conflict, and may not be registered claims |
//! | `subject.type` | required, not passed to the policy |
//! | `resource` | `{"type": resource.type, "id": resource.id, ...resource.properties}` |
//! | `action.name` | the action (`action.properties` is not passed on) |
//! | `context` | the request context (`context.*`) |
//!
//! Precedence, lowest first: `sub` from `subject.id`, then `subject.properties`, then the
//! directory. The directory is the PDP's own record of its users, so a PEP cannot
//! override it (for instance add a role) by sending the same key in `properties`.
//! `subject.properties.sub` must equal `subject.id`; `resource.properties` may not set
//! `type` or `id`.
//!
//! ## Responses
//!
//! A permit is exactly `{"decision": true}`: the spec lets a PEP reject a permit whose
//! `context` it does not understand, so a permit carries none. A deny is
//! `{"decision": false, "context": {...}}` where the context holds the ordinance decision
//! (`reason`, `rule` when a rule decided, `missing`, `error` when there is one) plus the
//! spec's reason fields, each keyed by an HTTP-style status:
//!
//! - `reason_admin`: always, ``{"<status>": "<reason> (rule `<id>`): <error>"}`` (the error
//!   without its opening words when they repeat the reason: `invalid_resource: attribute
//!   `owner_id` is missing`, not `invalid_resource: invalid resource: ...`), with status
//!   `400` for bad input (`invalid_*`, `unknown_*`), `401` for a session outside its
//!   validity window (`session_expired`, `session_not_yet_valid`) and `403` otherwise;
//! - `reason_user`: only when the user can act on it: the `missing` requirements in words
//!   (`{"403": "requires the `org:tasks:manage` permission"}`), or `{"401": "sign in again"}`
//!   for an expired or not-yet-valid session.
//!
//! A structurally bad request (a missing or mistyped `subject`, `action` or `resource`,
//! an unknown `evaluations_semantic`, an `evaluations` that is not a list) is an
//! `Err(InputError)`: HTTP 400 Bad Request. In a batch, a malformed item is not: as the
//! spec has it, a failed item is `"decision": false` with the details in its `context`
//! (reason `invalid_request`, the message in `error`, status `400` in `reason_admin`),
//! and the other items are answered. Anything the policy has to judge (claims that fail
//! validation, an unknown resource type or action, a resource attribute of the wrong
//! type) is a deny with its reason.

use crate::claims::kind_of;
use crate::decision::{Decision, Reason};
use crate::engine::Engine;
use crate::limits::Limits;
use crate::resource::InputError;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// Largest directory document [`Directory::from_json`] reads: 64 MiB.
pub const MAX_DIRECTORY_BYTES: usize = 64 << 20;

/// Subject attributes an AuthZEN PDP looks up by `subject.id` (the scenario's PIP), since
/// AuthZEN requests usually carry only the id.
///
/// The document is one JSON object mapping each subject id to an object of attributes;
/// the attributes become custom claims (`claims.<name>` in a policy). This is the shape of
/// the AuthZEN Todo scenario's user records:
///
/// ```
/// use ordinance::{Directory, Engine};
/// use serde_json::json;
/// let directory = Directory::from_json(r#"{
///     "user-1": {"email": "rick@the-citadel.com", "roles": ["admin"]}
/// }"#).unwrap();
/// assert_eq!(directory.len(), 1);
/// let engine = Engine::from_policy_text(r#"
///     resource todo {}
///     action can_delete_todo on todo
///     permit can_delete_todo on todo when "admin" in claims.roles
/// "#).unwrap().with_directory(directory);
/// let request = json!({
///     "subject": {"type": "user", "id": "user-1"},
///     "action": {"name": "can_delete_todo"},
///     "resource": {"type": "todo", "id": "1"}
/// });
/// assert_eq!(engine.evaluate(&request).unwrap(), json!({"decision": true}));
/// ```
///
/// A subject may not carry registered claims (`sub`, `org_id`, `exp`, ...): those describe
/// one session, not a user, and are refused when the directory is loaded.
///
/// ```
/// let err = ordinance::Directory::from_json(r#"{"u": {"org_role": "org:admin"}}"#).unwrap_err();
/// assert!(err.to_string().contains("registered claim `org_role`"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Directory {
    subjects: Map<String, Value>,
}

impl Directory {
    /// Parses a directory document (duplicate keys rejected, at most
    /// [`MAX_DIRECTORY_BYTES`]).
    pub fn from_json(text: &str) -> Result<Directory, InputError> {
        let limits = Limits::default();
        let value = crate::json::parse_strict(text, MAX_DIRECTORY_BYTES, limits.max_json_depth.saturating_add(1))
            .map_err(|e| InputError::new("directory", e))?;
        Directory::from_value(value)
    }

    /// Builds a directory from a parsed JSON object.
    pub fn from_value(value: Value) -> Result<Directory, InputError> {
        let limits = Limits::default();
        let Value::Object(subjects) = value else {
            return Err(InputError::new(
                "directory",
                format!("must be a JSON object mapping subject ids to attributes, found {}", kind_of(&value)),
            ));
        };
        for (id, attrs) in &subjects {
            if id.is_empty() {
                return Err(InputError::new("directory", "a subject id is empty"));
            }
            let Value::Object(attrs) = attrs else {
                return Err(InputError::new(
                    "directory",
                    format!("subject `{id}` must be an object of attributes, found {}", kind_of(attrs)),
                ));
            };
            if let Some(key) = attrs.keys().find(|k| crate::claims::REGISTERED.contains(&k.as_str())) {
                return Err(InputError::new(
                    "directory",
                    format!(
                        "subject `{id}` sets the registered claim `{key}`; a directory holds only custom attributes"
                    ),
                ));
            }
            crate::json::check_depth(&Value::Object(attrs.clone()), limits.max_json_depth)
                .map_err(|e| InputError::new("directory", format!("subject `{id}`: {e}")))?;
        }
        Ok(Directory { subjects })
    }

    /// The attributes recorded for `id`.
    pub fn get(&self, id: &str) -> Option<&Map<String, Value>> {
        self.subjects.get(id).and_then(Value::as_object)
    }

    /// The number of subjects.
    pub fn len(&self) -> usize {
        self.subjects.len()
    }

    /// Whether the directory has no subjects.
    pub fn is_empty(&self) -> bool {
        self.subjects.is_empty()
    }
}

/// How a batch stops early (`options.evaluations_semantic`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Semantic {
    ExecuteAll,
    DenyOnFirstDeny,
    PermitOnFirstPermit,
}

/// One evaluation, validated and mapped onto ordinance inputs.
struct Mapped {
    claims: Value,
    action: String,
    resource: Value,
    context: Option<Value>,
}

fn bad(message: impl Into<String>) -> InputError {
    InputError::new("request", message)
}

impl Engine {
    /// This engine with `directory` as its subject directory, for [`Engine::evaluate`] and
    /// [`Engine::evaluations`]. The compiled policy is shared, not copied.
    pub fn with_directory(mut self, directory: Directory) -> Engine {
        self.directory = Some(Arc::new(directory));
        self
    }

    /// The subject directory, if one was loaded.
    pub fn directory(&self) -> Option<&Directory> {
        self.directory.as_deref()
    }

    /// Answers an AuthZEN Access Evaluation request (`POST /access/v1/evaluation`) at the
    /// system clock's time. `Err` is a malformed request (HTTP 400); a deny is
    /// `Ok({"decision": false, ...})`. The mapping is in the module documentation.
    ///
    /// ```
    /// # use ordinance::Engine;
    /// # use serde_json::json;
    /// let engine = Engine::from_policy_text(r#"
    ///     resource task { owner_id: string }
    ///     action edit on task
    ///     @id("own") permit edit on task when resource.owner_id == user.id
    /// "#).unwrap();
    /// let request = |owner: &str| json!({
    ///     "subject": {"type": "user", "id": "user_1"},
    ///     "action": {"name": "edit"},
    ///     "resource": {"type": "task", "id": "t1", "properties": {"owner_id": owner}}
    /// });
    /// assert_eq!(engine.evaluate(&request("user_1")).unwrap(), json!({"decision": true}));
    /// let deny = engine.evaluate(&request("user_2")).unwrap();
    /// assert_eq!(deny["decision"], false);
    /// assert_eq!(deny["context"]["reason"], "no_matching_rule");
    /// assert!(engine.evaluate(&json!({"action": {"name": "edit"}})).is_err());
    /// ```
    pub fn evaluate(&self, request: &Value) -> Result<Value, InputError> {
        self.evaluate_inner(request, None)
    }

    /// As [`Engine::evaluate`], at unix time `now` (seconds) instead of the clock.
    pub fn evaluate_at(&self, request: &Value, now: i64) -> Result<Value, InputError> {
        self.evaluate_inner(request, Some(now))
    }

    /// Answers an AuthZEN Access Evaluations (batch) request (`POST /access/v1/evaluations`)
    /// at the system clock's time: `{"evaluations": [decision, ...]}` in request order.
    ///
    /// Top-level `subject`, `action`, `resource` and `context` are defaults; a key given in
    /// an item replaces the default entity whole (no merging of `properties`).
    /// `options.evaluations_semantic` is `execute_all` (the default: every item),
    /// `deny_on_first_deny` (stop after the first deny) or `permit_on_first_permit` (stop
    /// after the first permit); the array then ends with the deciding item. With
    /// `evaluations` absent or empty the request is a single evaluation and the answer a
    /// single decision. A malformed item (an entity missing with no default, a mistyped
    /// one) is answered `"decision": false` with reason `invalid_request` and its error,
    /// like a deny (it stops a `deny_on_first_deny` batch); only a malformed request as a
    /// whole (not an object, `evaluations` not a list, a bad `options`) is an `Err`
    /// (HTTP 400).
    ///
    /// ```
    /// # use ordinance::Engine;
    /// # use serde_json::json;
    /// let engine = Engine::from_policy_text(r#"
    ///     resource doc { public: bool }
    ///     action read on doc
    ///     permit read on doc when resource.public
    /// "#).unwrap();
    /// let doc = |public: bool| json!({"resource": {"type": "doc", "id": "d", "properties": {"public": public}}});
    /// let mut request = json!({
    ///     "subject": {"type": "user", "id": "u"},
    ///     "action": {"name": "read"},
    ///     "evaluations": [doc(true), doc(false), doc(true)]
    /// });
    /// let all = engine.evaluations(&request).unwrap();
    /// assert_eq!(all["evaluations"].as_array().unwrap().len(), 3);
    /// request["options"] = json!({"evaluations_semantic": "deny_on_first_deny"});
    /// let short = engine.evaluations(&request).unwrap();
    /// assert_eq!(short["evaluations"].as_array().unwrap().len(), 2);
    /// // A malformed item fails closed on its own.
    /// request["options"] = json!({});
    /// request["evaluations"][0] = json!({"resource": {"type": "doc"}});
    /// let answers = engine.evaluations(&request).unwrap();
    /// assert_eq!(answers["evaluations"][0]["decision"], false);
    /// assert_eq!(answers["evaluations"][0]["context"]["reason"], "invalid_request");
    /// assert_eq!(answers["evaluations"][2]["decision"], true);
    /// ```
    pub fn evaluations(&self, request: &Value) -> Result<Value, InputError> {
        self.evaluations_inner(request, None)
    }

    /// As [`Engine::evaluations`], at unix time `now` (seconds) instead of the clock.
    pub fn evaluations_at(&self, request: &Value, now: i64) -> Result<Value, InputError> {
        self.evaluations_inner(request, Some(now))
    }

    /// Parses an AuthZEN request from JSON text (strictly: duplicate keys are an error) and
    /// answers it: a batch when it has a non-empty `evaluations` array, else a single
    /// evaluation. This is what `ordinance authzen` does with its standard input.
    ///
    /// ```
    /// # use ordinance::Engine;
    /// let engine = Engine::from_policy_text("resource doc {}\naction read on doc\npermit read on doc").unwrap();
    /// let one = r#"{"subject": {"type": "user", "id": "u"}, "action": {"name": "read"}, "resource": {"type": "doc", "id": "1"}}"#;
    /// assert_eq!(engine.evaluate_json(one, Some(0)).unwrap().to_string(), r#"{"decision":true}"#);
    /// assert!(engine.evaluate_json(r#"{"subject": 1, "subject": 2}"#, None).is_err());
    /// ```
    pub fn evaluate_json(&self, text: &str, now: Option<i64>) -> Result<Value, InputError> {
        let limits = self.limits();
        let max = limits.max_request_bytes.saturating_mul(16);
        let request = crate::json::parse_strict(text, max, limits.max_json_depth.saturating_add(4)).map_err(bad)?;
        self.evaluations_inner(&request, now)
    }

    fn evaluate_inner(&self, request: &Value, now: Option<i64>) -> Result<Value, InputError> {
        let Value::Object(req) = request else {
            return Err(bad(format!("must be a JSON object, found {}", kind_of(request))));
        };
        let mapped = self.map(
            field(req, None, "subject")?,
            field(req, None, "action")?,
            field(req, None, "resource")?,
            optional_object(req, "context", "context")?,
        )?;
        Ok(self.answer(mapped, now).0)
    }

    fn evaluations_inner(&self, request: &Value, now: Option<i64>) -> Result<Value, InputError> {
        let Value::Object(req) = request else {
            return Err(bad(format!("must be a JSON object, found {}", kind_of(request))));
        };
        let items = match req.get("evaluations") {
            None | Some(Value::Null) => return self.evaluate_inner(request, now),
            Some(Value::Array(items)) if items.is_empty() => return self.evaluate_inner(request, now),
            Some(Value::Array(items)) => items,
            Some(other) => return Err(bad(format!("`evaluations` must be a list, found {}", kind_of(other)))),
        };
        let semantic = semantic(req)?;
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            // A malformed item fails closed on its own (the spec's "decisions default to
            // closed"): a deny carrying the error, and the other items are still answered.
            let (response, allowed) = match self.map_item(req, i, item) {
                Ok(m) => self.answer(m, now),
                Err(e) => {
                    (decision_response(&Decision::deny_with_error(Reason::INVALID_REQUEST, e.to_string())), false)
                }
            };
            out.push(response);
            let stop = match semantic {
                Semantic::ExecuteAll => false,
                Semantic::DenyOnFirstDeny => !allowed,
                Semantic::PermitOnFirstPermit => allowed,
            };
            if stop {
                break;
            }
        }
        Ok(json!({ "evaluations": out }))
    }

    /// Batch item `i` with the request's defaults filled in, validated and mapped.
    fn map_item(&self, req: &Map<String, Value>, i: usize, item: &Value) -> Result<Mapped, InputError> {
        let Value::Object(item) = item else {
            return Err(bad(format!("`evaluations[{i}]` must be an object, found {}", kind_of(item))));
        };
        let at = Some((i, req));
        let context = match item.get("context") {
            None | Some(Value::Null) => optional_object(req, "context", "context")?,
            Some(_) => optional_object(item, "context", &format!("evaluations[{i}].context"))?,
        };
        self.map(field(item, at, "subject")?, field(item, at, "action")?, field(item, at, "resource")?, context)
    }

    /// Validates the three entities and builds the claims and resource documents.
    fn map(
        &self,
        (subject, subject_path): (&Map<String, Value>, String),
        (action, action_path): (&Map<String, Value>, String),
        (resource, resource_path): (&Map<String, Value>, String),
        context: Option<Value>,
    ) -> Result<Mapped, InputError> {
        required_str(subject, &subject_path, "type")?;
        let id = required_str(subject, &subject_path, "id")?;
        let name = required_str(action, &action_path, "name")?;
        optional_object(action, "properties", &format!("{action_path}.properties"))?;
        let rtype = required_str(resource, &resource_path, "type")?;
        let rid = required_str(resource, &resource_path, "id")?;

        let mut claims = Map::new();
        claims.insert("sub".into(), Value::String(id.to_owned()));
        let props_path = format!("{subject_path}.properties");
        if let Some(Value::Object(props)) = optional_object(subject, "properties", &props_path)? {
            for (k, v) in props {
                if k == "sub" && v.as_str() != Some(id) {
                    return Err(bad(format!("`{props_path}.sub` must equal `{subject_path}.id` when given")));
                }
                claims.insert(k, v);
            }
        }
        if let Some(attrs) = self.directory().and_then(|d| d.get(id)) {
            for (k, v) in attrs {
                claims.insert(k.clone(), v.clone());
            }
        }

        let mut doc = Map::new();
        doc.insert("type".into(), Value::String(rtype.to_owned()));
        doc.insert("id".into(), Value::String(rid.to_owned()));
        let props_path = format!("{resource_path}.properties");
        if let Some(Value::Object(props)) = optional_object(resource, "properties", &props_path)? {
            for (k, v) in props {
                if k == "type" || k == "id" {
                    return Err(bad(format!("`{props_path}` must not set `{k}`; it is `{resource_path}.{k}`")));
                }
                doc.insert(k, v);
            }
        }
        Ok(Mapped { claims: Value::Object(claims), action: name.to_owned(), resource: Value::Object(doc), context })
    }

    /// Decides one mapped evaluation: the response object and whether it permits.
    fn answer(&self, m: Mapped, now: Option<i64>) -> (Value, bool) {
        let d = self.decide_value(m.claims, &m.action, m.resource, m.context, now);
        (decision_response(&d), d.allowed)
    }
}

/// The AuthZEN Decision object for an ordinance decision (see the module documentation).
///
/// ```
/// # use ordinance::*;
/// let engine = Engine::from_policy_text("resource doc {}\naction read on doc\npermit read on doc when user").unwrap();
/// let d = engine.decide_value(serde_json::json!({}), "read", serde_json::json!({"type": "doc"}), None, Some(0));
/// let r = ordinance::authzen_decision(&d);
/// assert_eq!(r["decision"], false);
/// assert_eq!(r["context"]["reason_user"]["403"], "sign in");
/// ```
pub fn authzen_decision(d: &Decision) -> Value {
    decision_response(d)
}

fn decision_response(d: &Decision) -> Value {
    if d.allowed {
        return json!({ "decision": true });
    }
    let reason = d.reason.as_str();
    let status = if reason.starts_with("invalid_") || reason.starts_with("unknown_") {
        "400"
    } else if reason == "session_expired" || reason == "session_not_yet_valid" {
        "401"
    } else {
        "403"
    };
    let mut admin = reason.to_string();
    if let Some(rule) = &d.rule {
        admin.push_str(&format!(" (rule `{rule}`)"));
    }
    if let Some(e) = &d.error {
        // The error usually opens with the reason in words (`invalid resource: ...`), which
        // would repeat the reason code just before it.
        let in_words = |(r, e): (u8, u8)| e == if r == b'_' { b' ' } else { r };
        let repeats = e.len() > reason.len() && reason.bytes().zip(e.bytes()).all(in_words);
        let detail = e.get(reason.len()..).filter(|_| repeats).and_then(|rest| rest.strip_prefix(": ")).unwrap_or(e);
        admin.push_str(": ");
        admin.push_str(detail);
    }
    let mut ctx = Map::new();
    ctx.insert("reason".into(), Value::String(reason.to_string()));
    if let Some(rule) = &d.rule {
        ctx.insert("rule".into(), Value::String(rule.to_string()));
    }
    ctx.insert("missing".into(), serde_json::to_value(&d.missing).unwrap_or(Value::Array(Vec::new())));
    if let Some(e) = &d.error {
        ctx.insert("error".into(), Value::String(e.clone()));
    }
    ctx.insert("reason_admin".into(), json!({ status: admin }));
    if status == "401" {
        ctx.insert("reason_user".into(), json!({ "401": "sign in again" }));
    } else if !d.missing.is_empty() {
        let words: Vec<String> = d.missing.iter().map(ToString::to_string).collect();
        ctx.insert("reason_user".into(), json!({ status: words.join("; ") }));
    }
    json!({ "decision": false, "context": ctx })
}

fn semantic(req: &Map<String, Value>) -> Result<Semantic, InputError> {
    let Some(Value::Object(options)) = optional_object(req, "options", "options")? else {
        return Ok(Semantic::ExecuteAll);
    };
    match options.get("evaluations_semantic") {
        None | Some(Value::Null) => Ok(Semantic::ExecuteAll),
        Some(Value::String(s)) => match s.as_str() {
            "execute_all" => Ok(Semantic::ExecuteAll),
            "deny_on_first_deny" => Ok(Semantic::DenyOnFirstDeny),
            "permit_on_first_permit" => Ok(Semantic::PermitOnFirstPermit),
            other => Err(bad(format!(
                "`options.evaluations_semantic` `{other}` is not one of `execute_all`, `deny_on_first_deny`, `permit_on_first_permit`"
            ))),
        },
        Some(other) => Err(bad(format!(
            "`options.evaluations_semantic` must be a string, found {}",
            kind_of(other)
        ))),
    }
}

/// An entity (`subject`, `action`, `resource`) from a batch item or, failing that, from
/// the request's defaults (`at` = `Some((index, top-level request))`); or, for a single
/// evaluation (`at` = `None`), from the request itself. Returns it with its path for
/// messages.
fn field<'a>(
    obj: &'a Map<String, Value>,
    at: Option<(usize, &'a Map<String, Value>)>,
    key: &str,
) -> Result<(&'a Map<String, Value>, String), InputError> {
    let (value, path) = match (obj.get(key), at) {
        (Some(v), Some((i, _))) if !v.is_null() => (v, format!("evaluations[{i}].{key}")),
        (_, Some((i, top))) => match top.get(key) {
            Some(v) if !v.is_null() => (v, key.to_string()),
            _ => return Err(bad(format!("`{key}` is missing from `evaluations[{i}]` and has no top-level default"))),
        },
        (Some(v), None) if !v.is_null() => (v, key.to_string()),
        (_, None) => return Err(bad(format!("`{key}` is missing"))),
    };
    match value {
        Value::Object(map) => Ok((map, path)),
        other => Err(bad(format!("`{path}` must be an object, found {}", kind_of(other)))),
    }
}

fn required_str<'a>(obj: &'a Map<String, Value>, path: &str, key: &str) -> Result<&'a str, InputError> {
    match obj.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(Value::String(_)) => Err(bad(format!("`{path}.{key}` must not be empty"))),
        None | Some(Value::Null) => Err(bad(format!("`{path}.{key}` is missing"))),
        Some(other) => Err(bad(format!("`{path}.{key}` must be a string, found {}", kind_of(other)))),
    }
}

/// An optional object member; `null` counts as absent. Returns a clone for the caller.
fn optional_object(obj: &Map<String, Value>, key: &str, path: &str) -> Result<Option<Value>, InputError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v.clone())),
        Some(other) => Err(bad(format!("`{path}` must be an object, found {}", kind_of(other)))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn engine() -> Engine {
        Engine::from_policy_text(
            r#"
            permission org:tasks:edit "Edit"
            role org:member = [org:tasks:edit]
            resource task { owner_id: string }
            action edit on task
            @id("own") permit edit on task when resource.owner_id == user.id
            @id("org") permit edit on task when org and resource.owner_id == org.id and has(org:tasks:edit)
            @id("team") permit edit on task when claims.team == "red" and resource.owner_id == "red"
            "#,
        )
        .unwrap()
    }

    fn req(subject: Value, owner: &str) -> Value {
        json!({"subject": subject, "action": {"name": "edit"},
               "resource": {"type": "task", "id": "t", "properties": {"owner_id": owner}}})
    }

    #[test]
    fn subject_properties_carry_session_claims() {
        let e = engine();
        let s = json!({"type": "user", "id": "u1", "properties": {"org_id": "org_1", "org_role": "org:member"}});
        assert_eq!(e.evaluate_at(&req(s, "org_1"), 0).unwrap()["decision"], true);
        let bad_claims = json!({"type": "user", "id": "u1", "properties": {"org_permissions": "x"}});
        let r = e.evaluate_at(&req(bad_claims, "u1"), 0).unwrap();
        assert_eq!(r["decision"], false);
        assert_eq!(r["context"]["reason"], "invalid_claims");
        let admin = r["context"]["reason_admin"]["400"].as_str().unwrap();
        assert!(admin.starts_with("invalid_claims: ") && !admin.contains("invalid claims: "), "{admin}");
    }

    #[test]
    fn directory_wins_over_properties() {
        let dir = Directory::from_value(json!({"u1": {"team": "blue"}})).unwrap();
        let e = engine().with_directory(dir);
        let s = json!({"type": "user", "id": "u1", "properties": {"team": "red"}});
        assert_eq!(e.evaluate_at(&req(s, "red"), 0).unwrap()["decision"], false);
        let s = json!({"type": "user", "id": "u2", "properties": {"team": "red"}});
        assert_eq!(e.evaluate_at(&req(s, "red"), 0).unwrap()["decision"], true);
    }

    #[test]
    fn directory_refuses_registered_claims_and_bad_shapes() {
        for bad in [
            json!({"u": {"org_id": "o"}}),
            json!({"u": {"sub": "v"}}),
            json!({"u": {"exp": 1}}),
            json!({"u": "admin"}),
            json!({"": {}}),
            json!([]),
        ] {
            assert!(Directory::from_value(bad.clone()).is_err(), "{bad}");
        }
        assert!(Directory::from_json(r#"{"u": {}, "u": {}}"#).is_err());
    }

    #[test]
    fn malformed_requests_are_errors() {
        let e = engine();
        let ok = req(json!({"type": "user", "id": "u1"}), "u1");
        assert!(e.evaluate_at(&ok, 0).is_ok());
        let cases = [
            ("/subject", Value::Null),
            ("/subject/id", json!(7)),
            ("/subject/id", json!("")),
            ("/subject/type", Value::Null),
            ("/subject/properties", json!([1])),
            ("/subject/properties", json!({"sub": "other"})),
            ("/action", json!("edit")),
            ("/action/name", Value::Null),
            ("/resource/type", json!(1)),
            ("/resource/id", Value::Null),
            ("/resource/properties", json!({"type": "doc"})),
            ("/context", json!("ctx")),
        ];
        for (pointer, value) in cases {
            let mut r = ok.clone();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            let target = if parent.is_empty() { &mut r } else { r.pointer_mut(parent).unwrap() };
            target.as_object_mut().unwrap().insert(key.to_string(), value.clone());
            let err = e.evaluate_at(&r, 0).unwrap_err();
            assert_eq!(err.what(), "request", "{pointer} = {value}");
        }
        assert!(e.evaluate(&json!([])).is_err());
    }

    #[test]
    fn batch_defaults_overrides_and_semantics() {
        let e = engine();
        let item = |owner: &str| json!({"resource": {"type": "task", "id": "t", "properties": {"owner_id": owner}}});
        let mut r = json!({
            "subject": {"type": "user", "id": "u1"},
            "action": {"name": "edit"},
            "evaluations": [item("u1"), item("u2"), item("u1"),
                {"subject": {"type": "user", "id": "u2"}, "resource": {"type": "task", "id": "t", "properties": {"owner_id": "u2"}}}]
        });
        let decisions = |r: &Value| -> Vec<bool> {
            e.evaluations_at(r, 0).unwrap()["evaluations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["decision"].as_bool().unwrap())
                .collect()
        };
        assert_eq!(decisions(&r), [true, false, true, true]);
        r["options"] = json!({"evaluations_semantic": "deny_on_first_deny"});
        assert_eq!(decisions(&r), [true, false]);
        r["options"] = json!({"evaluations_semantic": "permit_on_first_permit"});
        assert_eq!(decisions(&r), [true]);
        r["options"] = json!({"evaluations_semantic": "all"});
        assert!(e.evaluations_at(&r, 0).is_err());
        r["options"] = json!({"evaluations_semantic": "execute_all", "other": 1});
        assert_eq!(decisions(&r), [true, false, true, true]);
        // An item without a resource and no default fails on its own; the rest are answered.
        r["evaluations"][1] = json!({});
        assert_eq!(decisions(&r), [true, false, true, true]);
        let failed = &e.evaluations_at(&r, 0).unwrap()["evaluations"][1];
        assert_eq!(failed["context"]["reason"], "invalid_request");
        assert!(failed["context"]["error"].as_str().unwrap().contains("`resource` is missing from `evaluations[1]`"));
        // No evaluations: a single decision.
        let single = req(json!({"type": "user", "id": "u1"}), "u1");
        assert_eq!(e.evaluations_at(&single, 0).unwrap(), json!({"decision": true}));
        let mut empty = single.clone();
        empty["evaluations"] = json!([]);
        assert_eq!(e.evaluations_at(&empty, 0).unwrap(), json!({"decision": true}));
    }

    #[test]
    fn deny_context_maps_reasons() {
        let e = engine();
        let s = json!({"type": "user", "id": "u1", "properties": {"org_id": "org_1"}});
        let r = e.evaluate_at(&req(s, "org_1"), 0).unwrap();
        assert_eq!(
            r,
            json!({"decision": false, "context": {
                "reason": "no_matching_rule",
                "missing": [{"kind": "permission", "name": "org:tasks:edit"}],
                "reason_admin": {"403": "no_matching_rule"},
                "reason_user": {"403": "requires the `org:tasks:edit` permission"}
            }})
        );
        let s = json!({"type": "user", "id": "u1", "properties": {"exp": 10}});
        let r = e.evaluate_at(&req(s, "u1"), 100).unwrap();
        assert_eq!(r["context"]["reason"], "session_expired");
        assert_eq!(r["context"]["reason_user"], json!({"401": "sign in again"}));
        let mut unknown = req(json!({"type": "user", "id": "u1"}), "u1");
        unknown["action"]["name"] = json!("fly");
        let r = e.evaluate_at(&unknown, 0).unwrap();
        assert_eq!(r["context"]["reason"], "unknown_action");
        assert!(r["context"].get("reason_user").is_none());
    }
}
