//! Lookups of the names a request carries (actions), tuned for what policies hold: a
//! handful of short names.
//!
//! A general hash map costs a hash, a probe and a `memcmp` call per lookup, as much as the
//! rest of a decision's bookkeeping; the handful of actions a policy declares are found
//! faster by comparing each name, read as two integers, with the one asked for.

use rustc_hash::FxHashMap;

/// Up to this many names are searched one by one; more go through a hash map.
const LINEAR_MAX: usize = 16;

/// A name, its [`key`] and length, and its id.
#[derive(Debug)]
struct Entry {
    key: (u64, u64),
    len: usize,
    id: u32,
    name: Box<str>,
}

/// Names to their ids.
#[derive(Debug, Default)]
pub(crate) struct NameIndex {
    /// When there are few names: each with its key and length (see [`key`]).
    few: Vec<Entry>,
    many: FxHashMap<Box<str>, u32>,
}

impl NameIndex {
    /// The index of `names` (name, id).
    pub fn new(names: &FxHashMap<Box<str>, u32>) -> NameIndex {
        // (The size-bound wasm build keeps the map alone.)
        if names.len() > LINEAR_MAX || cfg!(target_arch = "wasm32") {
            return NameIndex { few: Vec::new(), many: names.clone() };
        }
        let mut few: Vec<Entry> =
            names.iter().map(|(n, &id)| Entry { key: key(n.as_bytes()), len: n.len(), id, name: n.clone() }).collect();
        few.sort_by_key(|e| e.id);
        NameIndex { few, many: FxHashMap::default() }
    }

    /// The id of `name`.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    pub fn get(&self, name: &str) -> Option<u32> {
        if self.few.is_empty() || cfg!(target_arch = "wasm32") {
            return self.many.get(name).copied();
        }
        let bytes = name.as_bytes();
        let wanted = key(bytes);
        self.few
            .iter()
            .find(|e| e.key == wanted && e.len == bytes.len() && (e.len <= 16 || e.name.as_bytes() == bytes))
            .map(|e| e.id)
    }
}

/// `bytes` as two integers and its length: its first and last eight bytes (four when
/// shorter, each byte when shorter still), which for up to sixteen bytes is the whole name.
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
fn key(bytes: &[u8]) -> (u64, u64) {
    let n = bytes.len();
    let word8 = |at: usize| bytes.get(at..at + 8).and_then(|s| s.try_into().ok()).map_or(0, u64::from_le_bytes);
    let word4 = |at: usize| bytes.get(at..at + 4).and_then(|s| s.try_into().ok()).map_or(0, u32::from_le_bytes);
    if n >= 8 {
        (word8(0), word8(n - 8))
    } else if n >= 4 {
        (u64::from(word4(0)), u64::from(word4(n - 4)))
    } else {
        (bytes.iter().fold(0, |k, &b| (k << 8) | u64::from(b)), 0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn index(names: &[&str]) -> (NameIndex, FxHashMap<Box<str>, u32>) {
        let map: FxHashMap<Box<str>, u32> = names.iter().enumerate().map(|(i, n)| ((*n).into(), i as u32)).collect();
        (NameIndex::new(&map), map)
    }

    #[test]
    fn names_that_share_their_ends_or_pad_with_zeros_are_told_apart() {
        let names =
            ["", "a", "\0a", "a\0", "view", "edit", "complete", "complete\0", "abcdefghXabcdefgh", "abcdefghYabcdefgh"];
        let (ix, _) = index(&names);
        for (i, n) in names.iter().enumerate() {
            assert_eq!(ix.get(n), Some(i as u32), "{n:?}");
        }
        for absent in ["b", "\0", "vie", "views", "abcdefghZabcdefgh", "abcdefgh", "completes"] {
            assert_eq!(ix.get(absent), None, "{absent:?}");
        }
    }

    proptest! {
        /// The same answers as the map it indexes, with few names (searched one by one)
        /// and many (hashed).
        #[test]
        fn answers_as_the_map(
            names in prop::collection::hash_set("[a-c\\x00]{0,20}", 0..24),
            asked in prop::collection::vec("[a-c\\x00]{0,20}", 0..16),
        ) {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let (ix, map) = index(&names);
            for n in names.iter().copied().chain(asked.iter().map(String::as_str)) {
                prop_assert_eq!(ix.get(n), map.get(n).copied(), "{:?}", n);
            }
        }
    }
}
