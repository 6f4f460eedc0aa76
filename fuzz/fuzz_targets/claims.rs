//! Session claims (Clerk v1, v2 and generic JWT payloads): raw JSON text, and v2 tokens
//! whose `fea`, `pla`, `o.rol`, `o.per` and `o.fpm` strings come from the input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode % 2 == 0 {
        if let Ok(text) = std::str::from_utf8(rest) {
            ordinance_fuzz::claims_checks(text);
        }
        return;
    }
    // Five fields separated by 0xff bytes.
    let mut parts = rest.split(|b| *b == 0xff).map(String::from_utf8_lossy);
    let mut next = || parts.next().map(|p| p.into_owned()).unwrap_or_default();
    let (fea, pla, rol, per, fpm) = (next(), next(), next(), next(), next());
    let claims = json!({
        "v": 2, "sub": "user_1", "exp": 1_721_770_193, "fea": fea, "pla": pla,
        "o": {"id": "org_1", "rol": rol, "per": per, "fpm": fpm},
    });
    ordinance_fuzz::claims_checks(&claims.to_string());
});
