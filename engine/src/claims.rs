//! Session-claims normalisation: Clerk v1 and v2 session tokens and generic JWT payloads
//! become one [`Session`], so no policy can tell which token shape it came from.
//!
//! Every registered claim is type-checked and never coerced: `"exp": "1721770193"`,
//! `"org_permissions": "org:tasks:edit"` or `"sub": null` make the claims invalid, and a
//! decision on invalid claims is a deny with reason `invalid_claims`.

use crate::compile::TextReads;
use crate::json;
use crate::limits::Limits;
use serde_json::{Map, Value};
use std::fmt;
use std::sync::OnceLock;

mod one_pass;
mod scan;

use one_pass::Registered;
pub(crate) use one_pass::{OneShot, OneShotRead, TypeOnly, REGISTERED};

/// Why a set of claims cannot be trusted.
///
/// ```
/// let err = ordinance::Session::from_claims_json(r#"{"sub": 42}"#).unwrap_err();
/// assert_eq!(err.to_string(), "invalid claims: claim `sub` must be a string, found a number");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid claims: {message}")]
pub struct ClaimsError {
    message: String,
}

impl ClaimsError {
    pub(crate) fn new(message: impl Into<String>) -> ClaimsError {
        ClaimsError { message: message.into() }
    }

    /// The reason, without the `invalid claims:` prefix.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// The active organization membership of a session.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Org {
    pub id: String,
    pub slug: Option<String>,
    pub role: Option<String>,
    pub permissions: Vec<String>,
    pub metadata: Map<String, Value>,
}

/// A plan or feature with the scopes it applies to (`u:`, `o:`, `uo:` in Clerk's tokens).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scoped {
    pub name: String,
    pub user: bool,
    pub org: bool,
}

/// A verified session, normalised from token claims and reused for many decisions.
///
/// Build it once per request (or per token) and pass it to
/// [`Engine::decide`](crate::Engine::decide) as often as needed.
///
/// ```
/// use ordinance::Session;
/// let session = Session::from_claims_json(r#"{
///     "sub": "user_1", "sid": "sess_1", "exp": 2000000000,
///     "org_id": "org_1", "org_role": "org:member", "org_permissions": ["org:tasks:view"]
/// }"#).unwrap();
/// assert_eq!(session.user_id(), Some("user_1"));
/// assert_eq!(session.org_id(), Some("org_1"));
/// ```
#[derive(Debug)]
pub struct Session {
    pub(crate) user_id: Option<String>,
    pub(crate) session_id: Option<String>,
    pub(crate) exp: Option<i64>,
    pub(crate) nbf: Option<i64>,
    pub(crate) iat: Option<i64>,
    pub(crate) azp: Option<String>,
    pub(crate) iss: Option<String>,
    pub(crate) actor: Option<Map<String, Value>>,
    pub(crate) org: Option<Org>,
    pub(crate) plans: Vec<Scoped>,
    pub(crate) features: Vec<Scoped>,
    /// Minutes since first and second factor verification; -1 means never.
    pub(crate) fva: Option<(i64, i64)>,
    pub(crate) claims: ClaimsMap,
    pub(crate) version: u8,
    /// Permission bits for the engine that first used this session (see `compile`).
    pub(crate) prepared: OnceLock<crate::compile::PreparedSession>,
}

impl Clone for Session {
    fn clone(&self) -> Session {
        Session {
            user_id: self.user_id.clone(),
            session_id: self.session_id.clone(),
            exp: self.exp,
            nbf: self.nbf,
            iat: self.iat,
            azp: self.azp.clone(),
            iss: self.iss.clone(),
            actor: self.actor.clone(),
            org: self.org.clone(),
            plans: self.plans.clone(),
            features: self.features.clone(),
            fva: self.fva,
            claims: self.claims.clone(),
            version: self.version,
            prepared: OnceLock::new(),
        }
    }
}

impl PartialEq for Session {
    fn eq(&self, other: &Session) -> bool {
        self.user_id == other.user_id
            && self.session_id == other.session_id
            && (self.exp, self.nbf, self.iat) == (other.exp, other.nbf, other.iat)
            && self.azp == other.azp
            && self.iss == other.iss
            && self.actor == other.actor
            && self.org == other.org
            && self.plans == other.plans
            && self.features == other.features
            && self.fva == other.fva
    }
}

impl Session {
    /// Parses a JSON claims payload (the verified body of a session token).
    pub fn from_claims_json(text: &str) -> Result<Session, ClaimsError> {
        Session::from_claims_json_with_limits(text, &Limits::default())
    }

    /// As [`Session::from_claims_json`], with explicit [`Limits`].
    ///
    /// The text is read in one pass: registered claims are kept as they are read, every
    /// other claim is validated (duplicate keys, nesting) without being built, and the
    /// full [`Session::claims`] map is built from the text on first use. Accepts and
    /// rejects exactly what [`serde_json`] parsing with duplicate-key, size and depth
    /// checks followed by [`Session::from_claims`] would (`engine/tests/intake_props.rs`).
    pub fn from_claims_json_with_limits(text: &str, limits: &Limits) -> Result<Session, ClaimsError> {
        Session::from_claims_text(text, limits, true)
    }

    /// As [`Session::from_claims_json_with_limits`]; without `keep_claims` the text is not
    /// copied for [`Session::claims`], which is then empty: for a session that is only
    /// decided on by a policy that never reads `claims` (see `Ast::reads_claims`) and then
    /// dropped.
    pub(crate) fn from_claims_text(text: &str, limits: &Limits, keep_claims: bool) -> Result<Session, ClaimsError> {
        let shot = OneShot { keep_claims, reads: TextReads::ALL, permissions: None, license: None };
        Session::from_claims_one_shot(text, limits, &shot).map(|(session, _)| session)
    }

    /// The one-pass reader, keeping what `shot` asks for: with `shot.permissions`, the
    /// `org_permissions` of a version 1 token are looked up in the policy's permission
    /// index as they are read and come back as bits (the session's own list is then
    /// empty); the registered string claims whose text `shot.reads` says no rule reads are
    /// only type-checked and kept as empty strings. Accepts and rejects exactly what the
    /// full reader does, with the same messages (`engine/tests/intake_props.rs` compares
    /// the decisions).
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    pub(crate) fn from_claims_one_shot(
        text: &str,
        limits: &Limits,
        shot: &OneShot<'_>,
    ) -> Result<(Session, OneShotRead), ClaimsError> {
        if cfg!(target_arch = "wasm32") {
            // The size-bound wasm build reads claims through the strict DOM path, which
            // tests/intake_props.rs proves equal to the one-pass reader below: the reader
            // costs ~11 KB of the 150 KB gzip budget there, and the JS wrapper prepares a
            // session once per claims object anyway.
            return Session::from_claims_json_dom(text, limits).map(|s| (s, OneShotRead::default()));
        }
        json::check_size(text, limits.max_claims_bytes).map_err(ClaimsError::new)?;
        let mut registered = Registered::default();
        if let Some(value) = registered.read(text, limits.max_json_depth, shot)? {
            return Session::from_value(value, limits).map(|s| (s, OneShotRead::default()));
        }
        let read = registered.one_shot_read(shot);
        let claims_text = shot.keep_claims.then_some(text);
        if let Some(session) = registered.usual_session(claims_text) {
            // Returned from here, not moved through the general path below: a `Session` is
            // ≈ 500 bytes, and each move is a `memcpy`.
            return Ok((session, read));
        }
        let (mut session, pending) = Session::read(&mut registered)?;
        if !pending && shot.keep_claims {
            session.claims = ClaimsMap::from_text(text);
        }
        Ok((session, read))
    }

    /// The strict path the one-pass reader must agree with: the whole text parsed into a
    /// `Value` tree (duplicate keys rejected), then read back by key.
    pub(crate) fn from_claims_json_dom(text: &str, limits: &Limits) -> Result<Session, ClaimsError> {
        let value =
            json::parse_strict(text, limits.max_claims_bytes, limits.max_json_depth).map_err(ClaimsError::new)?;
        Session::from_value(value, limits)
    }

    /// Builds a session from an already-parsed claims object.
    ///
    /// ```
    /// let claims = serde_json::json!({"sub": "user_1", "org_id": "org_1", "org_role": "org:admin"});
    /// let session = ordinance::Session::from_claims(claims).unwrap();
    /// assert_eq!(session.org_role(), Some("org:admin"));
    /// ```
    pub fn from_claims(claims: Value) -> Result<Session, ClaimsError> {
        Session::from_value_sized(claims, &Limits::default())
    }

    /// [`Session::from_value`] for a value built in code: also bounded by
    /// `max_claims_bytes`, measured as its compact JSON text (a text document is measured
    /// as it comes, before it is parsed).
    pub(crate) fn from_value_sized(claims: Value, limits: &Limits) -> Result<Session, ClaimsError> {
        let claims =
            json::checked_sized(claims, limits.max_json_depth, limits.max_claims_bytes).map_err(ClaimsError::new)?;
        Session::from_value(claims, limits)
    }

    pub(crate) fn from_value(claims: Value, limits: &Limits) -> Result<Session, ClaimsError> {
        let claims = json::checked(claims, limits.max_json_depth).map_err(ClaimsError::new)?;
        let Value::Object(mut claims) = claims else {
            return Err(ClaimsError::new(format!("claims must be a JSON object, found {}", kind_of(&claims))));
        };
        let (mut session, pending) = Session::read(&mut claims)?;
        if !pending {
            session.claims = ClaimsMap::from_map(claims);
        }
        Ok(session)
    }

    /// Reads and checks the registered claims. The session's `claims` map is left empty
    /// for the caller to fill, unless the session is pending (signed out: no claims).
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn read<S: ClaimSource>(claims: &mut S) -> Result<(Session, bool), ClaimsError> {
        let version = match claims.get("v") {
            None => 1,
            Some(Value::Number(n)) if n.as_i64() == Some(1) => 1,
            Some(Value::Number(n)) if n.as_i64() == Some(2) => 2,
            // A number is shown: "found a number" does not say which version was sent.
            Some(Value::Number(n)) => return Err(ClaimsError::new(format!("claim `v` must be 1 or 2, found {n}"))),
            Some(other) => {
                return Err(ClaimsError::new(format!("claim `v` must be 1 or 2, found {}", describe(other))));
            }
        };
        let sts = opt_str(claims, "sts")?;
        let pending = match sts {
            None | Some("active") => false,
            Some("pending") => true,
            Some(other) => {
                return Err(ClaimsError::new(format!("claim `sts` must be `active` or `pending`, found `{other}`")));
            }
        };
        let user_id = take_str(claims, "sub")?;
        if user_id.as_deref() == Some("") {
            return Err(ClaimsError::new("claim `sub` must not be empty"));
        }
        let session_id = take_str(claims, "sid")?;
        let azp = take_str(claims, "azp")?;
        let iss = take_str(claims, "iss")?;
        opt_str(claims, "jti")?;
        let exp = opt_int(claims, "exp")?;
        let nbf = opt_int(claims, "nbf")?;
        let iat = opt_int(claims, "iat")?;
        let actor = match claims.take_if("act", Value::is_object) {
            None => None,
            Some(Ok(act)) => Some(into_object(act)),
            Some(Err(other)) => {
                return Err(ClaimsError::new(format!("claim `act` must be an object, found {}", describe(other))));
            }
        };
        let fva = match claims.get("fva") {
            None => None,
            Some(Value::Array(items)) if items.len() == 2 => {
                let ints: Vec<i64> = items.iter().filter_map(Value::as_i64).filter(|m| *m >= -1).collect();
                match ints.as_slice() {
                    [a, b] => Some((*a, *b)),
                    _ => return Err(ClaimsError::new("claim `fva` must be two integers of minutes, -1 for never")),
                }
            }
            Some(_) => return Err(ClaimsError::new("claim `fva` must be two integers of minutes, -1 for never")),
        };
        let mut features = match opt_str(claims, "fea")? {
            Some(text) => crate::claims_v2::scoped_list("fea", text)?,
            None => Vec::new(),
        };
        let mut plans = match opt_str(claims, "pla")? {
            Some(text) => crate::claims_v2::scoped_list("pla", text)?,
            None => Vec::new(),
        };
        let org = if version == 2 { crate::claims_v2::org_from_v2(claims, &features)? } else { org_from_v1(claims)? };
        if org.is_none() && (plans.iter().any(|p| p.org && !p.user) || features.iter().any(|f| f.org && !f.user)) {
            // Organization-only plans and features describe the active organization.
            return Err(ClaimsError::new("organization plans or features are present without an active organization"));
        }
        if org.is_none() {
            // A `uo:` entry is the user's and the active organization's: with no organization
            // active only its user half holds, or `has_plan("org:pro")` would pass in a
            // personal session.
            for scoped in plans.iter_mut().chain(features.iter_mut()) {
                scoped.org = false;
            }
        }
        let mut session = Session {
            user_id,
            session_id,
            exp,
            nbf,
            iat,
            azp,
            iss,
            actor,
            org,
            plans,
            features,
            fva,
            claims: ClaimsMap::default(),
            version,
            prepared: OnceLock::new(),
        };
        if pending {
            // Clerk treats a pending session as signed out until its tasks are done.
            session.user_id = None;
            session.org = None;
            session.actor = None;
            session.plans.clear();
            session.features.clear();
            session.fva = None;
            // Signed out means no custom claims either: `claims.email` must not let a
            // pending session through a rule meant for signed-in users. (The caller only
            // fills `claims` when the session is not pending.)
        }
        Ok((session, pending))
    }

    /// The signed-in user's id (`sub`), or `None` for an anonymous session.
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// The active organization's id, or `None` in a personal account.
    pub fn org_id(&self) -> Option<&str> {
        self.org.as_ref().map(|o| o.id.as_str())
    }

    /// The role in the active organization, e.g. `org:admin`.
    pub fn org_role(&self) -> Option<&str> {
        self.org.as_ref().and_then(|o| o.role.as_deref())
    }

    /// The permissions the token lists for the active organization.
    pub fn org_permissions(&self) -> &[String] {
        self.org.as_ref().map(|o| o.permissions.as_slice()).unwrap_or(&[])
    }

    /// The token version the session was read from: 1 or 2.
    pub fn token_version(&self) -> u8 {
        self.version
    }

    /// The raw claims as given, for `claims.*` paths.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// Checks `exp`, `nbf` and `iat` against `now` with `leeway` seconds of clock skew.
    pub(crate) fn validity(&self, now: i64, leeway: i64) -> Validity {
        if let Some(exp) = self.exp {
            if now.saturating_sub(leeway) >= exp {
                return Validity::Expired;
            }
        }
        if let Some(nbf) = self.nbf {
            if now.saturating_add(leeway) < nbf {
                return Validity::NotYetValid;
            }
        }
        if let Some(iat) = self.iat {
            if now.saturating_add(leeway) < iat {
                return Validity::NotYetValid;
            }
        }
        Validity::Valid
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Validity {
    Valid,
    Expired,
    NotYetValid,
}

fn org_from_v1<S: ClaimSource>(claims: &mut S) -> Result<Option<Org>, ClaimsError> {
    if claims.contains_key("o") {
        return Err(ClaimsError::new("claim `o` is only valid in a version 2 token (`\"v\": 2`)"));
    }
    let id = take_str(claims, "org_id")?;
    let slug = take_str(claims, "org_slug")?;
    let role = take_str(claims, "org_role")?;
    let list_of_strings = |v: &Value| v.as_array().is_some_and(|items| items.iter().all(Value::is_string));
    let permissions = match claims.take_if("org_permissions", list_of_strings) {
        None => Vec::new(),
        Some(Ok(Value::Array(items))) => items
            .into_iter()
            .filter_map(|p| match p {
                Value::String(s) => Some(s),
                _ => None,
            })
            .collect(),
        Some(Ok(_)) => Vec::new(),
        Some(Err(Value::Array(items))) => {
            let other = items.iter().find(|p| !p.is_string()).map_or("a list", kind_of);
            return Err(ClaimsError::new(format!("claim `org_permissions` must list strings, found {other}")));
        }
        Some(Err(other)) => {
            return Err(ClaimsError::new(format!(
                "claim `org_permissions` must be a list of strings, found {}",
                describe(other)
            )))
        }
    };
    let metadata = opt_object(claims, "org_metadata")?;
    let Some(id) = id else {
        // Organization fields without an organization would let one org's permissions be
        // read as another's: refuse them rather than guess.
        for key in ["org_slug", "org_role", "org_permissions", "org_metadata"] {
            // An empty `org_metadata` object carries nothing: session-token templates such as
            // `"org_metadata": "{{org.public_metadata}}"` render it in personal sessions too.
            let empty_metadata = key == "org_metadata" && claims.object_is_empty(key, &metadata);
            if claims.contains_key(key) && !empty_metadata {
                return Err(ClaimsError::new(format!("claim `{key}` is present without `org_id`")));
            }
        }
        return Ok(None);
    };
    if id.is_empty() {
        return Err(ClaimsError::new("claim `org_id` must not be empty"));
    }
    Ok(Some(Org { id, slug, role, permissions, metadata }))
}

/// Claim `key` as an object for the session to keep (empty when absent).
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
pub(crate) fn opt_object<S: ClaimSource>(claims: &mut S, key: &str) -> Result<Map<String, Value>, ClaimsError> {
    match claims.take_if(key, Value::is_object) {
        None => Ok(Map::new()),
        Some(Ok(object)) => Ok(into_object(object)),
        Some(Err(other)) => {
            Err(ClaimsError::new(format!("claim `{key}` must be an object, found {}", describe(other))))
        }
    }
}

/// The map of a value taken as an object (see [`ClaimSource::take_if`]).
fn into_object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// As [`opt_str`], with the string for the session to keep.
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
fn take_str<S: ClaimSource>(claims: &mut S, key: &str) -> Result<Option<String>, ClaimsError> {
    match claims.take_if(key, Value::is_string) {
        None => Ok(None),
        Some(Ok(Value::String(s))) => Ok(Some(s)),
        Some(Ok(_)) => Ok(None),
        Some(Err(other)) => Err(ClaimsError::new(format!("claim `{key}` must be a string, found {}", describe(other)))),
    }
}

#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
pub(crate) fn opt_str<'a, S: ClaimSource>(claims: &'a S, key: &str) -> Result<Option<&'a str>, ClaimsError> {
    match claims.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(other) => Err(ClaimsError::new(format!("claim `{key}` must be a string, found {}", describe(other)))),
    }
}

#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
fn opt_int<S: ClaimSource>(claims: &S, key: &str) -> Result<Option<i64>, ClaimsError> {
    match claims.get(key) {
        None => Ok(None),
        Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64()),
        Some(other) => Err(ClaimsError::new(format!(
            "claim `{key}` must be an integer number of seconds, found {}",
            describe(other)
        ))),
    }
}

/// Names a JSON value's kind for messages ("a string", "null", ...).
pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() => "a number",
        Value::Number(n) if n.is_u64() => "a number beyond the 64-bit integer range",
        Value::Number(_) => "a non-integer number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn describe(v: &Value) -> String {
    kind_of(v).to_string()
}

/// Where the claim checks read claims from: the parsed claims object, or the registered
/// claims the one-pass reader kept (see [`Registered`]).
pub(crate) trait ClaimSource {
    /// The value of claim `key`, if present.
    fn get(&self, key: &str) -> Option<&Value>;

    /// Whether claim `key` is present.
    fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The value of claim `key` for the session to keep if `keep` accepts it, else the
    /// value as it is (`Err`, for the error message). A caller's map is left as it is
    /// (the value is cloned); the one-pass reader's own storage gives its value away and
    /// keeps an empty value of the same type in its place, so that later presence and
    /// type checks of that claim answer as before (and no check reads a taken value's
    /// content: every claim is taken at most once).
    fn take_if(&mut self, key: &str, keep: fn(&Value) -> bool) -> Option<Result<Value, &Value>>;

    /// Whether claim `key`, whose object (as taken or got) is `object`, has no entries.
    /// The one-pass reader may keep an empty stand-in for an object it did not build.
    fn object_is_empty(&self, key: &str, object: &Map<String, Value>) -> bool {
        let _ = key;
        object.is_empty()
    }
}

impl ClaimSource for Map<String, Value> {
    fn get(&self, key: &str) -> Option<&Value> {
        Map::get(self, key)
    }

    fn take_if(&mut self, key: &str, keep: fn(&Value) -> bool) -> Option<Result<Value, &Value>> {
        Map::get(self, key).map(|value| if keep(value) { Ok(value.clone()) } else { Err(value) })
    }
}

/// The full claims map of a session: given as a map, or kept as the (validated) claims
/// text and parsed on first use, so that deciding from JSON does not build it unless a
/// `claims.*` condition reads it.
#[derive(Clone, Default)]
pub(crate) struct ClaimsMap {
    text: Option<Box<str>>,
    map: OnceLock<Map<String, Value>>,
}

impl ClaimsMap {
    fn from_map(map: Map<String, Value>) -> ClaimsMap {
        ClaimsMap { text: None, map: OnceLock::from(map) }
    }

    /// `text` must have been accepted by the strict parser, as a JSON object.
    fn from_text(text: &str) -> ClaimsMap {
        ClaimsMap { text: Some(text.into()), map: OnceLock::new() }
    }

    /// The map, built from the text the first time.
    pub(crate) fn map(&self) -> &Map<String, Value> {
        self.map.get_or_init(|| {
            let parsed = self.text.as_deref().map(|text| json::parse_strict(text, usize::MAX, usize::MAX));
            match parsed {
                Some(Ok(Value::Object(map))) => map,
                // Unreachable: the text was read by the same parser with tighter limits.
                _ => Map::new(),
            }
        })
    }
}

impl std::ops::Deref for ClaimsMap {
    type Target = Map<String, Value>;
    fn deref(&self) -> &Map<String, Value> {
        self.map()
    }
}

impl fmt::Debug for ClaimsMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.map().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        Session::from_claims_json(text).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn v1_org_session() {
        let s = Session::from_claims_json(
            r#"{"sub":"user_1","org_id":"org_1","org_role":"org:manager","org_slug":"d2",
                "org_permissions":["org:tasks:view"],"org_metadata":{"isLicensed":true},"exp":10}"#,
        )
        .ok();
        let s = s.as_ref();
        assert_eq!(s.and_then(|s| s.org_role()), Some("org:manager"));
        assert_eq!(s.map(|s| s.org_permissions().len()), Some(1));
        assert_eq!(s.map(|s| s.validity(9, 0)), Some(Validity::Valid));
        assert_eq!(s.map(|s| s.validity(10, 0)), Some(Validity::Expired));
        assert_eq!(s.map(|s| s.validity(14, 5)), Some(Validity::Valid));
    }

    #[test]
    fn wrong_types_are_never_coerced() {
        assert!(err(r#"{"sub":"u","exp":"10"}"#).contains("`exp`"));
        assert!(err(r#"{"sub":null}"#).contains("`sub` must be a string, found null"));
        assert!(err(r#"{"sub":"u","org_id":"o","org_permissions":"org:tasks:edit"}"#).contains("org_permissions"));
        assert!(err(r#"{"sub":"u","org_permissions":["org:tasks:edit"]}"#).contains("without `org_id`"));
        assert!(err(r#"{"sub":"u","exp":1.5}"#).contains("non-integer"));
        assert!(err(r#"{"sub":"u","exp":18446744073709551615}"#).contains("beyond"));
        assert!(err(r#"[1]"#).contains("must be a JSON object"));
        assert!(err(r#"{"sub":"u","sub":"v"}"#).contains("duplicate"));
        assert!(err(r#"{"sub":"u","v":3}"#).contains("`v`"));
        assert!(err(r#"{"sub":"u","sts":"weird"}"#).contains("`sts`"));
        let org = r#"{"sub":"u","org_id":"o","#;
        assert!(err(&format!(r#"{org}"org_permissions":["a",1]}}"#))
            .ends_with("claim `org_permissions` must list strings, found a number"));
        assert!(err(&format!(r#"{org}"org_permissions":{{}}}}"#))
            .ends_with("claim `org_permissions` must be a list of strings, found an object"));
        assert!(err(&format!(r#"{org}"org_metadata":[]}}"#))
            .ends_with("claim `org_metadata` must be an object, found a list"));
        assert!(err(r#"{"sub":"u","act":"x"}"#).ends_with("claim `act` must be an object, found a string"));
        assert!(err(r#"{"sub":"u","sid":1}"#).ends_with("claim `sid` must be a string, found a number"));
    }

    #[test]
    fn decide_json_keeps_the_claims_a_policy_reads() {
        let head = "resource doc {}\naction read on doc\n";
        let licensed =
            crate::Engine::from_policy_text(&format!("license claims.seat\n{head}permit read on doc when licensed"));
        let by_claim = crate::Engine::from_policy_text(&format!("{head}permit read on doc when claims.seat == true"));
        for engine in [licensed.ok(), by_claim.ok()] {
            let decide = |claims: &str| {
                engine.as_ref().map(|e| e.decide_json(claims, "read", r#"{"type":"doc"}"#, None, Some(0)).allowed)
            };
            assert_eq!(decide(r#"{"sub":"u","seat":true}"#), Some(true));
            assert_eq!(decide(r#"{"sub":"u","seat":false}"#), Some(false));
        }
    }

    #[test]
    fn pending_session_is_signed_out() {
        let s = Session::from_claims_json(r#"{"sub":"user_1","sts":"pending","org_id":"org_1"}"#).ok();
        assert_eq!(s.as_ref().and_then(|s| s.user_id()), None);
        assert_eq!(s.as_ref().and_then(|s| s.org_id()), None);
    }
}
