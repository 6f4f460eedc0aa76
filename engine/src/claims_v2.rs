//! Clerk session token version 2 (`"v": 2`): the `o` organization object and the
//! compressed feature/permission encoding.
//!
//! `o.per` lists permission names, `fea` lists features with scopes (`o:`, `u:`, `uo:`),
//! and `o.fpm` holds one bitmask per organization feature, in `fea` order: bit `j`, least
//! significant first, grants the `j`-th name in `per` as `org:<feature>:<permission>`.
//! Clerk's own decoder skips what it does not understand; this one refuses it, so a token
//! is either decoded whole or denied as `invalid_claims`. An absent `o.fpm` grants no
//! permissions (a member whose role holds none of the organization features' permissions);
//! a present one must have exactly one mask per organization feature.

use crate::claims::{opt_object, opt_str, ClaimSource, ClaimsError, Org, Scoped};
use serde_json::Value;

/// Parses a comma-separated list of `scope:name` entries (`fea`, `pla`).
pub(crate) fn scoped_list(claim: &str, text: &str) -> Result<Vec<Scoped>, ClaimsError> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|entry| {
            let Some((scope, name)) = entry.split_once(':') else {
                return Err(ClaimsError::new(format!(
                    "claim `{claim}` entry `{entry}` has no scope (expected `u:`, `o:` or `uo:`)"
                )));
            };
            let (user, org) = match scope {
                "u" => (true, false),
                "o" => (false, true),
                "uo" => (true, true),
                other => {
                    return Err(ClaimsError::new(format!(
                        "claim `{claim}` entry `{entry}` has unknown scope `{other}` (expected `u`, `o` or `uo`)"
                    )))
                }
            };
            if name.is_empty() || name.contains(':') {
                return Err(ClaimsError::new(format!("claim `{claim}` entry `{entry}` has an invalid name")));
            }
            Ok(Scoped { name: name.to_owned(), user, org })
        })
        .collect()
}

/// Decodes the `o` claim of a version 2 token into the same [`Org`] a v1 token gives.
pub(crate) fn org_from_v2<S: ClaimSource>(claims: &mut S, features: &[Scoped]) -> Result<Option<Org>, ClaimsError> {
    for key in ["org_id", "org_slug", "org_role", "org_permissions"] {
        if claims.contains_key(key) {
            return Err(ClaimsError::new(format!(
                "claim `{key}` is a version 1 claim; a version 2 token carries the organization in `o`"
            )));
        }
    }
    let o = match claims.get("o") {
        None => {
            // An empty object carries nothing (see `claims::org_from_v1`).
            let empty = matches!(claims.get("org_metadata"), Some(Value::Object(m)) if claims.object_is_empty("org_metadata", m));
            if claims.contains_key("org_metadata") && !empty {
                return Err(ClaimsError::new("claim `org_metadata` is present without an organization (`o`)"));
            }
            return Ok(None);
        }
        Some(Value::Object(o)) => o,
        Some(other) => {
            return Err(ClaimsError::new(format!(
                "claim `o` must be an object, found {}",
                crate::claims::kind_of(other)
            )))
        }
    };
    let field = |key: &str| -> Result<Option<&str>, ClaimsError> {
        opt_str(o, key).map_err(|e| ClaimsError::new(e.message().replace("claim `", "claim `o.")))
    };
    let id = field("id")?.ok_or_else(|| ClaimsError::new("claim `o.id` is missing"))?;
    if id.is_empty() {
        return Err(ClaimsError::new("claim `o.id` must not be empty"));
    }
    let slug = field("slg")?.map(str::to_owned);
    let role = match field("rol")? {
        Some("") => return Err(ClaimsError::new("claim `o.rol` must not be empty")),
        Some(r) if r.starts_with("org:") => {
            return Err(ClaimsError::new(format!("claim `o.rol` must not carry the `org:` prefix, found `{r}`")))
        }
        Some(r) => Some(format!("org:{r}")),
        None => None,
    };
    let per: Vec<&str> = match field("per")? {
        Some("") | None => Vec::new(),
        Some(text) => text.split(',').collect(),
    };
    if per.iter().any(|p| p.is_empty() || p.contains(':')) {
        return Err(ClaimsError::new("claim `o.per` must be comma-separated permission names"));
    }
    let org_features: Vec<&Scoped> = features.iter().filter(|f| f.org).collect();
    let masks: Vec<u64> = match field("fpm")? {
        // No `fpm` at all: the member holds none of the organization features' permissions
        // (the features themselves still count for `has_feature`). Nothing is half-read.
        None => vec![0; org_features.len()],
        Some("") => Vec::new(),
        Some(text) => text
            .split(',')
            .map(|m| {
                if m.is_empty() || !m.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(ClaimsError::new(format!("claim `o.fpm` entry `{m}` is not a non-negative integer")));
                }
                m.parse::<u64>()
                    .map_err(|_| ClaimsError::new(format!("claim `o.fpm` entry `{m}` is larger than 64 bits")))
            })
            .collect::<Result<_, _>>()?,
    };
    if masks.len() != org_features.len() {
        return Err(ClaimsError::new(format!(
            "claim `o.fpm` has {} masks but `fea` lists {} organization features",
            masks.len(),
            org_features.len()
        )));
    }
    let mut permissions = Vec::new();
    for (feature, mask) in org_features.iter().zip(&masks) {
        if per.len() < 64 && (mask >> per.len()) != 0 {
            return Err(ClaimsError::new(format!(
                "claim `o.fpm` mask `{mask}` for feature `{}` sets bits beyond the {} names in `o.per`",
                feature.name,
                per.len()
            )));
        }
        for (bit, name) in per.iter().enumerate().take(64) {
            if mask & (1u64 << bit) != 0 {
                permissions.push(format!("org:{}:{name}", feature.name));
            }
        }
    }
    let id = id.to_owned();
    let metadata = opt_object(claims, "org_metadata")?;
    Ok(Some(Org { id, slug, role, permissions, metadata }))
}

#[cfg(test)]
mod tests {
    use crate::Session;

    #[test]
    fn clerk_documented_example() {
        let s = Session::from_claims_json(
            r#"{"v":2,"sub":"user_1","fea":"o:repositories,uo:projects,u:goldprofileborder",
                "o":{"id":"org_1","rol":"admin","slg":"acme","per":"read,create,update,delete,revoke","fpm":"7,21"}}"#,
        );
        let s = s.ok();
        let perms: Vec<&str> =
            s.as_ref().map(|s| s.org_permissions().iter().map(String::as_str).collect()).unwrap_or_default();
        assert_eq!(
            perms,
            vec![
                "org:repositories:read",
                "org:repositories:create",
                "org:repositories:update",
                "org:projects:read",
                "org:projects:update",
                "org:projects:revoke"
            ]
        );
        assert_eq!(s.as_ref().and_then(|s| s.org_role()), Some("org:admin"));
    }

    #[test]
    fn strict_where_clerk_is_lax() {
        let bad = [
            r#"{"v":2,"sub":"u","fea":"o:a","o":{"id":"o","per":"read","fpm":"2"}}"#,
            r#"{"v":2,"sub":"u","fea":"repositories","o":{"id":"o"}}"#,
            r#"{"v":2,"sub":"u","fea":"x:a","o":{"id":"o","per":"r","fpm":"1"}}"#,
            r#"{"v":2,"sub":"u","fea":"o:a","o":{"id":"o","per":"r","fpm":"one"}}"#,
            r#"{"v":2,"sub":"u","fea":"o:a","o":{"id":"o","per":"r","fpm":"99999999999999999999999"}}"#,
            r#"{"v":2,"sub":"u","fea":"o:a,o:b","o":{"id":"o","per":"r","fpm":"1"}}"#,
            r#"{"v":2,"sub":"u","o":"org_1"}"#,
            r#"{"v":2,"sub":"u","org_id":"org_1"}"#,
            r#"{"sub":"u","o":{"id":"org_1"}}"#,
        ];
        for text in bad {
            assert!(Session::from_claims_json(text).is_err(), "{text}");
        }
    }
}
