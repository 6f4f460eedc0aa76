//! Acceptance tests for issue 6 ("One answer everywhere"), written from the issue text, the
//! design brief, the README and the AuthZEN material only: conformance vectors, Clerk v2
//! session tokens (decoded into the same session as v1), and the AuthZEN Access Evaluation
//! and Access Evaluations APIs. Decisions are also checked against the reference
//! interpreter where the inputs parse.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use ordinance::reference::{reference_decide, reference_missing};
use ordinance::{Context, Decision, Directory, Engine, Policy, Resource, Session};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn engine_text(text: &str) -> Engine {
    Engine::from_policy_text(text).unwrap_or_else(|e| panic!("{e}"))
}

const NOW: i64 = 1_721_770_150;

/// Decides with `decide_value` and with `decide_json` (the one-pass claims reader), checks
/// both agree, and checks the reference interpreter agrees when the inputs parse.
fn decide_all(engine: &Engine, policy: &Policy, claims: &Value, action: &str, resource: &Value) -> Decision {
    decide_ctx(engine, policy, claims, action, resource, None, NOW)
}

fn decide_ctx(
    engine: &Engine,
    policy: &Policy,
    claims: &Value,
    action: &str,
    resource: &Value,
    context: Option<&Value>,
    now: i64,
) -> Decision {
    let by_value = engine.decide_value(claims.clone(), action, resource.clone(), context.cloned(), Some(now));
    let ctx_text = context.map(Value::to_string);
    let by_json =
        engine.decide_json(&claims.to_string(), action, &resource.to_string(), ctx_text.as_deref(), Some(now));
    assert_eq!(by_value.to_json(), by_json.to_json(), "value vs json path for {claims} {action} {resource}");
    if let (Ok(s), Ok(r)) = (Session::from_claims(claims.clone()), Resource::from_value(resource.clone())) {
        let ctx = match context {
            None => Some(Context::default()),
            Some(c) => Context::from_value(c.clone()).ok(),
        };
        if let Some(ctx) = ctx {
            let (allowed, reason, rule) = reference_decide(policy, &s, action, &r, &ctx, now);
            assert_eq!(
                (allowed, reason.as_str(), rule.as_deref()),
                (by_value.allowed, &*by_value.reason, by_value.rule.as_deref()),
                "reference interpreter disagrees for {claims} {action} {resource}"
            );
            let forbidden = by_value.reason.starts_with("forbidden:");
            if !by_value.allowed && (forbidden || by_value.reason == "no_matching_rule") {
                let want = reference_missing(policy, &s, action, &r, &ctx, forbidden);
                assert_eq!(by_value.missing, want, "reference hints disagree for {claims} {action} {resource}");
            }
        }
    }
    by_value
}

// ---------------------------------------------------------------------------------------
// Clerk session token v2
// ---------------------------------------------------------------------------------------

const FEATURE_POLICY: &str = r#"
permission org:repositories:read "r"
permission org:repositories:create "c"
permission org:repositories:update "u"
permission org:repositories:delete "d"
permission org:projects:read "r"
permission org:projects:create "c"
permission org:projects:update "u"
permission org:projects:revoke "v"
permission org:dashboard:manage "m"
permission org:dashboard:read "r"
permission org:teams:read "r"
permission org:teams:manage "m"
permission org:tasks:view "v"
permission org:tasks:edit "e"

role org:member = [org:tasks:view, org:tasks:edit]
role org:admin = []

resource ws {}
action probe, role_admin, role_member, slug, org_id, edit_tasks on ws
action plan_pro, plan_org_pro, plan_user_pro, plan_free, plan_user_free, plan_org_free on ws
action feat_repos, feat_org_repos, feat_user_repos, feat_projects, feat_user_projects, feat_org_projects on ws
action feat_border, feat_org_border, feat_user_border on ws
action fa10, fa5, sf10, mf10, signed_in, email, not_impersonated on ws
action repo_read, repo_create, repo_update, repo_delete, proj_read, proj_create, proj_update, proj_revoke on ws
action dash_manage, dash_read, teams_read, teams_manage on ws

permit probe on ws
permit role_admin on ws when has_role(org:admin) and org.role == "org:admin"
permit role_member on ws when has_role(org:member)
permit slug on ws when org and org.slug == "acme"
permit org_id on ws when org and org.id == "org_1"
permit edit_tasks on ws when has(org:tasks:edit)
permit plan_pro on ws when has_plan("pro")
permit plan_org_pro on ws when has_plan("org:pro")
permit plan_user_pro on ws when has_plan("user:pro")
permit plan_free on ws when has_plan("free")
permit plan_user_free on ws when has_plan("user:free")
permit plan_org_free on ws when has_plan("org:free")
permit feat_repos on ws when has_feature("repositories")
permit feat_org_repos on ws when has_feature("org:repositories")
permit feat_user_repos on ws when has_feature("user:repositories")
permit feat_projects on ws when has_feature("projects")
permit feat_user_projects on ws when has_feature("user:projects")
permit feat_org_projects on ws when has_feature("org:projects")
permit feat_border on ws when has_feature("goldprofileborder")
permit feat_org_border on ws when has_feature("org:goldprofileborder")
permit feat_user_border on ws when has_feature("user:goldprofileborder")
permit fa10 on ws when verified_within(10)
permit fa5 on ws when verified_within(5)
permit sf10 on ws when verified_within(10, second_factor)
permit mf10 on ws when verified_within(10, multi_factor)
permit signed_in on ws when user
permit email on ws when claims.email == "me@example.com"
permit not_impersonated on ws when user
forbid not_impersonated on ws when session.actor because "impersonated"
permit repo_read on ws when has(org:repositories:read)
permit repo_create on ws when has(org:repositories:create)
permit repo_update on ws when has(org:repositories:update)
permit repo_delete on ws when has(org:repositories:delete)
permit proj_read on ws when has(org:projects:read)
permit proj_create on ws when has(org:projects:create)
permit proj_update on ws when has(org:projects:update)
permit proj_revoke on ws when has(org:projects:revoke)
permit dash_manage on ws when has(org:dashboard:manage)
permit dash_read on ws when has(org:dashboard:read)
permit teams_read on ws when has(org:teams:read)
permit teams_manage on ws when has(org:teams:manage)
"#;

struct Features {
    engine: Engine,
    policy: Policy,
}

impl Features {
    fn new() -> Features {
        Features { engine: engine_text(FEATURE_POLICY), policy: Policy::parse(FEATURE_POLICY).unwrap() }
    }

    fn decide(&self, claims: &Value, action: &str) -> Decision {
        decide_all(&self.engine, &self.policy, claims, action, &json!({"type": "ws"}))
    }

    /// The actions of `actions` this token is allowed.
    fn allowed(&self, claims: &Value, actions: &[&str]) -> Vec<String> {
        actions.iter().filter(|a| self.decide(claims, a).allowed).map(|a| a.to_string()).collect()
    }
}

const PERMISSION_ACTIONS: [&str; 12] = [
    "repo_read",
    "repo_create",
    "repo_update",
    "repo_delete",
    "proj_read",
    "proj_create",
    "proj_update",
    "proj_revoke",
    "dash_manage",
    "dash_read",
    "teams_read",
    "teams_manage",
];

#[test]
fn v2_issue_example_decodes_org_features_permissions() {
    let f = Features::new();
    let token = json!({"v": 2, "sub": "user_1", "sid": "sess_1", "exp": NOW + 60, "iat": NOW - 10, "nbf": NOW - 20,
        "fea": "o:repositories,uo:projects,u:goldprofileborder",
        "o": {"id": "org_1", "slg": "acme", "rol": "admin", "per": "read,create,update,delete,revoke", "fpm": "7,21"}});
    assert_eq!(
        f.allowed(&token, &PERMISSION_ACTIONS),
        ["repo_read", "repo_create", "repo_update", "proj_read", "proj_update", "proj_revoke"]
    );
    let s = Session::from_claims(token.clone()).unwrap();
    assert_eq!(s.token_version(), 2);
    assert_eq!(s.org_id(), Some("org_1"));
    assert_eq!(s.org_role(), Some("org:admin"));
    // A user-only feature never becomes organization permissions.
    assert!(s.org_permissions().iter().all(|p| !p.contains("goldprofileborder")));
    assert_eq!(f.allowed(&token, &["role_admin", "role_member", "slug", "org_id"]), ["role_admin", "slug", "org_id"]);
}

#[test]
fn v2_fpm_follows_the_order_of_the_organization_features_in_fea() {
    // User-only features take no mask, wherever they stand in `fea`.
    let f = Features::new();
    let token = json!({"v": 2, "sub": "user_1", "fea": "u:goldprofileborder,o:repositories,u:x,uo:projects",
        "o": {"id": "org_1", "rol": "admin", "per": "read,create,update,delete,revoke", "fpm": "7,21"}});
    assert_eq!(
        f.allowed(&token, &PERMISSION_ACTIONS),
        ["repo_read", "repo_create", "repo_update", "proj_read", "proj_update", "proj_revoke"]
    );
    // Swapping the features swaps their masks.
    let token = json!({"v": 2, "sub": "user_1", "fea": "uo:projects,o:repositories",
        "o": {"id": "org_1", "rol": "admin", "per": "read,create,update,delete,revoke", "fpm": "7,21"}});
    assert_eq!(
        f.allowed(&token, &PERMISSION_ACTIONS),
        ["repo_read", "repo_update", "proj_read", "proj_create", "proj_update"]
    );
}

#[test]
fn v2_duplicate_keys_inside_o_are_invalid() {
    let text = r#"{"v": 2, "sub": "user_1", "o": {"id": "org_1", "id": "org_2", "rol": "admin"}}"#;
    assert!(Session::from_claims_json(text).is_err());
    let e = Features::new().engine;
    let d = e.decide_json(text, "probe", r#"{"type": "ws"}"#, None, Some(NOW));
    assert_eq!(d.reason, "invalid_claims");
}

#[test]
fn v2_session_token_page_example() {
    // Clerk's session-token page: admin with dashboard:read, dashboard:manage, teams:read
    // is fea "o:dashboard,o:teams", per "manage,read", fpm "3,2".
    let f = Features::new();
    let token = json!({"v": 2, "sub": "user_1", "fea": "o:dashboard,o:teams",
        "o": {"id": "org_1", "rol": "admin", "per": "manage,read", "fpm": "3,2"}});
    assert_eq!(f.allowed(&token, &PERMISSION_ACTIONS), ["dash_manage", "dash_read", "teams_read"]);
}

#[test]
fn v2_role_without_prefix_reaches_the_role_table() {
    let f = Features::new();
    let v2 = json!({"v": 2, "sub": "user_1", "o": {"id": "org_1", "rol": "member"}});
    let v1 = json!({"sub": "user_1", "org_id": "org_1", "org_role": "org:member"});
    for token in [&v2, &v1] {
        assert_eq!(f.allowed(token, &["role_admin", "role_member", "edit_tasks"]), ["role_member", "edit_tasks"]);
    }
}

#[test]
fn v2_plans_follow_clerks_has_plan_scope_rules() {
    let f = Features::new();
    let actions = ["plan_pro", "plan_org_pro", "plan_user_pro", "plan_free", "plan_user_free", "plan_org_free"];
    let token = json!({"v": 2, "sub": "user_1", "pla": "u:free,o:pro", "o": {"id": "org_1", "rol": "admin"}});
    assert_eq!(f.allowed(&token, &actions), ["plan_pro", "plan_org_pro", "plan_free", "plan_user_free"]);
    let both = json!({"v": 2, "sub": "user_1", "pla": "uo:pro", "o": {"id": "org_1", "rol": "admin"}});
    assert_eq!(f.allowed(&both, &actions), ["plan_pro", "plan_org_pro", "plan_user_pro"]);
    let personal = json!({"v": 2, "sub": "user_1", "pla": "u:free"});
    assert_eq!(f.allowed(&personal, &actions), ["plan_free", "plan_user_free"]);
    // With no organization active, a `uo:` plan is the user's only: an `org:` check fails
    // and its hint asks for an organization first.
    for token in [json!({"v": 2, "sub": "user_1", "pla": "uo:pro"}), json!({"sub": "user_1", "pla": "uo:pro"})] {
        assert_eq!(f.allowed(&token, &actions), ["plan_pro", "plan_user_pro"], "{token}");
        let d = f.decide(&token, "plan_org_pro");
        let missing: Vec<(&str, &str)> = d.missing.iter().map(|m| (&*m.kind, &*m.name)).collect();
        assert_eq!(missing, [("organization", ""), ("plan", "org:pro")], "{}", d.to_json());
    }
    // A plan denial names the plan.
    let d = f.decide(&personal, "plan_pro");
    assert!(!d.allowed);
    assert!(d.missing.iter().any(|m| &*m.kind == "plan"), "{}", d.to_json());
}

#[test]
fn v2_features_follow_clerks_has_feature_scope_rules() {
    let f = Features::new();
    let token = json!({"v": 2, "sub": "user_1", "fea": "o:repositories,uo:projects,u:goldprofileborder",
        "o": {"id": "org_1", "rol": "admin", "per": "read", "fpm": "1,1"}});
    let actions = [
        "feat_repos",
        "feat_org_repos",
        "feat_user_repos",
        "feat_projects",
        "feat_user_projects",
        "feat_org_projects",
        "feat_border",
        "feat_org_border",
        "feat_user_border",
    ];
    assert_eq!(
        f.allowed(&token, &actions),
        [
            "feat_repos",
            "feat_org_repos",
            "feat_projects",
            "feat_user_projects",
            "feat_org_projects",
            "feat_border",
            "feat_user_border"
        ]
    );
    let d = f.decide(&json!({"v": 2, "sub": "user_1"}), "feat_border");
    assert!(d.missing.iter().any(|m| &*m.kind == "feature"), "{}", d.to_json());
    // In a personal session a `uo:` feature is the user's only.
    let personal = json!({"v": 2, "sub": "user_1", "fea": "uo:projects"});
    assert_eq!(f.allowed(&personal, &actions), ["feat_projects", "feat_user_projects"]);
}

#[test]
fn v2_fva_gives_reverification() {
    let f = Features::new();
    let acts = ["fa10", "fa5", "sf10", "mf10"];
    let with = |fva: Value| json!({"v": 2, "sub": "user_1", "fva": fva});
    assert_eq!(f.allowed(&with(json!([7, -1])), &acts), ["fa10"]);
    assert_eq!(f.allowed(&with(json!([3, 2])), &acts), ["fa10", "fa5", "sf10", "mf10"]);
    assert_eq!(f.allowed(&with(json!([3, 20])), &acts), ["fa10", "fa5"]);
    assert_eq!(f.allowed(&with(json!([-1, -1])), &acts), Vec::<String>::new());
    assert_eq!(f.allowed(&json!({"v": 2, "sub": "user_1"}), &acts), Vec::<String>::new());
    let d = f.decide(&with(json!([30, -1])), "fa10");
    assert!(!d.allowed);
    assert!(d.missing.iter().any(|m| &*m.kind == "verification"), "{}", d.to_json());
    // Malformed fva is invalid_claims.
    for bad in [json!([7]), json!("7,-1"), json!([7, "x"]), json!([1.5, 2]), json!([-2, 0])] {
        assert_eq!(f.decide(&with(bad.clone()), "probe").reason, "invalid_claims", "fva {bad}");
    }
}

#[test]
fn v2_pending_session_is_signed_out() {
    let f = Features::new();
    let pending = json!({"v": 2, "sub": "user_1", "sts": "pending", "email": "me@example.com",
        "fea": "o:repositories", "pla": "o:pro", "fva": [1, 1],
        "o": {"id": "org_1", "slg": "acme", "rol": "admin", "per": "read", "fpm": "1"}});
    let all = [
        "signed_in",
        "email",
        "role_admin",
        "slug",
        "org_id",
        "plan_pro",
        "feat_repos",
        "fa10",
        "repo_read",
        "not_impersonated",
    ];
    assert_eq!(f.allowed(&pending, &all), ["probe"; 0]);
    assert!(f.decide(&pending, "probe").allowed);
    let mut active = pending.clone();
    active["sts"] = json!("active");
    assert_eq!(f.allowed(&active, &all), all);
}

#[test]
fn v2_impersonation_is_visible() {
    let f = Features::new();
    let token = json!({"v": 2, "sub": "user_1", "act": {"sub": "user_admin"}});
    let d = f.decide(&token, "not_impersonated");
    assert!(!d.allowed);
    assert_eq!(d.reason, "forbidden:impersonated");
    assert!(f.decide(&json!({"v": 2, "sub": "user_1"}), "not_impersonated").allowed);
}

#[test]
fn v2_strict_where_clerk_is_lax() {
    let f = Features::new();
    let org = |o: Value, fea: &str| json!({"v": 2, "sub": "user_1", "fea": fea, "o": o});
    let bad = [
        // a bitmask wider than `per`
        org(json!({"id": "org_1", "per": "read,create", "fpm": "4"}), "o:repositories"),
        org(
            json!({"id": "org_1", "per": "read,create,update,delete,revoke", "fpm": "7,32"}),
            "o:repositories,uo:projects",
        ),
        // an `fea` entry with no colon
        org(json!({"id": "org_1", "per": "read", "fpm": "1"}), "repositories"),
        org(json!({"id": "org_1", "per": "read", "fpm": "1"}), "o:repositories,projects"),
        // an unknown scope
        org(json!({"id": "org_1", "per": "read", "fpm": "1"}), "x:repositories"),
        org(json!({"id": "org_1", "per": "read", "fpm": "1,1"}), "o:repositories,ou:projects"),
        // a non-numeric fpm
        org(json!({"id": "org_1", "per": "read", "fpm": "one"}), "o:repositories"),
        org(json!({"id": "org_1", "per": "read", "fpm": "1,x"}), "o:repositories,o:projects"),
        org(json!({"id": "org_1", "per": "read", "fpm": "-1"}), "o:repositories"),
        org(json!({"id": "org_1", "per": "read", "fpm": "1.0"}), "o:repositories"),
        org(json!({"id": "org_1", "per": "read", "fpm": 1}), "o:repositories"),
        // not one mask per organization feature
        org(json!({"id": "org_1", "per": "read", "fpm": "1,1"}), "o:repositories"),
        org(json!({"id": "org_1", "per": "read", "fpm": "1"}), "o:repositories,uo:projects"),
        // wrong shapes
        json!({"v": 2, "sub": "user_1", "o": "org_1"}),
        json!({"v": 2, "sub": "user_1", "o": {"rol": "admin"}}),
        json!({"v": 2, "sub": "user_1", "o": {"id": 7}}),
        json!({"v": 2, "sub": "user_1", "pla": "pro"}),
        json!({"v": 2, "sub": "user_1", "pla": "z:pro"}),
        json!({"v": "2", "sub": "user_1"}),
        json!({"v": 3, "sub": "user_1"}),
        json!({"v": 2, "sub": "user_1", "sts": "weird"}),
    ];
    for claims in bad {
        for action in ["probe", "repo_read", "signed_in"] {
            let d = f.decide(&claims, action);
            assert!(!d.allowed, "{claims}");
            assert_eq!(d.reason, "invalid_claims", "{claims} {action}: {}", d.to_json());
            assert!(d.error.is_some(), "{claims}");
        }
        assert!(Session::from_claims(claims.clone()).is_err(), "{claims}");
        assert!(Session::from_claims_json(&claims.to_string()).is_err(), "{claims}");
    }
}

// ---------------------------------------------------------------------------------------
// v1 and v2 give the same decisions (own converter, independent of the checked-in twins)
// ---------------------------------------------------------------------------------------

/// The v2 equivalent of a well-formed v1 token, or `None` when its permissions cannot be
/// written as `org:<feature>:<name>`.
fn to_v2(v1: &Value) -> Option<Value> {
    let mut claims = v1.as_object()?.clone();
    if claims.contains_key("v") || claims.contains_key("o") {
        return None;
    }
    let mut out = Map::new();
    out.insert("v".into(), json!(2));
    let org_id = claims.remove("org_id");
    let slug = claims.remove("org_slug");
    let role = claims.remove("org_role");
    let perms = claims.remove("org_permissions");
    if let Some(id) = org_id {
        let mut o = Map::new();
        o.insert("id".into(), id);
        if let Some(s) = slug {
            o.insert("slg".into(), s);
        }
        if let Some(r) = role {
            o.insert("rol".into(), json!(r.as_str()?.strip_prefix("org:")?));
        }
        let mut features: Vec<String> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        let mut grants: Vec<(usize, usize)> = Vec::new();
        for p in perms.as_ref().and_then(Value::as_array).into_iter().flatten() {
            let parts: Vec<&str> = p.as_str()?.split(':').collect();
            let ["org", feature, name] = parts.as_slice() else { return None };
            let fi = features.iter().position(|f| f == feature).unwrap_or_else(|| {
                features.push(feature.to_string());
                features.len() - 1
            });
            let ni = names.iter().position(|n| n == name).unwrap_or_else(|| {
                names.push(name.to_string());
                names.len() - 1
            });
            grants.push((fi, ni));
        }
        if !features.is_empty() {
            let mut masks = vec![0u64; features.len()];
            for (fi, ni) in grants {
                masks[fi] |= 1 << ni;
            }
            let mut fea: Vec<String> = match claims.remove("fea") {
                Some(Value::String(s)) if !s.is_empty() => s.split(',').map(str::to_owned).collect(),
                Some(Value::String(_)) | None => Vec::new(),
                Some(_) => return None,
            };
            if fea.iter().any(|e| e.starts_with("o:") || e.starts_with("uo:")) {
                return None;
            }
            fea.extend(features.iter().map(|f| format!("o:{f}")));
            out.insert("fea".into(), json!(fea.join(",")));
            o.insert("per".into(), json!(names.join(",")));
            o.insert("fpm".into(), json!(masks.iter().map(u64::to_string).collect::<Vec<_>>().join(",")));
        }
        out.insert("o".into(), Value::Object(o));
    } else if slug.is_some() || role.is_some() || perms.is_some() {
        return None;
    }
    out.extend(claims);
    Some(Value::Object(out))
}

/// A vector's `now`, optional in the issue's format: without it, the clock.
fn vector_now(v: &Value) -> i64 {
    match v.get("now") {
        None => {
            let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
            i64::try_from(since.as_secs()).unwrap()
        }
        Some(now) => now.as_i64().unwrap_or_else(|| panic!("`now` must be an integer: {v}")),
    }
}

fn vector_files() -> Vec<PathBuf> {
    let dir = root().join("tests/conformance");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn load_engine(file: &Path, doc: &Value) -> (Engine, Policy) {
    let base = file.parent().unwrap();
    let policy_path = base.join(doc["policy"].as_str().unwrap());
    let policy = Policy::from_file(&policy_path).unwrap_or_else(|e| panic!("{e}"));
    let mut engine = Engine::new(policy.clone());
    if let Some(dir) = doc.get("directory").and_then(Value::as_str) {
        let text = std::fs::read_to_string(base.join(dir)).unwrap();
        engine = engine.with_directory(Directory::from_json(&text).unwrap());
    }
    (engine, policy)
}

/// The shipped policies (every `policies/*.ord`) with the actions of their resource types.
fn shipped_policies() -> Vec<(String, Engine, Policy)> {
    let mut out = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join("policies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ord"))
        .collect();
    paths.sort();
    for path in paths {
        let policy = Policy::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        out.push((name, Engine::new(policy.clone()), policy));
    }
    assert!(out.len() >= 5, "{}", out.len());
    out
}

#[test]
fn every_v1_token_and_its_v2_equivalent_decide_alike_on_every_shipped_policy() {
    // Every well-formed v1 token of the suite, and every (resource, context, now) the
    // suite asks about, grouped by resource type.
    let mut tokens: Vec<Value> = Vec::new();
    let mut requests: std::collections::BTreeMap<String, Vec<(Value, Option<Value>, i64)>> = Default::default();
    for file in vector_files() {
        let doc = read_json(&file);
        for v in doc["vectors"].as_array().unwrap() {
            let claims = &v["claims"];
            if Session::from_claims(claims.clone()).is_ok() && claims.get("v").is_none() && !tokens.contains(claims) {
                tokens.push(claims.clone());
            }
            let Some(ty) = v["resource"].get("type").and_then(Value::as_str) else { continue };
            let req = (v["resource"].clone(), v.get("context").cloned(), vector_now(v));
            let list = requests.entry(ty.to_owned()).or_default();
            if list.len() < 24 && !list.contains(&req) {
                list.push(req);
            }
        }
    }
    // Tokens with the custom claims the AuthZEN Todo policy reads.
    for roles in [json!(["editor"]), json!(["admin", "evil_genius"]), json!(["viewer"])] {
        tokens.push(json!({"sub": "user_me", "roles": roles, "email": "rick@the-citadel.com", "org_id": "org_1",
            "org_role": "org:member", "org_permissions": ["org:tasks:view"], "org_metadata": {"isLicensed": true}}));
        tokens.push(json!({"sub": "user_me", "roles": roles, "email": "user_me"}));
    }
    // The AuthZEN Todo policy's resources.
    let todo = |owner: &str| json!({"type": "todo", "id": "t1", "ownerID": owner});
    requests.insert(
        "todo".into(),
        vec![
            (todo("user_me"), None, NOW),
            (todo("rick@the-citadel.com"), None, NOW),
            (json!({"type": "todo"}), None, NOW),
        ],
    );
    requests.insert("user".into(), vec![(json!({"type": "user", "id": "beth@the-smiths.com"}), None, NOW)]);
    let converted: Vec<(Value, Value)> = tokens.iter().filter_map(|t| Some((t.clone(), to_v2(t)?))).collect();
    assert!(converted.len() >= 40, "only {} v1 tokens converted of {}", converted.len(), tokens.len());
    let mut compared = 0;
    for (name, engine, policy) in shipped_policies() {
        let src = std::fs::read_to_string(root().join(format!("policies/{name}.ord"))).unwrap();
        let mut asked = 0;
        for (ty, reqs) in &requests {
            if !src.contains(&format!("resource {ty} ")) {
                continue;
            }
            let actions: Vec<String> = src
                .lines()
                .filter_map(|l| l.strip_prefix("action "))
                .filter(|l| l.trim_end().ends_with(&format!("on {ty}")))
                .flat_map(|l| {
                    l.split(" on ").next().unwrap().split(',').map(|a| a.trim().to_owned()).collect::<Vec<_>>()
                })
                .collect();
            assert!(!actions.is_empty(), "{name}: no actions on {ty}");
            for (v1, v2) in &converted {
                for (resource, ctx, now) in reqs {
                    for action in &actions {
                        let a = decide_ctx(&engine, &policy, v1, action, resource, ctx.as_ref(), *now);
                        let b = decide_ctx(&engine, &policy, v2, action, resource, ctx.as_ref(), *now);
                        assert_eq!(a.to_json(), b.to_json(), "{name}: {v1} vs {v2} / {action} {resource}");
                        compared += 1;
                        asked += 1;
                    }
                }
            }
        }
        assert!(asked > 0, "{name}: nothing asked");
    }
    assert!(compared > 5_000, "{compared}");
}

// ---------------------------------------------------------------------------------------
// Conformance vector files
// ---------------------------------------------------------------------------------------

#[test]
fn every_vector_file_is_well_formed_and_passes() {
    let files = vector_files();
    assert!(files.len() >= 5, "{files:?}");
    let mut total = 0;
    for file in files {
        let doc = read_json(&file);
        assert!(doc["description"].is_string(), "{}", file.display());
        let (engine, policy) = load_engine(&file, &doc);
        let mut names = std::collections::HashSet::new();
        for v in doc["vectors"].as_array().unwrap() {
            let name = v["name"].as_str().unwrap();
            assert!(names.insert(name.to_owned()), "{}: duplicate name {name}", file.display());
            let expected = v["expected"].as_object().unwrap();
            for key in ["allowed", "reason", "missing"] {
                assert!(expected.contains_key(key), "{}: {name} lacks {key}", file.display());
            }
            let now = vector_now(v);
            let d = decide_ctx(
                &engine,
                &policy,
                &v["claims"],
                v["action"].as_str().unwrap(),
                &v["resource"],
                v.get("context"),
                now,
            );
            // `permitted_actions` (the UI's many-buttons call) agrees with `decide`.
            let ctx = match v.get("context") {
                None => Some(None),
                Some(c) => Context::from_value(c.clone()).ok().map(Some),
            };
            if let (Ok(s), Ok(r), Some(ctx)) =
                (Session::from_claims(v["claims"].clone()), Resource::from_value(v["resource"].clone()), ctx)
            {
                let opts = ordinance::Options { now: Some(now), context: ctx };
                let permitted = engine.permitted_actions(&s, &r, &opts);
                let action = v["action"].as_str().unwrap();
                assert_eq!(
                    permitted.iter().any(|a| a == action),
                    d.allowed,
                    "{}: {name}: {permitted:?}",
                    file.display()
                );
                assert_eq!(
                    engine.decide_with(&s, action, &r, &opts).to_json(),
                    d.to_json(),
                    "{}: {name}",
                    file.display()
                );
                // So does `explain` (the CLI's and the debugger's view of the same decision).
                let explained = engine.explain(&s, action, &r, &opts).decision.to_json();
                assert_eq!(explained, d.to_json(), "{}: {name}: explain", file.display());
            }
            let got = d.to_json();
            let restricted: Map<String, Value> =
                expected.keys().map(|k| (k.clone(), got.get(k).cloned().unwrap_or(Value::Null))).collect();
            assert_eq!(&restricted, expected, "{}: {name}", file.display());
            total += 1;
        }
    }
    assert!(total > 2000, "{total}");
}

#[test]
fn generated_team_tasks_vectors_cover_every_combination() {
    let doc = read_json(&root().join("tests/conformance/team_tasks.json"));
    let vectors = doc["vectors"].as_array().unwrap();
    let mut roles = std::collections::BTreeSet::new();
    let mut actions = std::collections::BTreeSet::new();
    let mut licensed = std::collections::BTreeSet::new();
    let mut owners = std::collections::BTreeSet::new();
    for v in vectors {
        roles.insert(v["claims"].get("org_role").and_then(Value::as_str).unwrap_or("-").to_owned());
        actions.insert(v["action"].as_str().unwrap().to_owned());
        licensed.insert(v["claims"].pointer("/org_metadata/isLicensed").cloned().unwrap_or(Value::Null).to_string());
        owners.insert(v["resource"]["owner_id"].as_str().unwrap().to_owned());
    }
    for r in ["org:viewer", "org:member", "org:manager", "org:admin", "-"] {
        assert!(roles.contains(r), "{roles:?}");
    }
    assert_eq!(actions.len(), 5);
    assert!(licensed.len() >= 3, "{licensed:?}");
    assert!(owners.len() >= 3, "{owners:?}");
}

// ---------------------------------------------------------------------------------------
// AuthZEN
// ---------------------------------------------------------------------------------------

fn todo_engine() -> Engine {
    let policy = Policy::from_file(root().join("policies/authzen_todo.ord")).unwrap();
    let dir = std::fs::read_to_string(root().join("policies/authzen_todo.directory.json")).unwrap();
    Engine::new(policy).with_directory(Directory::from_json(&dir).unwrap())
}

#[test]
fn authzen_upstream_files_are_unchanged_copies() {
    let peers = Path::new("/work/shared/peers/authzen");
    let here = root().join("tests/conformance/authzen");
    for name in ["decisions-authorization-api-1_0-02.json", "decisions-authorization-api-1_0-01.json", "LICENSE"] {
        let ours = std::fs::read(here.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        if peers.exists() {
            assert_eq!(ours, std::fs::read(peers.join(name)).unwrap(), "{name} differs from the upstream copy");
        }
    }
    let source = std::fs::read_to_string(here.join("SOURCE.md")).unwrap();
    assert!(source.contains("github.com/openid/authzen"));
    assert!(source.contains("e287920eed842b227e38531c1735b712337ca44d"));
}

fn run_suite(engine: &Engine, file: &Path) -> (usize, usize) {
    let doc = read_json(file);
    let mut singles = 0;
    for case in doc["evaluation"].as_array().unwrap() {
        let got = engine.evaluate(&case["request"]).unwrap_or_else(|e| panic!("{e}: {}", case["request"]));
        assert_eq!(got["decision"], case["expected"], "{}: {}", file.display(), case["request"]);
        if got["decision"] == json!(true) {
            assert_eq!(got, json!({"decision": true}));
        } else {
            assert!(got["context"]["reason_admin"].is_object(), "{got}");
        }
        // The batch endpoint without `evaluations` answers as the single one; so does the
        // JSON text entry point.
        assert_eq!(engine.evaluations(&case["request"]).unwrap(), got);
        assert_eq!(engine.evaluate_json(&case["request"].to_string(), None).unwrap(), got);
        // One item in a batch gives the same decision.
        let batch = json!({"evaluations": [case["request"].clone()]});
        assert_eq!(engine.evaluations(&batch).unwrap(), json!({"evaluations": [got.clone()]}));
        singles += 1;
    }
    let mut batches = 0;
    for case in doc.get("evaluations").and_then(Value::as_array).into_iter().flatten() {
        let got = engine.evaluations(&case["request"]).unwrap();
        let decisions: Vec<Value> =
            got["evaluations"].as_array().unwrap().iter().map(|d| json!({"decision": d["decision"]})).collect();
        assert_eq!(Value::Array(decisions), case["expected"], "{}", case["request"]);
        // Each item alone, with the defaults filled in, gives the same decision.
        let req = case["request"].as_object().unwrap();
        for (i, item) in req["evaluations"].as_array().unwrap().iter().enumerate() {
            let mut single = Map::new();
            for key in ["subject", "action", "resource", "context"] {
                if let Some(v) = item.get(key).or_else(|| req.get(key)) {
                    single.insert(key.into(), v.clone());
                }
            }
            assert_eq!(engine.evaluate(&Value::Object(single)).unwrap(), got["evaluations"][i]);
        }
        batches += 1;
    }
    (singles, batches)
}

#[test]
fn authzen_interop_suites_pass() {
    let engine = todo_engine();
    let dir = root().join("tests/conformance/authzen");
    assert_eq!(run_suite(&engine, &dir.join("decisions-authorization-api-1_0-02.json")), (40, 3));
    assert_eq!(run_suite(&engine, &dir.join("decisions-authorization-api-1_0-01.json")).0, 40);
}

fn task_engine() -> Engine {
    engine_text(
        r#"
        permission org:tasks:edit "Edit"
        role org:member = [org:tasks:edit]
        resource task { owner_id: string }
        action view, edit on task
        @id("own") permit view, edit on task when resource.owner_id == user.id
        @id("org") permit edit on task when org and resource.owner_id == org.id and has(org:tasks:edit)
        @id("ctx") permit view on task when context.public == true
        "#,
    )
}

fn task(owner: &str) -> Value {
    json!({"type": "task", "id": "t1", "properties": {"owner_id": owner}})
}

fn user(id: &str) -> Value {
    json!({"type": "user", "id": id})
}

#[test]
fn authzen_evaluate_shapes() {
    let e = task_engine();
    let req = json!({"subject": user("u1"), "action": {"name": "edit"}, "resource": task("u1")});
    assert_eq!(e.evaluate(&req).unwrap(), json!({"decision": true}));
    let deny = e.evaluate(&json!({"subject": user("u1"), "action": {"name": "edit"}, "resource": task("u2")})).unwrap();
    assert_eq!(deny["decision"], json!(false));
    assert_eq!(deny["context"]["reason"], "no_matching_rule");
    assert!(deny["context"]["reason_admin"].is_object());
    // Context is the request context.
    let ctx =
        json!({"subject": user("u1"), "action": {"name": "view"}, "resource": task("u2"), "context": {"public": true}});
    assert_eq!(e.evaluate(&ctx).unwrap(), json!({"decision": true}));
    // Unknown fields are ignored, as are action.properties.
    let extra = json!({"subject": {"type": "user", "id": "u1", "extra": 1}, "action": {"name": "edit", "properties": {"method": "PUT"}},
        "resource": {"type": "task", "id": "t1", "properties": {"owner_id": "u1"}, "extra": true}, "foo": "bar"});
    assert_eq!(e.evaluate(&extra).unwrap(), json!({"decision": true}));
    // Subject properties carry session claims (v1 and v2 alike).
    let v1 = json!({"type": "user", "id": "u1", "properties": {"org_id": "org_1", "org_role": "org:member"}});
    let v2 = json!({"type": "user", "id": "u1", "properties": {"v": 2, "o": {"id": "org_1", "rol": "member"}}});
    for s in [v1, v2] {
        let r = json!({"subject": s, "action": {"name": "edit"}, "resource": task("org_1")});
        assert_eq!(e.evaluate(&r).unwrap(), json!({"decision": true}), "{r}");
    }
    // An unknown action or resource type is a deny, not an error.
    let unknown = json!({"subject": user("u1"), "action": {"name": "fly"}, "resource": task("u1")});
    assert_eq!(e.evaluate(&unknown).unwrap()["decision"], json!(false));
    let unknown = json!({"subject": user("u1"), "action": {"name": "edit"}, "resource": {"type": "boat", "id": "b"}});
    assert_eq!(e.evaluate(&unknown).unwrap()["decision"], json!(false));
}

#[test]
fn authzen_bad_requests_are_errors() {
    let e = task_engine();
    let good = json!({"subject": user("u1"), "action": {"name": "edit"}, "resource": task("u1")});
    let edits: Vec<(&str, Option<Value>)> = vec![
        ("/subject", None),
        ("/action", None),
        ("/resource", None),
        ("/subject/type", None),
        ("/subject/id", None),
        ("/subject/id", Some(json!(1))),
        ("/action/name", None),
        ("/action/name", Some(json!(["edit"]))),
        ("/resource/type", None),
        ("/resource/id", None),
        ("/subject", Some(json!("u1"))),
        ("/resource/properties", Some(json!("x"))),
        ("/context", Some(json!([1]))),
    ];
    for (pointer, value) in edits {
        let mut r = good.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let target = if parent.is_empty() { &mut r } else { r.pointer_mut(parent).unwrap() };
        let obj = target.as_object_mut().unwrap();
        match &value {
            None => {
                obj.remove(key);
            }
            Some(v) => {
                obj.insert(key.into(), v.clone());
            }
        }
        assert!(e.evaluate(&r).is_err(), "evaluate accepted {r}");
        assert!(e.evaluations(&r).is_err(), "evaluations accepted {r}");
    }
    for not_object in [json!([]), json!("x"), json!(null), json!(1)] {
        assert!(e.evaluate(&not_object).is_err());
        assert!(e.evaluations(&not_object).is_err());
    }
    assert!(e.evaluate_json("{not json", None).is_err());
}

#[test]
fn authzen_batch_defaults_overrides_and_semantics() {
    let e = task_engine();
    let item = |owner: &str| json!({"resource": task(owner)});
    let mut r = json!({
        "subject": user("u1"),
        "action": {"name": "edit"},
        "evaluations": [item("u1"), item("u2"), item("u1"),
            {"subject": user("u2"), "resource": task("u2")},
            {"action": {"name": "view"}, "resource": task("u9"), "context": {"public": true}}]
    });
    let decisions = |r: &Value| -> Vec<bool> {
        let out = e.evaluations(r).unwrap();
        assert!(out.get("decision").is_none(), "{out}");
        out["evaluations"].as_array().unwrap().iter().map(|d| d["decision"].as_bool().unwrap()).collect()
    };
    assert_eq!(decisions(&r), [true, false, true, true, true]);
    r["options"] = json!({"evaluations_semantic": "execute_all"});
    assert_eq!(decisions(&r), [true, false, true, true, true]);
    r["options"] = json!({"evaluations_semantic": "deny_on_first_deny"});
    assert_eq!(decisions(&r), [true, false]);
    r["options"] = json!({"evaluations_semantic": "permit_on_first_permit"});
    assert_eq!(decisions(&r), [true]);
    // No short-circuit triggered: the whole array.
    let all_permit = json!({"subject": user("u1"), "action": {"name": "edit"}, "evaluations": [item("u1"), item("u1")],
        "options": {"evaluations_semantic": "deny_on_first_deny"}});
    assert_eq!(decisions(&all_permit), [true, true]);
    let all_deny = json!({"subject": user("u1"), "action": {"name": "edit"}, "evaluations": [item("u2"), item("u3")],
        "options": {"evaluations_semantic": "permit_on_first_permit"}});
    assert_eq!(decisions(&all_deny), [false, false]);
    // Top-level context is a default; an item's context replaces it.
    let ctx = json!({"subject": user("u1"), "action": {"name": "view"}, "context": {"public": true},
        "evaluations": [{"resource": task("u2")}, {"resource": task("u2"), "context": {"public": false}}]});
    assert_eq!(decisions(&ctx), [true, false]);
    // An item's entity replaces the default whole: properties are not merged.
    let replace = json!({"subject": user("u1"), "action": {"name": "edit"}, "resource": task("u1"),
        "evaluations": [{}, {"resource": {"type": "task", "id": "t2"}}]});
    let out = e.evaluations(&replace).unwrap();
    assert_eq!(out["evaluations"][0], json!({"decision": true}));
    assert_eq!(out["evaluations"][1]["decision"], json!(false));
    // Top-level entities may be omitted when every item has them.
    let no_defaults = json!({"evaluations": [
        {"subject": user("u1"), "action": {"name": "edit"}, "resource": task("u1")},
        {"subject": user("u1"), "action": {"name": "edit"}, "resource": task("u2")}]});
    assert_eq!(decisions(&no_defaults), [true, false]);
    // Errors: unknown semantic, an item missing an entity with no default, a non-list.
    let mut bad = r.clone();
    bad["options"] = json!({"evaluations_semantic": "first_deny"});
    assert!(e.evaluations(&bad).is_err());
    // An item missing an entity with no default fails closed on its own (the spec: a
    // failed item is `decision: false` with the details in its context); the other items
    // are answered, and under `deny_on_first_deny` it stops the batch like a deny.
    let missing = json!({"subject": user("u1"), "evaluations": [{"resource": task("u1")},
        {"action": {"name": "edit"}, "resource": task("u1")}]});
    let out = e.evaluations(&missing).unwrap();
    assert_eq!(out["evaluations"][0]["decision"], false);
    assert_eq!(out["evaluations"][0]["context"]["reason"], "invalid_request");
    assert_eq!(
        out["evaluations"][0]["context"]["reason_admin"].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["400"]
    );
    assert_eq!(out["evaluations"][1], json!({"decision": true}));
    let mut first_deny = missing.clone();
    first_deny["options"] = json!({"evaluations_semantic": "deny_on_first_deny"});
    assert_eq!(e.evaluations(&first_deny).unwrap()["evaluations"].as_array().unwrap().len(), 1);
    let not_an_object =
        json!({"subject": user("u1"), "action": {"name": "edit"}, "evaluations": [7, {"resource": task("u1")}]});
    let out = e.evaluations(&not_an_object).unwrap();
    assert_eq!(out["evaluations"][0]["context"]["reason"], "invalid_request");
    assert_eq!(out["evaluations"][1], json!({"decision": true}));
    let not_list =
        json!({"subject": user("u1"), "action": {"name": "edit"}, "resource": task("u1"), "evaluations": {}});
    assert!(e.evaluations(&not_list).is_err());
    // Unknown options are ignored.
    let mut extra = r.clone();
    extra["options"] = json!({"some_hint": 1});
    assert_eq!(decisions(&extra), [true, false, true, true, true]);
    // Empty `evaluations`: a single evaluation.
    let single = json!({"subject": user("u1"), "action": {"name": "edit"}, "resource": task("u1"), "evaluations": []});
    assert_eq!(e.evaluations(&single).unwrap(), json!({"decision": true}));
}

#[test]
fn authzen_directory_fills_in_subjects() {
    let policy = r#"
        resource doc {}
        action read on doc
        permit read on doc when "editor" in claims.roles and claims.email.ends_with("@acme.com")
    "#;
    let dir = Directory::from_value(json!({"alice": {"roles": ["editor"], "email": "alice@acme.com"},
        "bob": {"roles": ["viewer"], "email": "bob@acme.com"}}))
    .unwrap();
    let e = engine_text(policy).with_directory(dir);
    let req =
        |id: &str| json!({"subject": user(id), "action": {"name": "read"}, "resource": {"type": "doc", "id": "1"}});
    assert_eq!(e.evaluate(&req("alice")).unwrap(), json!({"decision": true}));
    assert_eq!(e.evaluate(&req("bob")).unwrap()["decision"], json!(false));
    assert_eq!(e.evaluate(&req("carol")).unwrap()["decision"], json!(false));
    // The directory document is refused when malformed.
    assert!(Directory::from_json("[1]").is_err());
    assert!(Directory::from_json(r#"{"a": 1}"#).is_err());
    assert!(Directory::from_json("{").is_err());
}

#[test]
fn authzen_and_decide_agree() {
    // The same question asked both ways gets the same answer.
    let policy_path = root().join("policies/team_tasks.ord");
    let engine = Engine::new(Policy::from_file(&policy_path).unwrap());
    let doc = read_json(&root().join("tests/conformance/team_tasks.json"));
    for v in doc["vectors"].as_array().unwrap().iter().step_by(7) {
        let claims = v["claims"].as_object().unwrap().clone();
        let Some(sub) = claims.get("sub").and_then(Value::as_str) else { continue };
        let mut props = v["resource"].as_object().unwrap().clone();
        let rtype = props.remove("type").unwrap();
        let rid = props.remove("id").unwrap_or(json!("r"));
        let req = json!({"subject": {"type": "user", "id": sub, "properties": claims},
            "action": {"name": v["action"]}, "resource": {"type": rtype, "id": rid, "properties": props}});
        let now = vector_now(v);
        let got = engine.evaluate_at(&req, now).unwrap();
        assert_eq!(got["decision"], v["expected"]["allowed"], "{}", v["name"]);
        if got["decision"] == json!(false) {
            assert_eq!(got["context"]["reason"], v["expected"]["reason"], "{}", v["name"]);
            assert_eq!(got["context"]["missing"], v["expected"]["missing"], "{}", v["name"]);
        }
    }
}

/// The WASM binding numbers decisions by [`ordinance::DecisionKey`] and works a deny's
/// hint out once per key, so every request of the suite that gets a key must get the same
/// whole decision as every other request with that key, or the browser would answer a
/// vector differently from the server.
#[test]
fn equal_decision_keys_mean_equal_decisions_over_the_whole_suite() {
    use ordinance::Options;
    let mut seen: std::collections::HashMap<ordinance::DecisionKey, (String, Value)> = Default::default();
    let mut keyed = 0;
    for file in vector_files() {
        let doc = read_json(&file);
        let (engine, _) = load_engine(&file, &doc);
        for v in doc["vectors"].as_array().unwrap() {
            let (Ok(s), Ok(r)) =
                (Session::from_claims(v["claims"].clone()), Resource::from_value(v["resource"].clone()))
            else {
                continue;
            };
            let mut opts = Options::default().at(vector_now(v));
            if let Some(c) = v.get("context") {
                let Ok(c) = Context::from_value(c.clone()) else { continue };
                opts = opts.with_context(c);
            }
            let Some(action) = engine.action(v["action"].as_str().unwrap()) else { continue };
            let (_, key) = engine.decide_action_keyed(&s, action, &r, &opts);
            let full = engine.decide_action(&s, action, &r, &opts).to_json();
            let expected = engine
                .decide_value(
                    v["claims"].clone(),
                    v["action"].as_str().unwrap(),
                    v["resource"].clone(),
                    v.get("context").cloned(),
                    opts.now,
                )
                .to_json();
            assert_eq!(full, expected, "{}: {}", file.display(), v["name"]);
            let Some(key) = key else { continue };
            keyed += 1;
            let name = format!("{}: {}", file.file_name().unwrap().to_string_lossy(), v["name"].as_str().unwrap());
            match seen.get(&key) {
                Some((first, decision)) => {
                    assert_eq!(decision, &full, "same key, different decisions: `{first}` and `{name}`")
                }
                None => {
                    seen.insert(key, (name, full));
                }
            }
        }
    }
    assert!(keyed > 1000, "{keyed}");
}

/// Issue 6: vectors are generated from the shipped policies, and v2 twins prove v1 and v2
/// tokens decide alike on every shipped policy: each `policies/*.ord` has a vector file
/// and a v2 twin file.
#[test]
fn every_shipped_policy_has_vectors_and_v2_twins() {
    let mut covered = std::collections::BTreeMap::<PathBuf, (usize, usize)>::new();
    for file in vector_files() {
        let doc = read_json(&file);
        let policy = file.parent().unwrap().join(doc["policy"].as_str().unwrap()).canonicalize().unwrap();
        let n = doc["vectors"].as_array().unwrap().len();
        let entry = covered.entry(policy).or_default();
        if file.to_string_lossy().ends_with(".v2.json") {
            entry.1 += n;
        } else {
            entry.0 += n;
        }
    }
    for (name, _, _) in shipped_policies() {
        let path = root().join(format!("policies/{name}.ord")).canonicalize().unwrap();
        let (v1, v2) = covered.get(&path).copied().unwrap_or_default();
        assert!(v1 > 0, "no conformance vectors for policies/{name}.ord");
        assert!(v2 > 0, "no v2 twin vectors for policies/{name}.ord");
    }
}

/// JSON member order means nothing: a v2 token decides the same whether `v` comes before
/// or after `o`, `fea` and the rest (the one-pass reader meets them in text order).
#[test]
fn v2_claim_order_does_not_matter() {
    let f = Features::new();
    let parts = [
        r#""v": 2"#,
        r#""sub": "user_1""#,
        r#""fea": "o:repositories,uo:projects,u:goldprofileborder""#,
        r#""pla": "u:free,o:pro""#,
        r#""fva": [3, 20]"#,
        r#""o": {"fpm": "7,21", "per": "read,create,update,delete,revoke", "rol": "admin", "slg": "acme", "id": "org_1"}"#,
    ];
    let resource = r#"{"type": "ws"}"#;
    let mut all_actions: Vec<&str> = PERMISSION_ACTIONS.to_vec();
    all_actions.extend(["role_admin", "slug", "plan_pro", "plan_user_pro", "feat_user_projects", "fa5", "sf10"]);
    let decide = |text: &str| -> Vec<Value> {
        all_actions.iter().map(|a| f.engine.decide_json(text, a, resource, None, Some(NOW)).to_json()).collect()
    };
    let forward = format!("{{{}}}", parts.join(", "));
    let want = decide(&forward);
    let value: Value = serde_json::from_str(&forward).unwrap();
    let by_value: Vec<Value> = all_actions.iter().map(|a| f.decide(&value, a).to_json()).collect();
    assert_eq!(by_value, want);
    assert!(want.iter().filter(|d| d["allowed"] == json!(true)).count() >= 10, "{want:?}");
    for rotation in 1..parts.len() {
        let mut p = parts.to_vec();
        p.rotate_left(rotation);
        let text = format!("{{{}}}", p.join(", "));
        assert_eq!(decide(&text), want, "{text}");
        p.reverse();
        let text = format!("{{{}}}", p.join(", "));
        assert_eq!(decide(&text), want, "{text}");
    }
}
