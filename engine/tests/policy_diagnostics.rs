//! Diagnostics and messages found by a black-box review: each test failed before its fix.
//! Policy errors are checked through the public API (`PolicyError::diagnostics` and the
//! rendered report); intake messages through both resource readers (the one-pass reader
//! behind `decide_json` and the DOM behind `Resource::from_json` + `decide_with`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use ordinance::{Engine, Located, Options, Policy, Resource, Session};

fn rejected(file: &str, text: &str) -> (Vec<Located>, String) {
    match Policy::parse_named(file, text) {
        Ok(_) => panic!("policy accepted, expected an error:\n{text}"),
        Err(e) => (e.diagnostics().to_vec(), e.to_string()),
    }
}

/// The single error of a rejected policy, which must have a help line.
fn single(text: &str) -> Located {
    let (mut all, report) = rejected("p.ord", text);
    assert_eq!(all.len(), 1, "expected one error:\n{report}");
    let d = all.remove(0);
    assert!(d.help.as_deref().is_some_and(|h| !h.is_empty()), "{report}");
    d
}

// ------------------------------------------------------------------------------ recovery

const TASK: &str = "resource task { owner_id: string }\n";

#[test]
fn a_missing_value_before_the_next_rule_is_one_error_after_the_operator() {
    let text = format!(
        "{TASK}permit view on task when resource.owner_id ==\npermit edit on task when resource.owner_id == user.id\n"
    );
    let d = single(&text);
    assert_eq!((d.code.as_str(), d.line, d.column), ("syntax", 2, 46), "{d:?}");
    assert_eq!(d.message, "expected a value after `==`, found `permit`, which starts a new rule");
    assert_eq!(d.related.as_ref().map(|r| (r.0, r.1)), Some((3, 1)));
    assert!(d.help.unwrap().contains("dangling `==`"));
    // The same after `when`, `and`, `in`, and before a declaration or an annotated rule.
    for (cond, next, message) in [
        ("", "permit edit on task", "expected a condition after `when`, found `permit`, which starts a new rule"),
        ("resource.owner_id == user.id and", "forbid edit on task", "expected a condition after `and`, found `forbid`"),
        (
            "user.id in",
            "resource doc {}",
            "expected a value after `in`, found `resource`, which starts a new declaration",
        ),
        ("not", "@id(\"x\") permit edit on task", "expected a condition after `not`, found `@`"),
    ] {
        let text = format!("{TASK}permit view on task when {cond}\n{next}\n");
        let d = single(&text);
        assert_eq!(d.line, 2, "{d:?}");
        assert!(d.message.starts_with(message), "{}", d.message);
    }
}

#[test]
fn an_unclosed_bracket_before_the_next_rule_points_at_the_bracket() {
    for (cond, bracket, column) in [
        ("(resource.owner_id == user.id", "(", 26),
        ("user.id in [\"a\",", "[", 37),
        ("user.id.starts_with(\"u\"", "(", 45),
    ] {
        let text =
            format!("{TASK}permit view on task when {cond}\npermit edit on task when resource.owner_id == user.id\n");
        let d = single(&text);
        assert_eq!(d.line, 2, "{d:?}");
        let close = if bracket == "(" { ")" } else { "]" };
        assert_eq!(d.message, format!("expected `{close}` before the next rule, found `permit`"));
        let (line, col, note) = d.related.unwrap();
        assert_eq!((line, col), (2, column), "{note}");
        assert_eq!(note, format!("this `{bracket}` is not closed"));
    }
}

#[test]
fn recovery_resumes_only_at_a_declaration_start() {
    // An error early in a rule whose condition reads `resource.…`, `org.role` and
    // `context.permit`: no second error from those keywords, and the next rule is parsed.
    let text = format!(
        "{TASK}permit view on task when user.id = 1 and resource.owner_id == org.role and context.permit\n\
         permit edit on task when resource.owner_id == user.id\n"
    );
    let d = single(&text);
    assert_eq!((d.line, d.column), (2, 34), "{d:?}");
    // Keywords as attribute and name segments stay legal.
    let ok = "resource task { owner_id: string }\nrole org:role = []\n\
              permit view on task when context.permit == true and org.role == \"x\" and context.resource.action \
              and claims.forbid and has_role(org:role)\n";
    Policy::parse(ok).unwrap();
    // Each broken rule is reported once, the valid one after them not at all.
    let text = format!(
        "{TASK}permit view on task when resource.owner_id ==\npermit edit on task when (user.id\n\
         permit list on task when resource.owner_id == user.id\n"
    );
    let (all, report) = rejected("p.ord", &text);
    assert_eq!(all.iter().map(|d| d.line).collect::<Vec<_>>(), [2, 3], "{report}");
}

#[test]
fn a_condition_nested_too_deep_is_one_error() {
    for inner in ["true", "resource.owner_id == user.id"] {
        let text = format!("{TASK}permit view on task when {}{inner}{}\n", "(".repeat(200), ")".repeat(200));
        let d = single(&text);
        assert_eq!((d.code.as_str(), d.line), ("limit", 2), "{d:?}");
    }
}

/// docs/language.md, Limits: a flat chain is as deep as it is long.
#[test]
fn a_flat_chain_counts_one_level_per_term() {
    let chain = |n: usize, term: &str| format!("{TASK}permit view on task when {}\n", vec![term; n].join(" and "));
    Policy::parse(&chain(64, "true")).unwrap();
    Policy::parse(&chain(63, "user.id == \"a\"")).unwrap();
    for text in [chain(65, "true"), chain(64, "user.id == \"a\""), chain(65, "true").replace(" and ", " or ")] {
        assert_eq!(single(&text).message, "the condition is more than 64 levels deep");
    }
}

// ------------------------------------------------------------------------------ long lines

#[test]
fn a_huge_line_is_cut_around_the_column_in_the_report() {
    let text = format!("{TASK}permit view on task when resource.owner_id == \"{}\"\n", "x".repeat(900_000));
    let (_, report) = rejected("p.ord", &text);
    assert!(report.len() < 1_000, "{} bytes", report.len());
    assert!(report.contains("== \"xxxx") && report.contains("x…\n"), "{report}");
    let text = format!("{TASK}permit view on task when context{} == 1\n", ".a".repeat(100_000));
    let (_, report) = rejected("p.ord", &text);
    assert!(report.len() < 1_000, "{report}");
    assert!(report.contains("2 | permit view on task when context.a.a"), "{report}");
}

// ------------------------------------------------------------------------------ wildcards

#[test]
fn a_wildcard_is_allowed_only_as_the_last_segment() {
    let head = "permission org:tasks:view\npermission org:notes:view\n";
    for grant in ["org:*:view", "org:*:*"] {
        let d = single(&format!("{head}role org:mid = [{grant}]\n"));
        assert_eq!(d.message, format!("`{grant}` is not a valid wildcard"));
        assert_eq!(d.help.as_deref(), Some("a wildcard is allowed only as the last segment, e.g. `org:tasks:*`"));
    }
    Policy::parse(&format!("{head}role org:all = [org:*]\nrole org:tasks = [org:tasks:*]\n")).unwrap();
    // Nowhere else: not in a role name, `has_role` or `has_plan`.
    let d = single(&format!("{head}role org:* = [org:tasks:view]\n"));
    assert_eq!(d.message, "a role name cannot contain `*`");
    let d = single(&format!("{head}role org:x = [org:tasks:view]\n{TASK}permit view on task when has_role(org:*)\n"));
    assert_eq!(d.message, "`has_role` takes one role, not a wildcard");
    let d = single(&format!("{TASK}permit view on task when has_plan(org:*)\n"));
    assert_eq!(d.message, "`has_plan` takes one name, not a wildcard");
}

// ------------------------------------------------------------------------------ non-boolean conditions

#[test]
fn the_hint_for_a_non_boolean_condition_fits_its_type() {
    let head = "resource task { n: int, s: string, l: [string] }\n";
    for (attr, hint) in [
        ("n", "compare it, e.g. `resource.n > 0` or `resource.n == 1`"),
        ("s", "compare it, e.g. `resource.s == user.id`"),
        ("l", "test its items, e.g. `resource.l.contains(\"x\")` or `user.id in resource.l`"),
    ] {
        let d = single(&format!("{head}permit view on task when resource.{attr}\n"));
        assert_eq!(d.help.as_deref(), Some(hint), "{d:?}");
        // The example is itself a valid condition.
        let example = hint.split('`').nth(1).unwrap();
        Policy::parse(&format!("{head}permit view on task when {example}\n")).unwrap();
    }
}

// ------------------------------------------------------------------------------ rule ids

#[test]
fn an_explicit_id_may_not_equal_another_rules_id() {
    // `x.ord:4` is the default id of the unnamed rule on line 4.
    let text =
        "resource task {}\n@id(\"x.ord:4\") permit view on task\naction view, edit on task\npermit edit on task\n";
    let (all, report) = rejected("x.ord", text);
    assert_eq!(all.len(), 1, "{report}");
    let d = &all[0];
    assert_eq!((d.code.as_str(), d.line, d.column), ("duplicate", 2, 5), "{report}");
    assert_eq!(d.message, "rule id `x.ord:4` has the form `file:line` of the ids of rules without `@id`");
    assert_eq!(d.help.as_deref(), Some("choose another id"));
    // Under another file name the ids differ and the policy is fine.
    Policy::parse_named("y.ord", text).unwrap();
    // The `file:line` form is refused even where no rule starts (yet): `fmt` or an edit
    // above could move one there.
    let moved = text.replace("x.ord:4", "x.ord:9");
    let (all, report) = rejected("x.ord", &moved);
    assert_eq!(all.len(), 1, "{report}");
    assert_eq!(all[0].message, "rule id `x.ord:9` has the form `file:line` of the ids of rules without `@id`");
    assert_eq!(all[0].help.as_deref(), Some("choose another id"));
    for fine in ["x.ord:", "x.ord:4a", "x.ord", "x.or:4", "y.ord:4"] {
        Policy::parse_named("x.ord", &text.replace("x.ord:4", fine)).unwrap();
    }
    // Two equal explicit ids: reported as before, at the second, with the same hint.
    let text = "resource task {}\n@id(\"a\") permit view on task\n@id(\"a\") permit view on task\n";
    let (all, report) = rejected("x.ord", text);
    assert_eq!(all.len(), 1, "{report}");
    assert_eq!((all[0].line, all[0].message.as_str()), (3, "rule id `a` is declared twice"));
    assert_eq!(all[0].help.as_deref(), Some("choose another id"));
}

// ------------------------------------------------------------------------------ intake

/// The error of a resource for a `[string]` and an `int` attribute, from both readers.
fn resource_error(resource: &str) -> String {
    let engine = Engine::from_policy_text(
        "resource task { tags?: [string], level?: int }\naction view on task\npermit view on task\n",
    )
    .unwrap();
    let claims = r#"{"sub":"user_1"}"#;
    let one_pass = engine.decide_json(claims, "view", resource, None, Some(0));
    let session = Session::from_claims_json(claims).unwrap();
    let dom = engine.decide_with(&session, "view", &Resource::from_json(resource).unwrap(), &Options::default().at(0));
    assert_eq!(one_pass.error, dom.error, "{resource}");
    assert_eq!(&*one_pass.reason, "invalid_resource");
    one_pass.error.unwrap()
}

#[test]
fn resource_messages_say_what_is_wrong() {
    for (attrs, found) in [
        (r#""tags":[1]"#, "tags` must be [string], found a list with a number at index 0"),
        (r#""tags":["a",null,2]"#, "tags` must be [string], found a list with null at index 1"),
        (r#""tags":["a",{"b":1}]"#, "tags` must be [string], found a list with an object at index 1"),
        (r#""tags":["a",[],true]"#, "tags` must be [string], found a list with a list at index 1"),
        (r#""tags":[false]"#, "tags` must be [string], found a list with a boolean at index 0"),
        (r#""level":["a"]"#, "level` must be int, found a list"),
        (r#""level":99999999999999999999"#, "level` must be int, found a number beyond the 64-bit integer range"),
        (r#""level":-99999999999999999999"#, "level` must be int, found a number beyond the 64-bit integer range"),
        (r#""level":18446744073709551615"#, "level` must be int, found a number beyond the 64-bit integer range"),
        (r#""level":1.5"#, "level` must be int, found a non-integer number"),
    ] {
        // Before and after `type` (the one-pass reader binds both ways).
        for text in [format!(r#"{{"type":"task",{attrs}}}"#), format!(r#"{{{attrs},"type":"task"}}"#)] {
            let error = resource_error(&text);
            assert!(error.ends_with(found), "{text}: {error}");
        }
    }
}

#[test]
fn an_unknown_token_version_is_named() {
    let err = Session::from_claims_json(r#"{"sub":"u","v":3}"#).unwrap_err();
    assert_eq!(err.to_string(), "invalid claims: claim `v` must be 1 or 2, found 3");
    let err = Session::from_claims_json(r#"{"sub":"u","v":"2"}"#).unwrap_err();
    assert_eq!(err.to_string(), "invalid claims: claim `v` must be 1 or 2, found a string");
}

// ------------------------------------------------------------------------------ fmt and comments

fn fmt(text: &str) -> String {
    let once = Policy::parse(text).unwrap().format();
    let twice = Policy::parse(&once).unwrap().format();
    assert_eq!(once, twice, "fmt is idempotent");
    once
}

#[test]
fn fmt_keeps_comments_with_their_item() {
    // A trailing comment stays on the item's last line, not above the next item.
    let text = "resource task { owner_id: string } // the task\naction view, edit on task\n\
                permit view on task\npermit edit on task\n";
    assert_eq!(
        fmt(text),
        "resource task {\n  owner_id: string,\n} // the task\n\naction view, edit on task\n\n\
         permit view on task\n\npermit edit on task\n"
    );
    // A comment between the condition lines of a rule moves above that rule, not the next.
    let text = "resource task { owner_id: string }\naction view, edit on task\n\
                permit view on task\n  when resource.owner_id == user.id\n  // or any admin\n  or user.id == \"admin\"\n\
                permit edit on task // the editors\n";
    assert_eq!(
        fmt(text),
        "resource task {\n  owner_id: string,\n}\n\naction view, edit on task\n\n\
         // or any admin\npermit view on task\n  when resource.owner_id == user.id or user.id == \"admin\"\n\n\
         permit edit on task // the editors\n"
    );
}

/// A policy with items of every kind over several lines each, for comments in every place.
const LINES: &[&str] = &[
    "permission org:a:view \"x\"",
    "role org:r = [org:a:*]",
    "resource task {",
    "  owner_id: string,",
    "  tags?: [string]",
    "}",
    "action view, edit on task",
    "license org.metadata.isLicensed",
    "@id(\"e\")",
    "permit edit on task",
    "  when resource.owner_id == user.id",
    "  and has(org:a:view)",
    "forbid view on task",
    "  when not licensed",
    "  because \"license_required\"",
    "permit view on task when user",
];

proptest::proptest! {
    /// Comments before, after and between the lines of every kind of item (and blank
    /// lines) are all kept, once each, and formatting the output changes nothing.
    #[test]
    fn fmt_keeps_every_comment_and_is_idempotent(places in proptest::collection::vec(0u8..6, LINES.len() + 1)) {
        let mut text = String::new();
        let mut comments = Vec::new();
        for (i, place) in places.iter().enumerate() {
            let c = format!("c{i}");
            match place {
                1 => text.push_str(&format!("// {c}\n")),
                2 => text.push_str(&format!("# {c}\n\n")),
                _ => {}
            }
            if (1..=2).contains(place) {
                comments.push(c.clone());
            }
            if let Some(line) = LINES.get(i) {
                text.push_str(line);
                if *place >= 4 {
                    text.push_str(&format!(" // t{i}"));
                    comments.push(format!("t{i}"));
                }
                text.push('\n');
            }
        }
        let once = fmt(&text);
        for c in &comments {
            proptest::prop_assert_eq!(once.matches(&format!(" {c}\n")).count(), 1, "{} in\n{}\nfrom\n{}", c, once, text);
        }
        proptest::prop_assert_eq!(Policy::parse(&once).unwrap().rule_count(), 3);
    }
}
