//! Resources and request context: the "what" and the "where" of a decision.

use crate::json;
use crate::limits::Limits;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// A resource or context document that cannot be used.
///
/// ```
/// let err = ordinance::Resource::from_json(r#"{"id": "42"}"#).unwrap_err();
/// assert_eq!(err.to_string(), "invalid resource: field `type` is missing");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what}: {message}")]
pub struct InputError {
    what: &'static str,
    message: String,
}

impl InputError {
    pub(crate) fn new(what: &'static str, message: impl Into<String>) -> InputError {
        InputError { what, message: message.into() }
    }

    /// `resource` or `context`.
    pub fn what(&self) -> &str {
        self.what
    }

    /// The reason, without the prefix.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// The thing a decision is about: a flat object with a `type`, an optional `id` and
/// attributes, e.g. `{"type": "task", "id": "42", "owner_id": "org_1"}`.
///
/// ```
/// use ordinance::Resource;
/// let task = Resource::from_json(r#"{"type": "task", "id": "42", "owner_id": "org_1"}"#).unwrap();
/// assert_eq!(task.type_name(), "task");
/// assert_eq!(task.id(), Some("42"));
/// let same = Resource::new("task").with_id("42").with_attr("owner_id", "org_1");
/// assert_eq!(task, same);
/// ```
///
/// A resource remembers how its declared attributes bind to the first engine that decides
/// on it (a copy of those attribute values, made once), so deciding several actions or
/// several times on the same `Resource` skips the attribute lookups; with any other engine
/// it is bound afresh on each decision. The builder methods start from an empty cache.
#[derive(Clone)]
pub struct Resource {
    pub(crate) type_name: String,
    pub(crate) id: Option<String>,
    pub(crate) attrs: Attrs,
    /// See `engine::Binding`. Not part of the resource's value: ignored by `==` and `Debug`.
    pub(crate) binding: std::sync::OnceLock<crate::engine::Binding>,
}

impl PartialEq for Resource {
    fn eq(&self, other: &Resource) -> bool {
        self.type_name == other.type_name && self.id == other.id && self.attrs == other.attrs
    }
}

impl std::fmt::Debug for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resource")
            .field("type_name", &self.type_name)
            .field("id", &self.id)
            .field("attrs", &self.attrs)
            .finish()
    }
}

impl Resource {
    /// A resource of type `type_name` with no attributes.
    pub fn new(type_name: impl Into<String>) -> Resource {
        Resource::from_parts(type_name.into(), None, Attrs::default())
    }

    /// A resource from its parts, with an empty binding cache.
    pub(crate) fn from_parts(type_name: String, id: Option<String>, attrs: Attrs) -> Resource {
        Resource { type_name, id, attrs, binding: std::sync::OnceLock::new() }
    }

    /// Sets the id.
    pub fn with_id(mut self, id: impl Into<String>) -> Resource {
        self.id = Some(id.into());
        self.binding = std::sync::OnceLock::new();
        self
    }

    /// Adds an attribute.
    pub fn with_attr(mut self, name: impl Into<String>, value: impl Into<Value>) -> Resource {
        self.attrs.insert(name.into(), value.into());
        self.binding = std::sync::OnceLock::new();
        self
    }

    /// Parses resource JSON with the default [`Limits`].
    pub fn from_json(text: &str) -> Result<Resource, InputError> {
        Resource::from_json_with_limits(text, &Limits::default())
    }

    /// Parses resource JSON with explicit limits.
    ///
    /// One pass over the text: `type` and `id` are set aside and the other fields become
    /// the attributes as they are read. Accepts and rejects exactly what strict parsing
    /// into a `Value` (duplicate keys, size and depth checked) followed by
    /// [`Resource::from_value`] would (`engine/tests/intake_props.rs`).
    pub fn from_json_with_limits(text: &str, limits: &Limits) -> Result<Resource, InputError> {
        Resource::from_json_declared(text, limits, None, true)
    }

    /// As [`Resource::from_json_with_limits`]; with `declared` (the attribute names
    /// declared on a resource type, none for an unknown type), the attributes that follow
    /// `type` in the text and are not declared on it are validated and not kept. For a
    /// resource built for one decision: a policy reads only the attributes declared on
    /// the resource's type (the validator refuses any other `resource.*` path). Without
    /// `keep_id` (no rule reads `resource.id`), `id` is type-checked and kept empty.
    pub(crate) fn from_json_declared(
        text: &str,
        limits: &Limits,
        declared: Option<Declared<'_>>,
        keep_id: bool,
    ) -> Result<Resource, InputError> {
        if cfg!(target_arch = "wasm32") {
            // As for claims (`Session::from_claims_text`): the wasm build keeps to the
            // strict DOM path, proven equal to this reader, to stay within its size budget.
            let _ = (declared, keep_id);
            return Resource::from_json_dom(text, limits);
        }
        json::check_size(text, limits.max_request_bytes).map_err(|e| InputError::new("resource", e))?;
        let mut de = serde_json::Deserializer::from_str(text);
        let top = ResourceSeed { max_depth: limits.max_json_depth, declared, keep_id }
            .deserialize(&mut de)
            .and_then(|top| de.end().map(|()| top))
            .map_err(|e| InputError::new("resource", e.to_string()))?;
        match top {
            ResourceText::Object { type_name, id, attrs } => Resource::from_fields(type_name, id, attrs),
            ResourceText::Other(value) => Resource::from_value_with_limits(value, limits),
        }
    }

    /// The strict path [`Resource::from_json_with_limits`] must agree with: the whole
    /// text parsed into a `Value`, then read as an object.
    pub(crate) fn from_json_dom(text: &str, limits: &Limits) -> Result<Resource, InputError> {
        let value = json::parse_strict(text, limits.max_request_bytes, limits.max_json_depth)
            .map_err(|e| InputError::new("resource", e))?;
        Resource::from_value_with_limits(value, limits)
    }

    /// Builds a resource from a parsed JSON object.
    pub fn from_value(value: Value) -> Result<Resource, InputError> {
        Resource::from_value_with_limits(value, &Limits::default())
    }

    pub(crate) fn from_value_with_limits(value: Value, limits: &Limits) -> Result<Resource, InputError> {
        let value = json::checked(value, limits.max_json_depth).map_err(|e| InputError::new("resource", e))?;
        let Value::Object(mut attrs) = value else {
            return Err(InputError::new(
                "resource",
                format!("must be a JSON object, found {}", crate::claims::kind_of(&value)),
            ));
        };
        let type_name = attrs.remove("type");
        let id = attrs.remove("id");
        Resource::from_fields(type_name, id, Attrs::from_map(attrs))
    }

    /// Checks the `type` and `id` fields of a resource object.
    fn from_fields(type_name: Option<Value>, id: Option<Value>, attrs: Attrs) -> Result<Resource, InputError> {
        let type_name = match type_name {
            Some(Value::String(s)) if !s.is_empty() => s,
            Some(Value::String(_)) => return Err(InputError::new("resource", "field `type` must not be empty")),
            Some(other) => {
                return Err(InputError::new(
                    "resource",
                    format!("field `type` must be a string, found {}", crate::claims::kind_of(&other)),
                ))
            }
            None => return Err(InputError::new("resource", "field `type` is missing")),
        };
        let id = match id {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(other) => {
                return Err(InputError::new(
                    "resource",
                    format!("field `id` must be a string, found {}", crate::claims::kind_of(&other)),
                ))
            }
        };
        Ok(Resource::from_parts(type_name, id, attrs))
    }

    /// The resource type, e.g. `task`.
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// The resource id, if given.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// An attribute value.
    pub fn attr(&self, name: &str) -> Option<&Value> {
        self.attrs.get(name)
    }
}

/// Facts about the request that are neither the session nor the resource: approved OAuth
/// scopes, the client's IP, the time of day. Any JSON object.
///
/// ```
/// let ctx = ordinance::Context::from_json(r#"{"approved_scopes": "openid email"}"#).unwrap();
/// assert!(ctx.get("approved_scopes").is_some());
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Context {
    pub(crate) values: Map<String, Value>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// Parses a JSON object with the default [`Limits`].
    pub fn from_json(text: &str) -> Result<Context, InputError> {
        Context::from_json_with_limits(text, &Limits::default())
    }

    /// Parses a JSON object with explicit limits.
    pub fn from_json_with_limits(text: &str, limits: &Limits) -> Result<Context, InputError> {
        let value = json::parse_strict(text, limits.max_request_bytes, limits.max_json_depth)
            .map_err(|e| InputError::new("context", e))?;
        // The parser has enforced the depth limit already.
        Context::from_checked(value)
    }

    /// Builds a context from a parsed JSON object (`null` is the empty context).
    pub fn from_value(value: Value) -> Result<Context, InputError> {
        Context::from_value_with_limits(value, &Limits::default())
    }

    pub(crate) fn from_value_with_limits(value: Value, limits: &Limits) -> Result<Context, InputError> {
        let value = json::checked(value, limits.max_json_depth).map_err(|e| InputError::new("context", e))?;
        Context::from_checked(value)
    }

    fn from_checked(value: Value) -> Result<Context, InputError> {
        match value {
            Value::Object(values) => Ok(Context { values }),
            Value::Null => Ok(Context::default()),
            other => Err(InputError::new(
                "context",
                format!("must be a JSON object, found {}", crate::claims::kind_of(&other)),
            )),
        }
    }

    /// Sets a value.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Value>) -> Context {
        self.values.insert(key.into(), value.into());
        self
    }

    /// A value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.values.get(key)
    }
}

/// The top level of a resource text: an object's `type`, `id` and attributes, or any
/// other value built whole (to be refused with the same message as a parsed value).
enum ResourceText {
    Object { type_name: Option<Value>, id: Option<Value>, attrs: Attrs },
    Other(Value),
}

/// The attributes declared on a resource type, as the compiled policy lists them.
pub(crate) type DeclaredAttrs<'d> = &'d [(Box<str>, crate::policy::ast::AttrType, bool)];

/// The declared attributes of the resource type of a given name (none for an unknown type).
pub(crate) type Declared<'d> = &'d dyn Fn(&str) -> DeclaredAttrs<'d>;

/// Reads a [`ResourceText`] under the depth limit `max_depth`, building every value it
/// keeps with the strict parser's own builder (see [`Resource::from_json_declared`] for
/// `declared`).
struct ResourceSeed<'d> {
    max_depth: usize,
    declared: Option<Declared<'d>>,
    /// Build `id` (else type-check it only, see [`Resource::from_json_declared`]).
    keep_id: bool,
}

impl ResourceSeed<'_> {
    fn strict(&self) -> json::Strict {
        json::Strict { depth: 0, max_depth: self.max_depth }
    }
}

impl<'de> DeserializeSeed<'de> for ResourceSeed<'_> {
    type Value = ResourceText;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<ResourceText, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ResourceSeed<'_> {
    type Value = ResourceText;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<ResourceText, E> {
        self.strict().visit_bool(v).map(ResourceText::Other)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<ResourceText, E> {
        self.strict().visit_i64(v).map(ResourceText::Other)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<ResourceText, E> {
        self.strict().visit_u64(v).map(ResourceText::Other)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<ResourceText, E> {
        self.strict().visit_f64(v).map(ResourceText::Other)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<ResourceText, E> {
        self.strict().visit_str(v).map(ResourceText::Other)
    }
    fn visit_unit<E: de::Error>(self) -> Result<ResourceText, E> {
        self.strict().visit_unit().map(ResourceText::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<ResourceText, A::Error> {
        self.strict().visit_seq(seq).map(ResourceText::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<ResourceText, A::Error> {
        let inner = self.strict().deeper()?;
        let (mut type_name, mut id) = (None, None);
        let mut attrs = Vec::new();
        // The attribute names to keep, once `type` is known; `None`: keep every attribute.
        let mut keep: Option<DeclaredAttrs<'_>> = None;
        // Keys are borrowed from the text: only attribute names are allocated, once known
        // to be new.
        let mut seen = json::KeySet::default();
        while let Some(key) = access.next_key_seed(json::Key)? {
            let wanted = match (&*key, keep) {
                ("type" | "id", _) | (_, None) => true,
                (name, Some(declared)) => declared.iter().any(|(n, _, _)| **n == *name),
            };
            if !wanted {
                access.next_value_seed(json::Skip { depth: inner.depth, max_depth: inner.max_depth })?;
                if let Err(key) = seen.insert(key) {
                    return Err(json::duplicate_key(&key));
                }
                continue;
            }
            // As in the strict parser: the value first, then the duplicate check.
            let strict = json::Strict { depth: inner.depth, max_depth: inner.max_depth };
            let value = if !self.keep_id && key == "id" {
                access.next_value_seed(crate::claims::TypeOnly(strict))?
            } else {
                access.next_value_seed(strict)?
            };
            let slot = match &*key {
                "type" => &mut type_name,
                "id" => &mut id,
                _ => {
                    let name = key.to_string();
                    if let Err(key) = seen.insert(key) {
                        return Err(json::duplicate_key(&key));
                    }
                    attrs.push((name, value));
                    continue;
                }
            };
            if slot.is_some() {
                return Err(json::duplicate_key(&key));
            }
            *slot = Some(value);
            if let (Some(declared), Some(Value::String(t)), "type") = (self.declared, &type_name, &*key) {
                keep = Some(declared(t));
            }
        }
        Ok(ResourceText::Object { type_name, id, attrs: Attrs(attrs) })
    }
}

/// The attributes of a resource, names unique, in the order given: cheaper to build, read
/// and drop than a `BTreeMap` for the few attributes a resource has. Compared and shown
/// (`Debug`) by name, like a map.
#[derive(Clone, Default)]
pub(crate) struct Attrs(Vec<(String, Value)>);

impl Attrs {
    /// From a map (names unique already).
    fn from_map(map: Map<String, Value>) -> Attrs {
        Attrs(map.into_iter().collect())
    }

    /// The value of attribute `name` (generic like `Map::get`, so callers read it alike).
    /// A linear scan: a decision reads only the attributes its policy declares.
    pub(crate) fn get<K: AsRef<str> + ?Sized>(&self, name: &K) -> Option<&Value> {
        let name = name.as_ref();
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Sets attribute `name`, replacing its value if it has one.
    fn insert(&mut self, name: String, value: Value) {
        match self.0.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name, value)),
        }
    }

    /// The attributes ordered by name.
    fn sorted(&self) -> Vec<(&String, &Value)> {
        let mut pairs: Vec<_> = self.0.iter().map(|(k, v)| (k, v)).collect();
        pairs.sort_unstable_by_key(|(k, _)| *k);
        pairs
    }
}

impl PartialEq for Attrs {
    fn eq(&self, other: &Attrs) -> bool {
        self.0.len() == other.0.len() && self.sorted() == other.sorted()
    }
}

impl fmt::Debug for Attrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.sorted()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_compare_and_show_by_name_in_any_order() {
        let built = Resource::new("t").with_attr("b", 1).with_attr("a", "x").with_attr("b", 2);
        let read = Resource::from_json(r#"{"a": "x", "type": "t", "b": 2}"#).ok();
        assert_eq!(read.as_ref(), Some(&built));
        assert_eq!(
            format!("{built:?}"),
            r#"Resource { type_name: "t", id: None, attrs: {"a": String("x"), "b": Number(2)} }"#
        );
        assert_eq!(built.attr("b"), Some(&Value::from(2)));
        assert_ne!(Some(&built.clone().with_attr("c", 3)), read.as_ref());
        let other = Resource::from_json(r#"{"type": "t", "b": 2, "a": "y"}"#).ok();
        assert_ne!(other.as_ref(), Some(&built));
    }
}
