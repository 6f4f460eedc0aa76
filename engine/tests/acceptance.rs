//! Acceptance checks written the way a new user reads the seed guides and the issues:
//! public API only, one expectation per behaviour the texts promise.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use ordinance::{Engine, Policy};
use serde_json::{json, Value};
use std::path::Path;

const NOW: i64 = 1_721_770_150;

fn engine(name: &str) -> Engine {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../policies"));
    Engine::new(Policy::from_file(dir.join(name)).unwrap())
}

fn decide(e: &Engine, claims: Value, action: &str, resource: Value, context: Option<Value>) -> Value {
    e.decide_value(claims, action, resource, context, Some(NOW)).to_json()
}

/// The RBAC guide's session claims, for one user in `org_1`.
fn member(sub: &str, role: &str, licensed: bool) -> Value {
    json!({
        "azp": "http://localhost:3005", "exp": NOW + 43, "iat": NOW - 17, "nbf": NOW - 27,
        "iss": "https://assuring-cod-50.clerk.accounts.dev", "jti": "daeb648e4c6dbfbdd2ce",
        "sid": "sess_1", "sub": sub, "org_id": "org_1", "org_slug": "d2-gamers",
        "org_role": role, "org_metadata": {"isLicensed": licensed}
    })
}

fn task(owner: &str, by: &str) -> Value {
    json!({"type": "task", "id": "42", "owner_id": owner, "created_by_id": by})
}

fn missing(d: &Value) -> Vec<(String, String)> {
    d["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["kind"].as_str().unwrap().to_owned(), m["name"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn decision_json_has_the_documented_shape() {
    let e = engine("team_tasks.ord");
    let d = decide(&e, member("user_bob", "org:member", true), "edit", task("org_1", "user_bob"), None);
    assert_eq!(d, json!({"allowed": true, "reason": "permit", "rule": "org_edit_own", "missing": []}));
    let d = decide(&e, member("user_bob", "org:member", true), "edit", task("org_1", "user_alice"), None);
    assert_eq!(d["allowed"], false);
    assert_eq!(d["reason"], "no_matching_rule");
    assert_eq!(d["rule"], Value::Null);
    assert!(d.get("error").is_none(), "{d}");
}

#[test]
fn member_editing_someone_elses_org_task_is_told_the_manage_permission() {
    let e = engine("team_tasks.ord");
    let d = decide(&e, member("user_bob", "org:member", true), "delete", task("org_1", "user_alice"), None);
    assert_eq!(d["allowed"], false);
    assert!(missing(&d).contains(&("permission".into(), "org:tasks:manage".into())), "{d}");
}

#[test]
fn viewer_creating_an_org_task_is_told_the_edit_permission() {
    let e = engine("team_tasks.ord");
    let d = decide(&e, member("user_charlie", "org:viewer", true), "create", task("org_1", "user_charlie"), None);
    assert_eq!(d["allowed"], false);
    assert!(missing(&d).contains(&("permission".into(), "org:tasks:edit".into())), "{d}");
}

#[test]
fn admin_role_has_every_task_permission() {
    let e = engine("team_tasks.ord");
    let admin = member("user_dana", "org:admin", true);
    let actions = e.permitted_actions(
        &ordinance::Session::from_claims(admin).unwrap(),
        &ordinance::Resource::from_value(task("org_1", "user_bob")).unwrap(),
        &ordinance::Options::default().at(NOW),
    );
    assert_eq!(actions, ["view", "create", "edit", "complete", "delete"]);
}

#[test]
fn unlicensed_member_license_rules() {
    let e = engine("team_tasks.ord");
    let bob = member("user_bob", "org:member", false);
    // Viewing the org's tasks needs no seat.
    assert_eq!(decide(&e, bob.clone(), "view", task("org_1", "user_alice"), None)["allowed"], true);
    // Working on them does, even on a task Bob created.
    let d = decide(&e, bob.clone(), "edit", task("org_1", "user_bob"), None);
    assert_eq!(d["allowed"], false);
    assert_eq!(d["reason"], "forbidden:license_required");
    assert!(missing(&d).iter().any(|(k, _)| k == "license"), "{d}");
    // A personal task is his while the org is active, licensed or not.
    for action in ["view", "create", "edit", "complete", "delete"] {
        let d = decide(&e, bob.clone(), action, task("user_bob", "user_bob"), None);
        assert_eq!(d["allowed"], true, "{action}: {d}");
    }
    // isLicensed absent entirely: no seat.
    let mut no_flag = bob.clone();
    no_flag["org_metadata"] = json!({});
    let d = decide(&e, no_flag, "create", task("org_1", "user_bob"), None);
    assert_eq!(d["reason"], "forbidden:license_required", "{d}");
}

#[test]
fn personal_account_owns_its_tasks_and_nothing_else() {
    let e = engine("team_tasks.ord");
    let me = json!({"sub": "user_me", "sid": "sess_9", "exp": NOW + 60, "nbf": NOW - 10});
    for action in ["view", "create", "edit", "complete", "delete"] {
        assert_eq!(decide(&e, me.clone(), action, task("user_me", "user_me"), None)["allowed"], true, "{action}");
        let d = decide(&e, me.clone(), action, task("org_1", "user_me"), None);
        assert_eq!(d["allowed"], false, "{action}");
        let d = decide(&e, me.clone(), action, task("user_other", "user_other"), None);
        assert_eq!(d["reason"], "no_matching_rule", "{action}");
    }
}

#[test]
fn permissions_only_apply_inside_their_own_org() {
    let e = engine("team_tasks.ord");
    let mut alice = member("user_alice", "org:manager", true);
    alice["org_permissions"] = json!(["org:tasks:view", "org:tasks:edit", "org:tasks:manage"]);
    for action in ["view", "create", "edit", "complete", "delete"] {
        let d = decide(&e, alice.clone(), action, task("org_2", "user_alice"), None);
        assert_eq!(d["allowed"], false, "{action}: {d}");
    }
}

#[test]
fn token_permissions_without_a_role_are_enough() {
    let e = engine("team_tasks.ord");
    let claims = json!({"sub": "user_x", "org_id": "org_1", "org_role": "org:custom",
        "org_permissions": ["org:tasks:view", "org:tasks:manage"], "org_metadata": {"isLicensed": true}});
    assert_eq!(decide(&e, claims, "edit", task("org_1", "user_bob"), None)["allowed"], true);
}

#[test]
fn expiry_and_not_before_with_the_documented_leeway() {
    let e = engine("team_tasks.ord");
    let mut c = member("user_bob", "org:member", true);
    // Clerk's SDK: expired when `exp <= now - skew` (5 s), not yet valid when `nbf > now + skew`.
    c["exp"] = json!(NOW - 4);
    assert_eq!(decide(&e, c.clone(), "view", task("org_1", "x"), None)["allowed"], true, "within 5 s leeway");
    c["exp"] = json!(NOW - 5);
    let d = decide(&e, c.clone(), "view", task("org_1", "x"), None);
    assert_eq!((d["allowed"].clone(), d["reason"].clone()), (json!(false), json!("session_expired")));
    let mut c = member("user_bob", "org:member", true);
    c["nbf"] = json!(NOW + 5);
    assert_eq!(decide(&e, c.clone(), "view", task("org_1", "x"), None)["allowed"], true, "within leeway");
    c["nbf"] = json!(NOW + 6);
    let d = decide(&e, c, "view", task("org_1", "x"), None);
    assert_eq!(d["reason"], "session_not_yet_valid");
    let mut c = member("user_bob", "org:member", true);
    c["iat"] = json!(NOW + 60);
    let d = decide(&e, c, "view", task("org_1", "x"), None);
    assert_eq!(d["allowed"], false, "issued in the future: {d}");
    // No `now` given: the clock decides, and this token expired in 2024.
    let d = e.decide_value(member("user_bob", "org:member", true), "view", task("org_1", "x"), None, None).to_json();
    assert_eq!(d["reason"], "session_expired");
}

#[test]
fn malformed_claims_are_invalid_claims_never_coerced() {
    let e = engine("team_tasks.ord");
    let base = member("user_bob", "org:member", true);
    let cases: Vec<(&str, Value)> = vec![
        ("org_permissions", json!("org:tasks:view")),
        ("org_permissions", json!(null)),
        ("org_role", json!(7)),
        ("org_id", json!(null)),
        ("sub", json!(42)),
        ("exp", json!("1721770193")),
        ("exp", json!(1.5e9)),
        ("nbf", json!(null)),
        ("org_metadata", json!("licensed")),
    ];
    for (key, bad) in cases {
        let mut c = base.clone();
        c[key] = bad.clone();
        let d = decide(&e, c, "view", task("org_1", "user_bob"), None);
        assert_eq!(d["allowed"], false, "{key}={bad}");
        assert_eq!(d["reason"], "invalid_claims", "{key}={bad}: {d}");
        assert!(d["error"].as_str().is_some_and(|s| !s.is_empty()), "{key}: {d}");
    }
    // Org claims without an org id.
    let c = json!({"sub": "user_bob", "org_role": "org:admin", "org_permissions": ["org:tasks:manage"]});
    assert_eq!(decide(&e, c, "view", task("org_1", "user_bob"), None)["reason"], "invalid_claims");
    // Not an object at all.
    assert_eq!(decide(&e, json!([1]), "view", task("org_1", "user_bob"), None)["reason"], "invalid_claims");
}

#[test]
fn is_licensed_as_a_string_is_not_a_seat() {
    let e = engine("team_tasks.ord");
    let mut c = member("user_bob", "org:member", true);
    c["org_metadata"] = json!({"isLicensed": "true"});
    let d = decide(&e, c, "edit", task("org_1", "user_bob"), None);
    assert_eq!(d["allowed"], false, "{d}");
}

#[test]
fn clerk_v2_token_decides_like_v1() {
    let e = engine("team_tasks.ord");
    let v2 = json!({"v": 2, "sub": "user_alice", "sid": "sess_1", "exp": NOW + 60, "nbf": NOW - 10,
        "iat": NOW - 10, "o": {"id": "org_1", "slg": "d2-gamers", "rol": "manager"}});
    // v2 has no org_metadata: Alice (manager) may view, but seats gate editing.
    assert_eq!(decide(&e, v2.clone(), "view", task("org_1", "user_bob"), None)["allowed"], true);
    let v1 = json!({"sub": "user_alice", "sid": "sess_1", "exp": NOW + 60, "nbf": NOW - 10,
        "iat": NOW - 10, "org_id": "org_1", "org_slug": "d2-gamers", "org_role": "org:manager"});
    for action in ["view", "create", "edit", "complete", "delete"] {
        for t in [task("org_1", "user_bob"), task("user_alice", "user_alice"), task("org_2", "user_alice")] {
            assert_eq!(
                decide(&e, v2.clone(), action, t.clone(), None),
                decide(&e, v1.clone(), action, t.clone(), None),
                "{action} {t}"
            );
        }
    }
    // A v2 personal session: no `o` at all.
    let personal = json!({"v": 2, "sub": "user_me", "exp": NOW + 60});
    assert_eq!(decide(&e, personal.clone(), "edit", task("user_me", "user_me"), None)["allowed"], true);
    assert_eq!(decide(&e, personal, "view", task("org_1", "user_me"), None)["allowed"], false);
}

#[test]
fn clerk_v2_strictness() {
    let e = engine("team_tasks.ord");
    let base = json!({"v": 2, "sub": "user_a", "exp": NOW + 60,
        "fea": "o:repositories,uo:projects,u:goldprofileborder",
        "o": {"id": "org_1", "rol": "admin", "per": "read,create,update,delete,revoke", "fpm": "7,21"}});
    assert_eq!(decide(&e, base.clone(), "view", task("org_1", "x"), None)["allowed"], true);
    let bad: Vec<Value> = vec![
        {
            let mut c = base.clone();
            c["o"]["fpm"] = json!("7,64");
            c
        },
        {
            let mut c = base.clone();
            c["o"]["fpm"] = json!("7,x");
            c
        },
        {
            let mut c = base.clone();
            c["fea"] = json!("repositories,uo:projects");
            c
        },
        {
            let mut c = base.clone();
            c["fea"] = json!("z:repositories,uo:projects");
            c
        },
        {
            let mut c = base.clone();
            c["o"]["fpm"] = json!("7");
            c
        },
        {
            let mut c = base.clone();
            c["o"] = json!("org_1");
            c
        },
    ];
    for c in bad {
        let d = decide(&e, c.clone(), "view", task("org_1", "x"), None);
        assert_eq!(d["reason"], "invalid_claims", "{c}: {d}");
    }
}

#[test]
fn input_errors_have_their_own_reasons() {
    let e = engine("team_tasks.ord");
    let c = member("user_bob", "org:member", true);
    assert_eq!(decide(&e, c.clone(), "archive", task("org_1", "x"), None)["reason"], "unknown_action");
    assert_eq!(decide(&e, c.clone(), "", task("org_1", "x"), None)["reason"], "unknown_action");
    assert_eq!(
        decide(&e, c.clone(), "view", json!({"type": "project", "owner_id": "org_1"}), None)["reason"],
        "unknown_resource_type"
    );
    assert_eq!(decide(&e, c.clone(), "view", json!({"owner_id": "org_1"}), None)["reason"], "invalid_resource");
    assert_eq!(decide(&e, c.clone(), "view", json!({"type": 3}), None)["reason"], "invalid_resource");
    let d = decide(&e, c.clone(), "View", task("org_1", "x"), None);
    assert_eq!(d["allowed"], false, "actions are case-sensitive");
    // A required attribute left out never allows.
    let d = decide(&e, c, "edit", json!({"type": "task", "owner_id": "org_1"}), None);
    assert_eq!(d["allowed"], false, "{d}");
}

#[test]
fn decide_json_and_decide_request_agree_with_decide_value() {
    let e = engine("team_tasks.ord");
    let c = member("user_bob", "org:member", true);
    let t = task("org_1", "user_bob");
    let a = e.decide_value(c.clone(), "edit", t.clone(), None, Some(NOW)).to_json();
    let b = e.decide_json(&c.to_string(), "edit", &t.to_string(), None, Some(NOW)).to_json();
    let r = e.decide_request(json!({"claims": c, "action": "edit", "resource": t, "now": NOW})).to_json();
    assert_eq!(a, b);
    assert_eq!(a, r);
    let bad = e.decide_request_json("{not json").to_json();
    assert_eq!(bad["allowed"], false);
    assert_eq!(bad["reason"], "invalid_request");
}

#[test]
fn calendar_scopes_list_exactly_what_to_request() {
    let e = engine("calendar_scopes.ord");
    let me = json!({"sub": "user_me", "exp": NOW + 60});
    let cal = json!({"type": "calendar", "owner_id": "user_me"});
    let ro = "https://www.googleapis.com/auth/calendar.readonly";
    let ev = "https://www.googleapis.com/auth/calendar.events";
    let d = decide(
        &e,
        me.clone(),
        "book_direct",
        cal.clone(),
        Some(json!({"approved_scopes": format!("openid email {ro}")})),
    );
    assert_eq!(d["allowed"], false);
    assert_eq!(missing(&d), vec![("scope".to_owned(), ev.to_owned())]);
    let d = decide(&e, me.clone(), "book_direct", cal.clone(), Some(json!({"approved_scopes": []})));
    let mut want = vec![("scope".to_owned(), ro.to_owned()), ("scope".to_owned(), ev.to_owned())];
    let mut got = missing(&d);
    want.sort();
    got.sort();
    assert_eq!(got, want);
    let d = decide(&e, me.clone(), "book_direct", cal.clone(), Some(json!({"approved_scopes": [ro, ev]})));
    assert_eq!(d["allowed"], true);
    let d =
        decide(&e, me.clone(), "read_availability", json!({"type": "calendar"}), Some(json!({"approved_scopes": ro})));
    assert_eq!(d["allowed"], true);
    // Someone else's calendar: no scope helps.
    let d = decide(
        &e,
        me,
        "read_availability",
        json!({"type": "calendar", "owner_id": "user_x"}),
        Some(json!({"approved_scopes": ro})),
    );
    assert_eq!(d["allowed"], false);
    assert!(!missing(&d).iter().any(|(k, _)| k == "scope"), "{d}");
}

#[test]
fn rooms_owner_or_active_org() {
    let e = engine("rooms.ord");
    let me = json!({"sub": "user_me", "org_id": "org_1", "org_role": "org:member"});
    let room = |o: &str| json!({"type": "room", "id": "r1", "owner_id": o});
    assert_eq!(decide(&e, me.clone(), "enter", room("user_me"), None)["allowed"], true);
    assert_eq!(decide(&e, me.clone(), "enter", room("org_1"), None)["allowed"], true);
    assert_eq!(decide(&e, me.clone(), "enter", room("org_2"), None)["allowed"], false);
    assert_eq!(decide(&e, me, "enter", room("user_other"), None)["allowed"], false);
    let anon = json!({});
    assert_eq!(decide(&e, anon, "enter", room("org_1"), None)["allowed"], false);
}

#[test]
fn licensing_seats() {
    let e = engine("licensing.ord");
    let admin = json!({"sub": "user_a", "org_id": "org_1", "org_role": "org:admin"});
    let by_perm = json!({"sub": "user_b", "org_id": "org_1", "org_role": "org:ops", "org_permissions": ["org:sys_memberships:manage"]});
    let plain = json!({"sub": "user_c", "org_id": "org_1", "org_role": "org:member"});
    let seat = |count: i64, used: i64, lic: bool, org: &str| json!({"type": "seat", "org_id": org, "license_count": count, "licensed_count": used, "is_licensed": lic});
    assert_eq!(decide(&e, admin.clone(), "assign", seat(5, 4, false, "org_1"), None)["allowed"], true);
    assert_eq!(decide(&e, by_perm.clone(), "assign", seat(5, 4, false, "org_1"), None)["allowed"], true);
    assert_eq!(decide(&e, admin.clone(), "assign", seat(5, 5, false, "org_1"), None)["allowed"], false);
    assert_eq!(decide(&e, admin.clone(), "assign", seat(5, 4, true, "org_1"), None)["allowed"], false);
    assert_eq!(decide(&e, admin.clone(), "assign", seat(5, 4, false, "org_2"), None)["allowed"], false);
    assert_eq!(decide(&e, admin.clone(), "unassign", seat(5, 5, true, "org_1"), None)["allowed"], true);
    assert_eq!(decide(&e, plain, "unassign", seat(5, 5, true, "org_1"), None)["allowed"], false);
    // Integers are not coerced from strings.
    let d = decide(
        &e,
        admin,
        "assign",
        json!({"type": "seat", "org_id": "org_1", "license_count": "5", "licensed_count": 4, "is_licensed": false}),
        None,
    );
    assert_eq!(d["allowed"], false);
}

#[test]
fn forbid_that_errors_denies() {
    let e = Engine::from_policy_text(
        "resource doc { owner_id: string, level?: int }\naction read on doc\n\
         permit read on doc when resource.owner_id == user.id\n\
         forbid read on doc when resource.level > 3 because \"too_secret\"\n",
    )
    .unwrap();
    let me = json!({"sub": "user_me"});
    let d = decide(&e, me.clone(), "read", json!({"type": "doc", "owner_id": "user_me", "level": 5}), None);
    assert_eq!(d["reason"], "forbidden:too_secret");
    let d = decide(&e, me.clone(), "read", json!({"type": "doc", "owner_id": "user_me"}), None);
    assert_eq!(d["allowed"], false, "{d}");
    assert_eq!(d["reason"], "forbid_errored", "{d}");
    let d = decide(&e, me, "read", json!({"type": "doc", "owner_id": "user_me", "level": 1}), None);
    assert_eq!(d["allowed"], true);
}

#[test]
fn policy_errors_point_at_line_and_column_with_help() {
    let src = "permission org:tasks:view \"View\"\nrole org:viewer = [org:tasks:veiw]\n";
    let err = Policy::parse_named("p.ord", src).unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!((d.line, d.column), (2, 20), "{err}");
    assert!(d.help.as_deref().unwrap_or("").contains("org:tasks:view"), "{err}");
    let text = err.to_string();
    assert!(text.contains("p.ord:2:20"), "{text}");
    assert!(text.contains('^'), "{text}");

    // A syntax error: the missing `when` condition.
    let src = "resource task { owner_id: string }\naction view on task\npermit view on task when\n";
    let err = Policy::parse(src).unwrap_err();
    let d = &err.diagnostics()[0];
    // Right after the dangling `when`, not on the empty line the trailing newline leaves.
    assert_eq!((d.line, d.column), (3, 25), "{err}");
    assert!(d.help.is_some() || d.message.contains("expected"), "{err}");

    // Type mismatch.
    let src =
        "resource task { owner_id: string }\naction view on task\npermit view on task when resource.owner_id == 3\n";
    let err = Policy::parse(src).unwrap_err();
    assert_eq!(err.diagnostics()[0].line, 3, "{err}");

    // Unknown action on a declared resource.
    let src = "resource task { owner_id: string }\naction view on task\npermit edit on task when resource.owner_id == user.id\n";
    let err = Policy::parse(src).unwrap_err();
    let d = err.diagnostics().iter().find(|d| d.message.contains("unknown action")).expect("unknown action");
    assert_eq!((d.line, d.column), (3, 8), "{err}");
    assert!(d.help.is_some(), "{err}");
    // Every diagnostic carries a one-line fix hint.
    for d in err.diagnostics() {
        assert!(d.help.as_deref().is_some_and(|h| !h.is_empty() && !h.contains('\n')), "{err}");
    }

    // Duplicate permission: both places are named.
    let src = "permission a:b \"x\"\npermission a:b \"y\"\n";
    let err = Policy::parse(src).unwrap_err();
    assert_eq!(err.diagnostics()[0].line, 2, "{err}");
    assert!(err.diagnostics()[0].related.is_some(), "{err}");
}

#[test]
fn explain_names_every_rule_and_its_outcome() {
    let e = engine("team_tasks.ord");
    let s = ordinance::Session::from_claims(member("user_bob", "org:member", false)).unwrap();
    let r = ordinance::Resource::from_value(task("org_1", "user_bob")).unwrap();
    let x = e.explain(&s, "edit", &r, &ordinance::Options::default().at(NOW));
    let text = x.to_string();
    for id in ["license_required", "personal_task", "org_manage", "org_edit_own"] {
        assert!(text.contains(id), "{id} missing from:\n{text}");
    }
    let v = serde_json::to_value(&x).unwrap();
    assert!(v.is_object(), "{v}");
}

#[test]
fn every_policy_error_has_a_position_and_a_one_line_help() {
    let head = "permission org:tasks:view \"View\"\nresource task { owner_id: string }\naction view on task\n";
    let bodies = [
        "permit view on task when resource.owner_id == user.id && has(org:tasks:view)\n",
        "permit view on task when resource.owner_id == user.id because license_required\n",
        "permit view on task when resource.owner_id == \"abc\n",
        "permit view on tsk when resource.owner_id == user.id\n",
        "permit view on task when has(org:tasks:veiw)\n",
        "permit view on task when has_role(org:nope)\n",
        "resource doc { title: str }\n",
        "resource doc { title: string\npermit view on task when user\n",
        "permit view on task where user\n",
        "permit view on task when resource.owner_id > 3\n",
        "permit view on task when (user\n",
        "permit view on task when resource.\n",
        "permit view on task when resource.owner_id == -x\n",
        "@id(\"x\") role org:r = [org:tasks:view]\n",
        "@id(x) permit view on task when user\n",
        "action \"view\" on task\n",
        "resource permit { a: string }\n",
        "role org:r = [\"org:tasks:view\"]\n",
        "role org:r = [42]\n",
        "permit view on task when user because 42\n",
        "permission org:x 42\n",
        "permit view on task when 42\n",
    ];
    for b in bodies {
        let src = format!("{head}{b}");
        let err = Policy::parse_named("p.ord", &src).expect_err(b);
        for d in err.diagnostics() {
            assert!(d.line >= 1 && d.column >= 1, "{err}");
            let help = d.help.as_deref().unwrap_or("");
            assert!(!help.is_empty() && !help.contains('\n'), "no help for {b:?}:\n{err}");
        }
        assert!(err.to_string().starts_with("p.ord:"), "{err}");
    }
}

#[test]
fn authzen_answers_in_the_spec_shape_with_hints_in_words() {
    let e = engine("team_tasks.ord");
    let t = json!({"type": "task", "id": "1", "properties": {"owner_id": "org_1", "created_by_id": "user_alice"}});
    let bob = |licensed: bool| {
        json!({"type": "user", "id": "user_bob",
            "properties": {"org_id": "org_1", "org_role": "org:member", "org_metadata": {"isLicensed": licensed}}})
    };
    let ask = |subject: Value, action: &str| {
        e.evaluate_at(&json!({"subject": subject, "action": {"name": action}, "resource": t.clone()}), NOW).unwrap()
    };
    assert_eq!(ask(bob(true), "view"), json!({"decision": true}));
    let d = ask(bob(true), "edit");
    assert_eq!(d["decision"], false);
    assert_eq!(d["context"]["reason_user"]["403"], "requires the `org:tasks:manage` permission");
    let d = ask(bob(false), "create");
    assert_eq!(d["context"]["reason"], "forbidden:license_required");
    assert_eq!(d["context"]["reason_user"]["403"], "license required");
    let d = ask(json!({"type": "user", "id": "user_bob", "properties": {"exp": 100}}), "view");
    assert_eq!(d["context"]["reason_admin"]["401"], "session_expired");
    // A request without an action is a bad request (HTTP 400), not a deny.
    assert!(e.evaluate_at(&json!({"subject": bob(true), "resource": t.clone()}), NOW).is_err());
    assert!(e.evaluate_at(&json!([]), NOW).is_err());
    // Batch with deny_on_first_deny stops after the first deny.
    let batch = json!({"subject": bob(true), "resource": t, "options": {"evaluations_semantic": "deny_on_first_deny"},
        "evaluations": [{"action": {"name": "view"}}, {"action": {"name": "edit"}}, {"action": {"name": "create"}}]});
    let out = e.evaluations_at(&batch, NOW).unwrap();
    let items = out["evaluations"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{out}");
    assert_eq!((items[0]["decision"].clone(), items[1]["decision"].clone()), (json!(true), json!(false)));
}

#[test]
fn more_claim_edge_cases() {
    let e = engine("team_tasks.ord");
    let mine = task("user_bob", "user_bob");
    let base = member("user_bob", "org:member", true);
    let reason = |c: Value| decide(&e, c, "view", mine.clone(), None)["reason"].clone();
    let mut c = base.clone();
    c["org_permissions"] = json!(["org:tasks:view", 7]);
    assert_eq!(reason(c), "invalid_claims");
    let mut c = base.clone();
    c["exp"] = json!(18_446_744_073_709_551_615u64);
    assert_eq!(reason(c), "invalid_claims");
    let mut c = base.clone();
    c["org_metadata"]["isLicensed"] = json!(1);
    assert_eq!(decide(&e, c, "edit", task("org_1", "user_bob"), None)["reason"], "invalid_claims");
    // Duplicate keys in claims JSON are rejected, not last-wins.
    let dup = r#"{"sub":"user_bob","org_id":"org_1","org_role":"org:viewer","org_role":"org:admin","org_metadata":{"isLicensed":true}}"#;
    let d = e.decide_json(dup, "delete", &task("org_1", "user_alice").to_string(), None, Some(NOW)).to_json();
    assert_eq!(d["reason"], "invalid_claims", "{d}");
    // Ids are compared exactly: no case folding, no Unicode normalisation.
    let d = decide(&e, base.clone(), "view", task("ORG_1", "user_bob"), None);
    assert_eq!(d["allowed"], false);
    let d = decide(&e, base.clone(), "view", task("org\u{FF11}", "user_bob"), None);
    assert_eq!(d["allowed"], false);
    // A resource attribute of the wrong type, and a non-object context.
    let d = decide(&e, base.clone(), "view", json!({"type": "task", "owner_id": 1, "created_by_id": "x"}), None);
    assert_eq!(d["reason"], "invalid_resource");
    let d = decide(&e, base.clone(), "view", mine.clone(), Some(json!("scopes")));
    assert_eq!(d["reason"], "invalid_context");
    // An expired session is allowed nothing at all.
    let mut c = base;
    c["exp"] = json!(NOW - 3600);
    let s = ordinance::Session::from_claims(c).unwrap();
    let r = ordinance::Resource::from_value(mine).unwrap();
    assert!(e.permitted_actions(&s, &r, &ordinance::Options::default().at(NOW)).is_empty());
}
