//! Clerk session token v2 (`"v": 2`): decoding checks against Clerk's documented examples,
//! the strict cases of issue 6, and a property test that a v1 token and its v2
//! equivalent get the same decision from every shipped policy. The decision-level cases
//! (plans, features, `fva`, `act`, `sts`) are vectors in `tests/conformance/clerk_v2.json`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use ordinance::{Engine, Policy, Session};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::path::Path;

fn session(claims: Value) -> Session {
    Session::from_claims(claims.clone()).unwrap_or_else(|e| panic!("{claims}: {e}"))
}

fn error(claims: Value) -> String {
    match Session::from_claims(claims.clone()) {
        Ok(_) => panic!("accepted {claims}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn clerks_documented_examples_decode() {
    // The example of issue 6 (Clerk's `buildOrgPermissions`).
    let s = session(json!({"v": 2, "sub": "user_1", "fea": "o:repositories,uo:projects,u:goldprofileborder",
        "o": {"id": "org_1", "slg": "acme", "rol": "admin", "per": "read,create,update,delete,revoke", "fpm": "7,21"}}));
    assert_eq!(
        s.org_permissions(),
        [
            "org:repositories:read",
            "org:repositories:create",
            "org:repositories:update",
            "org:projects:read",
            "org:projects:update",
            "org:projects:revoke"
        ]
    );
    assert_eq!(s.org_role(), Some("org:admin"));
    assert_eq!(s.org_id(), Some("org_1"));
    assert_eq!(s.token_version(), 2);
    // The session-token page's example: per "manage,read", fpm "3,2".
    let s = session(json!({"v": 2, "sub": "user_1", "fea": "o:dashboard,o:teams",
        "o": {"id": "org_1", "rol": "admin", "per": "manage,read", "fpm": "3,2"}}));
    assert_eq!(s.org_permissions(), ["org:dashboard:manage", "org:dashboard:read", "org:teams:read"]);
}

#[test]
fn v2_session_equals_its_v1_session() {
    // Clerk lists the features behind v2 permissions in `fea`; a v1 token of an instance
    // with Billing carries the same `fea`, which ordinance reads in either version.
    let v1 =
        session(json!({"sub": "user_1", "sid": "sess_1", "exp": 2_000_000_000, "fea": "o:tasks", "org_id": "org_1",
        "org_slug": "acme", "org_role": "org:member", "org_permissions": ["org:tasks:view", "org:tasks:edit"],
        "org_metadata": {"isLicensed": true}}));
    let v2 = session(json!({"v": 2, "sub": "user_1", "sid": "sess_1", "exp": 2_000_000_000, "fea": "o:tasks",
        "o": {"id": "org_1", "slg": "acme", "rol": "member", "per": "view,edit", "fpm": "3"},
        "org_metadata": {"isLicensed": true}}));
    // Sessions compare by what a policy can see, not by the token's shape.
    assert!(v1 == v2, "{v1:?}\n{v2:?}");
}

/// Was a bug: a token whose organization has features but whose member holds none of
/// their permissions (no `o.fpm`) was refused outright, so every request of such a member
/// was denied as `invalid_claims`, even `has_feature` checks and their personal tasks.
#[test]
fn absent_fpm_grants_no_permissions_but_keeps_features() {
    let s =
        session(json!({"v": 2, "sub": "user_1", "fea": "o:projects,u:border", "o": {"id": "org_1", "rol": "member"}}));
    assert!(s.org_permissions().is_empty());
    let engine = Engine::from_policy_text(
        "permission org:projects:read \"Read\"\nresource p {}\naction use, read on p\n\
         permit use on p when has_feature(\"org:projects\")\npermit read on p when has(org:projects:read)",
    )
    .unwrap();
    let p = ordinance::Resource::new("p");
    let opts = ordinance::Options::default().at(0);
    assert!(engine.decide_with(&s, "use", &p, &opts).allowed);
    assert_eq!(engine.decide_with(&s, "read", &p, &opts).reason, "no_matching_rule");
    // A present fpm must still have one mask per organization feature.
    assert!(error(json!({"v": 2, "sub": "u", "fea": "o:a,o:b", "o": {"id": "o", "per": "r", "fpm": ""}}))
        .contains("0 masks"));
}

/// Was a bug: `sts: pending` removed the user and the organization but left the custom
/// claims readable, so `claims.email.ends_with("@acme.com")` still let a pending session
/// through.
#[test]
fn pending_session_is_signed_out_custom_claims_included() {
    let s = session(json!({"v": 2, "sub": "user_1", "sts": "pending", "email": "me@acme.com",
        "fea": "o:a", "o": {"id": "org_1", "per": "r", "fpm": "1"}}));
    assert_eq!(s.user_id(), None);
    assert_eq!(s.org_id(), None);
    assert!(s.claims().is_empty());
    let engine = Engine::from_policy_text(
        "resource doc {}\naction read on doc\npermit read on doc when claims.email.ends_with(\"@acme.com\")",
    )
    .unwrap();
    let d = engine.decide_with(&s, "read", &ordinance::Resource::new("doc"), &ordinance::Options::default().at(0));
    assert!(!d.allowed);
    let active = session(json!({"v": 2, "sub": "user_1", "sts": "active", "email": "me@acme.com"}));
    assert!(
        engine
            .decide_with(&active, "read", &ordinance::Resource::new("doc"), &ordinance::Options::default().at(0))
            .allowed
    );
}

/// Was lax: `ou:` was read as `uo:`. Clerk's scopes are `u`, `o` and `uo`.
#[test]
fn only_clerks_three_scopes_are_read() {
    for scope in ["ou", "x", "", "U", "O", "uou", "org", "user"] {
        let msg = error(json!({"v": 2, "sub": "u", "fea": format!("{scope}:projects")}));
        assert!(msg.contains("scope") || msg.contains("no scope"), "{scope}: {msg}");
        error(json!({"v": 2, "sub": "u", "pla": format!("{scope}:pro")}));
    }
    for (fea, user, org) in [("u:a", true, false), ("o:a", false, true), ("uo:a", true, true)] {
        let claims = if org {
            json!({"v": 2, "sub": "u", "fea": fea, "o": {"id": "o", "per": "r", "fpm": "0"}})
        } else {
            json!({"v": 2, "sub": "u", "fea": fea})
        };
        let engine = Engine::from_policy_text(
            "resource d {}\naction any, org, user on d\npermit any on d when has_feature(\"a\")\n\
             permit org on d when has_feature(\"org:a\")\npermit user on d when has_feature(\"user:a\")",
        )
        .unwrap();
        let s = session(claims);
        let d =
            |a: &str| engine.decide_with(&s, a, &ordinance::Resource::new("d"), &ordinance::Options::default().at(0));
        assert!(d("any").allowed, "{fea}");
        assert_eq!(d("org").allowed, org, "{fea}");
        assert_eq!(d("user").allowed, user, "{fea}");
    }
}

/// Issue 6: strict where Clerk's own parser is lax; each names what is wrong.
#[test]
fn strict_cases_of_the_issue() {
    let org = |per: &str, fpm: &str| json!({"id": "org_1", "per": per, "fpm": fpm});
    let cases = [
        (json!({"v": 2, "sub": "u", "fea": "o:a", "o": org("read", "2")}), "beyond the 1 names"),
        (json!({"v": 2, "sub": "u", "fea": "o:a", "o": org("read,edit", "4")}), "beyond the 2 names"),
        (json!({"v": 2, "sub": "u", "fea": "repositories", "o": org("", "")}), "has no scope"),
        (json!({"v": 2, "sub": "u", "fea": "x:a", "o": org("r", "1")}), "unknown scope `x`"),
        (json!({"v": 2, "sub": "u", "fea": "o:a", "o": org("r", "one")}), "`one` is not a non-negative integer"),
        (json!({"v": 2, "sub": "u", "fea": "o:a", "o": org("r", "-1")}), "`-1` is not a non-negative integer"),
        (json!({"v": 2, "sub": "u", "fea": "o:a", "o": org("r", "1.0")}), "not a non-negative integer"),
        (json!({"v": 2, "sub": "u", "fea": "o:a", "o": org("r", "18446744073709551616")}), "larger than 64 bits"),
        (json!({"v": 2, "sub": "u", "fea": "o:a,o:b", "o": org("r", "1")}), "1 masks but `fea` lists 2"),
        (json!({"v": 2, "sub": "u", "o": {"id": "org_1", "rol": "org:admin"}}), "`org:` prefix"),
        (json!({"v": 2, "sub": "u", "org_id": "org_1"}), "version 1 claim"),
        (json!({"sub": "u", "o": {"id": "org_1"}}), "only valid in a version 2 token"),
        (json!({"v": 2, "sub": "u", "org_metadata": {"isLicensed": true}}), "without an organization"),
        (json!({"v": 2, "sub": "u", "pla": "o:pro"}), "without an active organization"),
    ];
    for (claims, want) in cases {
        let msg = error(claims.clone());
        assert!(msg.contains(want), "{claims}: `{msg}` does not say `{want}`");
        assert!(msg.starts_with("invalid claims: "), "{msg}");
    }
    // The widest mask that fits: 64 names, all bits set.
    let per: Vec<String> = (0..64).map(|i| format!("p{i}")).collect();
    let s = session(
        json!({"v": 2, "sub": "u", "fea": "o:a", "o": {"id": "o", "per": per.join(","), "fpm": u64::MAX.to_string()}}),
    );
    assert_eq!(s.org_permissions().len(), 64);
}

// ------------------------------------------------------------------------------ v1 == v2

/// The v2 token for the same session as a v1 token (written independently of the
/// conformance generator's converter).
fn v2_of(v1: &Map<String, Value>) -> Value {
    let mut out: Map<String, Value> =
        v1.iter().filter(|(k, _)| !k.starts_with("org_")).map(|(k, v)| (k.clone(), v.clone())).collect();
    out.insert("v".into(), json!(2));
    if let Some(meta) = v1.get("org_metadata") {
        out.insert("org_metadata".into(), meta.clone());
    }
    if let Some(id) = v1.get("org_id") {
        let mut o = json!({"id": id});
        if let Some(slug) = v1.get("org_slug") {
            o["slg"] = slug.clone();
        }
        if let Some(role) = v1.get("org_role").and_then(Value::as_str) {
            o["rol"] = json!(role.trim_start_matches("org:"));
        }
        let perms: Vec<(String, String)> = v1
            .get("org_permissions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|p| {
                let mut parts = p.as_str().unwrap().splitn(3, ':').skip(1);
                (parts.next().unwrap().to_string(), parts.next().unwrap().to_string())
            })
            .collect();
        let mut features: Vec<String> = perms.iter().map(|(f, _)| f.clone()).collect();
        features.dedup();
        features.sort();
        features.dedup();
        let mut names: Vec<String> = perms.iter().map(|(_, n)| n.clone()).collect();
        names.sort();
        names.dedup();
        if !features.is_empty() {
            let masks: Vec<String> = features
                .iter()
                .map(|f| {
                    let mask = perms
                        .iter()
                        .filter(|(g, _)| g == f)
                        .map(|(_, n)| 1u64 << names.iter().position(|x| x == n).unwrap())
                        .fold(0, |a, b| a | b);
                    mask.to_string()
                })
                .collect();
            o["per"] = json!(names.join(","));
            o["fpm"] = json!(masks.join(","));
            let fea: Vec<String> = features.iter().map(|f| format!("o:{f}")).collect();
            out.insert("fea".into(), json!(fea.join(",")));
        }
        out.insert("o".into(), o);
    }
    Value::Object(out)
}

const PERMISSIONS: [&str; 6] = [
    "org:tasks:view",
    "org:tasks:edit",
    "org:tasks:manage",
    "org:sys_memberships:manage",
    "org:billing:read",
    "org:tasks:archive",
];

fn claims_strategy() -> impl Strategy<Value = Map<String, Value>> {
    let role = prop_oneof![
        Just(None),
        Just(Some("org:viewer")),
        Just(Some("org:member")),
        Just(Some("org:manager")),
        Just(Some("org:admin")),
        Just(Some("org:custom")),
    ];
    let perms = proptest::sample::subsequence(PERMISSIONS.to_vec(), 0..=PERMISSIONS.len());
    let license = prop_oneof![Just(None), Just(Some(true)), Just(Some(false))];
    let org = prop_oneof![Just(None), Just(Some("org_1")), Just(Some("org_2"))];
    let user = prop_oneof![Just(None), Just(Some("user_1")), Just(Some("user_2"))];
    (user, org, role, perms, license, any::<bool>(), any::<bool>()).prop_map(
        |(user, org, role, perms, license, slug, list_perms)| {
            let mut c = Map::new();
            if let Some(u) = user {
                c.insert("sub".into(), json!(u));
                c.insert("sid".into(), json!("sess_1"));
                c.insert("exp".into(), json!(1_721_770_200));
            }
            if let Some(o) = org {
                c.insert("org_id".into(), json!(o));
                if slug {
                    c.insert("org_slug".into(), json!("acme"));
                }
                if let Some(r) = role {
                    c.insert("org_role".into(), json!(r));
                }
                if list_perms {
                    c.insert("org_permissions".into(), json!(perms));
                }
                if let Some(l) = license {
                    c.insert("org_metadata".into(), json!({"isLicensed": l}));
                }
            }
            c
        },
    )
}

fn engines() -> Vec<(Engine, Vec<Value>)> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../policies"));
    let load = |f: &str| Engine::new(Policy::from_file(dir.join(f)).unwrap());
    let ids = ["user_1", "user_2", "org_1", "org_2"];
    let tasks =
        ids.iter().flat_map(|o| ids.iter().map(move |c| json!({"type": "task", "owner_id": o, "created_by_id": c})));
    let seats = ["org_1", "org_2"].iter().flat_map(|o| {
        [(5, 3, false), (5, 5, false), (5, 3, true)].into_iter().map(move |(b, a, l)| {
            json!({"type": "seat", "org_id": o, "license_count": b, "licensed_count": a, "is_licensed": l})
        })
    });
    let rooms = ids.iter().map(|o| json!({"type": "room", "owner_id": o}));
    let calendars = [json!({"type": "calendar"}), json!({"type": "calendar", "owner_id": "user_1"})];
    vec![
        (load("team_tasks.ord"), tasks.collect()),
        (load("licensing.ord"), seats.collect()),
        (load("rooms.ord"), rooms.collect()),
        (load("calendar_scopes.ord"), calendars.to_vec()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any v1 token and its v2 equivalent get the same decision, on every shipped policy,
    /// for every resource and action.
    #[test]
    fn v1_and_v2_tokens_decide_alike(v1 in claims_strategy()) {
        let v2 = v2_of(&v1);
        let context = json!({"approved_scopes": "https://www.googleapis.com/auth/calendar.readonly"});
        for (engine, resources) in engines() {
            for resource in &resources {
                for action in ["view", "create", "edit", "complete", "delete", "assign", "unassign", "enter",
                               "read_availability", "book_direct"] {
                    let decide = |claims: Value| {
                        let mut d = engine
                            .decide_value(claims, action, resource.clone(), Some(context.clone()), Some(1_721_770_150))
                            .to_json();
                        d.as_object_mut().unwrap().remove("error");
                        d
                    };
                    let (a, b) = (decide(Value::Object(v1.clone())), decide(v2.clone()));
                    prop_assert_eq!(&a, &b, "v1 {:?}\nv2 {}\n{} {}", v1, v2, action, resource);
                }
            }
        }
    }
}
