//! Conformance of the policy language with `docs/language.md`: one or more black-box tests
//! per table row and per sentence of the document that states a behaviour, through the
//! public API only. Every decision is also checked against the reference interpreter
//! (`ordinance::reference::reference_decide`), so the two evaluators must agree with the
//! document, not just with each other.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use ordinance::reference::reference_decide;
use ordinance::{Context, Decision, Engine, Limits, Options, Policy, Resource, Session};
use serde_json::{json, Value};

const NOW: i64 = 1_700_000_000;

// ------------------------------------------------------------------------------ helpers

/// A policy that must be accepted, with its engine.
struct T {
    policy: Policy,
    engine: Engine,
}

fn t(text: &str) -> T {
    let policy = Policy::parse(text).unwrap_or_else(|e| panic!("policy rejected:\n{e}\n---\n{text}"));
    T { engine: Engine::new(policy.clone()), policy }
}

impl T {
    /// Decides at `NOW` and checks the reference interpreter agrees on allowed, reason, rule.
    /// The JSON text entry point (`decide_json`, with its one-pass claims reader) must give
    /// the same decision, `missing` included.
    fn at(&self, now: i64, claims: Value, action: &str, resource: Value, context: Option<Value>) -> Decision {
        let texts = (claims.to_string(), resource.to_string(), context.as_ref().map(Value::to_string));
        let mut request = json!({"claims": claims, "action": action, "resource": resource, "now": now});
        if let Some(c) = &context {
            request["context"] = c.clone();
        }
        let from_request = self.engine.decide_request(request);
        let session = Session::from_claims(claims).unwrap_or_else(|e| panic!("claims rejected: {e}"));
        let resource = Resource::from_value(resource).unwrap_or_else(|e| panic!("resource rejected: {e}"));
        let context = context.map(|c| Context::from_value(c).unwrap()).unwrap_or_default();
        let from_text = self.engine.decide_json(&texts.0, action, &texts.1, texts.2.as_deref(), Some(now));
        let opts = Options::default().at(now).with_context(context.clone());
        let d = self.engine.decide_with(&session, action, &resource, &opts);
        let (allowed, reason, rule) = reference_decide(&self.policy, &session, action, &resource, &context, now);
        assert_eq!(
            (d.allowed, d.reason.as_str(), d.rule.as_deref()),
            (allowed, reason.as_str(), rule.as_deref()),
            "engine and reference disagree"
        );
        assert_eq!(d.to_json(), from_text.to_json(), "decide_with and decide_json disagree");
        assert_eq!(d.to_json(), from_request.to_json(), "decide_with and decide_request disagree");
        d
    }

    fn d(&self, claims: Value, action: &str, resource: Value) -> Decision {
        self.at(NOW, claims, action, resource, None)
    }

    fn dc(&self, claims: Value, action: &str, resource: Value, context: Value) -> Decision {
        self.at(NOW, claims, action, resource, Some(context))
    }

    /// Through `decide_value` (for inputs the typed constructors reject).
    fn raw(&self, claims: Value, action: &str, resource: Value, context: Option<Value>) -> Decision {
        self.engine.decide_value(claims, action, resource, context, Some(NOW))
    }
}

/// The diagnostics of a policy that must be rejected: (code, line, column, message, help).
fn errors(text: &str) -> Vec<(String, usize, usize, String, String)> {
    let err = match Policy::parse(text) {
        Ok(_) => panic!("policy accepted, expected an error:\n{text}"),
        Err(e) => e,
    };
    let rendered = err.to_string();
    assert!(rendered.contains("policy:"), "rendered report names file:line:col: {rendered}");
    err.diagnostics()
        .iter()
        .map(|l| {
            let help = l.help.clone().unwrap_or_default();
            assert!(!help.is_empty(), "every diagnostic has a help line: {l:?}");
            assert!(!help.contains('\n'), "the help is one line: {help}");
            (l.code.clone(), l.line, l.column, l.message.clone(), help)
        })
        .collect()
}

/// The single error of a rejected policy.
fn error(text: &str) -> (String, usize, usize, String, String) {
    let mut all = errors(text);
    assert_eq!(all.len(), 1, "expected exactly one error, got {all:#?}");
    all.remove(0)
}

fn allowed(d: &Decision) -> bool {
    d.allowed && d.reason.as_str() == "permit"
}

fn missing(d: &Decision) -> Value {
    d.to_json()["missing"].clone()
}

fn user(sub: &str) -> Value {
    json!({ "sub": sub, "sid": "sess_1", "exp": NOW + 60, "iat": NOW - 10, "nbf": NOW - 10 })
}

fn with(mut base: Value, extra: Value) -> Value {
    if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
        b.extend(e);
    }
    base
}

fn member(sub: &str, role: &str) -> Value {
    with(user(sub), json!({ "org_id": "org_1", "org_slug": "acme", "org_role": role }))
}

/// A one-type policy with a `doc` resource and a `read` action, permitting `read` when `cond`.
fn cond_policy(decls: &str, cond: &str) -> T {
    t(&format!("{decls}\nresource doc {{ owner: string, n: int, flag: bool, tags: [string], note?: string }}\naction read on doc\npermit read on doc when {cond}\n"))
}

fn doc() -> Value {
    json!({ "type": "doc", "id": "d1", "owner": "user_1", "n": 5, "flag": true, "tags": ["a", "b"] })
}

/// Allowed? for `permit read on doc when COND` with the given claims and context.
fn holds(cond: &str, claims: Value, context: Value) -> bool {
    cond_policy("", cond).dc(claims, "read", doc(), context).allowed
}

/// The decision of `forbid read on doc when COND` next to an always-matching permit: a
/// condition that errors shows as `forbid_errored`.
fn forbid_reason(decls: &str, cond: &str, claims: Value, context: Value) -> String {
    let p = t(&format!(
        "{decls}\nresource doc {{ owner: string, n: int, flag: bool, tags: [string], note?: string }}\naction read on doc\npermit read on doc\nforbid read on doc when {cond}\n"
    ));
    p.dc(claims, "read", doc(), context).reason.to_string()
}

const TEAM: &str = r#"
permission org:tasks:view   "View tasks"
permission org:tasks:edit   "Create tasks and edit their own"
permission org:tasks:manage "Edit all tasks"

role org:viewer  = [org:tasks:view]
role org:member  = [org:tasks:view, org:tasks:edit]
role org:manager = [org:tasks:view, org:tasks:edit, org:tasks:manage]
role org:admin   = [org:tasks:*]

resource task { owner_id: string, created_by_id: string }
action view, create, edit, complete, delete on task
license org.metadata.isLicensed

@id("license_required")
forbid create, edit, complete, delete on task
  when org and resource.owner_id == org.id and not licensed
  because "license_required"

@id("personal_task")
permit * on task when resource.owner_id == user.id

@id("org_edit_own")
permit edit, complete, delete on task
  when org and resource.owner_id == org.id
   and has(org:tasks:edit) and resource.created_by_id == user.id
"#;

fn task(owner: &str, by: &str) -> Value {
    json!({ "type": "task", "id": "t1", "owner_id": owner, "created_by_id": by })
}

fn licensed_member(sub: &str, role: &str, licensed: bool) -> Value {
    with(member(sub, role), json!({ "org_metadata": { "isLicensed": licensed } }))
}

// ------------------------------------------------------------------------------ the example

#[test]
fn doc_example_policy_parses_and_decides_as_described() {
    let p = t(TEAM);
    // Personal task: the user's in any session, licensed or not.
    let d = p.d(licensed_member("user_1", "org:member", false), "edit", task("user_1", "user_1"));
    assert!(allowed(&d));
    assert_eq!(d.rule.as_deref(), Some("personal_task"));
    // An org task created by the member, licensed: org_edit_own.
    let d = p.d(licensed_member("user_1", "org:member", true), "edit", task("org_1", "user_1"));
    assert_eq!(d.rule.as_deref(), Some("org_edit_own"));
    // Unlicensed: the forbid wins, with its `because` code.
    let d = p.d(licensed_member("user_1", "org:member", false), "edit", task("org_1", "user_1"));
    assert_eq!((d.allowed, d.reason.as_str()), (false, "forbidden:license_required"));
    assert_eq!(d.rule.as_deref(), Some("license_required"));
    // Personal session: the forbid is guarded by `org`, so it does not fail closed.
    let d = p.d(user("user_1"), "delete", task("user_1", "user_1"));
    assert!(allowed(&d));
}

#[test]
fn shipped_team_tasks_policy_parses() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/team_tasks.ord");
    assert!(Policy::from_file(path).is_ok());
}

// ------------------------------------------------------------------------------ Semantics

#[test]
fn semantics_deny_by_default_and_forbid_beats_permit() {
    let p = t("resource doc {}\naction read, write on doc\npermit read on doc\npermit write on doc when user\nforbid write on doc when session.actor");
    let d = p.d(user("u"), "read", json!({"type": "doc"}));
    assert!(allowed(&d));
    // No permit matches (anonymous): deny by default.
    let d = p.d(json!({}), "write", json!({"type": "doc"}));
    assert_eq!((d.allowed, d.reason.as_str()), (false, "no_matching_rule"));
    assert_eq!(d.rule, None);
    // Both match: the forbid wins.
    let d = p.d(with(user("u"), json!({"act": {"sub": "user_admin"}})), "write", json!({"type": "doc"}));
    assert_eq!((d.allowed, d.reason.as_str()), (false, "forbidden:policy:5"));
}

#[test]
fn semantics_error_makes_a_permit_not_match_and_a_forbid_deny() {
    // `claims.level` is a string, compared with an integer: an error, never coerced.
    let claims = with(user("u"), json!({"level": "3"}));
    assert!(!holds("claims.level == 3", claims.clone(), json!({})));
    assert!(!holds("not (claims.level == 3)", claims.clone(), json!({})));
    assert_eq!(forbid_reason("", "claims.level == 3", claims.clone(), json!({})), "forbid_errored");
    // `"true"` is not `true`.
    let claims = with(user("u"), json!({"admin": "true"}));
    assert!(!holds("claims.admin == true", claims.clone(), json!({})));
    assert!(!holds("claims.admin", claims.clone(), json!({})));
    // A missing attribute is an error too.
    assert!(!holds("claims.nope == 1", user("u"), json!({})));
    assert_eq!(forbid_reason("", "claims.nope == 1", user("u"), json!({})), "forbid_errored");
}

#[test]
fn semantics_forbid_errored_names_the_rule() {
    let p =
        t("resource doc {}\naction read on doc\npermit read on doc\n@id(\"f\") forbid read on doc when claims.x == 1");
    let d = p.d(user("u"), "read", json!({"type": "doc"}));
    assert_eq!((d.allowed, d.reason.as_str(), d.rule.as_deref()), (false, "forbid_errored", Some("f")));
}

#[test]
fn semantics_unguarded_forbid_on_org_id_denies_personal_requests() {
    let p = t("resource doc { owner: string }\naction read on doc\npermit read on doc\nforbid read on doc when resource.owner == org.id");
    let d = p.d(user("u"), "read", json!({"type": "doc", "owner": "org_1"}));
    assert_eq!(d.reason.as_str(), "forbid_errored");
    let p = t("resource doc { owner: string }\naction read on doc\npermit read on doc\nforbid read on doc when org and resource.owner == org.id");
    assert!(allowed(&p.d(user("u"), "read", json!({"type": "doc", "owner": "org_1"}))));
}

#[test]
fn semantics_rules_apply_only_to_the_pairs_they_name() {
    let p = t("resource a {}\nresource b {}\naction read on a, b\npermit read on a\npermit read on b when user\nforbid read on b when session.actor");
    let imp = with(user("u"), json!({"act": {"sub": "x"}}));
    assert!(allowed(&p.d(imp.clone(), "read", json!({"type": "a"}))));
    assert!(!p.d(imp, "read", json!({"type": "b"})).allowed);
    assert!(!p.d(json!({}), "read", json!({"type": "b"})).allowed);
}

// ------------------------------------------------------------------------------ Declarations

#[test]
fn declaration_permission_with_and_without_description() {
    let p = t("permission org:a:b \"desc\"\npermission org:a:c\npermission solo\nresource doc {}\naction read on doc\npermit read on doc when has(org:a:c) or has(solo)");
    let claims = with(member("u", "org:x"), json!({"org_permissions": ["org:a:c"]}));
    assert!(allowed(&p.d(claims, "read", json!({"type": "doc"}))));
    let claims = with(member("u", "org:x"), json!({"org_permissions": ["solo"]}));
    assert!(allowed(&p.d(claims, "read", json!({"type": "doc"}))));
    // A declared permission cannot be a wildcard.
    let (code, line, col, _, _) = error("permission org:a:*\nresource doc {}\naction read on doc\npermit read on doc");
    assert_eq!((code.as_str(), line, col), ("syntax", 1, 12));
}

#[test]
fn declaration_role_grants_and_wildcard() {
    let p = t(TEAM);
    // `org:admin = [org:tasks:*]` grants every declared `org:tasks:` permission.
    let admin = licensed_member("user_1", "org:admin", true);
    assert!(allowed(&p.d(admin.clone(), "edit", task("org_1", "user_1"))));
    let wild = t("permission org:tasks:view\npermission org:tasks:edit\npermission org:billing:pay\nrole org:admin = [org:tasks:*]\nresource doc {}\naction view, edit, pay on doc\npermit view on doc when has(org:tasks:view)\npermit edit on doc when has(org:tasks:edit)\npermit pay on doc when has(org:billing:pay)");
    let admin = member("u", "org:admin");
    assert!(allowed(&wild.d(admin.clone(), "view", json!({"type": "doc"}))));
    assert!(allowed(&wild.d(admin.clone(), "edit", json!({"type": "doc"}))));
    assert!(!wild.d(admin, "pay", json!({"type": "doc"})).allowed, "the wildcard stops at its prefix");
    // A wildcard matching nothing is an unknown permission.
    let (code, line, _, msg, _) =
        error("permission org:a:b\nrole r = [org:x:*]\nresource doc {}\naction read on doc\npermit read on doc");
    assert_eq!((code.as_str(), line), ("unknown-permission", 2));
    assert!(msg.contains("org:x:*"), "{msg}");
}

#[test]
fn declaration_resource_every_attribute_type() {
    let p = t("resource doc { s: string, i: int, b: bool, l: [string], o?: string }\naction read on doc\npermit read on doc when resource.s == \"x\" and resource.i == -1 and resource.b and resource.l.contains(\"t\") and not present(resource.o)");
    let ok = json!({"type": "doc", "s": "x", "i": -1, "b": true, "l": ["t"]});
    assert!(allowed(&p.d(user("u"), "read", ok.clone())));
    // Optional: absent or null.
    let mut null_o = ok.clone();
    null_o["o"] = Value::Null;
    assert!(allowed(&p.d(user("u"), "read", null_o)));
    let mut some_o = ok.clone();
    some_o["o"] = json!("y");
    assert_eq!(p.d(user("u"), "read", some_o).reason.as_str(), "no_matching_rule");
    // Wrong type or missing required attribute: invalid_resource, for every type.
    for (k, bad) in [
        ("s", json!(1)),
        ("i", json!("1")),
        ("i", json!(1.5)),
        ("b", json!("true")),
        ("l", json!("t")),
        ("l", json!([1])),
        ("o", json!(3)),
    ] {
        let mut r = ok.clone();
        r[k] = bad.clone();
        let d = p.raw(user("u"), "read", r, None);
        assert_eq!(d.reason.as_str(), "invalid_resource", "{k} = {bad}");
        assert!(d.error.is_some());
    }
    for k in ["s", "i", "b", "l"] {
        let mut r = ok.clone();
        r.as_object_mut().unwrap().remove(k);
        assert_eq!(p.raw(user("u"), "read", r, None).reason.as_str(), "invalid_resource", "missing {k}");
        let mut r = ok.clone();
        r[k] = Value::Null;
        assert_eq!(p.raw(user("u"), "read", r, None).reason.as_str(), "invalid_resource", "null {k}");
    }
}

#[test]
fn declaration_resource_builtin_type_and_id() {
    let p = t("resource doc {}\naction read on doc\npermit read on doc when resource.type == \"doc\" and resource.id == \"42\"");
    assert!(allowed(&p.d(user("u"), "read", json!({"type": "doc", "id": "42"}))));
    assert!(!p.d(user("u"), "read", json!({"type": "doc", "id": "43"})).allowed);
    // `id` is optional: absent, it is an error in a comparison (rule does not match), and
    // `present(resource.id)` is false.
    assert!(!p.d(user("u"), "read", json!({"type": "doc"})).allowed);
    let p = t("resource doc {}\naction read on doc\npermit read on doc when not present(resource.id)");
    assert!(allowed(&p.d(user("u"), "read", json!({"type": "doc"}))));
    // Declaring `type` or `id` is an error: they are built in.
    let (code, line, col, _, _) = error("resource doc { id: string }\naction read on doc\npermit read on doc");
    assert_eq!((code.as_str(), line, col), ("reserved", 1, 16));
}

#[test]
fn declaration_action_declared_rejects_other_actions() {
    let p = t("resource doc {}\naction read on doc\npermit read on doc");
    let d = p.d(user("u"), "write", json!({"type": "doc"}));
    assert_eq!((d.allowed, d.reason.as_str()), (false, "unknown_action"));
    assert!(d.error.is_some());
    // `action A, B on TYPE, TYPE` declares every pair.
    let p = t("resource a {}\nresource b {}\naction x, y on a, b\npermit * on *");
    for ty in ["a", "b"] {
        for a in ["x", "y"] {
            assert!(allowed(&p.d(user("u"), a, json!({"type": ty}))), "{a} on {ty}");
        }
    }
}

#[test]
fn declaration_action_optional_takes_the_rules_actions() {
    // The design brief's sketch, verbatim: no `action` declarations at all.
    let sketch = r#"
permission org:tasks:view   "View tasks"
permission org:tasks:edit   "Create tasks and edit their own"
permission org:tasks:manage "Edit all tasks"

role org:viewer  = [org:tasks:view]
role org:member  = [org:tasks:view, org:tasks:edit]
role org:manager = [org:tasks:view, org:tasks:edit, org:tasks:manage]

resource task { owner_id: string, created_by_id: string }

// Seats gate work on the organization's tasks; personal tasks are never seat-licensed.
forbid create, edit, complete, delete on task
  when org and resource.owner_id == org.id and not org.metadata.isLicensed
  because "license_required"

permit view, create, edit, complete, delete on task when resource.owner_id == user.id
permit view on task when resource.owner_id == org.id and has(org:tasks:view)
permit create on task when resource.owner_id == org.id and has(org:tasks:edit)
permit edit, complete, delete on task
  when resource.owner_id == org.id and has(org:tasks:manage)
permit edit, complete, delete on task
  when resource.owner_id == org.id and has(org:tasks:edit)
   and resource.created_by_id == user.id
"#;
    let p = t(sketch);
    assert_eq!(p.policy.actions("task"), vec!["create", "edit", "complete", "delete", "view"]);
    let m = licensed_member("user_1", "org:member", true);
    assert!(allowed(&p.d(m.clone(), "view", task("org_1", "user_2"))));
    assert!(!p.d(m.clone(), "edit", task("org_1", "user_2")).allowed);
    assert_eq!(p.d(m, "archive", task("org_1", "user_1")).reason.as_str(), "unknown_action");
    let unlicensed = licensed_member("user_1", "org:manager", false);
    assert_eq!(p.d(unlicensed.clone(), "edit", task("org_1", "user_1")).reason.as_str(), "forbidden:license_required");
    // The seat license only gates the organization's own resources.
    assert!(allowed(&p.d(unlicensed, "edit", task("user_1", "user_1"))));
    // With declarations, a typo in a rule is an unknown action.
    let (code, line, col, _, help) =
        error("resource doc {}\naction read on doc\npermit read on doc\npermit raed on doc");
    assert_eq!((code.as_str(), line, col), ("unknown-action", 4, 8));
    assert!(help.contains("`read`"), "{help}");
}

#[test]
fn declaration_license_from_org_metadata() {
    let p = t("license org.metadata.isLicensed\nresource doc {}\naction read on doc\npermit read on doc when licensed");
    let lic = |v: Value| with(member("u", "org:m"), json!({"org_metadata": {"isLicensed": v}}));
    assert!(allowed(&p.d(lic(json!(true)), "read", json!({"type": "doc"}))));
    assert!(!p.d(lic(json!(false)), "read", json!({"type": "doc"})).allowed);
    // Absent: not licensed. No organization: not licensed.
    assert!(!p.d(member("u", "org:m"), "read", json!({"type": "doc"})).allowed);
    assert!(!p.d(user("u"), "read", json!({"type": "doc"})).allowed);
    // Present but not a boolean: invalid_claims (never coerced).
    for bad in [json!("true"), json!(1), json!({}), json!(null)] {
        let d = p.d(lic(bad.clone()), "read", json!({"type": "doc"}));
        assert_eq!((d.allowed, d.reason.as_str()), (false, "invalid_claims"), "{bad}");
        assert!(d.error.is_some());
    }
}

#[test]
fn declaration_license_from_claims() {
    let p = t("license claims.licensed\nresource doc {}\naction read on doc\npermit read on doc when licensed");
    assert!(allowed(&p.d(with(user("u"), json!({"licensed": true})), "read", json!({"type": "doc"}))));
    assert!(!p.d(with(user("u"), json!({"licensed": false})), "read", json!({"type": "doc"})).allowed);
    assert!(!p.d(user("u"), "read", json!({"type": "doc"})).allowed);
    let d = p.d(with(user("u"), json!({"licensed": "yes"})), "read", json!({"type": "doc"}));
    assert_eq!(d.reason.as_str(), "invalid_claims");
    // Nested claims paths work too.
    let p =
        t("license claims.publicMetadata.seat\nresource doc {}\naction read on doc\npermit read on doc when licensed");
    assert!(allowed(&p.d(with(user("u"), json!({"publicMetadata": {"seat": true}})), "read", json!({"type": "doc"}))));
}

#[test]
fn declaration_license_elsewhere_and_licensed_without_declaration_are_errors() {
    let (code, line, _, _, _) = error("license user.id\nresource doc {}\naction read on doc\npermit read on doc");
    assert_eq!((code.as_str(), line), ("license", 1));
    let (code, line, col, _, help) = error("resource doc {}\naction read on doc\npermit read on doc when licensed");
    assert_eq!((code.as_str(), line, col), ("license", 3, 25));
    assert!(help.contains("license org.metadata.isLicensed"), "{help}");
}

#[test]
fn declaration_duplicates_are_errors_with_line_and_column() {
    let cases: [(&str, usize, usize); 7] = [
        ("permission a\npermission a\nresource doc {}\naction read on doc\npermit read on doc", 2, 12),
        ("permission a\nrole r = [a]\nrole r = [a]\nresource doc {}\naction read on doc\npermit read on doc", 3, 6),
        ("resource doc {}\nresource doc {}\naction read on doc\npermit read on doc", 2, 10),
        ("resource doc { a: string, a: int }\naction read on doc\npermit read on doc", 1, 27),
        ("resource doc {}\naction read on doc\naction read on doc\npermit read on doc", 3, 8),
        ("resource doc {}\naction read on doc\n@id(\"x\") permit read on doc\n@id(\"x\") permit read on doc", 4, 5),
        ("license claims.a\nlicense claims.b\nresource doc {}\naction read on doc\npermit read on doc", 2, 1),
    ];
    for (text, line, col) in cases {
        let (code, l, c, msg, _) = error(text);
        assert_eq!((code.as_str(), l, c), ("duplicate", line, col), "{text}: {msg}");
    }
}

#[test]
fn declaration_unknown_names_are_errors_with_hints() {
    // Unknown permission in a role, with "did you mean".
    let (code, line, col, _, help) = error(
        "permission org:tasks:view\nrole r = [org:tasks:veiw]\nresource doc {}\naction read on doc\npermit read on doc",
    );
    assert_eq!((code.as_str(), line, col), ("unknown-permission", 2, 11));
    assert_eq!(help, "did you mean `org:tasks:view`?");
    // Unknown permission in `has`.
    let (code, line, col, _, _) =
        error("permission p\nresource doc {}\naction read on doc\npermit read on doc when has(q)");
    assert_eq!((code.as_str(), line, col), ("unknown-permission", 4, 29));
    // Unknown role in `has_role`.
    let (code, line, col, _, _) = error("permission p\nrole org:admin = [p]\nresource doc {}\naction read on doc\npermit read on doc when has_role(org:amdin)");
    assert_eq!((code.as_str(), line, col), ("unknown-role", 5, 34));
    // Unknown resource type in a rule and in an action declaration.
    let all = errors("resource doc {}\naction read on doc\npermit read on dco");
    let e = all.iter().find(|e| e.0 == "unknown-type").unwrap();
    assert_eq!((e.1, e.2, e.4.as_str()), (3, 16, "did you mean `doc`?"));
    let all = errors("resource doc {}\naction read on doc, nope\npermit read on doc");
    assert!(all.iter().any(|e| e.0 == "unknown-type" && e.1 == 2 && e.2 == 21), "{all:?}");
    // Unknown name at the root of a path.
    let (code, line, col, _, help) = error("resource doc {}\naction read on doc\npermit read on doc when usr");
    assert_eq!((code.as_str(), line, col), ("unknown-name", 3, 25));
    assert_eq!(help, "did you mean `user`?");
}

#[test]
fn declaration_unreachable_action_is_an_error() {
    let (code, line, col, msg, help) =
        error("resource doc {}\naction read, write on doc\npermit read on doc\nforbid write on doc");
    assert_eq!((code.as_str(), line, col), ("unreachable-action", 2, 14));
    assert!(msg.contains("`write`"), "{msg}");
    assert!(help.contains("permit write on doc"), "{help}");
}

// ------------------------------------------------------------------------------ Rules

#[test]
fn rule_id_annotation_and_default_file_line() {
    let text = "resource doc { n: int }\naction a, b, c on doc\n@id(\"named\")\npermit a on doc\n\npermit b on doc;\npermit c\n  on doc\n  when resource.n == 1";
    let p = t(text);
    let r = json!({"type": "doc", "n": 1});
    assert_eq!(p.d(user("u"), "a", r.clone()).rule.as_deref(), Some("named"));
    assert_eq!(p.d(user("u"), "b", r.clone()).rule.as_deref(), Some("policy:6"));
    assert_eq!(p.d(user("u"), "c", r.clone()).rule.as_deref(), Some("policy:7"));
    // The file name is the one the policy was parsed with.
    let named = Engine::new(Policy::parse_named("rules.ord", text).unwrap());
    let d = named.decide_with(
        &Session::from_claims(user("u")).unwrap(),
        "b",
        &Resource::from_value(r).unwrap(),
        &Options::default().at(NOW),
    );
    assert_eq!(d.rule.as_deref(), Some("rules.ord:6"));
}

#[test]
fn rule_star_actions_and_star_types() {
    let p = t("resource a {}\nresource b {}\naction x, y on a\naction z on b\npermit * on a\npermit z on *");
    for act in ["x", "y"] {
        assert!(allowed(&p.d(user("u"), act, json!({"type": "a"}))));
    }
    assert!(allowed(&p.d(user("u"), "z", json!({"type": "b"}))));
    // `*` covers only the declared actions of the types.
    assert_eq!(p.d(user("u"), "z", json!({"type": "a"})).reason.as_str(), "unknown_action");
    let p = t("resource a {}\nresource b {}\naction x on a, b\npermit * on *");
    assert!(allowed(&p.d(user("u"), "x", json!({"type": "b"}))));
}

#[test]
fn rule_because_sets_the_reason_and_default_is_the_rule_id() {
    let p = t("resource doc {}\naction a, b, c on doc\npermit * on doc\nforbid a on doc because \"nope\"\n@id(\"f_b\") forbid b on doc\nforbid c on doc");
    assert_eq!(p.d(user("u"), "a", json!({"type": "doc"})).reason.as_str(), "forbidden:nope");
    let d = p.d(user("u"), "b", json!({"type": "doc"}));
    assert_eq!((d.reason.as_str(), d.rule.as_deref()), ("forbidden:f_b", Some("f_b")));
    assert_eq!(p.d(user("u"), "c", json!({"type": "doc"})).reason.as_str(), "forbidden:policy:6");
    // `because` is for forbid only.
    let (code, line, _, _, _) = error("resource doc {}\naction a on doc\npermit a on doc because \"x\"");
    assert_eq!((code.as_str(), line), ("syntax", 3));
}

#[test]
fn rule_without_when_always_matches_and_semicolon_is_optional() {
    let p = t("resource doc {}\naction a, b on doc;\npermit a on doc;\npermit b on doc\n");
    assert!(allowed(&p.d(json!({}), "a", json!({"type": "doc"}))));
    assert!(allowed(&p.d(json!({}), "b", json!({"type": "doc"}))));
    // A rule is followed by a new item, not by more text.
    let (code, line, _, _, help) = error("resource doc {}\naction a on doc\npermit a on doc when user user");
    assert_eq!((code.as_str(), line), ("syntax", 3));
    assert!(help.contains("`and`"), "{help}");
}

// ------------------------------------------------------------------------------ Conditions

#[test]
fn condition_and_or_not_parentheses() {
    let c = user("u");
    assert!(holds("true and true", c.clone(), json!({})));
    assert!(!holds("true and false", c.clone(), json!({})));
    assert!(holds("false or true", c.clone(), json!({})));
    assert!(!holds("false or false", c.clone(), json!({})));
    assert!(holds("not false", c.clone(), json!({})));
    assert!(!holds("not not false", c.clone(), json!({})));
    // `and` binds tighter than `or`; parentheses regroup.
    assert!(holds("true or false and false", c.clone(), json!({})));
    assert!(!holds("(true or false) and false", c.clone(), json!({})));
    assert!(!holds("not true or false", c.clone(), json!({})));
}

#[test]
fn condition_and_or_short_circuit_left_to_right() {
    // The right side would be an error (`org.id` does not exist in a personal session).
    let personal = user("u");
    assert!(!holds("org and org.id == \"org_1\"", personal.clone(), json!({})));
    assert_eq!(forbid_reason("", "org and org.id == \"org_1\"", personal.clone(), json!({})), "permit");
    assert!(holds("user or org.id == \"org_1\"", personal.clone(), json!({})));
    // Not short-circuited from the right: the error on the left makes the rule error.
    assert_eq!(forbid_reason("", "org.id == \"org_1\" and org", personal.clone(), json!({})), "forbid_errored");
    assert_eq!(forbid_reason("", "org.id == \"org_1\" or user", personal, json!({})), "forbid_errored");
}

#[test]
fn condition_equality_of_every_type() {
    let c = with(user("u"), json!({"s": "x", "i": 3, "b": false, "l": ["a", "b"], "il": [1, 2]}));
    for cond in [
        "claims.s == \"x\"",
        "claims.s != \"y\"",
        "claims.i == 3",
        "claims.i != 4",
        "claims.b == false",
        "claims.b != true",
        "claims.l == [\"a\", \"b\"]",
        "claims.l != [\"b\", \"a\"]",
        "claims.il == [1, 2]",
        "resource.tags == [\"a\", \"b\"]",
        "resource.n == 5",
        "resource.flag == true",
    ] {
        assert!(holds(cond, c.clone(), json!({})), "{cond}");
    }
    for cond in ["claims.s == \"y\"", "claims.i == 4", "claims.b == true", "claims.l == [\"a\"]"] {
        assert!(!holds(cond, c.clone(), json!({})), "{cond}");
    }
}

#[test]
fn condition_equality_across_types_is_an_error_not_false() {
    let c = with(user("u"), json!({"s": "1", "i": 1, "b": true, "l": ["1"]}));
    for cond in [
        "claims.s == 1",
        "claims.s != 1",
        "claims.i == \"1\"",
        "claims.i != \"1\"",
        "claims.b == \"true\"",
        "claims.l == \"1\"",
        "claims.l != 1",
        "context.x == claims.s",
    ] {
        assert!(!holds(cond, c.clone(), json!({"x": 1})), "{cond}");
        // An error, not false: `!=` of different types does not match either, and a
        // forbid on it fails closed.
        assert_eq!(forbid_reason("", cond, c.clone(), json!({"x": 1})), "forbid_errored", "{cond}");
    }
    // Statically known types that differ are a policy error.
    let (code, line, _, _, _) =
        error("resource doc { n: int }\naction read on doc\npermit read on doc when resource.n == \"5\"");
    assert_eq!((code.as_str(), line), ("type-mismatch", 3));
    let (code, _, _, _, _) = error("resource doc {}\naction read on doc\npermit read on doc when user.id != 1");
    assert_eq!(code, "type-mismatch");
}

#[test]
fn condition_integer_comparisons() {
    let c = with(user("u"), json!({"age": 30}));
    for (cond, want) in [
        ("claims.age < 31", true),
        ("claims.age < 30", false),
        ("claims.age <= 30", true),
        ("claims.age > 29", true),
        ("claims.age > 30", false),
        ("claims.age >= 30", true),
        ("resource.n >= -1", true),
        ("-1 < 0", true),
        ("session.exp > session.iat", true),
    ] {
        assert_eq!(holds(cond, c.clone(), json!({})), want, "{cond}");
    }
    // Integers only: a string at decision time is an error; statically, a policy error.
    let c = with(user("u"), json!({"age": "30"}));
    assert_eq!(forbid_reason("", "claims.age < 31", c, json!({})), "forbid_errored");
    let (code, line, col, _, _) =
        error("resource doc { s: string }\naction read on doc\npermit read on doc when resource.s < 3");
    assert_eq!((code.as_str(), line, col), ("type-mismatch", 3, 25));
}

#[test]
fn condition_in_membership() {
    let c = with(user("u"), json!({"role": "editor", "roles": ["a", "b"]}));
    assert!(holds("claims.role in [\"viewer\", \"editor\"]", c.clone(), json!({})));
    assert!(!holds("claims.role in [\"viewer\"]", c.clone(), json!({})));
    assert!(holds("\"a\" in claims.roles", c.clone(), json!({})));
    assert!(holds("\"b\" in resource.tags", c.clone(), json!({})));
    assert!(holds("resource.n in [1, 5]", c.clone(), json!({})));
    assert!(!holds("\"z\" in resource.tags", c.clone(), json!({})));
    // Not a list on the right: a static error; at decision time: an error.
    let (code, _, _, _, _) =
        error("resource doc { s: string }\naction read on doc\npermit read on doc when \"a\" in resource.s");
    assert_eq!(code, "type-mismatch");
    assert_eq!(forbid_reason("", "\"a\" in claims.role", c.clone(), json!({})), "forbid_errored");
    // An item of another type than the list's: an error, not false.
    assert_eq!(forbid_reason("", "claims.role in context.ints", c, json!({"ints": [1, 2]})), "forbid_errored");
}

#[test]
fn condition_string_methods() {
    let c = with(user("u"), json!({"email": "ann@acme.com"}));
    for (cond, want) in [
        ("claims.email.ends_with(\"@acme.com\")", true),
        ("claims.email.ends_with(\"@evil.com\")", false),
        ("claims.email.starts_with(\"ann@\")", true),
        ("claims.email.starts_with(\"bob@\")", false),
        ("claims.email.contains(\"@acme\")", true),
        ("claims.email.contains(\"evil\")", false),
        ("resource.owner.starts_with(\"user_\")", true),
    ] {
        assert_eq!(holds(cond, c.clone(), json!({})), want, "{cond}");
    }
    // On a non-string at decision time: an error.
    let c = with(user("u"), json!({"email": 3}));
    assert_eq!(forbid_reason("", "claims.email.ends_with(\"@acme.com\")", c, json!({})), "forbid_errored");
    let (code, _, _, _, _) =
        error("resource doc { n: int }\naction read on doc\npermit read on doc when resource.n.starts_with(\"1\")");
    assert_eq!(code, "type-mismatch");
}

#[test]
fn condition_list_methods() {
    let c = with(user("u"), json!({"scopes": ["read", "write"]}));
    for (cond, want) in [
        ("claims.scopes.contains(\"read\")", true),
        ("claims.scopes.contains(\"admin\")", false),
        ("resource.tags.contains(\"a\")", true),
        ("claims.scopes.contains_all([\"read\", \"write\"])", true),
        ("claims.scopes.contains_all([\"read\", \"admin\"])", false),
        ("claims.scopes.contains_all([])", true),
        ("claims.scopes.contains_any([\"admin\", \"write\"])", true),
        ("claims.scopes.contains_any([\"admin\"])", false),
        ("claims.scopes.contains_any([])", false),
        ("resource.tags.contains_all([\"b\"])", true),
    ] {
        assert_eq!(holds(cond, c.clone(), json!({})), want, "{cond}");
    }
    let (code, _, _, _, _) = error(
        "resource doc { s: string }\naction read on doc\npermit read on doc when resource.s.contains_all([\"a\"])",
    );
    assert_eq!(code, "type-mismatch");
}

#[test]
fn condition_present() {
    let c = with(user("u"), json!({"a": 1, "n": null, "obj": {"k": null}}));
    assert!(holds("present(claims.a)", c.clone(), json!({})));
    assert!(!holds("present(claims.n)", c.clone(), json!({})), "null is not present");
    assert!(!holds("present(claims.zz)", c.clone(), json!({})));
    assert!(!holds("present(claims.obj.k)", c.clone(), json!({})));
    assert!(holds("present(claims.obj)", c.clone(), json!({})));
    assert!(holds("present(resource.owner)", c.clone(), json!({})));
    assert!(!holds("present(resource.note)", c.clone(), json!({})));
    assert!(holds("present(context.k)", c.clone(), json!({"k": "v"})));
    assert!(!holds("present(org.id)", c.clone(), json!({})));
    assert!(holds("present(user.id)", c, json!({})));
}

#[test]
fn condition_has_permission_from_token_or_role_table_only_in_an_org() {
    let decls = "permission org:tasks:view\npermission org:tasks:edit\nrole org:member = [org:tasks:view, org:tasks:edit]\nrole org:viewer = [org:tasks:view]";
    let p = cond_policy(decls, "has(org:tasks:edit)");
    // From the token's `org_permissions`.
    let tok = with(member("u", "org:custom"), json!({"org_permissions": ["org:tasks:edit"]}));
    assert!(allowed(&p.d(tok, "read", doc())));
    // From the role table, with no `org_permissions` in the token.
    assert!(allowed(&p.d(member("u", "org:member"), "read", doc())));
    assert!(!p.d(member("u", "org:viewer"), "read", doc()).allowed);
    // Without an active organization: false, even with a custom claim.
    assert!(!p.d(user("u"), "read", doc()).allowed);
    // Either source is enough: a token listing other permissions keeps its role's grants.
    let tok = with(member("u", "org:member"), json!({"org_permissions": ["org:tasks:view"]}));
    assert!(allowed(&p.d(tok, "read", doc())));
    // A permission a role does not grant and the token does not list.
    let tok = with(member("u", "org:viewer"), json!({"org_permissions": ["org:tasks:view"]}));
    assert!(!p.d(tok, "read", doc()).allowed);
}

#[test]
fn condition_has_role() {
    let p = cond_policy("permission p\nrole org:admin = [p]\nrole org:member = [p]", "has_role(org:admin)");
    assert!(allowed(&p.d(member("u", "org:admin"), "read", doc())));
    assert!(!p.d(member("u", "org:member"), "read", doc()).allowed);
    assert!(!p.d(user("u"), "read", doc()).allowed);
}

#[test]
fn condition_has_plan_and_has_feature_with_scopes() {
    // `pla` / `fea`: `u:` user, `o:` organization, `uo:` both.
    let c = with(member("u", "org:m"), json!({"pla": "u:free,o:team", "fea": "u:avatars,o:projects,uo:export"}));
    for (cond, want) in [
        ("has_plan(\"free\")", true),
        ("has_plan(\"team\")", true),
        ("has_plan(\"user:free\")", true),
        ("has_plan(\"org:free\")", false),
        ("has_plan(\"org:team\")", true),
        ("has_plan(\"user:team\")", false),
        ("has_plan(\"pro\")", false),
        ("has_plan(org:team)", true),
        ("has_plan(team)", true),
        ("has_feature(\"projects\")", true),
        ("has_feature(\"org:projects\")", true),
        ("has_feature(\"user:projects\")", false),
        ("has_feature(\"user:avatars\")", true),
        ("has_feature(\"org:export\")", true),
        ("has_feature(\"user:export\")", true),
        ("has_feature(user:avatars)", true),
        ("has_feature(\"nope\")", false),
    ] {
        assert_eq!(holds(cond, c.clone(), json!({})), want, "{cond}");
    }
    let (code, _, _, _, _) =
        error("resource doc {}\naction read on doc\npermit read on doc when has_plan(\"team:pro:x\")");
    assert_eq!(code, "syntax");
}

#[test]
fn condition_licensed() {
    let p = cond_policy("license org.metadata.seat", "licensed");
    assert!(allowed(&p.d(with(member("u", "org:m"), json!({"org_metadata": {"seat": true}})), "read", doc())));
    assert!(!p.d(with(member("u", "org:m"), json!({"org_metadata": {"seat": false}})), "read", doc()).allowed);
}

#[test]
fn condition_verified_within_factors() {
    // `fva`: [minutes since first factor, minutes since second factor], -1 for never.
    let c = |first: i64, second: i64| with(user("u"), json!({"fva": [first, second]}));
    for (cond, fva, want) in [
        ("verified_within(10)", (5, -1), true),
        ("verified_within(10)", (10, -1), true),
        ("verified_within(10)", (11, 0), false),
        ("verified_within(10, first_factor)", (3, -1), true),
        ("verified_within(10, second_factor)", (3, -1), false),
        ("verified_within(10, second_factor)", (30, 2), true),
        ("verified_within(10, multi_factor)", (3, 4), true),
        ("verified_within(10, multi_factor)", (3, -1), false),
        ("verified_within(10, multi_factor)", (30, 4), false),
        ("verified_within(0)", (0, -1), true),
    ] {
        assert_eq!(holds(cond, c(fva.0, fva.1), json!({})), want, "{cond} with {fva:?}");
    }
    // No `fva` claim at all: not verified.
    assert!(!holds("verified_within(10)", user("u"), json!({})));
    // The deny names the verification needed.
    let p = cond_policy("", "verified_within(10, second_factor)");
    let d = p.d(c(1, -1), "read", doc());
    assert_eq!(missing(&d), json!([{"kind": "verification", "name": "second_factor:10"}]));
    let (code, _, _, _, _) =
        error("resource doc {}\naction read on doc\npermit read on doc when verified_within(10, third_factor)");
    assert_eq!(code, "syntax");
}

#[test]
fn condition_scopes_from_a_list_and_from_clerks_space_separated_string() {
    let want = "scopes(context.approved).contains_all([\"calendar.read\", \"calendar.write\"])";
    let c = user("u");
    assert!(holds(want, c.clone(), json!({"approved": ["calendar.read", "calendar.write", "email"]})));
    assert!(holds(want, c.clone(), json!({"approved": "openid calendar.read  calendar.write"})));
    assert!(!holds(want, c.clone(), json!({"approved": "openid calendar.read"})));
    // Also from claims (`publicMetadata` in the session token, as in the seed guide).
    let cl = with(user("u"), json!({"publicMetadata": {"approvedScopes": "calendar.read calendar.write"}}));
    assert!(holds("scopes(claims.publicMetadata.approvedScopes).contains_all([\"calendar.write\"])", cl, json!({})));
    assert!(holds("\"email\" in scopes(context.approved)", c.clone(), json!({"approved": "email"})));
    assert!(holds("scopes(context.approved).contains(\"email\")", c.clone(), json!({"approved": "a email"})));
    // A deny lists the missing scopes.
    let p = cond_policy("", want);
    let d = p.dc(c.clone(), "read", doc(), json!({"approved": "openid calendar.read"}));
    assert_eq!(missing(&d), json!([{"kind": "scope", "name": "calendar.write"}]));
    let d = p.dc(c.clone(), "read", doc(), json!({"approved": []}));
    assert_eq!(
        missing(&d),
        json!([{"kind": "scope", "name": "calendar.read"}, {"kind": "scope", "name": "calendar.write"}])
    );
    let p = cond_policy("", "\"email\" in scopes(context.approved)");
    let d = p.dc(c.clone(), "read", doc(), json!({"approved": "openid"}));
    assert_eq!(missing(&d), json!([{"kind": "scope", "name": "email"}]));
    // Neither a list nor a string: an error.
    assert_eq!(forbid_reason("", want, c, json!({"approved": 3})), "forbid_errored");
}

#[test]
fn condition_literals_and_escapes() {
    let c = with(user("u"), json!({"s": "a\"b\\c\nd\te", "neg": -1, "big": 9_223_372_036_854_775_807_i64}));
    assert!(holds("claims.s == \"a\\\"b\\\\c\\nd\\te\"", c.clone(), json!({})));
    assert!(holds("claims.neg == -1", c.clone(), json!({})));
    assert!(holds("claims.big == 9223372036854775807", c.clone(), json!({})));
    assert!(holds("true == true and false == false", c.clone(), json!({})));
    assert!(holds("[\"a\", \"b\"] == [\"a\", \"b\",]", c.clone(), json!({})));
    assert!(holds("[1, 2] == [1, 2]", c.clone(), json!({})));
    // Other escapes are an error.
    let (code, line, col, _, help) =
        error("resource doc {}\naction read on doc\npermit read on doc when user.id == \"a\\qb\"");
    assert_eq!((code.as_str(), line, col), ("lex", 3, 38));
    assert!(help.contains("\\n"), "{help}");
}

#[test]
fn condition_comments_in_both_styles() {
    let p = t("// a comment\n# another\nresource doc {} // trailing\naction read on doc # trailing\npermit read on doc // why\n  when user # who\n");
    assert!(allowed(&p.d(user("u"), "read", json!({"type": "doc"}))));
    assert!(!p.d(json!({}), "read", json!({"type": "doc"})).allowed);
}

#[test]
fn condition_bare_path_truthiness() {
    let c = with(member("u", "org:m"), json!({"flag": true, "off": false, "name": "x", "n": 1, "nul": null}));
    // org / user / session.actor are presence tests.
    assert!(holds("org", c.clone(), json!({})));
    assert!(!holds("org", user("u"), json!({})));
    assert!(holds("user", user("u"), json!({})));
    assert!(!holds("user", json!({}), json!({})));
    assert!(!holds("user", json!({"sub": "u", "sts": "pending"}), json!({})), "a pending session is signed out");
    assert!(holds("session.actor", with(user("u"), json!({"act": {"sub": "admin"}})), json!({})));
    assert!(!holds("session.actor", user("u"), json!({})));
    // A boolean claim is its value; absent is false.
    assert!(holds("claims.flag", c.clone(), json!({})));
    assert!(!holds("claims.off", c.clone(), json!({})));
    assert!(!holds("claims.absent", c.clone(), json!({})));
    assert_eq!(forbid_reason("", "claims.absent", c.clone(), json!({})), "permit");
    assert!(holds("resource.flag", c.clone(), json!({})));
    assert!(holds("context.ok", c.clone(), json!({"ok": true})));
    assert!(!holds("context.ok", c.clone(), json!({})));
    assert!(holds("org.metadata.beta", with(member("u", "org:m"), json!({"org_metadata": {"beta": true}})), json!({})));
    // Any other type is an error.
    for cond in ["claims.name", "claims.n", "context.list"] {
        assert!(!holds(cond, c.clone(), json!({"list": []})), "{cond}");
        assert_eq!(forbid_reason("", cond, c.clone(), json!({"list": []})), "forbid_errored", "{cond}");
    }
    // A statically typed non-boolean is a policy error.
    let (code, line, col, _, help) =
        error("resource doc { s: string }\naction read on doc\npermit read on doc when resource.s");
    assert_eq!((code.as_str(), line, col), ("type-mismatch", 3, 25));
    assert!(help.contains("resource.s =="), "{help}");
}

// ------------------------------------------------------------------------------ What a condition can read

fn v1_full() -> Value {
    json!({
        "sub": "user_1", "sid": "sess_1", "azp": "https://app.example", "iss": "https://clerk.example",
        "exp": NOW + 60, "nbf": NOW - 30, "iat": NOW - 20,
        "act": {"sub": "user_admin", "iss": "https://dashboard"},
        "org_id": "org_1", "org_slug": "acme", "org_role": "org:admin",
        "org_permissions": ["org:tasks:view", "org:tasks:edit"],
        "org_metadata": {"isLicensed": true, "plan": {"tier": "gold"}},
        "email": "ann@acme.com", "https://x/y": "custom", "publicMetadata": {"role": "staff"}
    })
}

fn v2_full() -> Value {
    json!({
        "v": 2, "sub": "user_1", "sid": "sess_1", "azp": "https://app.example", "iss": "https://clerk.example",
        "exp": NOW + 60, "nbf": NOW - 30, "iat": NOW - 20,
        "act": {"sub": "user_admin", "iss": "https://dashboard"},
        "fea": "o:tasks",
        "o": {"id": "org_1", "slg": "acme", "rol": "admin", "per": "view,edit", "fpm": "3"},
        "org_metadata": {"isLicensed": true, "plan": {"tier": "gold"}},
        "email": "ann@acme.com", "https://x/y": "custom", "publicMetadata": {"role": "staff"}
    })
}

const READABLE: [&str; 20] = [
    "user",
    "user.id == \"user_1\"",
    "org",
    "org.id == \"org_1\"",
    "org.slug == \"acme\"",
    "org.role == \"org:admin\"",
    "org.permissions == [\"org:tasks:view\", \"org:tasks:edit\"]",
    "org.metadata.isLicensed == true",
    "org.metadata.plan.tier == \"gold\"",
    "session.id == \"sess_1\"",
    "session.azp == \"https://app.example\"",
    "session.iss == \"https://clerk.example\"",
    "session.exp == 1700000060",
    "session.nbf == 1699999970",
    "session.iat == 1699999980",
    "session.actor",
    "session.actor.sub == \"user_admin\"",
    "claims.email == \"ann@acme.com\"",
    "claims[\"https://x/y\"] == \"custom\"",
    "claims.publicMetadata.role == \"staff\"",
];

#[test]
fn readable_paths_from_a_clerk_v1_token() {
    let decls = "permission org:tasks:view\npermission org:tasks:edit\nrole org:admin = [org:tasks:view]";
    for cond in READABLE {
        assert!(cond_policy(decls, cond).d(v1_full(), "read", doc()).allowed, "v1: {cond}");
    }
    assert!(cond_policy(decls, "has(org:tasks:edit)").d(v1_full(), "read", doc()).allowed);
}

#[test]
fn readable_paths_from_a_clerk_v2_token_are_the_same() {
    // v2 permissions come from `o.per` / `o.fpm` as `org:<feature>:<permission>`.
    let decls = "permission org:tasks:view\npermission org:tasks:edit\nrole org:admin = [org:tasks:view]";
    for cond in READABLE {
        assert!(cond_policy(decls, cond).d(v2_full(), "read", doc()).allowed, "v2: {cond}");
    }
    assert!(cond_policy(decls, "has(org:tasks:edit)").d(v2_full(), "read", doc()).allowed);
    assert!(cond_policy(decls, "has_feature(\"org:tasks\")").d(v2_full(), "read", doc()).allowed);
    // v2 without `o`: a personal session.
    let mut personal = v2_full();
    let m = personal.as_object_mut().unwrap();
    for k in ["o", "org_metadata", "fea"] {
        m.remove(k);
    }
    assert!(!cond_policy(decls, "org").d(personal.clone(), "read", doc()).allowed);
    assert!(cond_policy(decls, "user and not org").d(personal, "read", doc()).allowed);
}

#[test]
fn readable_resource_and_context_paths() {
    let p = cond_policy("", "resource.type == \"doc\" and resource.id == \"d1\" and resource.owner == \"user_1\" and context.ip.country == \"NL\" and context[\"x-y\"] == 1");
    assert!(allowed(&p.dc(user("u"), "read", doc(), json!({"ip": {"country": "NL"}, "x-y": 1}))));
    // `context`, `claims` and `org.metadata` are untyped: checked at decision time, never coerced.
    let p = cond_policy("", "context.n == 1");
    assert!(!p.dc(user("u"), "read", doc(), json!({"n": "1"})).allowed);
}

#[test]
fn readable_unknown_attributes_are_static_errors() {
    for (cond, col) in [("user.name == \"x\"", 30), ("org.name == \"x\"", 29), ("session.foo == 1", 33)] {
        let (code, line, c, _, help) =
            error(&format!("resource doc {{}}\naction read on doc\npermit read on doc when {cond}"));
        assert_eq!((code.as_str(), line, c), ("unknown-attribute", 3, col), "{cond}");
        assert!(!help.is_empty());
    }
    // Unknown attribute of a declared resource, with "did you mean".
    let (code, line, col, msg, help) = error(
        "resource doc { owner_id: string }\naction read on doc\npermit read on doc when resource.ownr_id == user.id",
    );
    assert_eq!((code.as_str(), line, col), ("unknown-attribute", 3, 34));
    assert!(msg.contains("ownr_id"), "{msg}");
    assert_eq!(help, "did you mean `owner_id`?");
}

// ------------------------------------------------------------------------------ Decisions

#[test]
fn decision_reasons_permit_no_matching_rule_forbidden() {
    let p = t("resource doc {}\naction a, b, c on doc\npermit a, c on doc when user\nforbid c on doc when user because \"blocked\"\npermit b on doc when org");
    let d = p.d(user("u"), "a", json!({"type": "doc"}));
    assert_eq!(d.to_json(), json!({"allowed": true, "reason": "permit", "rule": "policy:3", "missing": []}));
    let d = p.d(user("u"), "b", json!({"type": "doc"}));
    assert_eq!(
        d.to_json(),
        json!({"allowed": false, "reason": "no_matching_rule", "rule": null, "missing": [{"kind": "organization", "name": ""}]})
    );
    let d = p.d(user("u"), "c", json!({"type": "doc"}));
    assert_eq!((d.allowed, d.reason.as_str(), d.rule.as_deref()), (false, "forbidden:blocked", Some("policy:4")));
}

#[test]
fn decision_session_times_with_a_five_second_leeway() {
    let p = t("resource doc {}\naction read on doc\npermit read on doc");
    let r = json!({"type": "doc"});
    let at = |claims: Value| p.d(claims, "read", r.clone()).reason.to_string();
    // exp: expired once now - 5 >= exp.
    assert_eq!(at(json!({"sub": "u", "exp": NOW - 4})), "permit");
    assert_eq!(at(json!({"sub": "u", "exp": NOW - 5})), "session_expired");
    assert_eq!(at(json!({"sub": "u", "exp": NOW - 100})), "session_expired");
    // nbf and iat: not yet valid once now + 5 < them.
    assert_eq!(at(json!({"sub": "u", "nbf": NOW + 5})), "permit");
    assert_eq!(at(json!({"sub": "u", "nbf": NOW + 6})), "session_not_yet_valid");
    assert_eq!(at(json!({"sub": "u", "iat": NOW + 5})), "permit");
    assert_eq!(at(json!({"sub": "u", "iat": NOW + 6})), "session_not_yet_valid");
    assert_eq!(ordinance::LEEWAY_SECONDS, 5);
    // Checked before any rule: a forbid-free policy still denies.
    let d = p.d(json!({"sub": "u", "exp": NOW - 10}), "read", r);
    assert!(!d.allowed);
}

#[test]
fn decision_invalid_claims() {
    let p = t("resource doc {}\naction read on doc\npermit read on doc");
    let r = json!({"type": "doc"});
    for claims in [
        json!({"sub": 1}),
        json!({"sub": null}),
        json!({"sub": "u", "exp": "1700000060"}),
        json!({"sub": "u", "org_permissions": ["org:tasks:edit"]}),
        json!({"sub": "u", "org_role": "org:admin"}),
        json!({"sub": "u", "org_id": "o", "org_permissions": "org:tasks:edit"}),
        json!({"sub": "u", "v": 2, "o": {"slg": "no-id"}}),
        json!("not an object"),
    ] {
        let d = p.raw(claims.clone(), "read", r.clone(), None);
        assert_eq!((d.allowed, d.reason.as_str()), (false, "invalid_claims"), "{claims}");
        assert!(d.error.is_some());
    }
    // Malformed JSON and duplicate keys.
    for text in [r#"{"sub": "u""#, r#"{"sub": "u", "sub": "v"}"#] {
        let d = p.engine.decide_json(text, "read", r#"{"type":"doc"}"#, None, Some(NOW));
        assert_eq!(d.reason.as_str(), "invalid_claims", "{text}");
    }
}

#[test]
fn decision_invalid_resource_context_request() {
    let p = t("resource doc { owner: string }\naction read on doc\npermit read on doc");
    let d = p.raw(user("u"), "read", json!({"owner": "u"}), None);
    assert_eq!(d.reason.as_str(), "invalid_resource", "lacks type");
    let d = p.raw(user("u"), "read", json!({"type": "doc"}), None);
    assert_eq!(d.reason.as_str(), "invalid_resource", "declared attribute missing");
    let d = p.raw(user("u"), "read", json!({"type": "doc", "owner": 1}), None);
    assert_eq!(d.reason.as_str(), "invalid_resource", "wrong type");
    let d = p.raw(user("u"), "read", json!({"type": "doc", "owner": "u"}), Some(json!([1])));
    assert_eq!(d.reason.as_str(), "invalid_context", "context not an object");
    let d = p.engine.decide_request_json("{not json");
    assert_eq!(d.reason.as_str(), "invalid_request");
    let d = p.engine.decide_request(json!({"claims": user("u"), "resource": {"type": "doc", "owner": "u"}}));
    assert_eq!(d.reason.as_str(), "invalid_request", "no action");
    for key in ["claims", "resource"] {
        let mut request = json!({"claims": user("u"), "action": "read", "resource": {"type": "doc", "owner": "u"}});
        request.as_object_mut().unwrap().remove(key);
        let d = p.engine.decide_request(request);
        assert_eq!(d.reason.as_str(), "invalid_request", "no {key}");
        assert!(d.error.as_deref().unwrap().contains(&format!("the request has no `{key}`")), "{d:?}");
    }
    let d =
        p.engine.decide_request(json!({"claims": null, "action": "read", "resource": {"type": "doc", "owner": "u"}}));
    assert_eq!(d.reason.as_str(), "invalid_claims", "claims present but null");
    let d = p.engine.decide_request(json!({"claims": user("u"), "action": "read", "resource": null}));
    assert_eq!(d.reason.as_str(), "invalid_resource", "resource present but null");
    for d in [p.raw(user("u"), "read", json!({"owner": "u"}), None), p.engine.decide_request_json("{")] {
        assert!(!d.allowed && d.error.is_some());
    }
}

#[test]
fn decision_unknown_resource_type_and_action() {
    let p = t("resource doc {}\naction read on doc\npermit read on doc");
    let d = p.d(user("u"), "read", json!({"type": "folder"}));
    assert_eq!((d.allowed, d.reason.as_str()), (false, "unknown_resource_type"));
    let d = p.d(user("u"), "fly", json!({"type": "doc"}));
    assert_eq!((d.allowed, d.reason.as_str()), (false, "unknown_action"));
}

// ------------------------------------------------------------------------------ missing

#[test]
fn missing_lists_the_closest_permit() {
    let decls = "permission org:tasks:view\npermission org:tasks:manage\nrole org:viewer = [org:tasks:view]";
    let p = t(&format!("{decls}\nresource doc {{}}\naction read on doc\npermit read on doc when has(org:tasks:manage) and has_plan(\"pro\") and licensed\npermit read on doc when has(org:tasks:manage)\nlicense org.metadata.seat"));
    let d = p.d(member("u", "org:viewer"), "read", json!({"type": "doc"}));
    assert_eq!(missing(&d), json!([{"kind": "permission", "name": "org:tasks:manage"}]));
    // No organization: it is needed too.
    let d = p.d(user("u"), "read", json!({"type": "doc"}));
    assert_eq!(
        missing(&d),
        json!([{"kind": "organization", "name": ""}, {"kind": "permission", "name": "org:tasks:manage"}])
    );
    // Signed out: sign in.
    let p = t("resource doc {}\naction read on doc\npermit read on doc when user");
    assert_eq!(missing(&p.d(json!({}), "read", json!({"type": "doc"}))), json!([{"kind": "sign_in", "name": ""}]));
}

#[test]
fn missing_asks_a_signed_out_session_to_sign_in_first() {
    let sign_in = json!({"kind": "sign_in", "name": ""});
    let organization = json!({"kind": "organization", "name": ""});
    let pending = json!({"sub": "u", "sts": "pending", "licensed": true});
    let p = t("permission org:reports:read\nresource report {}\naction read on report\npermit read on report when has(org:reports:read)");
    for claims in [json!({}), pending.clone()] {
        let d = p.d(claims, "read", json!({"type": "report"}));
        assert_eq!(missing(&d), json!([sign_in, organization, {"kind": "permission", "name": "org:reports:read"}]));
    }
    // A license in the user's own claims, a plan, scopes: each after the sign-in.
    let p = t("license claims.licensed\nresource r {}\naction c, p, s on r\npermit c on r when licensed\npermit p on r when has_plan(\"pro\")\npermit s on r when scopes(claims.scope).contains_all([\"a\", \"b\"])");
    for claims in [json!({}), pending] {
        let d = p.d(claims.clone(), "c", json!({"type": "r"}));
        assert_eq!(missing(&d), json!([sign_in, {"kind": "license", "name": "claims.licensed"}]));
        let d = p.d(claims.clone(), "p", json!({"type": "r"}));
        assert_eq!(missing(&d), json!([sign_in, {"kind": "plan", "name": "pro"}]));
        let d = p.d(claims, "s", json!({"type": "r"}));
        assert_eq!(missing(&d), json!([sign_in, {"kind": "scope", "name": "a"}, {"kind": "scope", "name": "b"}]));
    }
    // Signed in, no sign-in.
    let d = p.d(user("u"), "p", json!({"type": "r"}));
    assert_eq!(missing(&d), json!([{"kind": "plan", "name": "pro"}]));
}

#[test]
fn missing_every_requirement_kind() {
    let decls = "permission p\nrole org:boss = [p]\nlicense org.metadata.seat";
    let cases = [
        ("has(p)", json!({"kind": "permission", "name": "p"})),
        ("has_role(org:boss)", json!({"kind": "role", "name": "org:boss"})),
        ("licensed", json!({"kind": "license", "name": "org.metadata.seat"})),
        ("has_plan(\"pro\")", json!({"kind": "plan", "name": "pro"})),
        ("has_feature(\"org:sso\")", json!({"kind": "feature", "name": "org:sso"})),
        ("verified_within(5)", json!({"kind": "verification", "name": "first_factor:5"})),
        ("scopes(context.s).contains_all([\"x\"])", json!({"kind": "scope", "name": "x"})),
    ];
    for (cond, want) in cases {
        let d = cond_policy(decls, cond).dc(member("u", "org:m"), "read", doc(), json!({"s": ""}));
        assert_eq!(missing(&d), json!([want]), "{cond}");
    }
}

#[test]
fn missing_lists_what_lifts_a_matching_forbid() {
    let p = t(TEAM);
    let d = p.d(licensed_member("user_1", "org:member", false), "edit", task("org_1", "user_1"));
    assert_eq!(missing(&d), json!([{"kind": "license", "name": "org.metadata.isLicensed"}]));
}

#[test]
fn missing_never_lists_conditions_the_user_cannot_change() {
    let p = t(TEAM);
    // A member editing someone else's org task: only `org_edit_own` could apply, and it
    // needs `created_by_id == user.id`, which the user cannot change: nothing to list.
    let d = p.d(licensed_member("user_1", "org:member", true), "edit", task("org_1", "user_2"));
    assert_eq!((d.reason.as_str(), missing(&d)), ("no_matching_rule", json!([])));
    // A viewer editing their own org task: the permission is what is missing.
    let d = p.d(licensed_member("user_1", "org:viewer", true), "edit", task("org_1", "user_1"));
    assert_eq!(missing(&d), json!([{"kind": "permission", "name": "org:tasks:edit"}]));
    // Another organization's task: not a candidate.
    let d = p.d(licensed_member("user_1", "org:viewer", true), "edit", task("org_2", "user_1"));
    assert_eq!(missing(&d), json!([]));
}

// ------------------------------------------------------------------------------ Grammar and keywords

#[test]
fn keywords_are_reserved_only_where_an_identifier_is_expected() {
    // `resource.view` is a fine attribute, and so are other words that are keywords elsewhere.
    let p = t("resource doc { view: bool, action: string, role: string, license: int }\naction view on doc\npermit view on doc when resource.view and resource.action == \"x\" and resource.role == \"r\" and resource.license == 1");
    let r = json!({"type": "doc", "view": true, "action": "x", "role": "r", "license": 1});
    assert!(allowed(&p.d(user("u"), "view", r)));
    // Claims keys that are keywords.
    assert!(holds(
        "claims.not and claims.when == \"x\"",
        with(user("u"), json!({"not": true, "when": "x"})),
        json!({})
    ));
    // A reserved word where a name is expected: an error with a hint.
    let all = errors("resource and {}\naction read on and\npermit read on and");
    let (code, line, _, _, help) = &all[0];
    assert_eq!((code.as_str(), *line), ("syntax", 1));
    assert!(help.contains("keyword"), "{help}");
}

#[test]
fn qualified_names_take_no_spaces_around_colons() {
    let (code, line, _, _, _) = error("permission org: tasks\nresource doc {}\naction read on doc\npermit read on doc");
    assert_eq!((code.as_str(), line), ("syntax", 1));
}

#[test]
fn static_errors_render_file_line_column_caret_and_help() {
    let err = Policy::parse_named(
        "x.ord",
        "resource doc { owner_id: string }\naction read on doc\npermit read on doc when resource.ownr_id == user.id",
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("x.ord:3:34"), "{text}");
    assert!(text.contains('^'), "{text}");
    assert!(text.contains("did you mean `owner_id`?"), "{text}");
    let first = err.diagnostics().first().unwrap();
    assert_eq!((first.file.as_str(), first.line, first.column), ("x.ord", 3, 34));
}

#[test]
fn every_problem_is_reported_in_one_run() {
    // Every syntax error (the parser resumes at the next item)...
    let all = errors("resource doc { a: strng }\nresource b { x: it }\naction read on doc\npermit read on doc");
    let at: Vec<(&str, usize)> = all.iter().map(|e| (e.0.as_str(), e.1)).collect();
    assert_eq!(at, vec![("syntax", 1), ("syntax", 2)]);
    // ...and, in a policy that parses, every validation error.
    let all = errors("permission p\nrole r = [q]\nresource doc { a: string }\naction read on doc\npermit read on doc when has(z) and resource.b == \"x\"");
    let at: Vec<(&str, usize)> = all.iter().map(|e| (e.0.as_str(), e.1)).collect();
    assert_eq!(at, vec![("unknown-permission", 2), ("unknown-permission", 5), ("unknown-attribute", 5)]);
}

// ------------------------------------------------------------------------------ Limits

#[test]
fn limits_name_the_limit_that_was_exceeded() {
    let base = "resource doc {}\naction read on doc\npermit read on doc\n";
    let over = |limits: Limits, text: &str| -> String {
        match Policy::parse_with_limits("policy", text, &limits) {
            Ok(_) => panic!("accepted over a limit: {limits:?}"),
            Err(e) => e.to_string(),
        }
    };
    let msg = over(Limits { max_rules: 1, ..Limits::default() }, &format!("{base}permit read on doc\n"));
    assert!(msg.contains("max_rules"), "{msg}");
    let msg = over(Limits { max_policy_bytes: 10, ..Limits::default() }, base);
    assert!(msg.contains("max_policy_bytes"), "{msg}");
    let msg = over(
        Limits { max_string_len: 3, ..Limits::default() },
        &format!("{base}permit read on doc when user.id == \"abcdef\"\n"),
    );
    assert!(msg.contains("max_string_len"), "{msg}");
    let msg = over(
        Limits { max_list_len: 2, ..Limits::default() },
        &format!("{base}permit read on doc when user.id in [\"a\", \"b\", \"c\"]\n"),
    );
    assert!(msg.contains("max_list_len"), "{msg}");
    let msg =
        over(Limits { max_nesting: 2, ..Limits::default() }, &format!("{base}permit read on doc when (((user)))\n"));
    assert!(msg.contains("max_nesting"), "{msg}");
    let msg = over(
        Limits { max_condition_depth: 3, ..Limits::default() },
        &format!("{base}permit read on doc when user and user and user and user\n"),
    );
    assert!(msg.contains("max_condition_depth"), "{msg}");
    // The defaults accept ordinary policies and are documented.
    let d = Limits::default();
    assert_eq!(
        (d.max_policy_bytes, d.max_rules, d.max_nesting, d.max_string_len, d.max_list_len),
        (1 << 20, 100_000, 32, 4096, 1024)
    );
}

// ------------------------------------------------------------------------------ fixes found by this review

#[test]
fn keywords_permit_and_forbid_are_both_reserved_as_names() {
    // Both rule keywords are reserved where a name is expected (before the fix `permit` was
    // and `forbid` was not, so `resource forbid {}` and `permit forbid on doc` parsed).
    for text in [
        "resource forbid {}\naction read on forbid\npermit read on forbid",
        "resource doc {}\naction forbid on doc\npermit forbid on doc",
        "resource permit {}\naction read on permit\npermit read on permit",
    ] {
        let all = errors(text);
        assert!(all.iter().all(|e| e.0 == "syntax" && e.4.contains("is a keyword")), "{all:?}");
    }
    // After `.` in a path they stay fine words.
    let c = with(user("u"), json!({"forbid": true, "permit": true}));
    assert!(holds("claims.forbid and claims.permit", c, json!({})));
}

#[test]
fn integer_literals_cover_the_whole_64_bit_range() {
    // The lexer's own hint says integers range from -9223372036854775808; that literal
    // must be writable.
    let c = with(user("u"), json!({"min": i64::MIN, "max": i64::MAX}));
    assert!(holds("claims.min == -9223372036854775808", c.clone(), json!({})));
    assert!(holds("claims.max == 9223372036854775807", c.clone(), json!({})));
    assert!(holds("claims.min < -9223372036854775807", c.clone(), json!({})));
    assert!(holds("claims.min == - 9223372036854775808 and claims.max == 9223372036854775807", c, json!({})));
    let (code, _, _, msg, _) =
        error("resource doc {}\naction read on doc\npermit read on doc when user.id == 9223372036854775808");
    assert_eq!(code, "lex", "{msg}");
    // A second minus is an error, not an overflow.
    let all = errors("resource doc {}\naction read on doc\npermit read on doc when claims.n == --9223372036854775808");
    assert_eq!(all.len(), 1, "{all:?}");
    // The formatter's output of such a literal parses back to the same policy.
    let p =
        Policy::parse("resource doc {}\naction read on doc\npermit read on doc when claims.n == -9223372036854775808")
            .unwrap();
    assert!(Policy::parse(&p.format()).is_ok(), "{}", p.format());
}

#[test]
fn missing_combines_the_forbid_lift_and_the_closest_permit() {
    let p = t(TEAM);
    // Unlicensed viewer on their own org task: the license lifts the forbid, and the
    // permission makes `org_edit_own` match.
    let d = p.d(licensed_member("user_1", "org:viewer", false), "edit", task("org_1", "user_1"));
    assert_eq!(d.reason.as_str(), "forbidden:license_required");
    assert_eq!(
        missing(&d),
        json!([{"kind": "license", "name": "org.metadata.isLicensed"}, {"kind": "permission", "name": "org:tasks:edit"}])
    );
    // An allow has nothing missing.
    let d = p.d(licensed_member("user_1", "org:member", true), "edit", task("org_1", "user_1"));
    assert_eq!(missing(&d), json!([]));
}

#[test]
fn null_is_absent_only_where_the_doc_says_so() {
    // An optional resource attribute that is `null` is absent: a bare test is false.
    let p = t("resource doc { f?: bool }\naction read on doc\npermit read on doc\nforbid read on doc when resource.f");
    assert!(allowed(&p.d(user("u"), "read", json!({"type": "doc", "f": null}))));
    assert!(allowed(&p.d(user("u"), "read", json!({"type": "doc"}))));
    assert_eq!(p.d(user("u"), "read", json!({"type": "doc", "f": true})).reason.as_str(), "forbidden:policy:4");
    // In untyped data (claims, context, metadata) `null` is not a boolean: an error, so a
    // forbid on it fails closed; `present` is the way to test it.
    let c = with(user("u"), json!({"x": null}));
    assert_eq!(forbid_reason("", "claims.x", c.clone(), json!({})), "forbid_errored");
    assert_eq!(forbid_reason("", "context.x", user("u"), json!({"x": null})), "forbid_errored");
    assert_eq!(forbid_reason("", "present(claims.x)", c, json!({})), "permit");
    // Absent organization metadata in a personal session is absent, not an error.
    assert_eq!(forbid_reason("", "org.metadata.beta", user("u"), json!({})), "permit");
    assert_eq!(forbid_reason("", "present(org.metadata.beta)", user("u"), json!({})), "permit");
}

#[test]
fn scopes_of_an_absent_claim_are_none() {
    let p = cond_policy("", "scopes(context.approved).contains_all([\"a\"])");
    let d = p.dc(user("u"), "read", doc(), json!({}));
    assert_eq!((d.allowed, missing(&d)), (false, json!([{"kind": "scope", "name": "a"}])));
}

#[test]
fn grammar_trailing_commas_and_annotations() {
    let p = t("permission a\nrole r = [a,]\nresource doc { x: string, }\naction read on doc\npermit read on doc when resource.x in [\"1\", \"2\",] and has(a)");
    assert!(allowed(&p.d(member("u", "r"), "read", json!({"type": "doc", "x": "2"}))));
    let (code, line, _, _, _) = error("resource doc {}\naction read on doc\n@id(\"\") permit read on doc");
    assert_eq!((code.as_str(), line), ("syntax", 3));
    let (code, _, _, msg, _) = error("resource doc {}\naction read on doc\n@name(\"x\") permit read on doc");
    assert!(code == "syntax" && msg.contains("@name"), "{msg}");
    // Rules with a `because` code: a machine code (letters, digits, `_`, `-`, `.`, `:`).
    let (code, line, col, _, _) =
        error("resource doc {}\naction read on doc\npermit read on doc\nforbid read on doc because \"two words\"");
    assert_eq!((code.as_str(), line, col), ("syntax", 4, 28));
    let p = t("resource doc {}\naction read on doc\npermit read on doc\nforbid read on doc because \"a-b.c:d_e9\"");
    assert_eq!(p.d(user("u"), "read", json!({"type": "doc"})).reason.as_str(), "forbidden:a-b.c:d_e9");
}

#[test]
fn words_may_start_with_an_underscore_and_strings_hide_comment_marks() {
    let p = t("resource doc { _x: bool }\naction read on doc\npermit read on doc when resource._x and claims.s == \"a // b # c\"");
    assert!(allowed(&p.d(with(user("u"), json!({"s": "a // b # c"})), "read", json!({"type": "doc", "_x": true}))));
    let (code, _, _, _, _) = error("resource doc { 9x: bool }\naction read on doc\npermit read on doc");
    assert_eq!(code, "lex");
}

#[test]
fn has_role_and_has_reject_what_the_doc_rules_out() {
    // `has_role` reads the v2 role (`o.rol`, prefixed `org:`) like the v1 `org_role`.
    let decls = "permission org:tasks:view\npermission org:tasks:edit\nrole org:admin = [org:tasks:view]";
    assert!(cond_policy(decls, "has_role(org:admin)").d(v2_full(), "read", doc()).allowed);
    // `has` takes one permission, not a wildcard.
    let (code, line, _, msg, _) =
        error(&format!("{decls}\nresource doc {{}}\naction read on doc\npermit read on doc when has(org:tasks:*)"));
    assert_eq!((code.as_str(), line), ("syntax", 6), "{msg}");
}

#[test]
fn formatting_keeps_comments_and_decisions() {
    let text = "# header\nresource doc {} // the doc\naction read, write on doc\n// who may read\npermit read on doc when user\npermit write on doc when org # org only\n";
    let p = Policy::parse(text).unwrap();
    let formatted = p.format();
    for comment in ["header", "the doc", "who may read", "org only"] {
        assert!(formatted.contains(comment), "{comment} lost:\n{formatted}");
    }
    let again = t(&formatted);
    assert_eq!(Policy::parse(&formatted).unwrap().format(), formatted, "formatting is stable");
    let before = t(text);
    for (claims, action) in
        [(user("u"), "read"), (json!({}), "read"), (user("u"), "write"), (member("u", "r"), "write")]
    {
        let a = before.d(claims.clone(), action, json!({"type": "doc"}));
        let b = again.d(claims, action, json!({"type": "doc"}));
        assert_eq!(a.allowed, b.allowed);
    }
}

#[test]
fn rules_over_several_types_are_checked_on_each() {
    // An action one of the named types does not declare.
    let all = errors(
        "resource a {}\nresource b {}\naction read on a\naction write on b\npermit read on a, b\npermit write on b",
    );
    let e = all.iter().find(|e| e.0 == "unknown-action").unwrap();
    assert_eq!((e.1, e.2), (5, 8));
    assert!(e.3.contains("`b`"), "{}", e.3);
    // An attribute only one of them declares.
    let all = errors(
        "resource a { x: string }\nresource b {}\naction read on a, b\npermit read on a, b when resource.x == \"1\"",
    );
    assert!(all.iter().any(|e| e.0 == "unknown-attribute" && e.1 == 4), "{all:?}");
    // An attribute with a different type on each.
    let all = errors("resource a { x: string }\nresource b { x: int }\naction read on a, b\npermit read on a, b when present(resource.x)");
    assert!(all.iter().any(|e| e.0 == "type-mismatch" && e.1 == 4), "{all:?}");
    // Declared on both with one type: fine, and read per request.
    let p = t("resource a { x: string }\nresource b { x: string }\naction read on a, b\npermit read on a, b when resource.x == \"1\"");
    assert!(allowed(&p.d(user("u"), "read", json!({"type": "b", "x": "1"}))));
    assert!(!p.d(user("u"), "read", json!({"type": "a", "x": "2"})).allowed);
}

#[test]
fn an_absent_optional_attribute_is_an_error_in_a_comparison() {
    // Missing data fails closed: the permit does not match, a forbid denies.
    assert!(!holds("resource.note == \"x\"", user("u"), json!({})));
    assert!(!holds("resource.note != \"x\"", user("u"), json!({})));
    assert_eq!(forbid_reason("", "resource.note == \"x\"", user("u"), json!({})), "forbid_errored");
    assert_eq!(forbid_reason("", "present(resource.note) and resource.note == \"x\"", user("u"), json!({})), "permit");
}

#[test]
fn missing_names_an_organization_only_when_one_is_needed() {
    // A license read from the user's own claims needs no organization (before the fix the
    // hint said `organization` + `license` in a personal session).
    let p = cond_policy("license claims.seat", "licensed");
    let d = p.d(user("u"), "read", doc());
    assert_eq!(missing(&d), json!([{"kind": "license", "name": "claims.seat"}]));
    // A license in the organization's metadata does need one.
    let p = cond_policy("license org.metadata.seat", "licensed");
    let d = p.d(user("u"), "read", doc());
    assert_eq!(
        missing(&d),
        json!([{"kind": "organization", "name": ""}, {"kind": "license", "name": "org.metadata.seat"}])
    );
    // An organization plan or feature (`org:` prefix) needs an organization; an unscoped or
    // user one does not (before the fix `org:` plans were listed alone, and so looked
    // closer than a permission that needs an organization too).
    for (cond, kind, name) in
        [("has_plan(\"org:pro\")", "plan", "org:pro"), ("has_feature(\"org:sso\")", "feature", "org:sso")]
    {
        let d = cond_policy("", cond).d(user("u"), "read", doc());
        assert_eq!(missing(&d), json!([{"kind": "organization", "name": ""}, {"kind": kind, "name": name}]), "{cond}");
        let d = cond_policy("", cond).d(member("u", "org:m"), "read", doc());
        assert_eq!(missing(&d), json!([{"kind": kind, "name": name}]), "{cond}");
    }
    for cond in ["has_plan(\"pro\")", "has_plan(\"user:pro\")", "has_feature(\"user:sso\")"] {
        let d = cond_policy("", cond).d(user("u"), "read", doc());
        assert_eq!(missing(&d).as_array().map(Vec::len), Some(1), "{cond}: {}", missing(&d));
    }
    // Closest permit: an `org:` plan costs as much as a permission in a personal session,
    // and the first of equals wins.
    let p = cond_policy("permission p", "has(p) or has_plan(\"org:pro\")");
    let d = p.d(user("u"), "read", doc());
    assert_eq!(missing(&d), json!([{"kind": "organization", "name": ""}, {"kind": "permission", "name": "p"}]));
}

#[test]
fn decision_invalid_claims_for_every_registered_claim_set_to_null() {
    let p = t("resource doc {}\naction read on doc\npermit read on doc");
    for key in [
        "sub",
        "sid",
        "azp",
        "iss",
        "jti",
        "exp",
        "nbf",
        "iat",
        "act",
        "v",
        "sts",
        "fva",
        "fea",
        "pla",
        "org_id",
        "org_slug",
        "org_role",
        "org_permissions",
        "org_metadata",
    ] {
        let mut claims = member("u", "org:m");
        claims[key] = Value::Null;
        let d = p.raw(claims, "read", json!({"type": "doc"}), None);
        assert_eq!(d.reason.as_str(), "invalid_claims", "`{key}: null`");
        assert!(d.error.as_deref().is_some_and(|e| e.contains(key)), "{key}: {:?}", d.error);
    }
    let mut v2 = v2_full();
    v2["o"]["id"] = Value::Null;
    assert_eq!(p.raw(v2, "read", json!({"type": "doc"}), None).reason.as_str(), "invalid_claims");
    // A custom claim may be null.
    assert!(allowed(&p.d(with(user("u"), json!({"email": null})), "read", json!({"type": "doc"}))));
}
