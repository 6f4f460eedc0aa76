//! Strict JSON intake for claims, resources and context.
//!
//! `serde_json::Value` keeps the last of two equal keys, which would let `{"sub": "a",
//! "sub": "b"}` mean whatever the last writer wanted. ordinance rejects duplicate keys, and
//! bounds size and nesting before any value is built, so hostile input costs at most
//! [`Limits`](crate::Limits) worth of work.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;

pub(crate) mod scan;

/// Parses `text` into a JSON value, rejecting duplicate object keys, nesting deeper than
/// `max_depth` and text longer than `max_bytes`. The error is one lowercase line.
pub(crate) fn parse_strict(text: &str, max_bytes: usize, max_depth: usize) -> Result<Value, String> {
    check_size(text, max_bytes)?;
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Strict { depth: 0, max_depth }.deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(value)
}

/// The size check of [`parse_strict`], for readers that parse the text themselves.
pub(crate) fn check_size(text: &str, max_bytes: usize) -> Result<(), String> {
    if text.len() > max_bytes {
        return Err(format!("input of {} bytes is larger than the limit of {max_bytes} bytes", text.len()));
    }
    Ok(())
}

/// Checks an already-built value (from a binding) against the same depth limit, and
/// measures it on the way (see [`checked_sized`]).
pub(crate) fn check_depth(value: &Value, max_depth: usize) -> Result<usize, String> {
    // Counts containers the way `parse_strict` does: at most `max_depth` nested arrays or
    // objects, so a value from a binding and the same value as text get the same answer.
    // The size is the length of the compact JSON text, except that a number with a
    // fraction or an exponent counts as one byte.
    fn walk(v: &Value, depth: usize, max: usize, size: &mut usize) -> bool {
        match v {
            Value::Null | Value::Bool(true) => *size += 4,
            Value::Bool(false) => *size += 5,
            Value::Number(n) => *size += number_len(n),
            Value::String(s) => *size += string_len(s),
            Value::Array(items) => {
                *size += 2 + items.len().saturating_sub(1);
                return depth < max && items.iter().all(|i| walk(i, depth + 1, max, size));
            }
            Value::Object(map) => {
                *size += 2 + map.len().saturating_sub(1);
                return depth < max
                    && map.iter().all(|(k, i)| {
                        *size += string_len(k) + 1;
                        walk(i, depth + 1, max, size)
                    });
            }
        }
        true
    }
    let mut size = 0;
    if walk(value, 0, max_depth, &mut size) {
        Ok(size)
    } else {
        Err(format!("input nests deeper than the limit of {max_depth} levels"))
    }
}

/// [`checked`], and the size limit: a value built in code (by a binding or a caller) is
/// bounded like the same document as text. Its size is the length of its compact JSON
/// text, as `serde_json::to_string` writes it, except that a number with a fraction or an
/// exponent counts as one byte, so a value never measures more than any text it could
/// have been parsed from (`1e5` is three bytes of text, `100000.0` as written back).
pub(crate) fn checked_sized(value: Value, max_depth: usize, max_bytes: usize) -> Result<Value, String> {
    match check_depth(&value, max_depth) {
        Ok(size) if size <= max_bytes => Ok(value),
        Ok(_) => Err(format!("input is larger than the limit of {max_bytes} bytes")),
        Err(e) => {
            dispose(value);
            Err(e)
        }
    }
}

/// Takes ownership of a value that is to be used: checks its depth and, when it is too
/// deep, takes it apart without recursion before returning the error. (`serde_json::Value`'s
/// own `Drop` recurses once per level, so dropping a value nested 100,000 deep, which a
/// binding or a caller can build in code, would overflow the stack.)
pub(crate) fn checked(value: Value, max_depth: usize) -> Result<Value, String> {
    match check_depth(&value, max_depth) {
        Ok(_) => Ok(value),
        Err(e) => {
            dispose(value);
            Err(e)
        }
    }
}

/// The length of an integer's decimal text; one byte for any other number.
fn number_len(n: &serde_json::Number) -> usize {
    let digits = |mut v: u64| {
        let mut len = 1;
        while v >= 10 {
            v /= 10;
            len += 1;
        }
        len
    };
    if let Some(v) = n.as_u64() {
        digits(v)
    } else if let Some(v) = n.as_i64() {
        1 + digits(v.unsigned_abs())
    } else {
        1
    }
}

/// The length of a string as serde_json writes it: quotes, and `"`, `\\` and the control
/// characters escaped (`\n`, `\r`, `\t`, `\b`, `\f` in two bytes, the others in six).
fn string_len(s: &str) -> usize {
    s.bytes().fold(2usize, |n, b| {
        n.saturating_add(match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..=0x1f => 6,
            _ => 1,
        })
    })
}

/// Drops a value of any depth with a heap stack instead of the call stack.
pub(crate) fn dispose(value: Value) {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

/// The strict value builder of [`parse_strict`] at one nesting level: `depth` containers
/// enclose the value it reads. Readers with their own top level (`Session`, `Resource`)
/// use it for the values they keep, so those values follow exactly the same rules.
pub(crate) struct Strict {
    pub(crate) depth: usize,
    pub(crate) max_depth: usize,
}

impl Strict {
    pub(crate) fn deeper<E: de::Error>(&self) -> Result<Strict, E> {
        if self.depth >= self.max_depth {
            return Err(E::custom(format!("input nests deeper than the limit of {} levels", self.max_depth)));
        }
        Ok(Strict { depth: self.depth + 1, max_depth: self.max_depth })
    }
}

/// The error [`parse_strict`] gives for a key seen twice in one object.
pub(crate) fn duplicate_key<E: de::Error>(key: &str) -> E {
    E::custom(format!("duplicate key `{key}`"))
}

/// Reads an object key, borrowed from the text unless it contains escapes.
pub(crate) struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v))
    }
}

/// The keys of one object seen so far: the first keys borrowed from the text in an inline
/// list (no allocation, nothing to drop), the others (keys with escapes, and every key once
/// the list is full: a hostile object may have thousands) in an ordered set.
#[derive(Default)]
pub(crate) struct KeySet<'de> {
    few: [&'de str; LINEAR_KEYS],
    len: usize,
    many: BTreeSet<Cow<'de, str>>,
}

const LINEAR_KEYS: usize = 16;

impl<'de> KeySet<'de> {
    /// Adds `key`, or hands it back if it was there already.
    pub(crate) fn insert(&mut self, key: Cow<'de, str>) -> Result<(), Cow<'de, str>> {
        let in_few = self.few.iter().take(self.len).any(|k| *k == key);
        if in_few || self.many.contains(&key) {
            return Err(key);
        }
        match (key, self.few.get_mut(self.len)) {
            (Cow::Borrowed(k), Some(free)) => {
                *free = k;
                self.len += 1;
            }
            (key, _) => {
                self.many.insert(key);
            }
        }
        Ok(())
    }
}

/// Validates one JSON value exactly as [`parse_strict`] would (duplicate keys at any
/// depth, the depth limit, the same errors at the same positions) without building it.
pub(crate) struct Skip {
    pub(crate) depth: usize,
    pub(crate) max_depth: usize,
}

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        // `deserialize_any`, never `deserialize_ignored_any`: the latter skips strings
        // without decoding them and would accept text `parse_strict` rejects.
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let inner = Strict { depth: self.depth, max_depth: self.max_depth }.deeper()?;
        while seq.next_element_seed(Skip { depth: inner.depth, max_depth: inner.max_depth })?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        let inner = Strict { depth: self.depth, max_depth: self.max_depth }.deeper()?;
        let mut keys = KeySet::default();
        while let Some(key) = access.next_key_seed(Key)? {
            // As in `Strict`: the value is read before the key is checked, so both report
            // the first error of the text at the same position.
            access.next_value_seed(Skip { depth: inner.depth, max_depth: inner.max_depth })?;
            if let Err(key) = keys.insert(key) {
                return Err(duplicate_key(&key));
            }
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map(Value::Number).unwrap_or(Value::Null))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.deeper()?;
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(Strict { depth: inner.depth, max_depth: inner.max_depth })? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let inner = self.deeper()?;
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let value = access.next_value_seed(Strict { depth: inner.depth, max_depth: inner.max_depth })?;
            match map.entry(key) {
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                serde_json::map::Entry::Occupied(slot) => return Err(duplicate_key(slot.key())),
            }
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_set_finds_duplicates_before_and_after_it_grows() {
        for n in [3, LINEAR_KEYS, LINEAR_KEYS + 1, 100] {
            let names: Vec<String> = (0..n).map(|i| format!("k{i}")).collect();
            let mut keys = KeySet::default();
            for (i, name) in names.iter().enumerate() {
                // Every third key as if it had escapes (decoded, owned).
                let key = if i % 3 == 0 { Cow::Owned(name.clone()) } else { Cow::Borrowed(name.as_str()) };
                assert_eq!(keys.insert(key), Ok(()));
            }
            for name in &names {
                assert_eq!(keys.insert(Cow::Borrowed(name)), Err(Cow::Borrowed(name.as_str())));
                assert_eq!(keys.insert(Cow::Owned(name.clone())), Err(Cow::Owned(name.clone())));
            }
            assert_eq!(keys.insert(Cow::Borrowed("new")), Ok(()));
        }
    }

    #[test]
    fn rejects_duplicates_depth_and_size() {
        assert!(parse_strict(r#"{"a":1,"a":2}"#, 100, 8).unwrap_err().contains("duplicate key `a`"));
        assert!(parse_strict("[[[[1]]]]", 100, 3).is_err());
        assert!(parse_strict("[[[1]]]", 100, 3).is_ok());
        assert!(parse_strict("[1, 2, 3]", 4, 8).is_err());
        assert!(parse_strict("{} x", 100, 8).is_err());
        assert!(check_depth(&serde_json::json!([[[1]]]), 2).is_err());
    }
}

#[cfg(test)]
mod size_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    /// Without floats the measure is exactly the compact text's length.
    #[test]
    fn measure_is_the_compact_length_without_floats() {
        let every_byte: String = (0u8..0x80).map(char::from).collect();
        let values = [
            json!(null),
            json!(true),
            json!(false),
            json!(0),
            json!(-1),
            json!(i64::MIN),
            json!(i64::MAX),
            json!(u64::MAX),
            json!(""),
            json!(every_byte),
            json!("é€😀\u{7f}\u{2028}"),
            json!([]),
            json!({}),
            json!([1, [2, [3, {}]], "x"]),
            json!({"a\nb": {"\u{0}": [null, true, "\"\\"]}, "": []}),
        ];
        for v in values {
            let text = serde_json::to_string(&v).unwrap();
            assert_eq!(check_depth(&v, usize::MAX).unwrap(), text.len(), "{text}");
            assert!(checked_sized(v.clone(), 32, text.len()).is_ok(), "{text}");
            assert!(checked_sized(v, 32, text.len() - 1).is_err(), "{text}");
        }
    }

    /// A value never measures more than a text it was parsed from.
    #[test]
    fn measure_is_at_most_the_text_it_came_from() {
        for text in ["1e5", "1e15", "-0", "0.1e1", "[1E3, 2.50, -0.0]", r#"{"\u00e9\/": "\ud83d\ude00"}"#, " { } "] {
            let v: Value = serde_json::from_str(text).unwrap();
            assert!(check_depth(&v, usize::MAX).unwrap() <= text.len(), "{text}");
        }
    }
}
