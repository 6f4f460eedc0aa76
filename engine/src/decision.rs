//! The answer to a request: allowed or not, why, and what would change a deny.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// A cheaply clonable string: static for fixed codes; for policy-defined ones, kept inline
/// when short (rule ids, permission names), else shared. Building a decision on the allow
/// path never allocates, and a short id is copied rather than reference-counted, so threads
/// deciding with the same rules do not all write to one shared counter.
#[derive(Clone, Eq)]
pub(crate) enum Text {
    Static(&'static str),
    // (Not in the size-bound wasm build, where decisions are not shared between threads.)
    #[cfg(not(target_arch = "wasm32"))]
    Inline(InlineText),
    Shared(Arc<str>),
}

/// Bytes held inline by [`Text`]: as many as fit beside the tag in the space of the other
/// variants (24 bytes in all).
#[cfg(not(target_arch = "wasm32"))]
const INLINE_CAPACITY: usize = 22;

/// A short string stored in place (always valid UTF-8: only built from a `&str`).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct InlineText {
    len: u8,
    bytes: [u8; INLINE_CAPACITY],
}

impl Text {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Text::Static(s) => s,
            #[cfg(not(target_arch = "wasm32"))]
            Text::Inline(t) => {
                t.bytes.get(..usize::from(t.len)).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or("")
            }
            Text::Shared(s) => s,
        }
    }

    /// `text`, shared.
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn new(text: &str) -> Text {
        Text::Shared(Arc::from(text))
    }

    /// `text` inline when it fits, else shared.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn new(text: &str) -> Text {
        let mut bytes = [0u8; INLINE_CAPACITY];
        match (bytes.get_mut(..text.len()), u8::try_from(text.len())) {
            (Some(room), Ok(len)) => {
                room.copy_from_slice(text.as_bytes());
                Text::Inline(InlineText { len, bytes })
            }
            _ => Text::Shared(Arc::from(text)),
        }
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        let (a, b) = (self.as_str(), other.as_str());
        // Texts cloned from one policy name share their bytes: equal without reading them
        // (the wasm binding compares each decision with the last one it numbered).
        std::ptr::eq(a, b) || a == b
    }
}

macro_rules! text_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(pub(crate) Text);

        impl $name {
            /// The text.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
        }
        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                self.0.as_str()
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.0.as_str()
            }
        }
        // Hash, Eq and Ord all follow the text, so borrowing as `str` is sound for maps.
        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                self.0.as_str()
            }
        }
        impl Hash for $name {
            fn hash<H: Hasher>(&self, state: &mut H) {
                self.as_str().hash(state)
            }
        }
        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &$name) -> Option<Ordering> {
                Some(self.cmp(other))
            }
        }
        impl Ord for $name {
            fn cmp(&self, other: &$name) -> Ordering {
                self.as_str().cmp(other.as_str())
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(self.as_str(), f)
            }
        }
        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                self.as_str() == other
            }
        }
        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.as_str()
            }
        }
        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.as_str()
            }
        }
        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                self == other.as_str()
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

text_newtype!(
    /// A stable machine code saying why a decision came out as it did: `permit`,
    /// `no_matching_rule`, `forbidden:<code>`, `session_expired`, `invalid_claims`, ...
    /// (the full list is in `docs/language.md`). Compares equal to `&str`.
    ///
    /// ```
    /// # let engine = ordinance::Engine::new(ordinance::Policy::parse(
    /// #   "resource doc {}\naction view on doc\npermit view on doc").unwrap());
    /// # let session = ordinance::Session::from_claims_json(r#"{"sub":"u"}"#).unwrap();
    /// let d = engine.decide(&session, "view", &ordinance::Resource::new("doc"));
    /// assert_eq!(d.reason, "permit");
    /// ```
    Reason
);

text_newtype!(
    /// The id of a rule: its `@id("...")`, or `file:line` where it starts.
    RuleId
);

text_newtype!(
    /// The text of a [`Requirement`]'s `kind` or `name`: a string that is cheap to clone.
    ///
    /// The engine builds hints from names it prepared when the policy was compiled, so a
    /// deny shares them instead of copying. It reads like a `&str` (`Deref`, `as_str`,
    /// comparisons with `str`, `&str` and `String` either way round), prints and serializes
    /// as one, and is built from one with `From`/`into()`.
    ///
    /// ```
    /// use ordinance::{Requirement, SharedStr};
    /// let r = Requirement { kind: "permission".into(), name: String::from("org:tasks:edit").into() };
    /// assert!(r.kind == "permission" && "permission" == r.kind);
    /// assert_eq!(r.name.as_str(), "org:tasks:edit");
    /// assert!(r.name.starts_with("org:"));
    /// let copy: SharedStr = r.name.clone();
    /// assert_eq!(copy, r.name);
    /// assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"kind":"permission","name":"org:tasks:edit"}"#);
    /// ```
    SharedStr
);

impl SharedStr {
    /// A string known at compile time, with no allocation.
    ///
    /// ```
    /// assert_eq!(ordinance::SharedStr::from_static("role"), "role");
    /// ```
    pub const fn from_static(text: &'static str) -> SharedStr {
        SharedStr(Text::Static(text))
    }

    /// `text`, inline when short: for names the engine prepares once and hands out often.
    pub(crate) fn prepared(text: &str) -> SharedStr {
        SharedStr(Text::new(text))
    }
}

impl Default for SharedStr {
    /// The empty string.
    fn default() -> SharedStr {
        SharedStr::from_static("")
    }
}

impl From<&str> for SharedStr {
    fn from(text: &str) -> SharedStr {
        if text.is_empty() {
            return SharedStr::default();
        }
        SharedStr(Text::new(text))
    }
}

impl From<String> for SharedStr {
    fn from(text: String) -> SharedStr {
        SharedStr::from(text.as_str())
    }
}

impl From<std::borrow::Cow<'_, str>> for SharedStr {
    fn from(text: std::borrow::Cow<'_, str>) -> SharedStr {
        SharedStr::from(text.as_ref())
    }
}

impl From<Arc<str>> for SharedStr {
    fn from(text: Arc<str>) -> SharedStr {
        SharedStr(Text::Shared(text))
    }
}

impl From<SharedStr> for String {
    fn from(text: SharedStr) -> String {
        text.as_str().to_owned()
    }
}

impl<'de> Deserialize<'de> for SharedStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SharedStr, D::Error> {
        String::deserialize(d).map(SharedStr::from)
    }
}

impl Reason {
    pub(crate) const PERMIT: Reason = Reason(Text::Static("permit"));
    pub(crate) const NO_MATCHING_RULE: Reason = Reason(Text::Static("no_matching_rule"));
    pub(crate) const INVALID_CLAIMS: Reason = Reason(Text::Static("invalid_claims"));
    pub(crate) const INVALID_RESOURCE: Reason = Reason(Text::Static("invalid_resource"));
    pub(crate) const INVALID_CONTEXT: Reason = Reason(Text::Static("invalid_context"));
    pub(crate) const INVALID_REQUEST: Reason = Reason(Text::Static("invalid_request"));
    pub(crate) const SESSION_EXPIRED: Reason = Reason(Text::Static("session_expired"));
    pub(crate) const SESSION_NOT_YET_VALID: Reason = Reason(Text::Static("session_not_yet_valid"));
    pub(crate) const UNKNOWN_ACTION: Reason = Reason(Text::Static("unknown_action"));
    pub(crate) const UNKNOWN_RESOURCE_TYPE: Reason = Reason(Text::Static("unknown_resource_type"));
    pub(crate) const FORBID_ERRORED: Reason = Reason(Text::Static("forbid_errored"));
}

/// What a deny is missing, for the UI next to a disabled button.
///
/// Serialized as `{"kind": "permission", "name": "org:tasks:edit"}`. The kinds:
/// `permission`, `role`, `license` (name: the license claim path), `scope` (an OAuth scope to
/// request with `reauthorize({ additionalScopes })`), `plan`, `feature`, `organization` (an
/// active organization), `sign_in`, and `verification` (name: `first_factor:10` —
/// reverify within that many minutes).
///
/// Both fields are [`SharedStr`]s: the engine fills them from names it prepared when it
/// compiled the policy, so a deny's hint costs no string copies.
///
/// ```
/// use ordinance::Requirement;
/// let r = Requirement { kind: "license".into(), name: "org.metadata.isLicensed".into() };
/// assert_eq!(r.to_string(), "license required");
/// let back: Requirement = serde_json::from_value(serde_json::to_value(&r).unwrap()).unwrap();
/// assert_eq!(back, r);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Requirement {
    /// The kind of requirement, see above.
    pub kind: SharedStr,
    /// What exactly is required.
    pub name: SharedStr,
}

impl Requirement {
    pub(crate) fn new(kind: &'static str, name: impl Into<SharedStr>) -> Requirement {
        Requirement { kind: SharedStr::from_static(kind), name: name.into() }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The name between fixed words (a table rather than a `write!` each: smaller wasm).
        let (before, after) = match self.kind.as_str() {
            "permission" => ("requires the `", "` permission"),
            "role" => ("requires the `", "` role"),
            "license" => return f.write_str("license required"),
            "scope" => ("approve the OAuth scope `", "`"),
            "plan" => ("requires the `", "` plan"),
            "feature" => ("requires the `", "` feature"),
            "organization" => return f.write_str("select an organization"),
            "sign_in" => return f.write_str("sign in"),
            "verification" => ("verify again (", ")"),
            _ => return write!(f, "{} {}", self.kind, self.name),
        };
        f.write_str(before)?;
        f.write_str(&self.name)?;
        f.write_str(after)
    }
}

/// The answer to one request.
///
/// `allowed` is true iff at least one `permit` rule matched and no `forbid` rule did. A deny
/// carries in `missing` what would have turned it into an allow under the closest permit
/// rule, and any error behind it in `error`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// Whether the action may go ahead.
    pub allowed: bool,
    /// A stable machine code, see [`Reason`].
    pub reason: Reason,
    /// The rule that decided: the matching permit, or the forbid that denied.
    pub rule: Option<RuleId>,
    /// For a deny: what would make it an allow.
    pub missing: Vec<Requirement>,
    /// For a deny caused by bad input or a failing forbid: what went wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Decision {
    pub(crate) fn deny(reason: Reason) -> Decision {
        Decision { allowed: false, reason, rule: None, missing: Vec::new(), error: None }
    }

    pub(crate) fn deny_with_error(reason: Reason, error: impl Into<String>) -> Decision {
        Decision { allowed: false, reason, rule: None, missing: Vec::new(), error: Some(error.into()) }
    }

    /// The decision as a JSON value: `{"allowed", "reason", "rule", "missing"}` plus `error`
    /// when there is one. The same shape in Rust, Python, JavaScript and the CLI.
    ///
    /// ```
    /// # let engine = ordinance::Engine::new(ordinance::Policy::parse(
    /// #   "resource doc {}\naction view on doc\npermit view on doc when user").unwrap());
    /// let anonymous = ordinance::Session::from_claims_json("{}").unwrap();
    /// let d = engine.decide(&anonymous, "view", &ordinance::Resource::new("doc"));
    /// assert_eq!(d.to_json()["missing"][0]["kind"], "sign_in");
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn requirements_read_as_before() {
        let text = |kind: &str, name: &str| Requirement { kind: kind.into(), name: name.into() }.to_string();
        assert_eq!(text("permission", "org:a"), "requires the `org:a` permission");
        assert_eq!(text("role", "org:admin"), "requires the `org:admin` role");
        assert_eq!(text("license", "org.metadata.lic"), "license required");
        assert_eq!(text("scope", "email"), "approve the OAuth scope `email`");
        assert_eq!(text("plan", "org:pro"), "requires the `org:pro` plan");
        assert_eq!(text("feature", "x"), "requires the `x` feature");
        assert_eq!(text("organization", ""), "select an organization");
        assert_eq!(text("sign_in", ""), "sign in");
        assert_eq!(text("verification", "first_factor:10"), "verify again (first_factor:10)");
        assert_eq!(text("other", "n"), "other n");
    }

    #[test]
    fn shared_str_behaves_like_a_string() {
        let s = SharedStr::from(String::from("abc"));
        assert_eq!(s, "abc");
        assert_eq!("abc", s);
        assert_eq!(String::from("abc"), s);
        assert_eq!(s, SharedStr::from_static("abc"), "equal whether static or shared");
        let (a, b) = (SharedStr::from("a"), SharedStr::from("b"));
        assert!(a < b && b.cmp(&a) == Ordering::Greater);
        let mut set = std::collections::HashSet::new();
        set.insert(s.clone());
        assert!(set.contains("abc"), "Borrow<str> agrees with Hash and Eq");
        assert_eq!(format!("{s} {s:?}"), "abc \"abc\"");
        assert_eq!(String::from(s), "abc");
        let r: Requirement = serde_json::from_str(r#"{"kind":"scope","name":"email"}"#).unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"kind":"scope","name":"email"}"#);
        assert!(SharedStr::from("").is_empty());
    }
}
