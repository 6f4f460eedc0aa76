//! The scanner's reading of claims text (see `json::scan`): the same slots, interned
//! permission bits and `org_metadata` probe as the serde-based one-pass reader
//! ([`Registered::read`]'s `TopLevelSeed`), for the usual token, with no serde machinery
//! and the keys and unread strings never copied. Whatever it does not handle it leaves
//! (`None`), and the serde-based reader reads the text again from the start.

use super::one_pass::{
    registered_slot_of_key, MetadataProbe, Plan, Registered, ORG_METADATA_SLOT, ORG_PERMISSIONS_SLOT,
};
use super::{ClaimsMap, Org, Session};
use crate::compile::{Bits, LicenseFound};
use crate::json::scan::{Keys, Scanner};
use serde_json::{Map, Value};
use std::sync::OnceLock;

impl Registered {
    /// Reads a claims object into the slots as `TopLevelSeed` does, or gives up (`None`,
    /// with the slots in any state) on text outside the scanner's subset, invalid text
    /// included.
    pub(super) fn scan(&mut self, text: &str, max_depth: usize, plan: &Plan<'_>) -> Option<()> {
        let mut s = Scanner::new(text, max_depth);
        s.ws();
        if !s.open(b'{', 0)? {
            // Made on the first claim not registered (the usual token has none).
            let mut others: Option<Keys<'_>> = None;
            loop {
                let key = s.key()?;
                match registered_slot_of_key(key) {
                    Some(i) => {
                        let value = match plan.intern {
                            _ if plan.type_only & (1 << i) != 0 => s.type_only(1)?,
                            Some((index, words)) if i == ORG_PERMISSIONS_SLOT => {
                                let bits = self.interned.get_or_insert_with(|| Bits::zeroed(words));
                                permissions(&mut s, index, bits)?
                            }
                            _ if i == ORG_METADATA_SLOT && plan.metadata.is_some() => {
                                let path = plan.metadata.unwrap_or_default();
                                let (entries, license) = license_object(&mut s, 1, path)?;
                                self.metadata = Some(MetadataProbe { entries, license });
                                Value::Object(Map::new())
                            }
                            _ => s.build(1)?,
                        };
                        let slot = self.slots.get_mut(i)?;
                        if slot.is_some() {
                            return None;
                        }
                        *slot = Some(value);
                    }
                    None => {
                        s.skip(1)?;
                        others.get_or_insert_with(Keys::new).insert(key)?;
                    }
                }
                if !s.next_or(b'}')? {
                    break;
                }
            }
        }
        s.at_end().then_some(())
    }
}

/// `org_permissions` as `PermissionsSeed` reads a list of strings: each looked up in the
/// policy's permission index and set in `bits`; the slot's stand-in is an empty list. Any
/// other value, or a list with anything but strings, is left to the serde-based reader.
fn permissions(s: &mut Scanner<'_>, index: &rustc_hash::FxHashMap<Box<str>, u32>, bits: &mut Bits) -> Option<Value> {
    if s.peek_value()? != b'[' {
        return None;
    }
    if !s.open(b'[', 1)? {
        loop {
            s.ws();
            if let Some(&i) = index.get(s.string()?) {
                bits.set(i);
            }
            if !s.next_or(b']')? {
                break;
            }
        }
    }
    Some(Value::Array(Vec::new()))
}

/// An object along a license path, as `LicenseWalk::object` reads it: whether it has
/// entries and what the path leads to. `depth` containers enclose the object.
fn license_object(s: &mut Scanner<'_>, depth: usize, path: &[Box<str>]) -> Option<(bool, LicenseFound)> {
    if s.peek_value()? != b'{' {
        return None;
    }
    if s.open(b'{', depth)? {
        return Some((false, LicenseFound::Absent));
    }
    let mut keys = Keys::new();
    let mut found = LicenseFound::Absent;
    loop {
        let key = s.key()?;
        match path.split_first() {
            Some((first, rest)) if first.as_ref() == key => found = license_value(s, depth + 1, rest)?,
            _ => s.skip(depth + 1)?,
        }
        keys.insert(key)?;
        if !s.next_or(b'}')? {
            return Some((true, found));
        }
    }
}

/// What the rest of a license `path` leads to from a value (as `LicenseWalk` reads it).
fn license_value(s: &mut Scanner<'_>, depth: usize, path: &[Box<str>]) -> Option<LicenseFound> {
    let leaf = |kind| if path.is_empty() { LicenseFound::Other(kind) } else { LicenseFound::ParentNotObject };
    Some(match s.peek_value()? {
        b'{' if !path.is_empty() => license_object(s, depth, path)?.1,
        b'{' => {
            s.skip(depth)?;
            leaf("an object")
        }
        b'[' => {
            s.skip(depth)?;
            leaf("a list")
        }
        b'"' => {
            s.string()?;
            leaf("a string")
        }
        b'-' | b'0'..=b'9' => {
            // At most 18 digits: an `i64`, which `claims::kind_of` names "a number".
            s.int()?;
            leaf("a number")
        }
        _ => match s.literal()? {
            Some(b) if path.is_empty() => LicenseFound::Bool(b),
            Some(_) => LicenseFound::ParentNotObject,
            None => leaf("null"),
        },
    })
}

impl Registered {
    /// The session of the usual version 1 token, straight from the slots: what
    /// `Session::read` builds when every registered claim present has its type, `v`,
    /// `act`, `fva`, `fea`, `pla` and `o` are absent, `sts` is absent or `active`, `sub`
    /// and `org_id` are not empty and no `org_*` claim comes without `org_id`. For
    /// anything else it leaves the slots as they are and gives `None`, and
    /// `Session::read` reads them (with its messages for what is wrong). With
    /// `claims_text`, the session keeps it for `Session::claims` (as the caller of
    /// `Session::read` does for a session that is not pending).
    pub(super) fn usual_session(&mut self, claims_text: Option<&str>) -> Option<Session> {
        if !self.is_usual() {
            return None;
        }
        let slots = &mut self.slots;
        let mut take = |i: usize| slots.get_mut(i).and_then(Option::take);
        let mut string = |i: usize| match take(i) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        let (user_id, session_id, azp, iss) = (string(SUB), string(SID), string(AZP), string(ISS));
        let (org_id, slug, role) = (string(ORG_ID), string(ORG_SLUG), string(ORG_ROLE));
        let permissions = match take(ORG_PERMISSIONS_SLOT) {
            Some(Value::Array(items)) => items
                .into_iter()
                .filter_map(|p| match p {
                    Value::String(s) => Some(s),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let metadata = match take(ORG_METADATA_SLOT) {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        };
        let org = org_id.map(|id| Org { id, slug, role, permissions, metadata });
        let int = |i: usize| self.slots.get(i).and_then(Option::as_ref).and_then(Value::as_i64);
        Some(Session {
            user_id,
            session_id,
            exp: int(EXP),
            nbf: int(NBF),
            iat: int(IAT),
            azp,
            iss,
            actor: None,
            org,
            plans: Vec::new(),
            features: Vec::new(),
            fva: None,
            claims: claims_text.map(ClaimsMap::from_text).unwrap_or_default(),
            version: 1,
            prepared: OnceLock::new(),
        })
    }

    /// Whether the slots hold the usual token of [`Registered::usual_session`].
    fn is_usual(&self) -> bool {
        let slot = |i: usize| self.slots.get(i).and_then(Option::as_ref);
        let string = |i: usize| matches!(slot(i), None | Some(Value::String(_)));
        let filled = |i: usize| matches!(slot(i), Some(Value::String(s)) if !s.is_empty()) || slot(i).is_none();
        let int = |i: usize| slot(i).map_or(true, |v| v.as_i64().is_some());
        let absent = |i: usize| slot(i).is_none();
        let active = match slot(STS) {
            None => true,
            Some(Value::String(s)) => s == "active",
            Some(_) => false,
        };
        let permissions = match slot(ORG_PERMISSIONS_SLOT) {
            None => true,
            Some(Value::Array(items)) => items.iter().all(Value::is_string),
            Some(_) => false,
        };
        let metadata = matches!(slot(ORG_METADATA_SLOT), None | Some(Value::Object(_)));
        let org = if absent(ORG_ID) {
            [ORG_SLUG, ORG_ROLE, ORG_PERMISSIONS_SLOT, ORG_METADATA_SLOT].into_iter().all(absent)
        } else {
            filled(ORG_ID) && string(ORG_SLUG) && string(ORG_ROLE) && permissions && metadata
        };
        active
            && org
            && filled(SUB)
            && [SID, AZP, ISS, JTI].into_iter().all(string)
            && [EXP, NBF, IAT].into_iter().all(int)
            && [V, ACT, FVA, FEA, PLA, O].into_iter().all(absent)
    }
}

/// Slots of [`super::one_pass::REGISTERED`] read by [`Registered::usual_session`].
const V: usize = 0;
const STS: usize = 1;
const SUB: usize = 2;
const SID: usize = 3;
const AZP: usize = 4;
const ISS: usize = 5;
const JTI: usize = 6;
const EXP: usize = 7;
const NBF: usize = 8;
const IAT: usize = 9;
const ACT: usize = 10;
const FVA: usize = 11;
const FEA: usize = 12;
const PLA: usize = 13;
const O: usize = 14;
const ORG_ID: usize = 15;
const ORG_SLUG: usize = 16;
const ORG_ROLE: usize = 17;

#[cfg(test)]
mod tests {
    use super::super::one_pass::REGISTERED;
    use super::*;

    #[test]
    fn slot_names() {
        let named = [
            (V, "v"),
            (STS, "sts"),
            (SUB, "sub"),
            (SID, "sid"),
            (AZP, "azp"),
            (ISS, "iss"),
            (JTI, "jti"),
            (EXP, "exp"),
            (NBF, "nbf"),
            (IAT, "iat"),
            (ACT, "act"),
            (FVA, "fva"),
            (FEA, "fea"),
            (PLA, "pla"),
            (O, "o"),
            (ORG_ID, "org_id"),
            (ORG_SLUG, "org_slug"),
            (ORG_ROLE, "org_role"),
            (ORG_PERMISSIONS_SLOT, "org_permissions"),
            (ORG_METADATA_SLOT, "org_metadata"),
        ];
        for (slot, name) in named {
            assert_eq!(REGISTERED.get(slot), Some(&name));
        }
    }
}
