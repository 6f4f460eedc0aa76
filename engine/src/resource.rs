//! Resources and request context: the "what" and the "where" of a decision.

use crate::json;
use crate::limits::Limits;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

mod scan;

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
        Resource::from_json_declared(text, limits, None, true, None).map(|(resource, _)| resource)
    }

    /// As [`Resource::from_json_with_limits`]; with `declared` (what the policy declares
    /// on a resource type of a given name), the attributes that follow `type` in the text
    /// and are not declared on it are validated and not kept. For a resource built for one
    /// decision: a policy reads only the attributes declared on the resource's type (the
    /// validator refuses any other `resource.*` path). When the type's rules read its
    /// attributes through their slots only ([`DeclaredType::bind`]), the declared ones
    /// are not kept in the resource either but come back by slot, their strings borrowed
    /// from the text where it has no escapes, in `pre` (then `true` comes back with the
    /// resource), for [`PreBound::bind`]. Without `keep_id` (no rule reads `resource.id`),
    /// `id` is type-checked and kept empty.
    pub(crate) fn from_json_declared<'t>(
        text: &'t str,
        limits: &Limits,
        declared: Option<Declared<'_>>,
        keep_id: bool,
        pre: Option<&mut PreBound<'t>>,
    ) -> Result<(Resource, bool), InputError> {
        if cfg!(target_arch = "wasm32") {
            // As for claims (`Session::from_claims_text`): the wasm build keeps to the
            // strict DOM path, proven equal to this reader, to stay within its size budget.
            let _ = (declared, keep_id, pre);
            return Resource::from_json_dom(text, limits).map(|r| (r, false));
        }
        json::check_size(text, limits.max_request_bytes).map_err(|e| InputError::new("resource", e))?;
        let mut pre = pre;
        // The usual text is read by the scanner; what it leaves (see `json::scan`), by
        // serde_json, from the start and into fresh slots.
        let scanned = scan::scan(text, limits.max_json_depth, declared, keep_id, pre.as_deref_mut());
        let top = match scanned {
            Some(top) => top,
            None => Resource::read_text(text, limits, declared, keep_id, pre)?,
        };
        match top {
            ResourceText::Object { type_name, id, attrs, bound } => {
                Resource::from_fields(type_name, id, attrs).map(|r| (r, bound))
            }
            ResourceText::Other(value) => Resource::from_value_with_limits(value, limits).map(|r| (r, false)),
        }
    }

    /// The serde-based one-pass reader of [`Resource::from_json_declared`].
    fn read_text<'t>(
        text: &'t str,
        limits: &Limits,
        declared: Option<Declared<'_>>,
        keep_id: bool,
        mut pre: Option<&mut PreBound<'t>>,
    ) -> Result<ResourceText, InputError> {
        if let Some(pre) = pre.as_deref_mut() {
            *pre = PreBound::new();
        }
        let mut de = serde_json::Deserializer::from_str(text);
        ResourceSeed { max_depth: limits.max_json_depth, declared, keep_id, pre }
            .deserialize(&mut de)
            .and_then(|top| de.end().map(|()| top))
            .map_err(|e| InputError::new("resource", e.to_string()))
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
        Resource::from_value_sized(value, &Limits::default())
    }

    /// [`Resource::from_value_with_limits`] for a value built in code: also bounded by
    /// `max_request_bytes`, measured as its compact JSON text.
    pub(crate) fn from_value_sized(value: Value, limits: &Limits) -> Result<Resource, InputError> {
        let value = json::checked_sized(value, limits.max_json_depth, limits.max_request_bytes)
            .map_err(|e| InputError::new("resource", e))?;
        Resource::from_value_with_limits(value, limits)
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

    /// Only for values built in code (a text context is parsed by `from_json_with_limits`):
    /// bounded by depth and by `max_request_bytes`, measured as compact JSON text.
    pub(crate) fn from_value_with_limits(value: Value, limits: &Limits) -> Result<Context, InputError> {
        let value = json::checked_sized(value, limits.max_json_depth, limits.max_request_bytes)
            .map_err(|e| InputError::new("context", e))?;
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
    /// `bound`: the declared attributes were read into the seed's [`PreBound`].
    Object {
        type_name: Option<Value>,
        id: Option<Value>,
        attrs: Attrs,
        bound: bool,
    },
    Other(Value),
}

/// The attributes declared on a resource type, as the compiled policy lists them.
pub(crate) type DeclaredAttrs<'d> = &'d [(Box<str>, crate::policy::ast::AttrType, bool)];

/// What the policy declares on a resource type (nothing for an unknown type).
#[derive(Clone, Copy)]
pub(crate) struct DeclaredType<'d> {
    pub attrs: DeclaredAttrs<'d>,
    /// The type's rules read attributes through their slots only, and there are at most
    /// [`PRE_BOUND`] of them: read them into a [`PreBound`] instead of the resource.
    pub bind: bool,
}

/// What the policy declares on the resource type of a given name.
pub(crate) type Declared<'d> = &'d dyn Fn(&str) -> DeclaredType<'d>;

/// The most declared attributes a [`PreBound`] holds.
pub(crate) const PRE_BOUND: usize = 16;

/// The declared attributes of a resource read for one decision, by slot (the position of
/// the attribute in its type's declaration): `None` when absent from the text.
pub(crate) struct PreBound<'de> {
    slots: [Option<Lite<'de>>; PRE_BOUND],
}

impl<'de> PreBound<'de> {
    /// Every slot empty. (Filled in place by the reader: it is too large to move around.)
    pub(crate) fn new() -> PreBound<'de> {
        PreBound { slots: [const { None }; PRE_BOUND] }
    }

    /// Binds the values to `slots` exactly as `engine::bind_resource` binds the same
    /// attributes of a resource, with the same errors.
    pub(crate) fn bind<'r>(
        &'r self,
        attrs: DeclaredAttrs<'_>,
        slots: &mut [crate::engine::Bound<'r>],
    ) -> Result<(), String> {
        use crate::engine::Bound;
        use crate::policy::ast::AttrType;
        for (i, ((name, ty, optional), slot)) in attrs.iter().zip(slots.iter_mut()).enumerate() {
            let value = self.slots.get(i).and_then(Option::as_ref);
            match value {
                None | Some(Lite::Null) if *optional => *slot = Bound::Absent,
                None => return Err(format!("attribute `{name}` is missing")),
                Some(Lite::Null) => return Err(format!("attribute `{name}` is null but not optional")),
                Some(v) => {
                    let bound = match (ty, v) {
                        (AttrType::String, Lite::Str(s)) => Some(Bound::Str(std::borrow::Cow::Borrowed(s.as_ref()))),
                        (AttrType::Int, Lite::Number(n)) => n.as_i64().map(Bound::Int),
                        (AttrType::Bool, Lite::Bool(b)) => Some(Bound::Bool(*b)),
                        (AttrType::StringList, Lite::List { not_string: None }) => Some(Bound::List),
                        _ => None,
                    };
                    let Some(bound) = bound else {
                        return Err(format!("attribute `{name}` must be {}, found {}", ty.keyword(), v.kind()));
                    };
                    *slot = bound;
                }
            }
        }
        Ok(())
    }
}

/// What binding reads of an attribute value: its kind, and the content of a string,
/// number or boolean; a list only as its first item that is not a string (index, kind).
enum Lite<'de> {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    Str(std::borrow::Cow<'de, str>),
    List { not_string: Option<(usize, &'static str)> },
    Object,
}

/// Names a declared attribute's value for "must be int, found …", as `claims::kind_of`
/// does, but saying what is wrong with it: which item of a list is not a string, and that
/// an integer beyond 64 bits (which the JSON reader holds as a float) is out of range
/// rather than a fraction. [`Lite::kind`] names the one-pass reader's values alike.
pub(crate) fn attr_kind(v: &Value) -> std::borrow::Cow<'static, str> {
    match v {
        Value::Number(n) => number_kind(n).into(),
        Value::Array(items) => {
            list_kind(items.iter().enumerate().find(|(_, i)| !i.is_string()).map(|(at, i)| (at, item_kind(i))))
        }
        other => crate::claims::kind_of(other).into(),
    }
}

fn number_kind(n: &serde_json::Number) -> &'static str {
    // 2^63: an integer of this size or more is no `i64` (`-2^63` itself arrives as one).
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if n.is_i64() {
        "a number"
    } else if n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0 && f.abs() >= LIMIT) {
        "a number beyond the 64-bit integer range"
    } else {
        "a non-integer number"
    }
}

/// A list item that is not a string, named by its kind only (the one-pass reader skips it
/// without reading a number's digits).
fn item_kind(v: &Value) -> &'static str {
    match v {
        Value::Number(_) => "a number",
        other => crate::claims::kind_of(other),
    }
}

fn list_kind(not_string: Option<(usize, &'static str)>) -> std::borrow::Cow<'static, str> {
    match not_string {
        Some((at, kind)) => format!("a list with {kind} at index {at}").into(),
        None => "a list".into(),
    }
}

impl Lite<'_> {
    /// As the strict parser's value would be read (a value kept before `type` was known).
    fn from_value(value: Value) -> Lite<'static> {
        match value {
            Value::Null => Lite::Null,
            Value::Bool(b) => Lite::Bool(b),
            Value::Number(n) => Lite::Number(n),
            Value::String(s) => Lite::Str(std::borrow::Cow::Owned(s)),
            Value::Array(items) => Lite::List {
                not_string: items.iter().enumerate().find(|(_, i)| !i.is_string()).map(|(at, i)| (at, item_kind(i))),
            },
            Value::Object(_) => Lite::Object,
        }
    }

    /// As [`attr_kind`] names the same value.
    fn kind(&self) -> std::borrow::Cow<'static, str> {
        match self {
            Lite::Null => "null".into(),
            Lite::Bool(_) => "a boolean".into(),
            Lite::Number(n) => number_kind(n).into(),
            Lite::Str(_) => "a string".into(),
            Lite::List { not_string } => list_kind(*not_string),
            Lite::Object => "an object".into(),
        }
    }
}

/// Reads a [`Lite`] where [`json::Strict`] at the same depth would read a value, with the
/// same checks and errors (containers are validated by [`json::Skip`]).
struct LiteSeed {
    depth: usize,
    max_depth: usize,
}

impl<'de> DeserializeSeed<'de> for LiteSeed {
    type Value = Lite<'de>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Lite<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LiteSeed {
    type Value = Lite<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Lite<'de>, E> {
        Ok(Lite::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Lite<'de>, E> {
        Ok(Lite::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Lite<'de>, E> {
        Ok(Lite::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Lite<'de>, E> {
        Ok(serde_json::Number::from_f64(v).map(Lite::Number).unwrap_or(Lite::Null))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Lite<'de>, E> {
        Ok(Lite::Str(std::borrow::Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Lite<'de>, E> {
        Ok(Lite::Str(std::borrow::Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Lite<'de>, E> {
        Ok(Lite::Str(std::borrow::Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Lite<'de>, E> {
        Ok(Lite::Null)
    }
    fn visit_none<E>(self) -> Result<Lite<'de>, E> {
        Ok(Lite::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Lite<'de>, A::Error> {
        let inner = json::Strict { depth: self.depth, max_depth: self.max_depth }.deeper()?;
        let mut not_string = None;
        let mut at = 0usize;
        while let Some(kind) = seq.next_element_seed(ItemKind { depth: inner.depth, max_depth: inner.max_depth })? {
            if let (None, Some(kind)) = (not_string, kind) {
                not_string = Some((at, kind));
            }
            at += 1;
        }
        Ok(Lite::List { not_string })
    }
    fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Lite<'de>, A::Error> {
        json::Skip { depth: self.depth, max_depth: self.max_depth }.visit_map(access)?;
        Ok(Lite::Object)
    }
}

/// Validates one list item as [`json::Skip`] does and names its kind unless it is a string
/// (as [`item_kind`] names the built value).
struct ItemKind {
    depth: usize,
    max_depth: usize,
}

impl<'de> DeserializeSeed<'de> for ItemKind {
    type Value = Option<&'static str>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<&'static str>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemKind {
    type Value = Option<&'static str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Option<&'static str>, E> {
        Ok(Some("a boolean"))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Option<&'static str>, E> {
        Ok(Some("a number"))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Option<&'static str>, E> {
        Ok(Some("a number"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Option<&'static str>, E> {
        // As the strict builder: a number it cannot represent becomes null.
        Ok(Some(if v.is_finite() { "a number" } else { "null" }))
    }
    fn visit_str<E>(self, _: &str) -> Result<Option<&'static str>, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Option<&'static str>, E> {
        Ok(Some("null"))
    }
    fn visit_none<E>(self) -> Result<Option<&'static str>, E> {
        Ok(Some("null"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<&'static str>, A::Error> {
        json::Skip { depth: self.depth, max_depth: self.max_depth }.visit_seq(seq)?;
        Ok(Some("a list"))
    }
    fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Option<&'static str>, A::Error> {
        json::Skip { depth: self.depth, max_depth: self.max_depth }.visit_map(access)?;
        Ok(Some("an object"))
    }
}

/// Reads a [`ResourceText`] under the depth limit `max_depth`, building every value it
/// keeps with the strict parser's own builder (see [`Resource::from_json_declared`] for
/// `declared`).
struct ResourceSeed<'d, 'p, 't> {
    max_depth: usize,
    declared: Option<Declared<'d>>,
    /// Build `id` (else type-check it only, see [`Resource::from_json_declared`]).
    keep_id: bool,
    /// Where the declared attributes go if the type binds them.
    pre: Option<&'p mut PreBound<'t>>,
}

impl ResourceSeed<'_, '_, '_> {
    fn strict(&self) -> json::Strict {
        json::Strict { depth: 0, max_depth: self.max_depth }
    }
}

impl<'de> DeserializeSeed<'de> for ResourceSeed<'_, '_, 'de> {
    type Value = ResourceText;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<ResourceText, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ResourceSeed<'_, '_, 'de> {
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
        // What the type declares, once `type` is known; `None`: keep every attribute.
        let mut keep: Option<DeclaredType<'_>> = None;
        // The declared attributes by slot, once `type` is known, if the type binds them.
        let mut pre = self.pre;
        let mut bound = false;
        // Keys are borrowed from the text: only attribute names are allocated, once known
        // to be new.
        let mut seen = json::KeySet::default();
        while let Some(key) = access.next_key_seed(json::Key)? {
            let (wanted, position) = match (&*key, keep) {
                ("type" | "id", _) | (_, None) => (true, None),
                (name, Some(declared)) => {
                    let position = declared.attrs.iter().position(|(n, _, _)| **n == *name);
                    (position.is_some(), position)
                }
            };
            if !wanted {
                access.next_value_seed(json::Skip { depth: inner.depth, max_depth: inner.max_depth })?;
                if let Err(key) = seen.insert(key) {
                    return Err(json::duplicate_key(&key));
                }
                continue;
            }
            if let (true, Some(pre), Some(i)) = (bound, pre.as_deref_mut(), position) {
                // As below, the value first, then the duplicate check (which also means
                // no slot is written twice).
                let value = access.next_value_seed(LiteSeed { depth: inner.depth, max_depth: inner.max_depth })?;
                if let Err(key) = seen.insert(key) {
                    return Err(json::duplicate_key(&key));
                }
                if let Some(slot) = pre.slots.get_mut(i) {
                    *slot = Some(value);
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
                let declared = declared(t);
                keep = Some(declared);
                bound = bind_read_before_type(declared, pre.as_deref_mut(), &mut attrs);
            }
        }
        Ok(ResourceText::Object { type_name, id, attrs: Attrs(attrs), bound })
    }
}

/// Once `type` is read: when the type's declared attributes go to `pre`, moves those read
/// before `type` to their slots (the undeclared ones are not needed) and says so.
pub(crate) fn bind_read_before_type<'t>(
    declared: DeclaredType<'_>,
    pre: Option<&mut PreBound<'t>>,
    attrs: &mut Vec<(String, Value)>,
) -> bool {
    let Some(pre) = pre.filter(|_| declared.bind && declared.attrs.len() <= PRE_BOUND) else { return false };
    for (name, value) in attrs.drain(..) {
        let position = declared.attrs.iter().position(|(n, _, _)| **n == *name);
        if let Some(slot) = position.and_then(|i| pre.slots.get_mut(i)) {
            *slot = Some(Lite::from_value(value));
        }
    }
    true
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
