//! Resources and request context: the "what" and the "where" of a decision.

use crate::json;
use crate::limits::Limits;
use serde_json::{Map, Value};

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
    pub(crate) attrs: Map<String, Value>,
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
        Resource::from_parts(type_name.into(), None, Map::new())
    }

    /// A resource from its parts, with an empty binding cache.
    pub(crate) fn from_parts(type_name: String, id: Option<String>, attrs: Map<String, Value>) -> Resource {
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
    pub fn from_json_with_limits(text: &str, limits: &Limits) -> Result<Resource, InputError> {
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
        let type_name = match attrs.remove("type") {
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
        let id = match attrs.remove("id") {
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
        Context::from_value_with_limits(value, limits)
    }

    /// Builds a context from a parsed JSON object (`null` is the empty context).
    pub fn from_value(value: Value) -> Result<Context, InputError> {
        Context::from_value_with_limits(value, &Limits::default())
    }

    pub(crate) fn from_value_with_limits(value: Value, limits: &Limits) -> Result<Context, InputError> {
        let value = json::checked(value, limits.max_json_depth).map_err(|e| InputError::new("context", e))?;
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
