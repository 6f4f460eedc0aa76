//! The one-pass JSON intake agrees with the strict reference path on every input.
//!
//! `Session::from_claims_json*` reads claims text in one pass (registered claims kept as
//! read, other claims validated without being built, the full claims map built lazily)
//! and `Resource::from_json*` builds its attributes directly. The reference is the old
//! path: the whole text parsed by `json::parse_strict` into a `Value` tree (duplicate keys,
//! size and depth checked), then read back by key (`ordinance::testing::*_dom`).
//!
//! The generators write JSON *text* (not `Value`s), so that duplicate keys, escaped keys,
//! odd whitespace, trailing garbage, truncation and nesting around the depth limit all
//! occur; the claim names are every registered claim of v1 and v2 plus unknown ones,
//! with values of the right and of every wrong type. The two paths must agree on
//! accept/reject, on the error message, on the session (`==`, `Debug`, which shows every
//! field, and the `claims()` map) and on decisions of policies that read `claims.*`,
//! organization claims, the license flag, plans and features.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use ordinance::testing::{resource_from_json_dom, session_from_claims_json_dom};
use ordinance::{Engine, Limits, Options, Resource, Session};
use proptest::prelude::*;
use std::sync::OnceLock;

/// Every claim name the session logic reads, v1 and v2, and some it does not.
const NAMES: &[&str] = &[
    "v",
    "sts",
    "sub",
    "sid",
    "azp",
    "iss",
    "jti",
    "exp",
    "nbf",
    "iat",
    "act",
    "fva",
    "fea",
    "pla",
    "o",
    "org_id",
    "org_slug",
    "org_role",
    "org_permissions",
    "org_metadata",
    "email",
    "roles",
    "isLicensed",
    "type",
    "id",
    "owner_id",
    "per",
    "rol",
    "",
];

/// A JSON string literal for `s`, sometimes with every character `\u`-escaped or with a
/// needless escape, so that keys and values arrive both borrowed and decoded.
fn quoted(s: &str, style: u8) -> String {
    match style {
        1 => format!("\"{}\"", s.chars().map(|c| format!("\\u{:04x}", c as u32)).collect::<String>()),
        2 => format!("\"{}\\/\"", s),
        _ => serde_json::to_string(s).unwrap(),
    }
}

fn key() -> impl Strategy<Value = String> {
    (prop::sample::select(NAMES), prop::sample::select(vec![0u8, 0, 0, 0, 1, 2]))
        .prop_map(|(name, style)| quoted(name, style))
}

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        Just("false".to_string()),
        prop::sample::select(vec![
            "1",
            "2",
            "3",
            "-1",
            "0",
            "1.5",
            "1e3",
            "-0",
            "1721770193",
            "18446744073709551615",
            "9223372036854775808",
            "-9223372036854775809",
            "1e400",
        ])
        .prop_map(str::to_string),
        any::<i64>().prop_map(|n| n.to_string()),
        (
            prop::sample::select(vec![
                "user_1",
                "org_1",
                "org:admin",
                "org:tasks:edit",
                "org:tasks:view",
                "org:tasks:manage",
                "admin",
                "active",
                "pending",
                "u:x,o:y",
                "o:tasks,uo:p",
                "read,create",
                "7,21",
                "1",
                "",
                "a@b.c",
                "sess_1",
            ]),
            0u8..3
        )
            .prop_map(|(s, style)| quoted(s, style)),
        "\\PC{0,8}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        // Raw text that may be invalid JSON inside a string: bad escapes, control
        // characters, lone surrogates.
        prop::sample::select(vec![r#""\x""#, "\"\u{1}\"", r#""\ud800""#, r#""\ud83d\ude00""#, r#""é""#])
            .prop_map(str::to_string),
    ]
}

/// A JSON value as text; objects may repeat keys.
fn value() -> impl Strategy<Value = String> {
    leaf().prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|items| format!("[{}]", items.join(","))),
            prop::collection::vec((key(), inner), 0..5).prop_map(|entries| {
                let body: Vec<String> = entries.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
                format!("{{{}}}", body.join(","))
            }),
        ]
    })
}

/// A value nested `n` containers deep, around the default depth limit of 32.
fn deep() -> impl Strategy<Value = String> {
    (28usize..36, any::<bool>()).prop_map(|(n, objects)| {
        if objects {
            format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n))
        } else {
            format!("{}1{}", "[".repeat(n), "]".repeat(n))
        }
    })
}

/// Claims objects (and, rarely, other top-level text) as JSON text.
fn claims_text() -> impl Strategy<Value = String> {
    let entry = prop_oneof![
        8 => (key(), value()),
        1 => (key(), deep()),
    ];
    let object =
        (prop::collection::vec(entry, 0..12), prop::sample::select(vec!["", " ", "\n  "])).prop_map(|(entries, ws)| {
            let body: Vec<String> = entries.into_iter().map(|(k, v)| format!("{ws}{k}{ws}:{ws}{v}")).collect();
            format!("{ws}{{{}{ws}}}{ws}", body.join(","))
        });
    (object, value(), 0u8..16, any::<prop::sample::Index>()).prop_map(|(object, other, mode, at)| match mode {
        0 => other,
        1 => format!("{object} x"),
        2 => {
            // Truncated somewhere.
            let mut cut = at.index(object.len().max(1));
            while !object.is_char_boundary(cut) {
                cut -= 1;
            }
            object[..cut].to_string()
        }
        _ => object,
    })
}

/// Registered claims with the right types, so that many sessions are accepted and the
/// wrong-type and duplicate cases sit next to valid ones.
fn plausible_claims() -> impl Strategy<Value = String> {
    let v1 = (
        any::<bool>(),
        any::<bool>(),
        prop::sample::subsequence(vec!["org:tasks:edit", "org:tasks:view", "org:tasks:manage"], 0..3),
        prop::sample::select(vec!["org:admin", "org:member", "org:viewer"]),
        prop::sample::select(vec![
            r#"{"isLicensed": true}"#,
            r#"{"isLicensed": "true"}"#,
            "{}",
            r#"{"a":{"a":1}}"#,
            r#"{"isLicensed": false, "plan": {"seat": true}}"#,
            r#"{"plan": {"seat": 1}}"#,
            r#"{"plan": {"seat": null, "x": [1]}}"#,
            r#"{"plan": 1}"#,
            r#"{"plan": false, "isLicensed": true}"#,
            r#"{"plan": {}}"#,
            r#"{"plan": [{"seat": true}]}"#,
            r#"{"pl\u0061n": {"s\u0065at": true}, "isLicensed": true}"#,
            r#"{"plan": {"seat": true, "seat": false}}"#,
            r#"{"plan": {"seat": {"a": 1}}, "isLicensed": null}"#,
        ]),
    )
        .prop_map(|(org, meta, perms, role, metadata)| {
            let mut s = String::from(r#"{"sub": "user_1", "sid": "sess_1", "exp": 1721770193, "nbf": 1721770123"#);
            if org {
                s += &format!(
                    r#", "org_id": "org_1", "org_role": "{role}", "org_slug": "acme", "org_permissions": {}"#,
                    serde_json::to_string(&perms).unwrap()
                );
            }
            if meta {
                s += &format!(r#", "org_metadata": {metadata}"#);
            }
            s
        });
    let v2 = (
        prop::sample::select(vec!["", "o:tasks", "o:tasks,uo:p", "u:x", "o:a,o:b"]),
        prop::sample::select(vec!["", "u:pro", "o:team", "uo:x"]),
        prop::sample::select(vec!["7", "1,3", "", "0"]),
        any::<bool>(),
    )
        .prop_map(|(fea, pla, fpm, org)| {
            let mut s = format!(r#"{{"v": 2, "sub": "user_1", "fea": "{fea}", "pla": "{pla}""#);
            if org {
                s += &format!(r#", "o": {{"id": "org_1", "rol": "admin", "per": "read,edit,manage", "fpm": "{fpm}"}}"#);
            }
            s
        });
    (prop_oneof![v1, v2], prop::collection::vec((key(), value()), 0..4)).prop_map(|(head, extra)| {
        let tail: String = extra.into_iter().map(|(k, v)| format!(", {k}: {v}")).collect();
        format!("{head}{tail}}}")
    })
}

/// Reads as text every session and resource field that `decide_json` keeps only when a
/// rule reads it (`session.id`, `.azp`, `.iss`, `org.slug`, `org.permissions`,
/// `org.metadata`, `resource.id`); the other policies read none of them, so both ways are
/// compared. (`team_tasks` and [`ATTRIBUTE_TYPES`] declare a license in `org_metadata`,
/// which `decide_json` then follows as it reads the claim instead of building it.)
const READS_EVERY_FIELD: &str = r#"
permission org:tasks:view "View"
permission org:tasks:edit "Edit"
role org:admin = [org:tasks:view]
resource task { owner_id: string, created_by_id: string }
action view, edit, list, audit on task
@id("by_session") permit view on task when session.id == "sess_1" and session.azp != "x" and session.iss != "y"
@id("by_slug") permit edit on task when org.slug == "acme"
@id("by_permissions") permit list on task when "org:tasks:edit" in org.permissions
@id("by_id") permit audit on task when resource.id == "org_1" or has(org:tasks:view)
@id("by_metadata") permit view on task when org.metadata.isLicensed == true
"#;

/// Attributes of every type, optional ones, on a type whose rules read attributes only
/// through their slots (`doc`: `decide_json` binds them as it reads them) and on one whose
/// rules read them by name (`note`: they are kept in the resource).
const ATTRIBUTE_TYPES: &str = r#"
license org.metadata.plan.seat
resource doc { owner_id: string, tags: [string], size?: int, public?: bool }
resource note { owner_id: string, tags: [string], size?: int, public?: bool }
action read, share on doc
action read on note
@id("own") permit read on doc when resource.owner_id == user.id and resource.size > 1
@id("pub") permit share on doc when resource.public or licensed
@id("tagged") permit read on note when "x" in resource.tags or resource.size == 2
"#;

const POLICIES: [&str; 7] = [
    include_str!("../../policies/team_tasks.ord"),
    include_str!("../../policies/licensing.ord"),
    include_str!("../../policies/rooms.ord"),
    include_str!("../../policies/calendar_scopes.ord"),
    include_str!("../../policies/authzen_todo.ord"),
    READS_EVERY_FIELD,
    ATTRIBUTE_TYPES,
];

const RESOURCES: [&str; 7] = [
    r#"{"type": "task", "owner_id": "org_1", "created_by_id": "user_1"}"#,
    r#"{"type": "task", "owner_id": "user_1", "created_by_id": "user_1"}"#,
    r#"{"type": "seat", "org_id": "org_1", "license_count": 5, "licensed_count": 3, "is_licensed": false}"#,
    r#"{"type": "room", "owner_id": "org_1"}"#,
    r#"{"type": "calendar", "owner_id": "user_1"}"#,
    r#"{"type": "todo", "ownerID": "a@b.c"}"#,
    r#"{"type": "doc", "owner_id": "user_1", "tags": ["x"], "size": 2, "public": true}"#,
];

fn engines() -> &'static [Engine] {
    static ENGINES: OnceLock<Vec<Engine>> = OnceLock::new();
    ENGINES.get_or_init(|| POLICIES.iter().map(|p| Engine::from_policy_text(p).unwrap()).collect())
}

fn limit_sets() -> [Limits; 3] {
    [
        Limits::default(),
        Limits { max_json_depth: 2, ..Limits::default() },
        Limits { max_claims_bytes: 120, max_request_bytes: 60, ..Limits::default() },
    ]
}

/// The one-pass reader and the reference agree on `text`, under several limits, and the
/// engine decides the same from the text as from the reference session.
fn check_claims(text: &str) -> Result<(), TestCaseError> {
    for limits in limit_sets() {
        let fast = Session::from_claims_json_with_limits(text, &limits);
        let slow = session_from_claims_json_dom(text, &limits);
        prop_assert_eq!(&fast, &slow, "limits {:?}", limits);
        if let (Ok(fast), Ok(slow)) = (&fast, &slow) {
            // A clone taken before the lazy claims map is built builds its own.
            let early = fast.clone();
            prop_assert_eq!(fast.token_version(), slow.token_version());
            prop_assert_eq!(fast.claims(), slow.claims());
            prop_assert_eq!(early.claims(), slow.claims());
            prop_assert_eq!(format!("{fast:?}"), format!("{slow:?}"));
            prop_assert_eq!(format!("{:?}", fast.clone()), format!("{slow:?}"));
        }
    }
    let slow = session_from_claims_json_dom(text, &Limits::default());
    let now = 1_721_770_150;
    for engine in engines() {
        for resource_text in RESOURCES {
            let resource = Resource::from_json(resource_text).unwrap();
            for action in engine.policy().actions(resource.type_name()) {
                let from_text = engine.decide_json(text, action, resource_text, None, Some(now));
                match &slow {
                    Ok(session) => {
                        let expected = engine.decide_with(session, action, &resource, &Options::default().at(now));
                        prop_assert_eq!(from_text, expected);
                    }
                    Err(e) => {
                        prop_assert_eq!(&*from_text.reason, "invalid_claims");
                        prop_assert_eq!(from_text.error.clone(), Some(e.to_string()));
                    }
                }
            }
        }
    }
    Ok(())
}

fn check_resource(text: &str) -> Result<(), TestCaseError> {
    for limits in limit_sets() {
        let fast = Resource::from_json_with_limits(text, &limits);
        let slow = resource_from_json_dom(text, &limits);
        prop_assert_eq!(&fast, &slow, "limits {:?}", limits);
        if let (Ok(fast), Ok(slow)) = (&fast, &slow) {
            prop_assert_eq!(format!("{fast:?}"), format!("{slow:?}"));
        }
    }
    Ok(())
}

/// Resource texts for the policies' types: `type` anywhere among declared and undeclared
/// attributes (so `decide_json` skips some and keeps others), values of the right and
/// wrong types, duplicates, escaped names, nesting.
fn typed_resource_text() -> impl Strategy<Value = String> {
    let names = vec![
        "owner_id",
        "created_by_id",
        "org_id",
        "license_count",
        "licensed_count",
        "is_licensed",
        "ownerID",
        "tags",
        "size",
        "public",
        "title",
        "id",
        "type",
        "x",
    ];
    let style = || prop::sample::select(vec![0u8, 0, 0, 1, 2]);
    let attr_value = prop_oneof![
        3 => prop::sample::select(vec![
            r#""org_1""#, r#""user_1""#, r#""a@b.c""#, "5", "3", "2", "true", "false", "null", r#"["x","y"]"#,
            r#"["x",1]"#, "[]", r#"["x"]"#, r#""user_1""#,
        ])
        .prop_map(String::from),
        1 => value(),
    ];
    let types = prop::sample::select(vec!["task", "seat", "room", "calendar", "todo", "doc", "note", "user", "nope"]);
    (types, style(), prop::collection::vec((prop::sample::select(names), style(), attr_value), 0..6), 0usize..7)
        .prop_map(|(type_name, type_style, attrs, at)| {
            let mut entries: Vec<String> =
                attrs.into_iter().map(|(name, style, value)| format!("{}:{value}", quoted(name, style))).collect();
            entries.insert(at.min(entries.len()), format!(r#""type":{}"#, quoted(type_name, type_style)));
            format!("{{{}}}", entries.join(","))
        })
}

/// `doc` and `note` resources (see [`ATTRIBUTE_TYPES`]) whose declared attributes are
/// mostly there and mostly of the right type, so that binding gets past the first
/// attribute: every check of every attribute type is reached, before and after `type`.
fn attribute_types_text() -> impl Strategy<Value = String> {
    let attr = |name: &'static str, good: Vec<&'static str>| {
        let bad = vec!["null", "1", "1.5", "18446744073709551615", r#""s""#, "true", "[]", r#"["x",1]"#, "{}"];
        (prop::sample::select(good), prop::sample::select(bad), 0u8..10, prop::sample::select(vec![0u8, 0, 0, 1]))
            .prop_map(move |(good, bad, pick, style)| match pick {
                0 => None,
                1 | 2 => Some(format!("{}:{bad}", quoted(name, style))),
                _ => Some(format!("{}:{good}", quoted(name, style))),
            })
    };
    (
        prop::sample::select(vec!["doc", "note"]),
        attr("owner_id", vec![r#""user_1""#, r#""user_2""#, r#""user_1""#]),
        attr("tags", vec![r#"["x"]"#, "[]", r#"["y","x"]"#, r#"["x"]"#]),
        attr("size", vec!["2", "1", "3", "-5", "null"]),
        attr("public", vec!["true", "false", "null"]),
        prop::sample::select(vec![None, Some(r#""title":"t""#), Some(r#""id":"d1""#), Some(r#""size":2"#)]),
        0usize..6,
    )
        .prop_map(|(type_name, owner, tags, size, public, extra, at)| {
            let mut entries: Vec<String> =
                [owner, tags, size, public, extra.map(String::from)].into_iter().flatten().collect();
            entries.insert(at.min(entries.len()), format!(r#""type":"{type_name}""#));
            format!("{{{}}}", entries.join(","))
        })
}

/// `decide_json`, which keeps only the declared attributes of the resource's type, decides
/// as the engine does on the reference resource, for every action of the type.
fn check_resource_decisions(text: &str) -> Result<(), TestCaseError> {
    const SESSIONS: [&str; 2] = [
        r#"{"sub":"user_1","org_id":"org_1","org_role":"org:admin","org_permissions":["org:tasks:edit"],"org_metadata":{"isLicensed":true},"email":"a@b.c","roles":["admin"]}"#,
        r#"{"sub":"user_1","email":"a@b.c","roles":["editor"]}"#,
    ];
    let now = 1_721_770_150;
    let slow = resource_from_json_dom(text, &Limits::default());
    for claims in SESSIONS {
        let session = Session::from_claims_json(claims).unwrap();
        for engine in engines() {
            let mut actions = vec!["view"];
            if let Ok(resource) = &slow {
                actions.extend(engine.policy().actions(resource.type_name()));
            }
            for action in actions {
                let from_text = engine.decide_json(claims, action, text, None, Some(now));
                match &slow {
                    Ok(resource) => {
                        let expected = engine.decide_with(&session, action, resource, &Options::default().at(now));
                        prop_assert_eq!(from_text, expected);
                    }
                    Err(e) => {
                        prop_assert_eq!(&*from_text.reason, "invalid_resource");
                        prop_assert_eq!(from_text.error.clone(), Some(e.to_string()));
                    }
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, max_shrink_iters: 4000, ..ProptestConfig::default() })]

    #[test]
    fn typed_resource_text_decides_as_reference(text in typed_resource_text()) {
        check_resource(&text)?;
        check_resource_decisions(&text)?;
    }

    #[test]
    fn attribute_types_decide_as_reference(text in attribute_types_text()) {
        check_resource(&text)?;
        check_resource_decisions(&text)?;
    }

    #[test]
    fn claims_text_agrees_with_reference(text in claims_text()) {
        check_claims(&text)?;
    }

    #[test]
    fn plausible_claims_agree_with_reference(text in plausible_claims()) {
        check_claims(&text)?;
    }

    #[test]
    fn resource_text_agrees_with_reference(text in claims_text()) {
        check_resource(&text)?;
    }
}

#[test]
fn hand_picked_cases_agree() {
    let cases = [
        r#"{"sub":"u","sub":"u"}"#,
        r#"{"sub":"u","s\u0075b":"v"}"#,
        r#"{"email":"a","email":"b"}"#,
        r#"{"email":"a","em\u0061il":"a"}"#,
        r#"{"x":{"a":1,"a":2}}"#,
        r#"{"x":[{"a":1},{"a":1,"b":[{"c":1,"c":1}]}]}"#,
        r#"{"sub":"u","org_metadata":{}}"#,
        r#"{"sub":"u","org_metadata":{"a":1}}"#,
        r#"{"v":2,"sub":"u","org_metadata":{}}"#,
        r#"{"v":2,"sub":"u","org_metadata":{"a":1}}"#,
        r#"{"sub":"u","sts":"pending","email":"a@b.c","roles":["admin"]}"#,
        r#"{"sub":"u","email":"a@b.c","roles":["admin"]}"#,
        r#"{"sub":"u","x":"\ud800"}"#,
        r#"{"sub":"u","x":1e400}"#,
        r#"{"sub":"u"} x"#,
        r#"{"sub":"u","#,
        "[1]",
        "null",
        "",
        "  ",
        r#""sub""#,
        // Numbers and strings at the edges of what the scanner (`json::scan`) reads itself.
        r#"{"sub":"u","exp":-0}"#,
        r#"{"v":-0,"sub":"u"}"#,
        r#"{"sub":"u","exp":012}"#,
        r#"{"sub":"u","exp":1.0}"#,
        r#"{"sub":"u","exp":1E3}"#,
        r#"{"sub":"u","exp":123456789012345678}"#,
        r#"{"sub":"u","exp":-123456789012345678}"#,
        r#"{"sub":"u","exp":1234567890123456789}"#,
        r#"{"sub":"u","exp":-}"#,
        "{\"sub\":\"u\",\"exp\":1\t,\"nbf\":\r\n2}",
        r#"{"sub":"a\"b"}"#,
        r#"{"sub":"a\u0062","x":"\\"}"#,
        "{\"sub\":\"a\u{1f}b\"}",
        r#"{"sub":"u","org_id":"o","org_metadata":{"isLicensed":-0}}"#,
        r#"{"sub":"u","org_id":"o","org_metadata":{"isLicensed":tru}}"#,
        r#"{"sub":"u","org_id":"o","org_metadata":{"isLicensed":true,}}"#,
        r#"{"sub":"u","org_id":"o","org_permissions":["org:tasks:edit",]}"#,
        r#"{"sub":"u","org_id":"o","org_permissions":["org:tasks:edit" "x"]}"#,
        r#"{"sub":"u",}"#,
        r#"{"sub" "u"}"#,
        r#"{"sub":"u"}}"#,
        r#"{"sub":"u","a":[1,[2,{"b":null}]],"c":{}}"#,
        // Each condition of the usual token (`Registered::usual_session`) broken alone.
        r#"{"sub":""}"#,
        r#"{"sub":"u","org_id":""}"#,
        r#"{"sub":"u","sts":"active"}"#,
        r#"{"sub":"u","sts":"other"}"#,
        r#"{"sub":"u","sts":1}"#,
        r#"{"sub":"u","v":1}"#,
        r#"{"sub":"u","jti":1}"#,
        r#"{"sub":"u","sid":null}"#,
        r#"{"sub":"u","exp":"1"}"#,
        r#"{"sub":"u","iat":true}"#,
        r#"{"sub":"u","org_slug":"s"}"#,
        r#"{"sub":"u","org_role":"org:admin"}"#,
        r#"{"sub":"u","org_permissions":[]}"#,
        r#"{"sub":"u","org_id":"o","org_role":1}"#,
        r#"{"sub":"u","org_id":"o","org_slug":[]}"#,
        r#"{"sub":"u","org_id":"o","org_permissions":["org:tasks:edit",1]}"#,
        r#"{"sub":"u","org_id":"o","org_permissions":{}}"#,
        r#"{"sub":"u","org_id":"o","org_metadata":[]}"#,
        r#"{"sub":"u","act":{"sub":"x"}}"#,
        r#"{"sub":"u","fva":[1,2]}"#,
        r#"{"sub":"u","fea":"u:x"}"#,
        r#"{"sub":"u","pla":"u:x"}"#,
        r#"{"sub":"u","o":{"id":"o"}}"#,
    ];
    for text in cases {
        check_claims(text).unwrap();
        check_resource(text).unwrap();
    }
    for text in [
        r#"{"type":"doc","owner_id":"user_1","tags":[],"size":-0}"#,
        r#"{"type":"doc","owner_id":"user_1","tags":[],"size":02}"#,
        r#"{"type":"doc","owner_id":"user_1","tags":[],"size":2.0}"#,
        r#"{"type":"doc","owner_id":"user_1","tags":[],"size":2}"#,
        r#"{"size":-0,"type":"doc","owner_id":"user_1","tags":[]}"#,
        r#"{"type":"note","owner_id":"user_1","tags":["x"],"size":-0}"#,
        r#"{"type":"doc","owner_id":"us\u0065r_1","tags":["x",[]]}"#,
        r#"{"type":"doc","owner_id":"user_1","tags":["x",],"size":2}"#,
    ] {
        check_resource(text).unwrap();
        check_resource_decisions(text).unwrap();
    }
    // The fields a policy reads are there when it decides from JSON, so the comparison
    // above sees them.
    let reader = &engines()[5];
    let claims = r#"{"sub":"user_1","sid":"sess_1","azp":"a","iss":"i","org_id":"org_1","org_slug":"acme",
        "org_role":"org:member","org_permissions":["org:tasks:edit","org:other"]}"#;
    let task = r#"{"type":"task","id":"org_1","owner_id":"org_1","created_by_id":"user_1"}"#;
    for action in ["view", "edit", "list", "audit"] {
        let d = reader.decide_json(claims, action, task, None, Some(1_721_770_150));
        assert!(d.allowed, "{action}: {d:?}");
    }
    let other = claims.replace("sess_1", "sess_2").replace("acme", "other").replace("\"org:tasks:edit\",", "");
    let other_task = task.replace(r#""id":"org_1""#, r#""id":"org_2""#);
    for action in ["view", "edit", "list", "audit"] {
        let d = reader.decide_json(&other, action, &other_task, None, Some(1_721_770_150));
        assert!(!d.allowed, "{action}: {d:?}");
    }
    // A declared list of strings that is not one, bound as read (`doc`) or from the kept
    // attributes (`note`), before and after `type`.
    let types = &engines()[6];
    for text in [
        r#"{"type":"doc","owner_id":"user_1","tags":["x",1],"size":2}"#,
        r#"{"tags":["x",1],"type":"doc","owner_id":"user_1","size":2}"#,
        r#"{"type":"note","owner_id":"user_1","tags":["x",1]}"#,
    ] {
        check_resource_decisions(text).unwrap();
        let d = types.decide_json(r#"{"sub":"user_1"}"#, "read", text, None, Some(0));
        assert_eq!(
            d.error.as_deref(),
            Some("invalid resource: attribute `tags` must be [string], found a list with a number at index 1")
        );
    }
    // Permissions interned as read give the same bits as names kept: `has` and hints.
    let team = &engines()[0];
    let member = r#"{"sub":"user_1","org_id":"org_1","org_role":"org:viewer","org_permissions":["org:tasks:edit","org:x",
        "org:tasks:e\u0064it"],"org_metadata":{"isLicensed":true}}"#;
    check_claims(member).unwrap();
    let own = r#"{"type":"task","owner_id":"org_1","created_by_id":"user_1"}"#;
    assert!(team.decide_json(member, "edit", own, None, Some(0)).allowed);
    // Many unknown keys: the set switches from a list to a tree; a duplicate far apart.
    let many: Vec<String> = (0..200).map(|i| format!("\"k{i}\":{i}")).collect();
    let text = format!("{{\"sub\":\"u\",{}}}", many.join(","));
    check_claims(&text).unwrap();
    let dup = format!("{{\"sub\":\"u\",{},\"k7\":0}}", many.join(","));
    check_claims(&dup).unwrap();
    assert!(Session::from_claims_json(&dup).unwrap_err().to_string().contains("duplicate key `k7`"));
}
