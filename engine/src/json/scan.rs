//! A hand-written scanner for the usual shape of claims and resource text, in front of the
//! serde-based one-pass readers: strings without escapes (borrowed from the text), integers
//! of at most 18 digits, `true`, `false`, `null`, and arrays and objects nested less than
//! the depth limit, with a few keys per object.
//!
//! It never reports an error. On anything outside that subset, or anything the strict
//! parser would refuse (a syntax error, a duplicate key, nesting at the limit), it gives up
//! (`None`) and the caller reads the text again with the serde-based reader, which then
//! gives the verdict and its message. So what the scanner accepts it must accept exactly as
//! [`super::parse_strict`] does, with equal values; everything else only costs the rescan.
//! `engine/tests/intake_props.rs` compares both readers with the strict DOM reader.

use serde_json::{Map, Value};

/// The deepest nesting the scanner follows, whatever the limit (serde_json's own recursion
/// limit is 128): deeper text goes to the serde-based reader.
const MAX_SCAN_DEPTH: usize = 64;

/// Keys of one object the scanner checks for duplicates; an object with more is left to
/// the serde-based reader.
const SCAN_KEYS: usize = 16;

/// A position in JSON text, moving forward only.
pub(crate) struct Scanner<'t> {
    text: &'t str,
    pos: usize,
    /// Containers may open at depths below this (see [`Scanner::open`]).
    max_depth: usize,
}

/// The keys of one object read so far, borrowed from the text (the scanner only reads keys
/// without escapes, so equal text is an equal key).
pub(crate) struct Keys<'t> {
    keys: [&'t str; SCAN_KEYS],
    len: usize,
}

impl<'t> Keys<'t> {
    pub(crate) fn new() -> Keys<'t> {
        Keys { keys: [""; SCAN_KEYS], len: 0 }
    }

    /// Adds `key`; `None` if it was there already or the list is full.
    #[inline]
    pub(crate) fn insert(&mut self, key: &'t str) -> Option<()> {
        let seen = self.keys.get(..self.len)?;
        if seen.contains(&key) {
            return None;
        }
        *self.keys.get_mut(self.len)? = key;
        self.len += 1;
        Some(())
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

impl<'t> Scanner<'t> {
    /// A scanner at the start of `text`, for the depth limit `max_depth` (containers
    /// enclosing a value, as [`super::Strict`] counts them).
    pub(crate) fn new(text: &'t str, max_depth: usize) -> Scanner<'t> {
        Scanner { text, pos: 0, max_depth: max_depth.min(MAX_SCAN_DEPTH) }
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Skips whitespace as serde_json defines it.
    #[inline(always)]
    pub(crate) fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Skips whitespace, then the byte `b`; `None` if another byte (or none) comes first.
    #[inline(always)]
    pub(crate) fn expect(&mut self, b: u8) -> Option<()> {
        self.ws();
        self.eat(b)
    }

    /// Takes the byte `b` (no whitespace skipped); `None` if another byte (or none) is next.
    #[inline(always)]
    fn eat(&mut self, b: u8) -> Option<()> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Some(())
        } else {
            None
        }
    }

    /// After an entry or element: skips whitespace, then `,` (`Some(true)`: another one
    /// follows) or `close` (`Some(false)`).
    #[inline(always)]
    pub(crate) fn next_or(&mut self, close: u8) -> Option<bool> {
        self.ws();
        let b = self.peek()?;
        self.pos += 1;
        match b {
            b',' => Some(true),
            _ if b == close => Some(false),
            _ => None,
        }
    }

    /// Only whitespace is left (as `serde_json::Deserializer::end` requires).
    pub(crate) fn at_end(&mut self) -> bool {
        self.ws();
        self.pos == self.text.len()
    }

    /// Skips whitespace and returns the next byte without taking it.
    #[inline(always)]
    pub(crate) fn peek_value(&mut self) -> Option<u8> {
        self.ws();
        self.peek()
    }

    /// Opens a container (the byte `open`, next: whitespace before it already skipped)
    /// whose value `depth` containers enclose; `None` at the depth limit. Returns whether
    /// it is empty (its closing byte taken).
    #[inline(always)]
    pub(crate) fn open(&mut self, open: u8, depth: usize) -> Option<bool> {
        if depth >= self.max_depth {
            return None;
        }
        self.eat(open)?;
        self.ws();
        let close = if open == b'{' { b'}' } else { b']' };
        if self.peek() == Some(close) {
            self.pos += 1;
            return Some(true);
        }
        Some(false)
    }

    /// An object key and its colon: a string without escapes.
    #[inline(always)]
    pub(crate) fn key(&mut self) -> Option<&'t str> {
        self.ws();
        let key = self.string()?;
        self.expect(b':')?;
        Some(key)
    }

    /// A string without escapes or control characters, borrowed from the text (next:
    /// whitespace before it already skipped, as for the other values below).
    #[inline]
    pub(crate) fn string(&mut self) -> Option<&'t str> {
        self.eat(b'"')?;
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let mut i = start;
        // Eight bytes at a time: the first byte that is `"`, `\` or below 0x20 is flagged
        // exactly (the usual zero-byte test can only flag bytes after a real one too).
        while let Some(chunk) = bytes.get(i..i + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let x = u64::from_le_bytes(word);
            let quote = x ^ (ONES * u64::from(b'"'));
            let backslash = x ^ (ONES * u64::from(b'\\'));
            let found = (x.wrapping_sub(ONES * 0x20) & !x)
                | (quote.wrapping_sub(ONES) & !quote)
                | (backslash.wrapping_sub(ONES) & !backslash);
            let found = found & HIGH;
            if found != 0 {
                i += found.trailing_zeros() as usize / 8;
                return self.string_end(start, i);
            }
            i += 8;
        }
        while let Some(&b) = bytes.get(i) {
            if b == b'"' || b == b'\\' || b < 0x20 {
                return self.string_end(start, i);
            }
            i += 1;
        }
        None
    }

    /// The string from `start` if the byte at `end` closes it (an escape or a control
    /// character is left to the serde-based reader).
    #[inline(always)]
    fn string_end(&mut self, start: usize, end: usize) -> Option<&'t str> {
        if self.text.as_bytes().get(end) != Some(&b'"') {
            return None;
        }
        self.pos = end + 1;
        self.text.get(start..end)
    }

    /// An integer of at most 18 digits (so within `i64`), without fraction or exponent:
    /// the numbers serde_json reads as `u64` or `i64`. `-0` (read as a float) is left out.
    #[inline]
    pub(crate) fn int(&mut self) -> Option<i64> {
        let bytes = self.text.as_bytes();
        let negative = self.peek() == Some(b'-');
        let start = self.pos + usize::from(negative);
        let mut i = start;
        let mut n: i64 = 0;
        if let Some(v) = bytes.get(i..i + 8).and_then(eight_digits) {
            n = i64::from(v);
            i += 8;
        }
        while let Some(&b) = bytes.get(i) {
            if !b.is_ascii_digit() {
                break;
            }
            if i - start == 18 {
                return None;
            }
            n = n * 10 + i64::from(b - b'0');
            i += 1;
        }
        let digits = i - start;
        let leading_zero = bytes.get(start) == Some(&b'0');
        if digits == 0 || (leading_zero && (digits > 1 || negative)) {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = bytes.get(i) {
            return None;
        }
        self.pos = i;
        Some(if negative { -n } else { n })
    }

    /// `true`, `false` or `null` (`None` for null).
    #[inline]
    pub(crate) fn literal(&mut self) -> Option<Option<bool>> {
        let rest = self.text.as_bytes().get(self.pos..)?;
        let (value, len) = if rest.starts_with(b"true") {
            (Some(true), 4)
        } else if rest.starts_with(b"false") {
            (Some(false), 5)
        } else if rest.starts_with(b"null") {
            (None, 4)
        } else {
            return None;
        };
        self.pos += len;
        Some(value)
    }

    /// Validates one value that `depth` containers enclose, without building it.
    pub(crate) fn skip(&mut self, depth: usize) -> Option<()> {
        match self.peek_value()? {
            b'"' => self.string().map(drop),
            b'{' => {
                if self.open(b'{', depth)? {
                    return Some(());
                }
                let mut keys = Keys::new();
                loop {
                    let key = self.key()?;
                    self.skip(depth + 1)?;
                    keys.insert(key)?;
                    if !self.next_or(b'}')? {
                        return Some(());
                    }
                }
            }
            b'[' => {
                if self.open(b'[', depth)? {
                    return Some(());
                }
                loop {
                    self.skip(depth + 1)?;
                    if !self.next_or(b']')? {
                        return Some(());
                    }
                }
            }
            b'-' | b'0'..=b'9' => self.int().map(drop),
            _ => self.literal().map(drop),
        }
    }

    /// Reads one value that `depth` containers enclose as [`super::Strict`] builds it.
    pub(crate) fn build(&mut self, depth: usize) -> Option<Value> {
        match self.peek_value()? {
            b'"' => self.string().map(|s| Value::String(s.to_owned())),
            b'{' => {
                let mut map = Map::new();
                if self.open(b'{', depth)? {
                    return Some(Value::Object(map));
                }
                loop {
                    let key = self.key()?;
                    let value = self.build(depth + 1)?;
                    if map.insert(key.to_owned(), value).is_some() {
                        return None;
                    }
                    if !self.next_or(b'}')? {
                        return Some(Value::Object(map));
                    }
                }
            }
            b'[' => {
                let mut items = Vec::new();
                if self.open(b'[', depth)? {
                    return Some(Value::Array(items));
                }
                loop {
                    items.push(self.build(depth + 1)?);
                    if !self.next_or(b']')? {
                        return Some(Value::Array(items));
                    }
                }
            }
            b'-' | b'0'..=b'9' => self.int().map(Value::from),
            _ => self.literal().map(|v| v.map_or(Value::Null, Value::Bool)),
        }
    }

    /// As [`Scanner::build`], except that a string is kept as an empty string (see
    /// `claims::TypeOnly`).
    #[inline]
    pub(crate) fn type_only(&mut self, depth: usize) -> Option<Value> {
        if self.peek_value()? == b'"' {
            return self.string().map(|_| Value::String(String::new()));
        }
        self.build(depth)
    }
}

/// Eight ASCII digits as their value, or `None` if any byte is not a digit: one word
/// at a time, as in simdjson's `parse_eight_digits_unrolled` (D. Lemire). A byte is a digit
/// when neither it, nor it minus `0`, nor it plus 0x46 has its high bit set; a borrow or
/// carry between bytes can only follow a byte flagged already.
#[inline(always)]
fn eight_digits(chunk: &[u8]) -> Option<u32> {
    let x = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).ok()?);
    let digits = x.wrapping_sub(ONES * u64::from(b'0'));
    if (digits | x.wrapping_add(ONES * 0x46) | x) & HIGH != 0 {
        return None;
    }
    // Pairs, then the pairs of pairs, by multiplications whose high half sums the lanes.
    let pairs = digits.wrapping_mul(10).wrapping_add(digits >> 8);
    const LANES: u64 = 0x0000_00FF_0000_00FF;
    let value = (pairs & LANES)
        .wrapping_mul(100 + (1_000_000 << 32))
        .wrapping_add(((pairs >> 16) & LANES).wrapping_mul(1 + (10_000 << 32)))
        >> 32;
    u32::try_from(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(text: &str) -> Option<Value> {
        let mut s = Scanner::new(text, 32);
        let v = s.build(0)?;
        s.at_end().then_some(v)
    }

    #[test]
    fn scans_the_subset_as_the_strict_parser_reads_it() {
        for text in [
            r#"{"a": [1, -2, true, false, null, "x"], "b": {"c": {}}, "d": []}"#,
            " 123456789012345678 ",
            "-123456789012345678",
            "0",
            r#""a string of more than eight bytes, ß and é""#,
            r#"{"k":"v","l":{"k":"v"}}"#,
        ] {
            assert_eq!(build(text), super::super::parse_strict(text, usize::MAX, 32).ok(), "{text}");
        }
    }

    #[test]
    fn reads_eight_digits_at_once() {
        for n in [0u32, 1, 9, 10, 12_345_678, 87_654_321, 99_999_999, 10_000_000, 1_000_001] {
            let text = format!("{n:08}");
            assert_eq!(eight_digits(text.as_bytes()), Some(n), "{text}");
        }
        for text in ["1234567a", "/2345678", ":2345678", "1234 678", "123456\u{e9}7"] {
            assert_eq!(eight_digits(text.as_bytes().get(..8).unwrap_or_default()), None, "{text}");
        }
        for n in [1_721_770_193i64, -1_721_770_193, 12_345_678, 123_456_789_012_345_678, -99_999_999_999_999_999] {
            let text = n.to_string();
            assert_eq!(Scanner::new(&text, 1).int(), Some(n), "{text}");
        }
    }

    #[test]
    fn leaves_everything_else_to_the_serde_reader() {
        for text in [
            r#""a\"b""#,
            "\"tab\there\"",
            "\"unterminated",
            "1234567890123456789",
            "-0",
            "01",
            "1.5",
            "1e3",
            "-",
            "[1,]",
            "[1 2]",
            r#"{"a":1,}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a" 1}"#,
            "tru",
            "nul",
            "[1] x",
            "{",
            "",
        ] {
            assert_eq!(build(text), None, "{text}");
        }
        // As `Strict`: 32 containers in 32 levels, not 33.
        let deep = format!("{}1{}", "[".repeat(33), "]".repeat(33));
        assert_eq!(build(&deep), None);
        let shallow = format!("{}1{}", "[".repeat(32), "]".repeat(32));
        assert!(build(&shallow).is_some());
        assert!(super::super::parse_strict(&shallow, usize::MAX, 32).is_ok());
        let many: Vec<String> = (0..SCAN_KEYS + 1).map(|i| format!("\"k{i}\":{i}")).collect();
        let many = format!("{{{}}}", many.join(","));
        assert_eq!(Scanner::new(&many, 32).skip(0), None);
        assert!(build(&many).is_some());
        let few = many.replacen(&format!(",\"k{SCAN_KEYS}\":{SCAN_KEYS}"), "", 1);
        assert_eq!(Scanner::new(&few, 32).skip(0), Some(()));
        assert_eq!(Scanner::new(r#"{"a":1,"b":{"a":1,"a":1}}"#, 32).skip(0), None);
    }
}
