//! Confused deputies and coercion: each case in `docs/security.md` ("Confused deputies and
//! coercion") has a test here that fails if the engine starts to guess, coerce, merge or
//! borrow authority it was not given.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use ordinance::{Decision, Engine, Session};
use serde_json::{json, Map, Value};

mod team_fixtures;
use team_fixtures::{calendar, licensing, manager, org_task, team_tasks, NOW};

fn decide(engine: &Engine, claims: Value, action: &str, resource: Value) -> Decision {
    let by_value = engine.decide_value(claims.clone(), action, resource.clone(), None, Some(NOW));
    // The same answer from text: no entry point is more lenient than another.
    let by_text = engine.decide_json(&claims.to_string(), action, &resource.to_string(), None, Some(NOW));
    assert_eq!((by_value.allowed, &by_value.reason), (by_text.allowed, &by_text.reason), "{claims} {resource}");
    by_value
}

fn with(mut base: Value, key: &str, value: Value) -> Value {
    base.as_object_mut().unwrap().insert(key.to_string(), value);
    base
}

fn without(mut base: Value, key: &str) -> Value {
    base.as_object_mut().unwrap().remove(key);
    base
}

fn reason(d: &Decision) -> (bool, &str) {
    (d.allowed, d.reason.as_str())
}

#[test]
fn baseline_manager_edits_the_org_task() {
    assert_eq!(reason(&decide(&team_tasks(), manager(), "edit", org_task())), (true, "permit"));
}

#[test]
fn organization_claims_without_org_id_are_invalid() {
    let e = team_tasks();
    for key in ["org_slug", "org_role", "org_permissions", "org_metadata"] {
        // Keep only this one organization claim, drop `org_id`.
        let mut claims = without(manager(), "org_id");
        for other in ["org_slug", "org_role", "org_permissions", "org_metadata"] {
            if other != key {
                claims = without(claims, other);
            }
        }
        let d = decide(&e, claims, "view", org_task());
        assert_eq!(reason(&d), (false, "invalid_claims"), "{key}");
        assert!(d.error.unwrap().contains(&format!("`{key}` is present without `org_id`")));
    }
    // Clerk v2: organization metadata without the `o` object.
    let v2 = json!({"v": 2, "sub": "user_alice", "org_metadata": {"isLicensed": true}});
    assert_eq!(reason(&decide(&e, v2, "view", org_task())), (false, "invalid_claims"));
    // A v1 organization claim in a v2 token is not read as the organization.
    let mixed = json!({"v": 2, "sub": "user_alice", "org_id": "org_team", "o": {"id": "org_other"}});
    assert_eq!(reason(&decide(&e, mixed, "view", org_task())), (false, "invalid_claims"));
}

#[test]
fn one_organizations_permissions_never_reach_another_organizations_resources() {
    let e = team_tasks();
    let other_org_manager = with(manager(), "org_id", json!("org_other"));
    let v2_other = json!({
        "v": 2, "sub": "user_alice", "exp": NOW + 60, "fea": "o:tasks",
        "o": {"id": "org_other", "rol": "admin", "per": "view,edit,manage", "fpm": "7"},
        "org_metadata": {"isLicensed": true}
    });
    for claims in [other_org_manager, v2_other] {
        for action in ["view", "create", "edit", "complete", "delete"] {
            let d = decide(&e, claims.clone(), action, org_task());
            assert_eq!(reason(&d), (false, "no_matching_rule"), "{action} {claims}");
        }
    }
    // Also when the other organization's id differs only by case or by a look-alike letter.
    for org in ["Org_team", "org_team ", "\u{43e}rg_team", "org_\u{442}eam", "org_team\u{200b}"] {
        let d = decide(&e, with(manager(), "org_id", json!(org)), "edit", org_task());
        assert_eq!(reason(&d), (false, "no_matching_rule"), "{org:?}");
    }
    // Licensing: an admin of another organization cannot assign our seats.
    let seat =
        json!({"type": "seat", "org_id": "org_team", "license_count": 5, "licensed_count": 3, "is_licensed": false});
    let admin_other = json!({"sub": "user_x", "org_id": "org_other", "org_role": "org:admin"});
    assert_eq!(reason(&decide(&licensing(), admin_other, "assign", seat)), (false, "no_matching_rule"));
}

#[test]
fn true_is_not_the_string_true_and_one_is_not_the_string_one() {
    let e = team_tasks();
    for lic in [json!("true"), json!(1), json!("1"), json!([true]), json!({"value": true}), Value::Null] {
        let d = decide(&e, with(manager(), "org_metadata", json!({"isLicensed": lic})), "edit", org_task());
        assert_eq!(reason(&d), (false, "invalid_claims"), "isLicensed = {lic}");
    }
    // `false` is a real false: the license forbid denies.
    let d = decide(&e, with(manager(), "org_metadata", json!({"isLicensed": false})), "edit", org_task());
    assert_eq!(reason(&d), (false, "forbidden:license_required"));

    let l = licensing();
    let admin = json!({"sub": "user_admin", "org_id": "org_team", "org_role": "org:admin"});
    let seat = |count: Value, licensed: Value| json!({"type": "seat", "org_id": "org_team", "license_count": count, "licensed_count": 3, "is_licensed": licensed});
    assert_eq!(reason(&decide(&l, admin.clone(), "assign", seat(json!(5), json!(false)))), (true, "permit"));
    for (count, licensed) in
        [(json!("5"), json!(false)), (json!(5), json!("false")), (json!(5), json!(0)), (json!(true), json!(false))]
    {
        let d = decide(&l, admin.clone(), "assign", seat(count.clone(), licensed.clone()));
        assert_eq!(reason(&d), (false, "invalid_resource"), "{count} {licensed}");
    }
}

#[test]
fn numbers_beyond_i64_and_floats_are_never_integers() {
    let l = licensing();
    let admin = json!({"sub": "user_admin", "org_id": "org_team", "org_role": "org:admin"});
    let seat = |count: Value| json!({"type": "seat", "org_id": "org_team", "license_count": count, "licensed_count": 3, "is_licensed": false});
    // `5.0` would compare as 5 if floats were accepted; 2^64 - 1 and 1e20 would wrap or saturate.
    for count in [json!(5.0), json!(5.5), json!(18_446_744_073_709_551_615u64), json!(1e20), json!(-0.0)] {
        let d = decide(&l, admin.clone(), "assign", seat(count.clone()));
        assert_eq!(reason(&d), (false, "invalid_resource"), "license_count = {count}");
    }
    let text = r#"{"type":"seat","org_id":"org_team","license_count":99999999999999999999999,"licensed_count":3,"is_licensed":false}"#;
    let d = l.decide_json(&admin.to_string(), "assign", text, None, Some(NOW));
    assert_eq!(reason(&d), (false, "invalid_resource"));
    // The edges of i64 are integers.
    let d = decide(&l, admin.clone(), "assign", seat(json!(i64::MAX)));
    assert_eq!(reason(&d), (true, "permit"));

    // Time claims: floats and out-of-range numbers are invalid, not rounded or clamped.
    let e = team_tasks();
    for key in ["exp", "nbf", "iat"] {
        for v in [json!(1.0e9), json!(NOW as f64), json!(18_446_744_073_709_551_615u64), json!(1e300)] {
            let d = decide(&e, with(manager(), key, v.clone()), "view", org_task());
            assert_eq!(reason(&d), (false, "invalid_claims"), "{key} = {v}");
        }
    }
}

#[test]
fn context_values_of_the_wrong_type_fail_the_rule_never_coerce() {
    // Context is free-form: a wrong type there makes the rule that reads it not match (and a
    // forbid reading it deny, see `forbid_errored` below), never compare as equal.
    let e = Engine::from_policy_text(
        "resource doc {}\naction read on doc\n\
         permit read on doc when context.n > 3\n\
         permit read on doc when context.flag == true\n\
         permit read on doc when context.id == \"1\"",
    )
    .unwrap();
    let s = Session::from_claims_json(r#"{"sub":"u"}"#).unwrap();
    let doc = ordinance::Resource::new("doc");
    let ctx = |v: Value| ordinance::Context::from_value(v).unwrap();
    let opts = |c| ordinance::Options::default().at(NOW).with_context(c);
    for bad in [
        json!({"n": "4"}),
        json!({"n": 4.5}),
        json!({"n": 18_446_744_073_709_551_615u64}),
        json!({"flag": "true"}),
        json!({"flag": 1}),
        json!({"id": 1}),
        json!({"n": null, "flag": null, "id": null}),
    ] {
        let d = e.decide_with(&s, "read", &doc, &opts(ctx(bad.clone())));
        assert_eq!(reason(&d), (false, "no_matching_rule"), "{bad}");
    }
    for good in [json!({"n": 4}), json!({"flag": true}), json!({"id": "1"})] {
        assert!(e.decide_with(&s, "read", &doc, &opts(ctx(good.clone()))).allowed, "{good}");
    }
    // The same wrong types in a forbid deny the request (fail closed).
    let f = Engine::from_policy_text(
        "resource doc {}\naction read on doc\npermit read on doc\nforbid read on doc when context.n > 3",
    )
    .unwrap();
    for bad in [json!({"n": "4"}), json!({"n": 4.5}), json!({"n": 18_446_744_073_709_551_615u64}), json!({"n": null})] {
        let d = f.decide_with(&s, "read", &doc, &opts(ctx(bad.clone())));
        assert_eq!(reason(&d), (false, "forbid_errored"), "{bad}");
    }
    assert!(f.decide_with(&s, "read", &doc, &opts(ctx(json!({"n": 2})))).allowed);
}

/// Every registered claim, each with every JSON type it must not have (null included).
#[test]
fn registered_claims_of_the_wrong_type_or_null_are_invalid_never_absent() {
    let e = team_tasks();
    let kinds = [
        ("null", Value::Null),
        ("bool", json!(true)),
        ("int", json!(1)),
        ("float", json!(1.5)),
        ("string", json!("x")),
        ("list", json!(["x"])),
        ("object", json!({"x": 1})),
    ];
    // claim -> kinds it may have
    let claims: [(&str, &[&str]); 18] = [
        ("sub", &["string"]),
        ("sid", &["string"]),
        ("azp", &["string"]),
        ("iss", &["string"]),
        ("jti", &["string"]),
        ("exp", &["int"]),
        ("nbf", &["int"]),
        ("iat", &["int"]),
        ("act", &["object"]),
        ("sts", &[]),
        ("fva", &[]),
        ("org_id", &["string"]),
        ("org_slug", &["string"]),
        ("org_role", &["string"]),
        ("org_permissions", &["list"]),
        ("org_metadata", &["object"]),
        ("fea", &["string"]),
        ("pla", &["string"]),
    ];
    let mut checked = 0;
    for (claim, allowed_kinds) in claims {
        for (kind, value) in &kinds {
            if allowed_kinds.contains(kind) {
                continue;
            }
            let d = decide(&e, with(manager(), claim, value.clone()), "view", org_task());
            assert_eq!(reason(&d), (false, "invalid_claims"), "{claim} as {kind}");
            checked += 1;
        }
    }
    // Lists must hold strings; `v` is 1 or 2; `o` is an object, and only in a v2 token.
    for bad in [json!([1]), json!([null]), json!([["org:tasks:view"]])] {
        let d = decide(&e, with(manager(), "org_permissions", bad.clone()), "view", org_task());
        assert_eq!(reason(&d), (false, "invalid_claims"), "org_permissions = {bad}");
    }
    for v in [Value::Null, json!("2"), json!(2.0), json!(3), json!(0), json!(true), json!([2]), json!({})] {
        let d = decide(&e, with(manager(), "v", v.clone()), "view", org_task());
        assert_eq!(reason(&d), (false, "invalid_claims"), "v = {v}");
        checked += 1;
    }
    for (_, value) in &kinds {
        let d = decide(&e, with(manager(), "o", value.clone()), "view", org_task());
        assert_eq!(reason(&d), (false, "invalid_claims"), "o = {value} in a v1 token");
    }
    // In a v2 token, `o` and each of its fields.
    let v2 =
        |o: Value| json!({"v": 2, "sub": "user_alice", "fea": "o:tasks", "o": o, "org_metadata": {"isLicensed": true}});
    let good_o = json!({"id": "org_team", "rol": "manager", "slg": "team", "per": "view,edit,manage", "fpm": "7"});
    // Well-formed, it decodes to `org:manager` with `org:tasks:{view,edit,manage}`.
    assert_eq!(reason(&decide(&e, v2(good_o.clone()), "edit", org_task())), (true, "permit"));
    for (kind, value) in &kinds {
        if *kind != "object" {
            let d = decide(&e, v2(value.clone()), "view", org_task());
            assert_eq!(reason(&d), (false, "invalid_claims"), "o as {kind}");
            checked += 1;
        }
        for field in ["id", "rol", "slg", "per", "fpm"] {
            if *kind == "string" {
                continue;
            }
            let d = decide(&e, v2(with(good_o.clone(), field, value.clone())), "view", org_task());
            assert_eq!(reason(&d), (false, "invalid_claims"), "o.{field} as {kind}");
            checked += 1;
        }
    }
    assert!(checked > 150, "{checked}");
}

#[test]
fn pending_sessions_carry_no_organization_authority() {
    // `sts: pending` is signed out until its tasks are done: its organization claims are
    // dropped, not used.
    let e = team_tasks();
    let d = decide(&e, with(manager(), "sts", json!("pending")), "view", org_task());
    assert_eq!(reason(&d), (false, "no_matching_rule"));
    let own = json!({"type": "task", "owner_id": "user_alice", "created_by_id": "user_alice"});
    assert_eq!(reason(&decide(&e, with(manager(), "sts", json!("pending")), "view", own)), (false, "no_matching_rule"));
}

#[test]
fn null_resource_attributes() {
    let e = team_tasks();
    // A required attribute that is null is invalid, never "absent, so skip the check".
    for attr in ["owner_id", "created_by_id"] {
        let d = decide(&e, manager(), "view", with(org_task(), attr, Value::Null));
        assert_eq!(reason(&d), (false, "invalid_resource"), "{attr}");
        assert!(d.error.unwrap().contains(&format!("attribute `{attr}` is null but not optional")));
    }
    // `type: null` is a missing type; `id: null` is no id.
    assert_eq!(
        reason(&decide(&e, manager(), "view", with(org_task(), "type", Value::Null))),
        (false, "invalid_resource")
    );
    assert_eq!(reason(&decide(&e, manager(), "view", with(org_task(), "id", Value::Null))), (true, "permit"));
    // An optional attribute that is null counts as absent, exactly like a missing one. In
    // calendar_scopes.ord an absent owner means "the user's own calendar" by design, so a
    // row serialized with `owner_id: null` is treated as the user's own: write policies so
    // that absence never widens access unless that is intended.
    let c = calendar();
    let user = json!({"sub": "user_1"});
    let ctx = json!({"approved_scopes": "https://www.googleapis.com/auth/calendar.readonly"});
    let null_owner = json!({"type": "calendar", "owner_id": null});
    let no_owner = json!({"type": "calendar"});
    let a = c.decide_value(user.clone(), "read_availability", null_owner, Some(ctx.clone()), Some(NOW));
    let b = c.decide_value(user, "read_availability", no_owner, Some(ctx), Some(NOW));
    assert_eq!(reason(&a), reason(&b));
    assert!(a.allowed);
}

#[test]
fn duplicate_json_keys_are_rejected_everywhere() {
    let e = team_tasks();
    let task = r#"{"type":"task","owner_id":"org_team","created_by_id":"user_bob"}"#;
    let claims = manager().to_string();
    // The second `org_id` would otherwise win and move the manager into another org.
    let dup_claims = r#"{"sub":"user_alice","org_id":"org_other","org_id":"org_team","org_role":"org:manager","org_metadata":{"isLicensed":true}}"#;
    assert_eq!(reason(&e.decide_json(dup_claims, "view", task, None, Some(NOW))), (false, "invalid_claims"));
    let nested = r#"{"sub":"user_alice","org_id":"org_team","org_role":"org:manager","org_metadata":{"isLicensed":false,"isLicensed":true}}"#;
    assert_eq!(reason(&e.decide_json(nested, "edit", task, None, Some(NOW))), (false, "invalid_claims"));
    let dup_resource = r#"{"type":"task","owner_id":"user_x","owner_id":"org_team","created_by_id":"user_bob"}"#;
    assert_eq!(reason(&e.decide_json(&claims, "view", dup_resource, None, Some(NOW))), (false, "invalid_resource"));
    let dup_type = r#"{"type":"room","type":"task","owner_id":"org_team","created_by_id":"user_bob"}"#;
    assert_eq!(reason(&e.decide_json(&claims, "view", dup_type, None, Some(NOW))), (false, "invalid_resource"));
    let dup_context = r#"{"approved_scopes":"a","approved_scopes":"b"}"#;
    assert_eq!(reason(&e.decide_json(&claims, "view", task, Some(dup_context), Some(NOW))), (false, "invalid_context"));
    let line = format!(r#"{{"claims":{claims},"action":"delete","action":"view","resource":{task},"now":{NOW}}}"#);
    assert_eq!(reason(&e.decide_request_json(&line)), (false, "invalid_request"));
    let ok_line = format!(r#"{{"claims":{claims},"action":"view","resource":{task},"now":{NOW}}}"#);
    assert_eq!(reason(&e.decide_request_json(&ok_line)), (true, "permit"));
    assert!(ordinance::Session::from_claims_json(r#"{"sub":"a","sub":"a"}"#).is_err(), "even equal duplicates");
}

#[test]
fn ids_actions_and_types_are_compared_exactly_no_normalisation() {
    let e = team_tasks();
    let bob = json!({"sub": "user_bob", "exp": NOW + 60});
    let own = |owner: &str| json!({"type": "task", "owner_id": owner, "created_by_id": owner});
    assert_eq!(reason(&decide(&e, bob.clone(), "edit", own("user_bob"))), (true, "permit"));
    for owner in [
        "User_bob",
        "USER_BOB",
        "user_bob ",
        " user_bob",
        "user_b\u{43e}b",          // Cyrillic о
        "user_bob\u{200b}",        // zero-width space
        "\u{ff55}ser_bob",         // fullwidth u
        "user_bo\u{0062}\u{0301}", // b + combining acute
    ] {
        let d = decide(&e, bob.clone(), "edit", own(owner));
        assert_eq!(reason(&d), (false, "no_matching_rule"), "{owner:?}");
    }
    // Precomposed and decomposed forms of the same text are different ids.
    let composed = json!({"sub": "user_\u{e9}", "exp": NOW + 60});
    assert_eq!(reason(&decide(&e, composed.clone(), "view", own("user_\u{e9}"))), (true, "permit"));
    assert_eq!(reason(&decide(&e, composed, "view", own("user_e\u{301}"))), (false, "no_matching_rule"));
    // Roles and permissions too: no case folding.
    let shouting =
        with(with(manager(), "org_role", json!("ORG:MANAGER")), "org_permissions", json!(["ORG:TASKS:MANAGE"]));
    assert_eq!(reason(&decide(&e, shouting, "edit", org_task())), (false, "no_matching_rule"));
    // Actions and types.
    for action in ["Edit", "EDIT", "edit ", " edit", "", "*", "ed\u{456}t", "archive"] {
        let d = decide(&e, manager(), action, org_task());
        assert_eq!(reason(&d), (false, "unknown_action"), "{action:?}");
    }
    for ty in ["Task", "TASK", "task ", "t\u{430}sk"] {
        let d = decide(&e, manager(), "view", with(org_task(), "type", json!(ty)));
        assert_eq!(reason(&d), (false, "unknown_resource_type"), "{ty:?}");
    }
}

#[test]
fn resource_type_missing_or_not_a_string() {
    let e = team_tasks();
    let cases = [
        (without(org_task(), "type"), "field `type` is missing"),
        (with(org_task(), "type", json!("")), "field `type` must not be empty"),
        (with(org_task(), "type", json!(1)), "field `type` must be a string, found a number"),
        (with(org_task(), "type", json!(["task"])), "field `type` must be a string, found a list"),
        (with(org_task(), "type", json!({"name": "task"})), "field `type` must be a string, found an object"),
        (with(org_task(), "type", json!(true)), "field `type` must be a string, found a boolean"),
        (with(org_task(), "id", json!(7)), "field `id` must be a string, found a number"),
        (json!(["task"]), "must be a JSON object, found a list"),
        (json!("task"), "must be a JSON object, found a string"),
    ];
    for (resource, message) in cases {
        let d = decide(&e, manager(), "view", resource.clone());
        assert_eq!(reason(&d), (false, "invalid_resource"), "{resource}");
        assert_eq!(d.error.as_deref(), Some(format!("invalid resource: {message}").as_str()));
    }
}

#[test]
fn empty_and_unknown_actions() {
    let e = team_tasks();
    for action in ["", " ", "unknown", "view,edit", "view edit", "\0", "view\n"] {
        let d = decide(&e, manager(), action, org_task());
        assert_eq!(reason(&d), (false, "unknown_action"), "{action:?}");
    }
    let line = |action: Value| json!({"claims": manager(), "action": action, "resource": org_task(), "now": NOW});
    for action in [Value::Null, json!(1), json!(["view"]), json!({"name": "view"})] {
        let d = e.decide_request(line(action.clone()));
        assert_eq!(reason(&d), (false, "invalid_request"), "{action}");
    }
    let mut no_action = line(json!("view"));
    no_action.as_object_mut().unwrap().remove("action");
    assert_eq!(reason(&e.decide_request(no_action)), (false, "invalid_request"));
    assert!(e
        .permitted_actions(
            &Session::from_claims(manager()).unwrap(),
            &ordinance::Resource::from_value(org_task()).unwrap(),
            &ordinance::Options::default().at(NOW)
        )
        .iter()
        .all(|a| !a.is_empty()));
}

#[test]
fn huge_and_malformed_fpm_values_in_v2_tokens() {
    let e = team_tasks();
    let v2 = |fea: &str, per: &str, fpm: &str| json!({"v": 2, "sub": "user_alice", "fea": fea, "o": {"id": "org_team", "rol": "viewer", "per": per, "fpm": fpm}});
    let view = |claims: Value| decide(&e, claims, "view", org_task());
    assert_eq!(reason(&view(v2("o:tasks", "view,edit", "1"))), (true, "permit"));
    let twenty_nines = "9".repeat(20);
    let thousand_digits = "1".repeat(1000);
    let bad = [
        ("18446744073709551615", "view,edit"), // u64::MAX: bits beyond the two names
        ("18446744073709551616", "view,edit"), // 2^64
        (twenty_nines.as_str(), "view,edit"),
        (thousand_digits.as_str(), "view,edit"),
        ("4", "view,edit"), // bit 2 with two names
        ("-1", "view,edit"),
        ("+1", "view,edit"),
        (" 1", "view,edit"),
        ("1 ", "view,edit"),
        ("0x1", "view,edit"),
        ("1e3", "view,edit"),
        ("1.0", "view,edit"),
        ("1,1", "view,edit"), // two masks, one org feature
        ("", "view,edit"),    // no mask for the feature
        (",", "view,edit"),
        ("\u{661}", "view,edit"), // Arabic-Indic digit one
    ];
    for (fpm, per) in bad {
        let d = view(v2("o:tasks", per, fpm));
        assert_eq!(reason(&d), (false, "invalid_claims"), "fpm = {fpm:?}");
    }
    // 64 names and an all-ones mask grant exactly those 64 permissions, no more.
    let names: Vec<String> = (0..64).map(|i| format!("p{i}")).collect();
    let s = Session::from_claims(v2("o:tasks", &names.join(","), "18446744073709551615")).unwrap();
    assert_eq!(s.org_permissions().len(), 64);
    assert_eq!(s.org_permissions()[63], "org:tasks:p63");
    // A mask list far longer than the features is refused, not truncated.
    let many = vec!["1"; 10_000].join(",");
    assert_eq!(reason(&view(v2("o:tasks", "view", &many))), (false, "invalid_claims"));
}

#[test]
fn raw_claims_objects_keep_their_shape() {
    // `claims.*` reads the raw claims, but a registered claim of the right type read there
    // cannot disagree with the session: it is the same value.
    let e = Engine::from_policy_text(
        "resource doc {}\naction read on doc\npermit read on doc when claims.org_id == org.id and claims.sub == user.id",
    )
    .unwrap();
    let d = e.decide_value(json!({"sub": "u", "org_id": "o"}), "read", json!({"type": "doc"}), None, Some(NOW));
    assert!(d.allowed);
    let mut map = Map::new();
    map.insert("sub".into(), json!("u"));
    let d = e.decide_value(Value::Object(map), "read", json!({"type": "doc"}), None, Some(NOW));
    assert_eq!(reason(&d), (false, "no_matching_rule"));
}
