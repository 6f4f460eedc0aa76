//! The scanner's reading of resource text (see `json::scan`): the same `type`, `id`,
//! kept attributes and bound slots as the serde-based reader (`ResourceSeed`), for the
//! usual resource. Whatever it does not handle it leaves (`None`), and the serde-based
//! reader reads the text again from the start.

use super::{bind_read_before_type, Attrs, Declared, DeclaredType, Lite, PreBound, ResourceText};
use crate::json::scan::{Keys, Scanner};
use serde_json::Value;
use std::borrow::Cow;

/// Reads a resource object as `ResourceSeed::visit_map` does, or gives up (`None`, with
/// `pre` in any state) on text outside the scanner's subset, invalid text included.
pub(super) fn scan<'t>(
    text: &'t str,
    max_depth: usize,
    declared: Option<Declared<'_>>,
    keep_id: bool,
    mut pre: Option<&mut PreBound<'t>>,
) -> Option<ResourceText> {
    let mut s = Scanner::new(text, max_depth);
    let (mut type_name, mut id) = (None, None);
    let mut attrs = Vec::new();
    let mut keep: Option<DeclaredType<'_>> = None;
    let mut bound = false;
    let mut seen = Keys::new();
    s.ws();
    let mut more = !s.open(b'{', 0)?;
    while more {
        let key = s.key()?;
        let (wanted, position) = match (key, keep) {
            ("type" | "id", _) | (_, None) => (true, None),
            (name, Some(declared)) => {
                let position = declared.attrs.iter().position(|(n, _, _)| **n == *name);
                (position.is_some(), position)
            }
        };
        if !wanted {
            s.skip(1)?;
            seen.insert(key)?;
        } else if let (true, Some(pre), Some(i)) = (bound, pre.as_deref_mut(), position) {
            let value = lite(&mut s, 1)?;
            seen.insert(key)?;
            *pre.slots.get_mut(i)? = Some(value);
        } else {
            let value = if !keep_id && key == "id" { s.type_only(1)? } else { s.build(1)? };
            let slot = match key {
                "type" => &mut type_name,
                "id" => &mut id,
                _ => {
                    seen.insert(key)?;
                    attrs.push((key.to_string(), value));
                    more = s.next_or(b'}')?;
                    continue;
                }
            };
            if slot.is_some() {
                return None;
            }
            *slot = Some(value);
            if let (Some(declared), Some(Value::String(t)), "type") = (declared, &type_name, key) {
                let declared = declared(t);
                keep = Some(declared);
                bound = bind_read_before_type(declared, pre.as_deref_mut(), &mut attrs);
            }
        }
        more = s.next_or(b'}')?;
    }
    s.at_end().then_some(ResourceText::Object { type_name, id, attrs: Attrs(attrs), bound })
}

/// A declared attribute's value as `LiteSeed` reads it (`depth` containers enclose it).
fn lite<'t>(s: &mut Scanner<'t>, depth: usize) -> Option<Lite<'t>> {
    Some(match s.peek_value()? {
        b'"' => Lite::Str(Cow::Borrowed(s.string()?)),
        b'[' => {
            let mut not_string = None;
            if !s.open(b'[', depth)? {
                let mut at = 0usize;
                loop {
                    let first = s.peek_value()?;
                    if first == b'"' {
                        s.string()?;
                    } else {
                        s.skip(depth + 1)?;
                        // Named from the first byte, as `ItemKind` names what serde reads
                        // (the skip has checked the value is valid).
                        let kind = match first {
                            b'[' => "a list",
                            b'{' => "an object",
                            b't' | b'f' => "a boolean",
                            b'n' => "null",
                            _ => "a number",
                        };
                        not_string = not_string.or(Some((at, kind)));
                    }
                    at += 1;
                    if !s.next_or(b']')? {
                        break;
                    }
                }
            }
            Lite::List { not_string }
        }
        b'{' => {
            s.skip(depth)?;
            Lite::Object
        }
        b'-' | b'0'..=b'9' => Lite::Number(s.int()?.into()),
        _ => s.literal()?.map_or(Lite::Null, Lite::Bool),
    })
}
