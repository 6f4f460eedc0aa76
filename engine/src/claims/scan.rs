//! The scanner's reading of claims text (see `json::scan`): the same slots, interned
//! permission bits and `org_metadata` probe as the serde-based one-pass reader
//! ([`Registered::read`]'s `TopLevelSeed`), for the usual token, with no serde machinery
//! and the keys and unread strings never copied. Whatever it does not handle it leaves
//! (`None`), and the serde-based reader reads the text again from the start.

use super::one_pass::{
    registered_slot_of_key, MetadataProbe, Plan, Registered, ORG_METADATA_SLOT, ORG_PERMISSIONS_SLOT,
};
use crate::compile::{Bits, LicenseFound};
use crate::json::scan::{Keys, Scanner};
use serde_json::{Map, Value};

impl Registered {
    /// Reads a claims object into the slots as `TopLevelSeed` does, or gives up (`None`,
    /// with the slots in any state) on text outside the scanner's subset, invalid text
    /// included.
    pub(super) fn scan(&mut self, text: &str, max_depth: usize, plan: &Plan<'_>) -> Option<()> {
        let mut s = Scanner::new(text, max_depth);
        if !s.open(b'{', 0)? {
            let mut others = Keys::new();
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
                        others.insert(key)?;
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
