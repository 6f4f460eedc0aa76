//! Grammar-aware policy fuzzing: each input byte picks a token of the language, so the
//! parser sees plausible token sequences (optionally after the Team Task declarations)
//! instead of mostly lexer errors.
#![no_main]
use libfuzzer_sys::fuzz_target;

const HEADER: &str = "permission org:tasks:view \"View\"\nrole org:admin = [org:tasks:*]\n\
resource task { owner_id: string, tags?: [string] }\naction view, edit on task\nlicense org.metadata.isLicensed\n";

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let body = ordinance_fuzz::token_text(rest);
    let text = if first & 1 == 1 { format!("{HEADER}{body}") } else { body };
    ordinance_fuzz::policy_checks(&text);
});
