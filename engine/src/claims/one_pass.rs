//! The one-pass reader of claims text: registered claims are checked and moved into their
//! slots as they are read ([`TopLevelSeed`], [`Registered`]); every other claim is
//! validated exactly as the strict parser validates it (duplicate keys at any depth, the
//! depth limit, the same errors at the same positions) without being built. For a
//! decision from JSON ([`OneShot`]) it can also intern `org_permissions` into permission
//! bits, follow the license path through `org_metadata`, and only type-check the claims no
//! rule reads. `engine/tests/intake_props.rs` proves it equal to the strict DOM reader.

use super::{kind_of, ClaimSource, ClaimsError};
use crate::compile::{Bits, LicenseFound, TextReads};
use crate::json;
use rustc_hash::FxHashMap;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

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
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
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

/// [`registered_slot`] for a key read from the text: one call, where the lookups of
/// [`ClaimSource`] by constant names fold into their slot numbers.
#[inline(never)]
pub(super) fn registered_slot_of_key(key: &str) -> Option<usize> {
    registered_slot(key)
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
pub(super) struct Registered {
    pub(super) slots: [Option<Value>; REGISTERED.len()],
    /// The bits of the `org_permissions` read (see [`PermissionsSeed`]), if interned.
    pub(super) interned: Option<Bits>,
    /// `org_metadata` as probed instead of built (see [`MetadataSeed`]).
    pub(super) metadata: Option<MetadataProbe>,
}

/// What [`MetadataSeed`] found in an `org_metadata` object.
#[derive(Default)]
pub(super) struct MetadataProbe {
    /// The object has entries.
    pub(super) entries: bool,
    /// Where the license path leads.
    pub(super) license: LicenseFound,
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

/// How a reader treats the registered claims for a [`OneShot`] (the serde-based reader
/// and the scanner alike, see `claims/scan.rs`).
pub(super) struct Plan<'r> {
    /// Slots (bit `i` for `REGISTERED[i]`) read by [`TypeOnly`].
    pub(super) type_only: u32,
    /// Intern `org_permissions` into bits with this index (see [`PermissionsSeed`]).
    pub(super) intern: Option<(&'r FxHashMap<Box<str>, u32>, usize)>,
    /// Probe `org_metadata` along this license path instead of building it (see [`MetadataSeed`]).
    pub(super) metadata: Option<&'r [Box<str>]>,
}

impl<'r> Plan<'r> {
    fn new(shot: &OneShot<'r>) -> Plan<'r> {
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
        Plan { type_only, intern, metadata }
    }
}

impl Registered {
    /// Reads claims text into the slots. Text that is not an object comes back as its
    /// value, for [`super::Session::from_value`] to refuse with the message it gives.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    pub(super) fn read(
        &mut self,
        text: &str,
        max_depth: usize,
        shot: &OneShot<'_>,
    ) -> Result<Option<Value>, ClaimsError> {
        let plan = Plan::new(shot);
        // The usual text is read by the scanner; what it leaves (see `json::scan`), by
        // serde_json, from the start and into fresh slots.
        if self.scan(text, max_depth, &plan).is_some() {
            return Ok(None);
        }
        *self = Registered::default();
        let mut de = serde_json::Deserializer::from_str(text);
        let seed = TopLevelSeed {
            max_depth,
            registered: self,
            type_only: plan.type_only,
            intern: plan.intern,
            metadata: plan.metadata,
        };
        seed.deserialize(&mut de)
            .and_then(|other| de.end().map(|()| other))
            .map_err(|e| ClaimsError::new(e.to_string()))
    }

    /// What [`Registered::read`] found for `shot` apart from the claims.
    pub(super) fn one_shot_read(&mut self, shot: &OneShot<'_>) -> OneShotRead {
        OneShotRead {
            interned: self.interned.take(),
            license: self.metadata.as_ref().map(|m| m.license).filter(|_| shot.license.is_some()),
        }
    }
}

impl ClaimSource for Registered {
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn get(&self, key: &str) -> Option<&Value> {
        registered_slot(key).and_then(|i| self.slots.get(i)).and_then(Option::as_ref)
    }

    fn object_is_empty(&self, key: &str, object: &Map<String, Value>) -> bool {
        match &self.metadata {
            Some(probe) if registered_slot(key) == Some(ORG_METADATA_SLOT) => !probe.entries,
            _ => object.is_empty(),
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
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
            let slot_index = registered_slot_of_key(&key);
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
pub(super) const JTI_SLOT: usize = 6;
/// Slots of the string claims a decision from JSON may only type-check (see [`OneShot`]).
pub(super) const SID_SLOT: usize = 3;
pub(super) const AZP_SLOT: usize = 4;
pub(super) const ISS_SLOT: usize = 5;
pub(super) const ORG_SLUG_SLOT: usize = 16;
/// The slot of `org_permissions`, which a decision from JSON may intern (see [`OneShot`]).
pub(super) const ORG_PERMISSIONS_SLOT: usize = 18;
/// The slot of `org_metadata`, which a decision from JSON may probe (see [`OneShot`]).
pub(super) const ORG_METADATA_SLOT: usize = 19;

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
}
