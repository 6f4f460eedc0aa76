//! Session-claims normalisation: Clerk v1 and v2 session tokens and generic JWT payloads
//! become one [`Session`], so no policy can tell which token shape it came from.
//!
//! Every registered claim is type-checked and never coerced: `"exp": "1721770193"`,
//! `"org_permissions": "org:tasks:edit"` or `"sub": null` make the claims invalid, and a
//! decision on invalid claims is a deny with reason `invalid_claims`.

use crate::compile::{Bits, LicenseFound, TextReads};
use crate::json;
use crate::limits::Limits;
use rustc_hash::FxHashMap;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;
use std::sync::OnceLock;

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
        let mut de = serde_json::Deserializer::from_str(text);
        let mut registered = Registered::default();
        let mut type_only = 1u32 << JTI_SLOT;
        for (slot, read) in [
            (SID_SLOT, shot.reads.session_id),
            (AZP_SLOT, shot.reads.azp),
            (ISS_SLOT, shot.reads.iss),
            (ORG_SLUG_SLOT, shot.reads.org_slug),
        ] {
            if !read {
                type_only |= 1 << slot;
            }
        }
        let intern = shot.permissions.filter(|_| !shot.reads.org_permissions);
        let metadata = (!shot.reads.org_metadata).then(|| shot.license.unwrap_or_default());
        let seed =
            TopLevelSeed { max_depth: limits.max_json_depth, registered: &mut registered, type_only, intern, metadata };
        let other = seed
            .deserialize(&mut de)
            .and_then(|other| de.end().map(|()| other))
            .map_err(|e| ClaimsError::new(e.to_string()))?;
        if let Some(value) = other {
            return Session::from_value(value, limits).map(|s| (s, OneShotRead::default()));
        }
        let read = OneShotRead {
            interned: registered.interned.take(),
            license: registered.metadata.as_ref().map(|m| m.license).filter(|_| shot.license.is_some()),
        };
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
        Session::from_value(claims, &Limits::default())
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
        let features = match opt_str(claims, "fea")? {
            Some(text) => crate::claims_v2::scoped_list("fea", text)?,
            None => Vec::new(),
        };
        let plans = match opt_str(claims, "pla")? {
            Some(text) => crate::claims_v2::scoped_list("pla", text)?,
            None => Vec::new(),
        };
        let org = if version == 2 { crate::claims_v2::org_from_v2(claims, &features)? } else { org_from_v1(claims)? };
        if org.is_none() && (plans.iter().any(|p| p.org && !p.user) || features.iter().any(|f| f.org && !f.user)) {
            // Organization-only plans and features describe the active organization.
            return Err(ClaimsError::new("organization plans or features are present without an active organization"));
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
fn take_str<S: ClaimSource>(claims: &mut S, key: &str) -> Result<Option<String>, ClaimsError> {
    match claims.take_if(key, Value::is_string) {
        None => Ok(None),
        Some(Ok(Value::String(s))) => Ok(Some(s)),
        Some(Ok(_)) => Ok(None),
        Some(Err(other)) => Err(ClaimsError::new(format!("claim `{key}` must be a string, found {}", describe(other)))),
    }
}

pub(crate) fn opt_str<'a, S: ClaimSource>(claims: &'a S, key: &str) -> Result<Option<&'a str>, ClaimsError> {
    match claims.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(other) => Err(ClaimsError::new(format!("claim `{key}` must be a string, found {}", describe(other)))),
    }
}

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

/// Every claim name [`Session::read`] (and `claims_v2`) looks up, in slot order. A name
/// missing here would read as absent from text and present from a parsed value: the
/// property tests in `engine/tests/intake_props.rs` generate all of them. A directory
/// (AuthZEN) may not set these: it is a per-user record with no notion of the active
/// organization or of token lifetimes.
pub(crate) const REGISTERED: [&str; 20] = [
    "v",
    "sts",
    "sub",
    "sid",
    "azp",
    "iss",
    "jti",
    "exp",
    "nbf",
    "iat",
    "act",
    "fva",
    "fea",
    "pla",
    "o",
    "org_id",
    "org_slug",
    "org_role",
    "org_permissions",
    "org_metadata",
];

/// The slot of a registered claim in [`REGISTERED`]. This runs for every key of every
/// token and for every claim lookup, so it branches on the key's length and then compares
/// whole words: a three-letter name is one `u32` (see [`word`]), matched against constants
/// the compiler turns into a jump table or a binary search, instead of one byte at a time.
fn registered_slot(key: &str) -> Option<usize> {
    Some(match key.as_bytes() {
        b"v" => 0,
        b"o" => 14,
        &[a, b, c] => match word([a, b, c]) {
            STS => 1,
            SUB => 2,
            SID => 3,
            AZP => 4,
            ISS => 5,
            JTI => 6,
            EXP => 7,
            NBF => 8,
            IAT => 9,
            ACT => 10,
            FVA => 11,
            FEA => 12,
            PLA => 13,
            _ => return None,
        },
        [b'o', b'r', b'g', b'_', rest @ ..] => match rest {
            b"id" => 15,
            b"slug" => 16,
            b"role" => 17,
            b"permissions" => 18,
            b"metadata" => 19,
            _ => return None,
        },
        _ => return None,
    })
}

/// A three-byte claim name as one integer, for [`registered_slot`].
const fn word(name: [u8; 3]) -> u32 {
    let [a, b, c] = name;
    u32::from_le_bytes([a, b, c, 0])
}

const STS: u32 = word(*b"sts");
const SUB: u32 = word(*b"sub");
const SID: u32 = word(*b"sid");
const AZP: u32 = word(*b"azp");
const ISS: u32 = word(*b"iss");
const JTI: u32 = word(*b"jti");
const EXP: u32 = word(*b"exp");
const NBF: u32 = word(*b"nbf");
const IAT: u32 = word(*b"iat");
const ACT: u32 = word(*b"act");
const FVA: u32 = word(*b"fva");
const FEA: u32 = word(*b"fea");
const PLA: u32 = word(*b"pla");

/// The registered claims of a claims text, each built as the strict parser builds it;
/// the other claims are validated and not kept (the text is).
#[derive(Default)]
struct Registered {
    slots: [Option<Value>; REGISTERED.len()],
    /// The bits of the `org_permissions` read (see [`PermissionsSeed`]), if interned.
    interned: Option<Bits>,
    /// `org_metadata` as probed instead of built (see [`MetadataSeed`]).
    metadata: Option<MetadataProbe>,
}

/// What [`MetadataSeed`] found in an `org_metadata` object.
#[derive(Default)]
struct MetadataProbe {
    /// The object has entries.
    entries: bool,
    /// Where the license path leads.
    license: LicenseFound,
}

/// What a decision from JSON needs of a claims text (see [`Session::from_claims_one_shot`]).
pub(crate) struct OneShot<'p> {
    /// Keep the text for [`Session::claims`] (the policy reads `claims.*`).
    pub keep_claims: bool,
    /// The fields some rule reads as text.
    pub reads: TextReads,
    /// The policy's permission index and the width of its bitsets in words.
    pub permissions: Option<(&'p FxHashMap<Box<str>, u32>, usize)>,
    /// The license path inside `org_metadata` (`license org.<path>`), if declared: when no
    /// rule reads `org.<metadata>` (`reads.org_metadata`), `org_metadata` is validated and
    /// this path followed as it is read, and the object is not built.
    pub license: Option<&'p [Box<str>]>,
}

/// What [`Session::from_claims_one_shot`] read apart from the session.
#[derive(Default)]
pub(crate) struct OneShotRead {
    /// The bits of the `org_permissions` read, if interned (see [`PermissionsSeed`]).
    pub interned: Option<Bits>,
    /// What `license org.<path>` leads to in `org_metadata`, if it was read apart (the
    /// session's `org.metadata` is then empty).
    pub license: Option<LicenseFound>,
}

impl ClaimSource for Registered {
    fn get(&self, key: &str) -> Option<&Value> {
        registered_slot(key).and_then(|i| self.slots.get(i)).and_then(Option::as_ref)
    }

    fn object_is_empty(&self, key: &str, object: &Map<String, Value>) -> bool {
        match &self.metadata {
            Some(probe) if registered_slot(key) == Some(ORG_METADATA_SLOT) => !probe.entries,
            _ => object.is_empty(),
        }
    }

    fn take_if(&mut self, key: &str, keep: fn(&Value) -> bool) -> Option<Result<Value, &Value>> {
        let value = registered_slot(key).and_then(|i| self.slots.get_mut(i)).and_then(Option::as_mut)?;
        if !keep(value) {
            return Some(Err(value));
        }
        Some(Ok(match value {
            Value::String(s) => Value::String(std::mem::take(s)),
            Value::Array(items) => Value::Array(std::mem::take(items)),
            Value::Object(map) => Value::Object(std::mem::take(map)),
            other => other.clone(),
        }))
    }
}

/// Reads the top level of a claims text: an object into `registered` (its other claims
/// validated and dropped), any other value built whole and returned, to be refused with
/// the same message as a parsed value.
struct TopLevelSeed<'r> {
    max_depth: usize,
    registered: &'r mut Registered,
    /// Slots (bit `i` for `REGISTERED[i]`) read by [`TypeOnly`].
    type_only: u32,
    /// Intern `org_permissions` into bits with this index (see [`PermissionsSeed`]).
    intern: Option<(&'r FxHashMap<Box<str>, u32>, usize)>,
    /// Probe `org_metadata` along this license path instead of building it (see [`MetadataSeed`]).
    metadata: Option<&'r [Box<str>]>,
}

impl TopLevelSeed<'_> {
    fn strict(&self) -> json::Strict {
        json::Strict { depth: 0, max_depth: self.max_depth }
    }
}

impl<'de> DeserializeSeed<'de> for TopLevelSeed<'_> {
    type Value = Option<Value>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<Value>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopLevelSeed<'_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Option<Value>, E> {
        self.strict().visit_bool(v).map(Some)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<Value>, E> {
        self.strict().visit_i64(v).map(Some)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<Value>, E> {
        self.strict().visit_u64(v).map(Some)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Option<Value>, E> {
        self.strict().visit_f64(v).map(Some)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<Value>, E> {
        self.strict().visit_str(v).map(Some)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<Value>, E> {
        self.strict().visit_unit().map(Some)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<Value>, A::Error> {
        self.strict().visit_seq(seq).map(Some)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Option<Value>, A::Error> {
        let inner = self.strict().deeper()?;
        let Registered { slots, interned, metadata } = self.registered;
        let mut others = json::KeySet::default();
        while let Some(key) = access.next_key_seed(json::Key)? {
            // Keys and values are read in the order, and checked at the points, of the
            // strict parser: the value first, then whether the key was seen before.
            let slot_index = registered_slot(&key);
            match slot_index.and_then(|i| Some((i, slots.get_mut(i)?))) {
                Some((i, slot)) => {
                    let strict = json::Strict { depth: inner.depth, max_depth: inner.max_depth };
                    let value = match self.intern {
                        _ if self.type_only & (1 << i) != 0 => access.next_value_seed(TypeOnly(strict))?,
                        Some((index, words)) if i == ORG_PERMISSIONS_SLOT => {
                            let bits = interned.get_or_insert_with(|| Bits::zeroed(words));
                            access.next_value_seed(PermissionsSeed { strict, index, bits })?
                        }
                        _ if i == ORG_METADATA_SLOT && self.metadata.is_some() => {
                            let path = self.metadata.unwrap_or_default();
                            let probe = metadata.insert(MetadataProbe::default());
                            access.next_value_seed(MetadataSeed { strict, path, probe })?
                        }
                        _ => access.next_value_seed(strict)?,
                    };
                    if slot.is_some() {
                        return Err(json::duplicate_key(&key));
                    }
                    *slot = Some(value);
                }
                None => {
                    access.next_value_seed(json::Skip { depth: inner.depth, max_depth: inner.max_depth })?;
                    if let Err(key) = others.insert(key) {
                        return Err(json::duplicate_key(&key));
                    }
                }
            }
        }
        Ok(None)
    }
}

/// The slot of `jti`, the one registered claim the session only type-checks.
const JTI_SLOT: usize = 6;
/// Slots of the string claims a decision from JSON may only type-check (see [`OneShot`]).
const SID_SLOT: usize = 3;
const AZP_SLOT: usize = 4;
const ISS_SLOT: usize = 5;
const ORG_SLUG_SLOT: usize = 16;
/// The slot of `org_permissions`, which a decision from JSON may intern (see [`OneShot`]).
const ORG_PERMISSIONS_SLOT: usize = 18;
/// The slot of `org_metadata`, which a decision from JSON may probe (see [`OneShot`]).
const ORG_METADATA_SLOT: usize = 19;

/// The scalar `visit_*` methods of a visitor that reads scalars exactly as its
/// `self.strict` ([`json::Strict`]) does and only treats objects or lists its own way.
macro_rules! scalars_as_strict {
    () => {
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
            self.strict.visit_bool(v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
            self.strict.visit_i64(v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
            self.strict.visit_u64(v)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
            self.strict.visit_f64(v)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
            self.strict.visit_str(v)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
            self.strict.visit_unit()
        }
    };
}

/// Reads `org_metadata` for a decision from JSON when no rule reads it: an object is
/// validated as [`json::Skip`] validates it, the license path is followed as it is read
/// ([`LicenseWalk`]) and whether it has entries noted; what the claim checks see in its
/// slot is an empty object, and they ask [`ClaimSource::object_is_empty`] about entries.
/// Anything but an object is built (to be refused with the message the strict path gives).
struct MetadataSeed<'p> {
    strict: json::Strict,
    path: &'p [Box<str>],
    probe: &'p mut MetadataProbe,
}

impl<'de> DeserializeSeed<'de> for MetadataSeed<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MetadataSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    scalars_as_strict!();
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Value, A::Error> {
        self.strict.visit_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Value, A::Error> {
        let walk = LicenseWalk { depth: self.strict.depth, max_depth: self.strict.max_depth, path: self.path };
        let (entries, found) = walk.object(access)?;
        *self.probe = MetadataProbe { entries, license: found };
        Ok(Value::Object(Map::new()))
    }
}

/// Follows a license path through a value being read, validating it as [`json::Skip`]
/// does (same checks, same errors), to what `compile::walk_map` finds on the built value.
struct LicenseWalk<'p> {
    depth: usize,
    max_depth: usize,
    /// The keys still to follow from this value; empty: this is the license value.
    path: &'p [Box<str>],
}

impl LicenseWalk<'_> {
    fn skip(&self) -> json::Skip {
        json::Skip { depth: self.depth, max_depth: self.max_depth }
    }

    /// Reads an object's entries, following `path` into the entry its first key names;
    /// returns whether it has entries and what the path leads to.
    fn object<'de, A: MapAccess<'de>>(&self, mut access: A) -> Result<(bool, LicenseFound), A::Error> {
        let inner = json::Strict { depth: self.depth, max_depth: self.max_depth }.deeper()?;
        let mut keys = json::KeySet::default();
        let (mut entries, mut found) = (false, LicenseFound::Absent);
        while let Some(key) = access.next_key_seed(json::Key)? {
            entries = true;
            match self.path.split_first() {
                Some((first, rest)) if first.as_ref() == key.as_ref() => {
                    let walk = LicenseWalk { depth: inner.depth, max_depth: inner.max_depth, path: rest };
                    found = access.next_value_seed(walk)?;
                }
                _ => access.next_value_seed(json::Skip { depth: inner.depth, max_depth: inner.max_depth })?,
            }
            if let Err(key) = keys.insert(key) {
                return Err(json::duplicate_key(&key));
            }
        }
        Ok((entries, found))
    }

    /// What the path finds at a value that is not an object: the value itself when the
    /// path ends here, else nothing to go through.
    fn leaf(&self, kind: &'static str) -> LicenseFound {
        if self.path.is_empty() {
            LicenseFound::Other(kind)
        } else {
            LicenseFound::ParentNotObject
        }
    }
}

impl<'de> DeserializeSeed<'de> for LicenseWalk<'_> {
    type Value = LicenseFound;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<LicenseFound, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LicenseWalk<'_> {
    type Value = LicenseFound;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<LicenseFound, E> {
        Ok(if self.path.is_empty() { LicenseFound::Bool(v) } else { LicenseFound::ParentNotObject })
    }
    fn visit_i64<E>(self, v: i64) -> Result<LicenseFound, E> {
        Ok(self.leaf(kind_of(&Value::from(v))))
    }
    fn visit_u64<E>(self, v: u64) -> Result<LicenseFound, E> {
        Ok(self.leaf(kind_of(&Value::from(v))))
    }
    fn visit_f64<E>(self, v: f64) -> Result<LicenseFound, E> {
        // As the strict builder: a number it cannot represent becomes null.
        let value = serde_json::Number::from_f64(v).map(Value::Number).unwrap_or(Value::Null);
        Ok(self.leaf(kind_of(&value)))
    }
    fn visit_str<E>(self, _: &str) -> Result<LicenseFound, E> {
        Ok(self.leaf("a string"))
    }
    fn visit_unit<E>(self) -> Result<LicenseFound, E> {
        Ok(self.leaf("null"))
    }
    fn visit_none<E>(self) -> Result<LicenseFound, E> {
        Ok(self.leaf("null"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<LicenseFound, A::Error> {
        self.skip().visit_seq(seq)?;
        Ok(self.leaf("a list"))
    }
    fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<LicenseFound, A::Error> {
        if self.path.is_empty() {
            self.skip().visit_map(access)?;
            return Ok(LicenseFound::Other("an object"));
        }
        let (_, found) = self.object(access)?;
        Ok(found)
    }
}

/// Reads `org_permissions` for a decision from JSON: a list's strings are looked up in
/// the policy's permission index and set in `bits` as they are read, never built. What
/// the claim checks see in its slot is a stand-in with the same answers (see
/// `org_from_v1`): a list with no element when every element is a string, else a list of
/// one value of the kind of the first other element (for the error message, which names
/// that kind). Every element is still read as [`json::Strict`] reads it (depth, duplicate
/// keys), so the text is accepted or refused as before; anything but a list is built.
struct PermissionsSeed<'b> {
    strict: json::Strict,
    index: &'b FxHashMap<Box<str>, u32>,
    bits: &'b mut Bits,
}

impl<'de> DeserializeSeed<'de> for PermissionsSeed<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PermissionsSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    scalars_as_strict!();
    fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Value, A::Error> {
        self.strict.visit_map(access)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.strict.deeper()?;
        let mut first_other = None;
        let (index, bits) = (self.index, self.bits);
        while let Some(item) = seq.next_element_seed(PermissionItem {
            depth: inner.depth,
            max_depth: inner.max_depth,
            index,
            bits: &mut *bits,
        })? {
            if first_other.is_none() {
                first_other = item;
            }
        }
        Ok(Value::Array(first_other.into_iter().collect()))
    }
}

/// One element of `org_permissions` (see [`PermissionsSeed`]): `None` for a string,
/// interned; else a value of the same kind, the element validated and not built.
struct PermissionItem<'b> {
    depth: usize,
    max_depth: usize,
    index: &'b FxHashMap<Box<str>, u32>,
    bits: &'b mut Bits,
}

impl<'de> DeserializeSeed<'de> for PermissionItem<'_> {
    type Value = Option<Value>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<Value>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PermissionItem<'_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Option<Value>, E> {
        Ok(Some(Value::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Option<Value>, E> {
        json::Strict { depth: self.depth, max_depth: self.max_depth }.visit_f64(v).map(Some)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<Value>, E> {
        if let Some(&i) = self.index.get(v) {
            self.bits.set(i);
        }
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<Value>, E> {
        Ok(Some(Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<Value>, A::Error> {
        json::Skip { depth: self.depth, max_depth: self.max_depth }.visit_seq(seq)?;
        Ok(Some(Value::Array(Vec::new())))
    }
    fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Option<Value>, A::Error> {
        json::Skip { depth: self.depth, max_depth: self.max_depth }.visit_map(access)?;
        Ok(Some(Value::Object(Map::new())))
    }
}

/// Reads a claim whose content the session never reads (`jti`) as [`json::Strict`]
/// does, except that a string is kept as an empty string: its type is all that is checked.
pub(crate) struct TypeOnly(pub(crate) json::Strict);

impl<'de> DeserializeSeed<'de> for TypeOnly {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TypeOnly {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.0.visit_bool(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.0.visit_i64(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.0.visit_u64(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.0.visit_f64(v)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Value, E> {
        Ok(Value::String(String::new()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.0.visit_unit()
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Value, A::Error> {
        self.0.visit_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Value, A::Error> {
        self.0.visit_map(access)
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

    #[test]
    fn registered_slots_match_names() {
        for (i, name) in REGISTERED.iter().enumerate() {
            assert_eq!(registered_slot(name), Some(i), "{name}");
        }
        assert_eq!(REGISTERED.get(JTI_SLOT), Some(&"jti"));
        assert_eq!(REGISTERED.get(SID_SLOT), Some(&"sid"));
        assert_eq!(REGISTERED.get(AZP_SLOT), Some(&"azp"));
        assert_eq!(REGISTERED.get(ISS_SLOT), Some(&"iss"));
        assert_eq!(REGISTERED.get(ORG_SLUG_SLOT), Some(&"org_slug"));
        assert_eq!(REGISTERED.get(ORG_PERMISSIONS_SLOT), Some(&"org_permissions"));
        assert_eq!(REGISTERED.get(ORG_METADATA_SLOT), Some(&"org_metadata"));
        assert_eq!(registered_slot("email"), None);
    }

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
