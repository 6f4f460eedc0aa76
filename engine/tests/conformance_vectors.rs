//! The generator of the conformance vectors in `tests/conformance/`, and the test that the
//! checked-in files are exactly what it produces now.
//!
//! The expected decisions come from a small hand-written model of the *written* rules
//! (issue 2 item 6, the seed guides, Clerk's documentation), not from the engine: this file
//! does not call the `ordinance` crate at all. `tests/conformance.rs` then runs the engine
//! (and the reference interpreter) against the checked-in expectations, so a disagreement
//! shows up there as a failing vector, to be settled by reading the rules again.
//!
//! Regenerate after changing the model or the edge cases:
//!
//! ```text
//! ORDINANCE_REGENERATE_VECTORS=1 cargo test -p ordinance --test conformance_vectors
//! ```
//!
//! How the model derives `missing` (the README in `tests/conformance/` says the same): for
//! a deny, the requirements that lift a matching `forbid` (its obtainable atoms: a license,
//! a permission, ...), then, unless some permit rule already holds, those of the closest
//! permit rule. A permit rule's requirements are its false atoms that a user can obtain: a
//! permission, a role, a license, a plan, a feature, a recent verification, OAuth scopes,
//! a sign-in (a bare `user` test) or an organization (a bare `org` test), in the order the
//! condition names them. A rule is out of reach when a false atom is none of these (a
//! comparison of resource attributes, or one that reads an absent attribute such as
//! `org.id` in a personal session). The closest rule is the one with the fewest
//! requirements, the first in the policy on a tie; inside an `or`, the cheaper branch,
//! the left one on a tie. A permission or role needed in a session without an active
//! organization comes after an `organization` requirement (`has()` holds only inside one),
//! and signed out, every requirement after a `sign_in`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// The unix time every generated vector is decided at.
const NOW: i64 = 1_721_770_150;
const ME: &str = "user_me";
const OTHER: &str = "user_other";
const ORG: &str = "org_1";
const OTHER_ORG: &str = "org_2";

const VIEW: &str = "org:tasks:view";
const EDIT: &str = "org:tasks:edit";
const MANAGE: &str = "org:tasks:manage";
const SEATS: &str = "org:sys_memberships:manage";
const READONLY: &str = "https://www.googleapis.com/auth/calendar.readonly";
const EVENTS: &str = "https://www.googleapis.com/auth/calendar.events";

// ------------------------------------------------------------------------------ output

struct VectorFile {
    file: &'static str,
    description: String,
    policy: &'static str,
    vectors: Vec<Value>,
}

fn conformance_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/conformance")).to_path_buf()
}

/// Keys in this order first, then the rest alphabetically: the text is the same whatever
/// `serde_json` features the build enables.
const KEY_ORDER: [&str; 19] = [
    "name",
    "description",
    "policy",
    "directory",
    "claims",
    "action",
    "resource",
    "context",
    "now",
    "expected",
    "allowed",
    "reason",
    "rule",
    "missing",
    "kind",
    "type",
    "id",
    "v",
    "sub",
];

fn write_compact(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by_key(|k| (KEY_ORDER.iter().position(|o| o == k).unwrap_or(KEY_ORDER.len()), (*k).clone()));
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&serde_json::to_string(k).unwrap());
                out.push_str(": ");
                write_compact(&map[k.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_compact(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&serde_json::to_string(other).unwrap()),
    }
}

/// One vector per line, so a diff shows exactly which expectations changed.
fn render(f: &VectorFile) -> String {
    let mut out = String::from("{\n");
    out.push_str(&format!("  \"description\": {},\n", serde_json::to_string(&f.description).unwrap()));
    out.push_str(&format!("  \"policy\": {},\n", serde_json::to_string(f.policy).unwrap()));
    out.push_str("  \"vectors\": [\n");
    for (i, v) in f.vectors.iter().enumerate() {
        out.push_str("    ");
        write_compact(v, &mut out);
        out.push_str(if i + 1 < f.vectors.len() { ",\n" } else { "\n" });
    }
    out.push_str("  ]\n}\n");
    out
}

// ------------------------------------------------------------------------------ vectors

fn expected(allowed: bool, reason: &str, rule: Option<&str>, missing: &[(&str, &str)]) -> Value {
    json!({
        "allowed": allowed,
        "reason": reason,
        "rule": rule,
        "missing": missing.iter().map(|(k, n)| json!({"kind": k, "name": n})).collect::<Vec<_>>(),
    })
}

fn allow(rule: &str) -> Value {
    expected(true, "permit", Some(rule), &[])
}

fn deny(reason: &str) -> Value {
    expected(false, reason, None, &[])
}

fn no_match(missing: &[(&str, &str)]) -> Value {
    expected(false, "no_matching_rule", None, missing)
}

fn vector(name: String, claims: Value, action: &str, resource: Value, context: Option<Value>, expect: Value) -> Value {
    let mut v =
        json!({"name": name, "claims": claims, "action": action, "resource": resource, "now": NOW, "expected": expect});
    if let Some(c) = context {
        v["context"] = c;
    }
    v
}

// ------------------------------------------------------------------------------ sessions

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum License {
    Licensed,
    Unlicensed,
    Absent,
}

impl License {
    fn label(self) -> &'static str {
        match self {
            License::Licensed => "licensed",
            License::Unlicensed => "unlicensed",
            License::Absent => "no license flag",
        }
    }
}

/// Who is asking, abstractly; `claims()` writes the Clerk v1 token.
#[derive(Clone, Debug)]
enum Who {
    SignedOut,
    Personal,
    Org { role: Option<&'static str>, listed: Option<Vec<&'static str>>, license: License },
}

impl Who {
    fn label(&self) -> String {
        match self {
            Who::SignedOut => "signed out".into(),
            Who::Personal => "personal account".into(),
            Who::Org { role, listed, license } => {
                let role = role.unwrap_or("no role");
                let perms = match listed {
                    None => "no org_permissions claim".to_string(),
                    Some(p) if p.is_empty() => "no permissions listed".to_string(),
                    Some(p) => format!("lists {}", p.join("+")),
                };
                format!("org {role} ({perms}, {})", license.label())
            }
        }
    }

    fn user(&self) -> Option<&'static str> {
        match self {
            Who::SignedOut => None,
            _ => Some(ME),
        }
    }

    fn in_org(&self) -> bool {
        matches!(self, Who::Org { .. })
    }

    /// The Clerk v1 session-token payload, as Clerk issues it.
    fn claims(&self) -> Value {
        if let Who::SignedOut = self {
            return json!({});
        }
        let mut c = json!({
            "azp": "https://app.example.com",
            "exp": NOW + 50,
            "iat": NOW - 10,
            "iss": "https://clerk.example.com",
            "nbf": NOW - 10,
            "sid": "sess_1",
            "sub": ME,
        });
        if let Who::Org { role, listed, license } = self {
            c["org_id"] = json!(ORG);
            c["org_slug"] = json!("acme");
            if let Some(r) = role {
                c["org_role"] = json!(r);
            }
            if let Some(p) = listed {
                c["org_permissions"] = json!(p);
            }
            match license {
                License::Licensed => c["org_metadata"] = json!({"isLicensed": true}),
                License::Unlicensed => c["org_metadata"] = json!({"isLicensed": false}),
                License::Absent => {}
            }
        }
        c
    }
}

/// The v2 token carrying the same session as a v1 token, or `None` when the v1 claims are
/// not a well-formed v1 token (those vectors test v1 parsing and have no v2 twin).
///
/// `org_id`/`org_slug`/`org_role` become `o.id`/`o.slg`/`o.rol` (without `org:`);
/// `org_permissions` `org:<feature>:<name>` become the org features `o:<feature>` in `fea`,
/// the names in `o.per` and one bitmask per feature in `o.fpm` (bit j = j-th name);
/// `org_metadata` stays a top-level custom claim.
fn to_v2(v1: &Value) -> Option<Value> {
    let Value::Object(claims) = v1 else { return None };
    for key in ["v", "o", "fea", "pla"] {
        if claims.contains_key(key) {
            return None;
        }
    }
    let mut out = Map::new();
    out.insert("v".into(), json!(2));
    for (k, v) in claims {
        if !k.starts_with("org_") || k == "org_metadata" {
            out.insert(k.clone(), v.clone());
        }
    }
    let Some(org_id) = claims.get("org_id") else {
        if ["org_slug", "org_role", "org_permissions", "org_metadata"].iter().any(|k| claims.contains_key(*k)) {
            return None;
        }
        return Some(Value::Object(out));
    };
    let org_id = org_id.as_str().filter(|s| !s.is_empty())?;
    let mut o = Map::new();
    o.insert("id".into(), json!(org_id));
    if let Some(slug) = claims.get("org_slug") {
        o.insert("slg".into(), json!(slug.as_str()?));
    }
    if let Some(role) = claims.get("org_role") {
        let bare = role.as_str()?.strip_prefix("org:").filter(|r| !r.is_empty())?;
        o.insert("rol".into(), json!(bare));
    }
    if let Some(perms) = claims.get("org_permissions") {
        let mut features: Vec<String> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        let mut grants: Vec<(usize, usize)> = Vec::new();
        for p in perms.as_array()? {
            let parts: Vec<&str> = p.as_str()?.split(':').collect();
            let [scope, feature, name] = parts.as_slice() else { return None };
            if *scope != "org" || feature.is_empty() || name.is_empty() {
                return None;
            }
            let f = features.iter().position(|x| x == feature).unwrap_or_else(|| {
                features.push(feature.to_string());
                features.len() - 1
            });
            let n = names.iter().position(|x| x == name).unwrap_or_else(|| {
                names.push(name.to_string());
                names.len() - 1
            });
            grants.push((f, n));
        }
        if !features.is_empty() {
            let masks: Vec<String> = (0..features.len())
                .map(|f| grants.iter().filter(|(g, _)| *g == f).fold(0u64, |m, (_, n)| m | (1 << n)).to_string())
                .collect();
            o.insert("per".into(), json!(names.join(",")));
            o.insert("fpm".into(), json!(masks.join(",")));
            let fea: Vec<String> = features.iter().map(|f| format!("o:{f}")).collect();
            out.insert("fea".into(), json!(fea.join(",")));
        }
    }
    out.insert("o".into(), Value::Object(o));
    Some(Value::Object(out))
}

/// The same file with every convertible vector's claims replaced by their v2 equivalent
/// and the same expectations.
fn v2_twin(v1: &VectorFile, file: &'static str) -> VectorFile {
    let vectors = v1
        .vectors
        .iter()
        .filter_map(|v| {
            let claims = to_v2(&v["claims"])?;
            let mut twin = v.clone();
            twin["claims"] = claims;
            Some(twin)
        })
        .collect();
    VectorFile {
        file,
        description: format!(
            "Clerk session token v2 twins of `{}`: every vector whose claims are a well-formed v1 token, with the same \
             session as a v2 token (`o`, `fea`, `o.per`, `o.fpm`) and the same expected decision. Generated by \
             engine/tests/conformance_vectors.rs; do not edit by hand.",
            v1.file
        ),
        policy: v1.policy,
        vectors,
    }
}

// ------------------------------------------------------------------------------ team_tasks

/// The role table of issue 2 item 6.
fn team_role_grants(role: Option<&str>) -> &'static [&'static str] {
    match role {
        Some("org:viewer") => &[VIEW],
        Some("org:member") => &[VIEW, EDIT],
        Some("org:manager") | Some("org:admin") => &[VIEW, EDIT, MANAGE],
        _ => &[],
    }
}

fn permissions(who: &Who, grants: fn(Option<&str>) -> &'static [&'static str]) -> Vec<&'static str> {
    match who {
        Who::Org { role, listed, .. } => {
            let mut p: Vec<&'static str> = listed.clone().unwrap_or_default();
            p.extend(grants(*role));
            p
        }
        _ => Vec::new(),
    }
}

#[derive(Clone, Copy, Debug)]
enum Ownership {
    PersonalOwn,
    PersonalOther,
    OrgCreatedByMe,
    OrgCreatedByOther,
    OtherOrg,
}

impl Ownership {
    const ALL: [Ownership; 5] = [
        Ownership::PersonalOwn,
        Ownership::PersonalOther,
        Ownership::OrgCreatedByMe,
        Ownership::OrgCreatedByOther,
        Ownership::OtherOrg,
    ];

    fn label(self) -> &'static str {
        match self {
            Ownership::PersonalOwn => "my personal task",
            Ownership::PersonalOther => "another user's personal task",
            Ownership::OrgCreatedByMe => "org task I created",
            Ownership::OrgCreatedByOther => "org task another member created",
            Ownership::OtherOrg => "another org's task I created",
        }
    }

    /// (owner_id, created_by_id)
    fn fields(self) -> (&'static str, &'static str) {
        match self {
            Ownership::PersonalOwn => (ME, ME),
            Ownership::PersonalOther => (OTHER, OTHER),
            Ownership::OrgCreatedByMe => (ORG, ME),
            Ownership::OrgCreatedByOther => (ORG, OTHER),
            Ownership::OtherOrg => (OTHER_ORG, ME),
        }
    }
}

const TASK_ACTIONS: [&str; 5] = ["view", "create", "edit", "complete", "delete"];

/// Issue 2 item 6, rule by rule.
fn team_tasks_expect(who: &Who, own: Ownership, action: &str) -> Value {
    let (owner, created_by) = own.fields();
    // A personal task belongs to its owner, whatever organization is active.
    if who.user() == Some(owner) {
        return allow("personal_task");
    }
    // Anything else needs the task to be the active organization's.
    let Who::Org { license, .. } = who else { return no_match(&[]) };
    if owner != ORG {
        return no_match(&[]);
    }
    let perms = permissions(who, team_role_grants);
    let has = |p: &str| perms.contains(&p);
    // The permit side: which rule allows, or the closest one's missing permission.
    let permit: Result<&str, (&str, &str)> = match action {
        "view" if has(VIEW) => Ok("org_view"),
        "view" => Err(("permission", VIEW)),
        "create" if has(EDIT) => Ok("org_create"),
        "create" => Err(("permission", EDIT)),
        _ if has(MANAGE) => Ok("org_manage"),
        _ if has(EDIT) && created_by == ME => Ok("org_edit_own"),
        // org_manage and org_edit_own (when reachable) each need one permission: the
        // first in the policy, org_manage, is the closest.
        _ => Err(("permission", MANAGE)),
    };
    // Inside the organization, everything but viewing needs a seat.
    if action != "view" && *license != License::Licensed {
        let mut missing = vec![("license", "org.metadata.isLicensed")];
        if let Err(req) = permit {
            missing.push(req);
        }
        return expected(false, "forbidden:license_required", Some("license_required"), &missing);
    }
    match permit {
        Ok(rule) => allow(rule),
        Err(req) => no_match(&[req]),
    }
}

fn team_tasks_sessions() -> Vec<Who> {
    let mut out = vec![Who::SignedOut, Who::Personal];
    for license in [License::Licensed, License::Unlicensed, License::Absent] {
        for role in ["org:viewer", "org:member", "org:manager", "org:admin"] {
            // Clerk lists the role's permissions in the token; the policy's role table must
            // give the same answer when it does not.
            out.push(Who::Org { role: Some(role), listed: Some(team_role_grants(Some(role)).to_vec()), license });
            out.push(Who::Org { role: Some(role), listed: None, license });
        }
        // A custom role unknown to the policy: only the listed permissions count.
        out.push(Who::Org { role: Some("org:contractor"), listed: Some(vec![VIEW, EDIT]), license });
        // A member with no role and no permissions.
        out.push(Who::Org { role: None, listed: None, license });
    }
    out
}

fn team_tasks() -> VectorFile {
    let mut vectors = Vec::new();
    for who in team_tasks_sessions() {
        for own in Ownership::ALL {
            let (owner, created_by) = own.fields();
            let resource = json!({"type": "task", "id": "task_1", "owner_id": owner, "created_by_id": created_by});
            for action in TASK_ACTIONS {
                let name = format!("{} | {} | {action}", who.label(), own.label());
                vectors.push(vector(
                    name,
                    who.claims(),
                    action,
                    resource.clone(),
                    None,
                    team_tasks_expect(&who, own, action),
                ));
            }
        }
    }
    VectorFile {
        file: "team_tasks.json",
        description: "Team Task app (policies/team_tasks.ord): every session kind (signed out, personal, org with each \
                      role, with and without listed permissions, a custom role, no role) x license (true, false, absent) \
                      x ownership x action. Expectations from the hand-written model of issue 2 item 6 in \
                      engine/tests/conformance_vectors.rs, which generated this file; do not edit by hand."
            .into(),
        policy: "../../policies/team_tasks.ord",
        vectors,
    }
}

// ------------------------------------------------------------------------------ licensing

fn licensing_role_grants(role: Option<&str>) -> &'static [&'static str] {
    match role {
        Some("org:admin") => &[SEATS],
        _ => &[],
    }
}

fn licensing() -> VectorFile {
    let sessions = vec![
        Who::SignedOut,
        Who::Personal,
        Who::Org { role: Some("org:admin"), listed: None, license: License::Absent },
        Who::Org { role: Some("org:admin"), listed: Some(vec![SEATS]), license: License::Absent },
        Who::Org { role: Some("org:member"), listed: Some(vec![SEATS]), license: License::Absent },
        Who::Org { role: Some("org:member"), listed: None, license: License::Absent },
        Who::Org { role: Some("org:billing"), listed: Some(vec![]), license: License::Absent },
    ];
    let mut vectors = Vec::new();
    for who in &sessions {
        for seat_org in [ORG, OTHER_ORG] {
            for (bought, assigned) in [(5, 3), (5, 5)] {
                for is_licensed in [false, true] {
                    let resource = json!({"type": "seat", "id": "seat_1", "org_id": seat_org,
                        "license_count": bought, "licensed_count": assigned, "is_licensed": is_licensed});
                    for action in ["assign", "unassign"] {
                        let label = format!(
                            "{} | seat of {} ({assigned}/{bought} assigned, {}) | {action}",
                            who.label(),
                            if seat_org == ORG { "my org" } else { "another org" },
                            if is_licensed { "member licensed" } else { "member not licensed" }
                        );
                        // Only an admin of the seat's own organization (the role, or the
                        // memberships permission); assigning also needs a free seat and a
                        // member without one.
                        let own_org = who.in_org() && seat_org == ORG;
                        let admin = matches!(who, Who::Org { role: Some("org:admin"), .. })
                            || permissions(who, licensing_role_grants).contains(&SEATS);
                        let seat_ok = action == "unassign" || (assigned < bought && !is_licensed);
                        let rule = if action == "assign" { "admin_assigns" } else { "admin_unassigns" };
                        let expect = if own_org && admin && seat_ok {
                            allow(rule)
                        } else if own_org && seat_ok {
                            // `has_role(org:admin) or has(...)`: both cost one, the left wins.
                            no_match(&[("role", "org:admin")])
                        } else {
                            no_match(&[])
                        };
                        vectors.push(vector(label, who.claims(), action, resource.clone(), None, expect));
                    }
                }
            }
        }
    }
    VectorFile {
        file: "licensing.json",
        description:
            "Seat licensing (policies/licensing.ord): sessions x seat org (own, other) x capacity (free seat, \
                      full) x member licensed x action. Generated by engine/tests/conformance_vectors.rs from its \
                      model of issue 2 item 6; do not edit by hand."
                .into(),
        policy: "../../policies/licensing.ord",
        vectors,
    }
}

// ------------------------------------------------------------------------------ rooms

fn rooms() -> VectorFile {
    let sessions = vec![
        Who::SignedOut,
        Who::Personal,
        Who::Org { role: Some("org:member"), listed: None, license: License::Absent },
        Who::Org { role: None, listed: None, license: License::Unlicensed },
    ];
    let mut vectors = Vec::new();
    for who in &sessions {
        for (owner, label) in
            [(ME, "my room"), (OTHER, "another user's room"), (ORG, "org_1's room"), (OTHER_ORG, "org_2's room")]
        {
            // The Liveblocks check: a signed-in user enters rooms of their own tasks and of
            // their active organization's tasks; nothing to obtain otherwise.
            let expect = if who.user() == Some(owner) {
                allow("own_room")
            } else if who.in_org() && owner == ORG {
                allow("org_room")
            } else {
                no_match(&[])
            };
            let resource = json!({"type": "room", "id": "room_1", "owner_id": owner});
            vectors.push(vector(
                format!("{} | {label} | enter", who.label()),
                who.claims(),
                "enter",
                resource,
                None,
                expect,
            ));
        }
    }
    VectorFile {
        file: "rooms.json",
        description: "Liveblocks rooms (policies/rooms.ord): sessions x room owner. Generated by \
                      engine/tests/conformance_vectors.rs from its model of issue 2 item 6; do not edit by hand."
            .into(),
        policy: "../../policies/rooms.ord",
        vectors,
    }
}

// ------------------------------------------------------------------------------ calendar_scopes

fn calendar_scopes() -> VectorFile {
    let sessions = vec![
        Who::SignedOut,
        Who::Personal,
        Who::Org { role: Some("org:member"), listed: None, license: License::Licensed },
    ];
    let calendars: Vec<(&str, Value, Option<&str>)> = vec![
        ("implicit calendar", json!({"type": "calendar", "id": "cal_1"}), None),
        ("calendar with owner null", json!({"type": "calendar", "id": "cal_1", "owner_id": null}), None),
        ("my calendar", json!({"type": "calendar", "id": "cal_1", "owner_id": ME}), Some(ME)),
        ("another user's calendar", json!({"type": "calendar", "id": "cal_1", "owner_id": OTHER}), Some(OTHER)),
    ];
    let scope_sets: Vec<(&str, Vec<&str>)> = vec![
        ("no scopes", vec![]),
        ("openid email", vec!["openid", "email"]),
        ("readonly", vec![READONLY]),
        ("events", vec![EVENTS]),
        ("readonly+events", vec![READONLY, EVENTS]),
        ("openid+events+email+readonly", vec!["openid", EVENTS, "email", READONLY]),
    ];
    // (label, context, approved scopes)
    let mut contexts: Vec<(String, Option<Value>, Vec<&str>)> =
        vec![("no context".into(), None, vec![]), ("context without approved_scopes".into(), Some(json!({})), vec![])];
    for (label, scopes) in &scope_sets {
        contexts.push((format!("{label} as a list"), Some(json!({"approved_scopes": scopes})), scopes.clone()));
        contexts.push((
            format!("{label} as a space-separated string"),
            Some(json!({"approved_scopes": scopes.join(" ")})),
            scopes.clone(),
        ));
    }
    let mut vectors = Vec::new();
    for who in &sessions {
        for (cal_label, resource, owner) in &calendars {
            for (ctx_label, context, have) in &contexts {
                for (action, need) in [("read_availability", vec![READONLY]), ("book_direct", vec![READONLY, EVENTS])] {
                    // The calendar must be the user's (implicitly, or by owner_id), and the
                    // approved scopes must include every scope the action needs.
                    let owner_ok = owner.is_none() || *owner == who.user();
                    let lacking: Vec<&str> = need.iter().copied().filter(|s| !have.contains(s)).collect();
                    let expect = if who.user().is_some() && owner_ok && lacking.is_empty() {
                        allow(action)
                    } else if owner.is_none() || (who.user().is_some() && owner_ok) {
                        // Reachable: sign in first (the condition starts with `user`), then
                        // request the missing scopes, in the policy's order.
                        let mut missing: Vec<(&str, &str)> = Vec::new();
                        if who.user().is_none() {
                            missing.push(("sign_in", ""));
                        }
                        missing.extend(lacking.iter().map(|s| ("scope", *s)));
                        no_match(&missing)
                    } else {
                        // Someone else's calendar, or an owner to compare with no signed-in
                        // user: out of reach.
                        no_match(&[])
                    };
                    let name = format!("{} | {cal_label} | {ctx_label} | {action}", who.label());
                    vectors.push(vector(name, who.claims(), action, resource.clone(), context.clone(), expect));
                }
            }
        }
    }
    VectorFile {
        file: "calendar_scopes.json",
        description: "Per-user OAuth scopes (policies/calendar_scopes.ord): sessions x calendar owner x approved scopes \
                      (absent, list, space-separated string) x action; a deny lists the scopes to request. Generated by \
                      engine/tests/conformance_vectors.rs from its model of issue 2 item 6; do not edit by hand."
            .into(),
        policy: "../../policies/calendar_scopes.ord",
        vectors,
    }
}

// ------------------------------------------------------------------------------ authzen_todo

/// A session of the AuthZEN Todo policy: the Clerk v1 token of a `Who` plus the custom
/// claims the policy reads (`roles`, `email`; what the directory adds for an AuthZEN
/// subject), each possibly absent.
struct TodoUser {
    label: &'static str,
    who: Who,
    roles: Option<&'static [&'static str]>,
    email: Option<&'static str>,
}

impl TodoUser {
    fn claims(&self) -> Value {
        let mut c = self.who.claims();
        if let Some(roles) = self.roles {
            c["roles"] = json!(roles);
        }
        if let Some(email) = self.email {
            c["email"] = json!(email);
        }
        c
    }

    fn has(&self, role: &str) -> bool {
        self.roles.is_some_and(|r| r.contains(&role))
    }
}

const RICK: &str = "rick@the-citadel.com";
const MORTY: &str = "morty@the-citadel.com";

/// The written rules of `policies/authzen_todo.ord` (the interop Todo scenario): users of
/// the app (any of its four roles) read users and todos; admins and editors create todos;
/// an evil genius updates any todo, an admin deletes any todo, an editor updates and
/// deletes the todos they own (`ownerID` is the owner's email). Nothing is obtainable
/// (roles here are custom claims, not organization roles), so a deny names nothing.
fn authzen_todo_expect(u: &TodoUser, action: &str, owner: Option<&str>) -> Value {
    let app = ["admin", "editor", "viewer", "evil_genius"].iter().any(|r| u.has(r));
    let owns = u.has("editor") && owner.is_some() && owner == u.email;
    let rule = match action {
        "can_read_user" if app => Some("read_user"),
        "can_read_todos" if app => Some("read_todos"),
        "can_create_todo" if u.has("admin") || u.has("editor") => Some("create_todo"),
        "can_update_todo" if u.has("evil_genius") => Some("update_any_todo"),
        "can_delete_todo" if u.has("admin") => Some("delete_any_todo"),
        "can_update_todo" | "can_delete_todo" if owns => Some("editor_owns_todo"),
        _ => None,
    };
    rule.map_or_else(|| no_match(&[]), allow)
}

fn authzen_todo() -> VectorFile {
    let member = Who::Org { role: Some("org:member"), listed: Some(vec![VIEW, EDIT]), license: License::Licensed };
    let users = [
        TodoUser { label: "signed out", who: Who::SignedOut, roles: None, email: None },
        TodoUser { label: "no roles claim", who: Who::Personal, roles: None, email: Some(RICK) },
        TodoUser { label: "no roles", who: Who::Personal, roles: Some(&[]), email: Some(RICK) },
        TodoUser {
            label: "rick (admin, evil_genius)",
            who: Who::Personal,
            roles: Some(&["admin", "evil_genius"]),
            email: Some(RICK),
        },
        TodoUser { label: "admin only", who: Who::Personal, roles: Some(&["admin"]), email: Some("admin@example.com") },
        TodoUser { label: "evil_genius only", who: Who::Personal, roles: Some(&["evil_genius"]), email: Some(RICK) },
        TodoUser { label: "morty (editor)", who: Who::Personal, roles: Some(&["editor"]), email: Some(MORTY) },
        TodoUser {
            label: "morty (editor) in org_1",
            who: member.clone(),
            roles: Some(&["editor"]),
            email: Some(MORTY),
        },
        TodoUser { label: "editor without email", who: Who::Personal, roles: Some(&["editor"]), email: None },
        TodoUser {
            label: "beth (viewer)",
            who: Who::Personal,
            roles: Some(&["viewer"]),
            email: Some("beth@the-smiths.com"),
        },
        TodoUser {
            label: "beth (viewer) in org_1",
            who: member,
            roles: Some(&["viewer"]),
            email: Some("beth@the-smiths.com"),
        },
        TodoUser { label: "unknown role", who: Who::Personal, roles: Some(&["owner"]), email: Some(MORTY) },
    ];
    let todos: [(&str, Option<Option<&str>>); 4] = [
        ("rick's todo", Some(Some(RICK))),
        ("morty's todo", Some(Some(MORTY))),
        ("todo without ownerID", None),
        ("todo with ownerID null", Some(None)),
    ];
    let mut vectors = Vec::new();
    for u in &users {
        let resource = json!({"type": "user", "id": "beth@the-smiths.com"});
        let expect = authzen_todo_expect(u, "can_read_user", None);
        vectors.push(vector(
            format!("{} | user beth | can_read_user", u.label),
            u.claims(),
            "can_read_user",
            resource,
            None,
            expect,
        ));
        for (label, owner) in &todos {
            let mut resource = json!({"type": "todo", "id": "todo-1"});
            if let Some(o) = owner {
                resource["ownerID"] = json!(o);
            }
            for action in ["can_read_todos", "can_create_todo", "can_update_todo", "can_delete_todo"] {
                let expect = authzen_todo_expect(u, action, owner.flatten());
                vectors.push(vector(
                    format!("{} | {label} | {action}", u.label),
                    u.claims(),
                    action,
                    resource.clone(),
                    None,
                    expect,
                ));
            }
        }
    }
    VectorFile {
        file: "authzen_todo.json",
        description: "The AuthZEN interop Todo policy (policies/authzen_todo.ord) decided from session tokens: users \
                      (the scenario's roles and emails as custom claims `roles` / `email`, personal and in an \
                      organization, and the cases without them) x todo owner x action. Generated by \
                      engine/tests/conformance_vectors.rs from its model of the scenario's rules; do not edit by hand."
            .into(),
        policy: "../../policies/authzen_todo.ord",
        vectors,
    }
}

// ------------------------------------------------------------------------------ hand-written edge cases

/// Hand-written edge cases on the Team Task policy. The base request (a licensed member
/// editing an org task they created) is allowed; each case changes one thing.
fn team_tasks_edges() -> VectorFile {
    let member =
        || Who::Org { role: Some("org:member"), listed: Some(vec![VIEW, EDIT]), license: License::Licensed }.claims();
    let with = |key: &str, value: Value| {
        let mut c = member();
        c[key] = value;
        c
    };
    let without = |key: &str| {
        let mut c = member();
        c.as_object_mut().unwrap().remove(key);
        c
    };
    let task = || json!({"type": "task", "id": "task_1", "owner_id": ORG, "created_by_id": ME});
    let task_with = |key: &str, value: Value| {
        let mut t = task();
        t[key] = value;
        t
    };
    let task_without = |key: &str| {
        let mut t = task();
        t.as_object_mut().unwrap().remove(key);
        t
    };
    let invalid = || deny("invalid_claims");
    let mut cases: Vec<(&str, Value, &str, Value, Value)> = vec![
        ("base: licensed member edits an org task they created", member(), "edit", task(), allow("org_edit_own")),
        // Token lifetime, with Clerk's 5 s of leeway (RFC 7519: not on or after `exp`, not before `nbf`).
        ("expired 10 s ago", with("exp", json!(NOW - 10)), "edit", task(), deny("session_expired")),
        ("expired exactly the leeway ago", with("exp", json!(NOW - 5)), "edit", task(), deny("session_expired")),
        ("expired 4 s ago: inside the leeway", with("exp", json!(NOW - 4)), "edit", task(), allow("org_edit_own")),
        ("expires now: inside the leeway", with("exp", json!(NOW)), "edit", task(), allow("org_edit_own")),
        ("expired session cannot even view", with("exp", json!(NOW - 3600)), "view", task(), deny("session_expired")),
        ("nbf a minute ahead", with("nbf", json!(NOW + 60)), "edit", task(), deny("session_not_yet_valid")),
        (
            "nbf 6 s ahead: beyond the leeway",
            with("nbf", json!(NOW + 6)),
            "edit",
            task(),
            deny("session_not_yet_valid"),
        ),
        ("nbf 5 s ahead: inside the leeway", with("nbf", json!(NOW + 5)), "edit", task(), allow("org_edit_own")),
        ("issued a minute in the future", with("iat", json!(NOW + 60)), "edit", task(), deny("session_not_yet_valid")),
        (
            "no exp, nbf or iat at all",
            {
                let mut c = member();
                for k in ["exp", "nbf", "iat"] {
                    c.as_object_mut().unwrap().remove(k);
                }
                c
            },
            "edit",
            task(),
            allow("org_edit_own"),
        ),
        // Every kind of malformed claim is invalid_claims: never coerced, never half-read.
        ("claims are a list", json!([ME]), "view", task(), invalid()),
        ("claims are a string", json!("sub=user_me"), "view", task(), invalid()),
        ("exp as a string", with("exp", json!((NOW + 50).to_string())), "view", task(), invalid()),
        ("exp as a fraction", with("exp", json!(1721770200.5)), "view", task(), invalid()),
        ("exp beyond 64-bit", with("exp", json!(18446744073709551615u64)), "view", task(), invalid()),
        ("nbf as a boolean", with("nbf", json!(true)), "view", task(), invalid()),
        ("iat as null", with("iat", Value::Null), "view", task(), invalid()),
        ("sub as a number", with("sub", json!(42)), "view", task(), invalid()),
        ("sub as null", with("sub", Value::Null), "view", task(), invalid()),
        ("sub empty", with("sub", json!("")), "view", task(), invalid()),
        ("sid as a number", with("sid", json!(1)), "view", task(), invalid()),
        ("azp as a list", with("azp", json!(["https://app.example.com"])), "view", task(), invalid()),
        ("iss as an object", with("iss", json!({})), "view", task(), invalid()),
        ("act as a string", with("act", json!("user_admin")), "view", task(), invalid()),
        ("v is 3", with("v", json!(3)), "view", task(), invalid()),
        ("v as a string", with("v", json!("2")), "view", task(), invalid()),
        ("sts unknown", with("sts", json!("revoked")), "view", task(), invalid()),
        ("org_id as a number", with("org_id", json!(1)), "view", task(), invalid()),
        ("org_id empty", with("org_id", json!("")), "view", task(), invalid()),
        ("org_role as a list", with("org_role", json!(["org:member"])), "view", task(), invalid()),
        ("org_slug as a number", with("org_slug", json!(7)), "view", task(), invalid()),
        ("org_permissions as a string", with("org_permissions", json!("org:tasks:edit")), "view", task(), invalid()),
        ("org_permissions listing a number", with("org_permissions", json!([VIEW, 3])), "view", task(), invalid()),
        ("org_metadata as a string", with("org_metadata", json!("isLicensed")), "view", task(), invalid()),
        (
            "isLicensed as the string \"true\"",
            with("org_metadata", json!({"isLicensed": "true"})),
            "edit",
            task(),
            invalid(),
        ),
        (
            "isLicensed as the string \"true\", even to view",
            with("org_metadata", json!({"isLicensed": "true"})),
            "view",
            task(),
            invalid(),
        ),
        ("isLicensed as 1", with("org_metadata", json!({"isLicensed": 1})), "edit", task(), invalid()),
        (
            "org_role without org_id",
            {
                let mut c = without("org_id");
                c.as_object_mut()
                    .unwrap()
                    .retain(|k, _| k != "org_permissions" && k != "org_metadata" && k != "org_slug");
                c
            },
            "view",
            task(),
            invalid(),
        ),
        ("org_permissions without org_id", json!({"sub": ME, "org_permissions": [VIEW]}), "view", task(), invalid()),
        (
            "org_metadata without org_id",
            json!({"sub": ME, "org_metadata": {"isLicensed": true}}),
            "view",
            task(),
            invalid(),
        ),
        ("a v2 `o` claim in a v1 token", with("o", json!({"id": ORG})), "view", task(), invalid()),
        ("fva with one number", with("fva", json!([5])), "view", task(), invalid()),
        ("fea entry without a scope", with("fea", json!("tasks")), "view", task(), invalid()),
        // Unknown names and unusable resources.
        ("unknown action", member(), "archive", task(), deny("unknown_action")),
        ("action on the wrong case", member(), "Edit", task(), deny("unknown_action")),
        ("unknown resource type", member(), "edit", task_with("type", json!("project")), deny("unknown_resource_type")),
        ("resource without type", member(), "edit", task_without("type"), deny("invalid_resource")),
        ("resource type empty", member(), "edit", task_with("type", json!("")), deny("invalid_resource")),
        ("resource type as a number", member(), "edit", task_with("type", json!(1)), deny("invalid_resource")),
        ("resource is a list", member(), "edit", json!([task()]), deny("invalid_resource")),
        ("resource id as a number", member(), "edit", task_with("id", json!(42)), deny("invalid_resource")),
        ("resource without created_by_id", member(), "edit", task_without("created_by_id"), deny("invalid_resource")),
        ("resource owner_id as a number", member(), "edit", task_with("owner_id", json!(1)), deny("invalid_resource")),
        (
            "resource owner_id null (not optional)",
            member(),
            "edit",
            task_with("owner_id", Value::Null),
            deny("invalid_resource"),
        ),
        ("resource without id is fine", member(), "edit", task_without("id"), allow("org_edit_own")),
        (
            "undeclared resource attributes are ignored",
            member(),
            "edit",
            task_with("title", json!("Ship it")),
            allow("org_edit_own"),
        ),
        // `missing` hints a UI shows next to a disabled button.
        (
            "hint: unlicensed member editing own org task needs only the seat",
            with("org_metadata", json!({"isLicensed": false})),
            "edit",
            task(),
            expected(
                false,
                "forbidden:license_required",
                Some("license_required"),
                &[("license", "org.metadata.isLicensed")],
            ),
        ),
        (
            "hint: unlicensed member editing another's org task needs the seat and manage",
            with("org_metadata", json!({"isLicensed": false})),
            "edit",
            task_with("created_by_id", json!(OTHER)),
            expected(
                false,
                "forbidden:license_required",
                Some("license_required"),
                &[("license", "org.metadata.isLicensed"), ("permission", MANAGE)],
            ),
        ),
        (
            "hint: viewing needs no seat",
            with("org_metadata", json!({"isLicensed": false})),
            "view",
            task(),
            allow("org_view"),
        ),
        (
            "hint: org session without permissions, view",
            {
                let mut c = without("org_permissions");
                c.as_object_mut().unwrap().remove("org_role");
                c
            },
            "view",
            task(),
            no_match(&[("permission", VIEW)]),
        ),
        (
            "hint: personal session on an org task gets nothing to obtain",
            Who::Personal.claims(),
            "view",
            task(),
            no_match(&[]),
        ),
        (
            "hint: signed out on a personal task gets nothing to obtain",
            json!({}),
            "view",
            task_with("owner_id", json!(ME)),
            no_match(&[]),
        ),
        (
            "personal task while another org is active",
            member(),
            "delete",
            json!({"type": "task", "owner_id": ME, "created_by_id": ME}),
            allow("personal_task"),
        ),
        (
            "org_permissions wildcard is not expanded from the token",
            with("org_permissions", json!(["org:tasks:*"])),
            "view",
            task(),
            no_match(&[("permission", VIEW)]),
        ),
    ];
    // The `org_permissions wildcard` case has role org:member, whose grants include view.
    if let Some(case) = cases.iter_mut().find(|c| c.0.starts_with("org_permissions wildcard")) {
        case.1.as_object_mut().unwrap().remove("org_role");
    }
    let vectors = cases
        .into_iter()
        .map(|(name, claims, action, resource, expect)| {
            vector(name.to_string(), claims, action, resource, None, expect)
        })
        .collect();
    VectorFile {
        file: "team_tasks_edge.json",
        description: "Hand-written edge cases on policies/team_tasks.ord: token lifetime and leeway, every kind of \
                      malformed claim, unknown action and resource type, invalid resources, missing hints. Expectations \
                      written by hand in engine/tests/conformance_vectors.rs, which renders this file; do not edit by hand."
            .into(),
        policy: "../../policies/team_tasks.ord",
        vectors,
    }
}

fn calendar_edges() -> VectorFile {
    let me = || Who::Personal.claims();
    let cal = || json!({"type": "calendar", "id": "cal_1"});
    let ctx = |scopes: Value| Some(json!({"approved_scopes": scopes}));
    let cases: Vec<(&str, &str, Value, Option<Value>, Value)> = vec![
        (
            "tabs and repeated spaces separate scopes",
            "book_direct",
            cal(),
            ctx(json!(format!("  {READONLY}\t\t{EVENTS}  "))),
            allow("book_direct"),
        ),
        (
            "a scope that merely starts with the needed one does not count",
            "read_availability",
            cal(),
            ctx(json!(format!("{READONLY}.extra"))),
            no_match(&[("scope", READONLY)]),
        ),
        (
            "duplicates in the list are harmless",
            "read_availability",
            cal(),
            ctx(json!([READONLY, READONLY])),
            allow("read_availability"),
        ),
        (
            "Clerk's camelCase key is not the one the policy reads",
            "read_availability",
            cal(),
            Some(json!({"approvedScopes": READONLY})),
            no_match(&[("scope", READONLY)]),
        ),
        ("approved_scopes as a number cannot be read", "read_availability", cal(), ctx(json!(42)), no_match(&[])),
        (
            "approved_scopes listing a number cannot be read",
            "read_availability",
            cal(),
            ctx(json!([READONLY, 1])),
            no_match(&[]),
        ),
        ("approved_scopes null cannot be read", "read_availability", cal(), ctx(Value::Null), no_match(&[])),
        (
            "approved_scopes as an object cannot be read",
            "read_availability",
            cal(),
            ctx(json!({"scope": READONLY})),
            no_match(&[]),
        ),
        (
            "context is not an object",
            "read_availability",
            cal(),
            Some(json!("approved_scopes")),
            deny("invalid_context"),
        ),
        ("context is a list", "read_availability", cal(), Some(json!([READONLY])), deny("invalid_context")),
        (
            "owner_id as a number is an invalid resource",
            "read_availability",
            json!({"type": "calendar", "owner_id": 7}),
            ctx(json!([READONLY])),
            deny("invalid_resource"),
        ),
        ("unknown action", "delete_calendar", cal(), ctx(json!([READONLY])), deny("unknown_action")),
    ];
    let vectors = cases
        .into_iter()
        .map(|(name, action, resource, context, expect)| {
            vector(name.to_string(), me(), action, resource, context, expect)
        })
        .collect();
    VectorFile {
        file: "calendar_scopes_edge.json",
        description: "Hand-written edge cases on policies/calendar_scopes.ord: how approved scopes are read (list or \
                      space-separated string) and what cannot be read. Expectations written by hand in \
                      engine/tests/conformance_vectors.rs, which renders this file; do not edit by hand."
            .into(),
        policy: "../../policies/calendar_scopes.ord",
        vectors,
    }
}

/// Clerk session token v2: plans and features with `has()`'s scope rules, fpm-decoded
/// permissions, `o.rol`, `fva`, `act`, `sts`, and the strict decoding.
fn clerk_v2() -> VectorFile {
    let base = || {
        json!({"v": 2, "sub": ME, "sid": "sess_1", "iss": "https://clerk.example.com", "azp": "https://app.example.com",
               "exp": NOW + 50, "iat": NOW - 10, "nbf": NOW - 10})
    };
    let tok = |extra: Value| {
        let mut c = base();
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    let org = |extra: Value| {
        let mut o = json!({"id": ORG, "slg": "acme", "rol": "member"});
        for (k, v) in extra.as_object().unwrap() {
            o[k] = v.clone();
        }
        o
    };
    let perm = |p: &'static str| ("permission", p);
    let invalid = || deny("invalid_claims");
    // Clerk's documented decoding example.
    let clerk_example = || {
        tok(json!({"fea": "o:repositories,uo:projects,u:goldprofileborder",
                   "o": org(json!({"per": "read,create,update,delete,revoke", "fpm": "7,21"}))}))
    };
    let personal_pro = || tok(json!({"pla": "u:pro", "fea": "u:projects"}));
    let org_pro = || tok(json!({"pla": "u:free,o:pro", "fea": "o:projects,u:goldprofileborder", "o": org(json!({}))}));
    let both = || tok(json!({"pla": "o:pro", "fea": "uo:projects", "o": org(json!({}))}));
    let fva = |a: i64, b: i64| tok(json!({"fva": [a, b]}));
    let cases: Vec<(&str, Value, &str, Value)> = vec![
        // Plans: has_plan("pro") looks at both scopes, "org:pro" only at o:/uo:, "user:pro" only at u:/uo:.
        ("personal u:pro | any-scope plan", personal_pro(), "open_pro", allow("pro")),
        // An organization's plan is had only in an organization: a personal session needs one.
        (
            "personal u:pro | org plan",
            personal_pro(),
            "open_org_pro",
            no_match(&[("organization", ""), ("plan", "org:pro")]),
        ),
        ("personal u:pro | user plan", personal_pro(), "open_user_pro", allow("user_pro")),
        ("org o:pro | any-scope plan", org_pro(), "open_pro", allow("pro")),
        ("org o:pro | org plan", org_pro(), "open_org_pro", allow("org_pro")),
        ("org o:pro, user free | user plan", org_pro(), "open_user_pro", no_match(&[("plan", "user:pro")])),
        ("no pla | any-scope plan", base(), "open_pro", no_match(&[("plan", "pro")])),
        // Features, same scope rules.
        ("personal u:projects | any-scope feature", personal_pro(), "use_projects", allow("projects")),
        (
            "personal u:projects | org feature",
            personal_pro(),
            "use_org_projects",
            no_match(&[("organization", ""), ("feature", "org:projects")]),
        ),
        ("personal u:projects | user feature", personal_pro(), "use_user_projects", allow("user_projects")),
        ("org o:projects | any-scope feature", org_pro(), "use_projects", allow("projects")),
        ("org o:projects | org feature", org_pro(), "use_org_projects", allow("org_projects")),
        ("org o:projects | user feature", org_pro(), "use_user_projects", no_match(&[("feature", "user:projects")])),
        ("uo:projects | any-scope feature", both(), "use_projects", allow("projects")),
        ("uo:projects | org feature", both(), "use_org_projects", allow("org_projects")),
        ("uo:projects | user feature", both(), "use_user_projects", allow("user_projects")),
        // Permissions from o.per / o.fpm: Clerk's example gives org:repositories:{read,create,update}
        // and org:projects:{read,update,revoke}.
        ("Clerk example | org:repositories:read", clerk_example(), "read_repos", allow("read_repos")),
        ("Clerk example | org:repositories:create", clerk_example(), "create_repos", allow("create_repos")),
        ("Clerk example | org:projects:update", clerk_example(), "update_projects", allow("update_projects")),
        (
            "fpm 1,0 | org:repositories:read",
            tok(json!({"fea": "o:repositories,uo:projects",
            "o": org(json!({"per": "read,create,update", "fpm": "1,0"}))})),
            "read_repos",
            allow("read_repos"),
        ),
        (
            "fpm 1,0 | org:repositories:create",
            tok(json!({"fea": "o:repositories,uo:projects",
            "o": org(json!({"per": "read,create,update", "fpm": "1,0"}))})),
            "create_repos",
            no_match(&[perm("org:repositories:create")]),
        ),
        (
            "fpm 1,0 | org:projects:update",
            tok(json!({"fea": "o:repositories,uo:projects",
            "o": org(json!({"per": "read,create,update", "fpm": "1,0"}))})),
            "update_projects",
            no_match(&[perm("org:projects:update")]),
        ),
        (
            "user features take no mask",
            tok(json!({"fea": "u:goldprofileborder,o:repositories",
            "o": org(json!({"per": "read", "fpm": "1"}))})),
            "read_repos",
            allow("read_repos"),
        ),
        // Clerk's second documented example: fea o:dashboard,o:teams, per manage,read, fpm 3,2.
        (
            "docs example | dashboard manage",
            tok(json!({"fea": "o:dashboard,o:teams",
            "o": org(json!({"per": "manage,read", "fpm": "3,2"}))})),
            "manage_dashboard",
            allow("manage_dashboard"),
        ),
        (
            "docs example | dashboard read",
            tok(json!({"fea": "o:dashboard,o:teams",
            "o": org(json!({"per": "manage,read", "fpm": "3,2"}))})),
            "read_dashboard",
            allow("read_dashboard"),
        ),
        (
            "docs example | teams read",
            tok(json!({"fea": "o:dashboard,o:teams",
            "o": org(json!({"per": "manage,read", "fpm": "3,2"}))})),
            "read_teams",
            allow("read_teams"),
        ),
        (
            "docs example | teams manage is not granted",
            tok(json!({"fea": "o:dashboard,o:teams",
            "o": org(json!({"per": "manage,read", "fpm": "3,2"}))})),
            "manage_teams",
            no_match(&[perm("org:teams:manage")]),
        ),
        // o.rol is the role without `org:`; the role table applies.
        (
            "o.rol admin is org:admin",
            tok(json!({"o": org(json!({"rol": "admin"}))})),
            "admin_panel",
            allow("admin_role"),
        ),
        (
            "o.rol admin grants the table's permissions",
            tok(json!({"o": org(json!({"rol": "admin"}))})),
            "manage_teams",
            allow("manage_teams"),
        ),
        (
            "o.rol member is not org:admin",
            tok(json!({"o": org(json!({}))})),
            "admin_panel",
            no_match(&[("role", "org:admin")]),
        ),
        (
            "personal session needs an organization for a permission",
            base(),
            "read_repos",
            no_match(&[("organization", ""), perm("org:repositories:read")]),
        ),
        // fva: minutes since first / second factor verification, -1 = never.
        ("fva [5,-1] | first factor within 10", fva(5, -1), "delete", allow("recent_first_factor")),
        (
            "fva [5,-1] | second factor never",
            fva(5, -1),
            "delete_2fa",
            no_match(&[("verification", "second_factor:10")]),
        ),
        ("fva [5,-1] | both factors", fva(5, -1), "transfer", no_match(&[("verification", "multi_factor:10")])),
        ("fva [30,2] | first factor too old", fva(30, 2), "delete", no_match(&[("verification", "first_factor:10")])),
        ("fva [30,2] | second factor recent", fva(30, 2), "delete_2fa", allow("recent_second_factor")),
        ("fva [30,2] | both factors", fva(30, 2), "transfer", no_match(&[("verification", "multi_factor:10")])),
        ("fva [10,10] | the bound is inclusive", fva(10, 10), "transfer", allow("recent_both_factors")),
        ("fva [11,0] | one minute too old", fva(11, 0), "delete", no_match(&[("verification", "first_factor:10")])),
        ("fva [0,0] | just verified", fva(0, 0), "transfer", allow("recent_both_factors")),
        ("fva [-1,-1] | never verified", fva(-1, -1), "delete", no_match(&[("verification", "first_factor:10")])),
        ("no fva | reverification needed", base(), "delete", no_match(&[("verification", "first_factor:10")])),
        // act: impersonation.
        (
            "impersonated | sensitive action forbidden",
            tok(json!({"fva": [0, 0], "act": {"sub": "user_admin"}})),
            "delete",
            expected(false, "forbidden:impersonated", Some("no_impersonation"), &[]),
        ),
        ("impersonated | viewing is fine", tok(json!({"act": {"sub": "user_admin"}})), "view", allow("signed_in")),
        // sts: a pending session is signed out, custom claims included.
        ("sts active is signed in", tok(json!({"sts": "active"})), "view", allow("signed_in")),
        ("sts pending is signed out", tok(json!({"sts": "pending"})), "view", no_match(&[("sign_in", "")])),
        (
            "sts pending drops plans",
            tok(json!({"sts": "pending", "pla": "u:pro"})),
            "open_pro",
            no_match(&[("sign_in", ""), ("plan", "pro")]),
        ),
        (
            "sts pending drops verification",
            tok(json!({"sts": "pending", "fva": [0, 0]})),
            "delete",
            no_match(&[("sign_in", ""), ("verification", "first_factor:10")]),
        ),
        (
            "sts pending drops the organization",
            tok(json!({"sts": "pending", "fea": "o:repositories",
            "o": org(json!({"per": "read", "fpm": "1"}))})),
            "read_repos",
            no_match(&[("sign_in", ""), ("organization", ""), perm("org:repositories:read")]),
        ),
        ("custom claims count when active", tok(json!({"email": "me@example.com"})), "staff_only", allow("staff")),
        (
            "sts pending hides custom claims",
            tok(json!({"sts": "pending", "email": "me@example.com"})),
            "staff_only",
            no_match(&[]),
        ),
        // Strict where Clerk's own parser is lax: each is invalid_claims.
        (
            "strict: mask wider than per",
            tok(json!({"fea": "o:a", "o": org(json!({"per": "read", "fpm": "2"}))})),
            "view",
            invalid(),
        ),
        (
            "strict: mask with bits beyond per",
            tok(json!({"fea": "o:a", "o": org(json!({"per": "read,create", "fpm": "5"}))})),
            "view",
            invalid(),
        ),
        ("strict: masks without per", tok(json!({"fea": "o:a", "o": org(json!({"fpm": "1"}))})), "view", invalid()),
        (
            "strict: fea entry without colon",
            tok(json!({"fea": "repositories", "o": org(json!({}))})),
            "view",
            invalid(),
        ),
        (
            "strict: fea entry with empty name",
            tok(json!({"fea": "o:", "o": org(json!({"per": "read", "fpm": "1"}))})),
            "view",
            invalid(),
        ),
        ("strict: fea with an empty entry", tok(json!({"fea": "u:a,,u:b"})), "view", invalid()),
        (
            "strict: unknown scope x",
            tok(json!({"fea": "x:a", "o": org(json!({"per": "r", "fpm": "1"}))})),
            "view",
            invalid(),
        ),
        (
            "strict: unknown scope ou",
            tok(json!({"fea": "ou:a", "o": org(json!({"per": "r", "fpm": "1"}))})),
            "view",
            invalid(),
        ),
        ("strict: unknown plan scope", tok(json!({"pla": "team:pro"})), "view", invalid()),
        (
            "strict: non-numeric fpm",
            tok(json!({"fea": "o:a", "o": org(json!({"per": "r", "fpm": "one"}))})),
            "view",
            invalid(),
        ),
        (
            "strict: negative fpm",
            tok(json!({"fea": "o:a", "o": org(json!({"per": "r", "fpm": "-1"}))})),
            "view",
            invalid(),
        ),
        (
            "strict: fpm with a space",
            tok(json!({"fea": "o:a,o:b", "o": org(json!({"per": "r", "fpm": "1, 1"}))})),
            "view",
            invalid(),
        ),
        (
            "strict: fpm beyond 64 bits",
            tok(json!({"fea": "o:a", "o": org(json!({"per": "r", "fpm": "99999999999999999999999"}))})),
            "view",
            invalid(),
        ),
        (
            "strict: fpm as a number",
            tok(json!({"fea": "o:a", "o": org(json!({"per": "r", "fpm": 1}))})),
            "view",
            invalid(),
        ),
        (
            "strict: fewer masks than org features",
            tok(json!({"fea": "o:a,o:b", "o": org(json!({"per": "r", "fpm": "1"}))})),
            "view",
            invalid(),
        ),
        (
            "strict: more masks than org features",
            tok(json!({"fea": "o:a", "o": org(json!({"per": "r", "fpm": "1,1"}))})),
            "view",
            invalid(),
        ),
        (
            "strict: per with an empty name",
            tok(json!({"fea": "o:a", "o": org(json!({"per": "read,,update", "fpm": "1"}))})),
            "view",
            invalid(),
        ),
        (
            "strict: per name with a colon",
            tok(json!({"fea": "o:a", "o": org(json!({"per": "tasks:read", "fpm": "1"}))})),
            "view",
            invalid(),
        ),
        ("strict: o.rol with the org: prefix", tok(json!({"o": org(json!({"rol": "org:admin"}))})), "view", invalid()),
        ("strict: o.rol empty", tok(json!({"o": org(json!({"rol": ""}))})), "view", invalid()),
        ("strict: o without id", tok(json!({"o": {"rol": "admin"}})), "view", invalid()),
        ("strict: o.id empty", tok(json!({"o": org(json!({"id": ""}))})), "view", invalid()),
        ("strict: o.id as a number", tok(json!({"o": org(json!({"id": 1}))})), "view", invalid()),
        ("strict: o as a string", tok(json!({"o": ORG})), "view", invalid()),
        ("strict: v1 org_id in a v2 token", tok(json!({"org_id": ORG})), "view", invalid()),
        (
            "strict: v1 org_permissions in a v2 token",
            tok(json!({"o": org(json!({})), "org_permissions": [VIEW]})),
            "view",
            invalid(),
        ),
        ("strict: org_metadata without o", tok(json!({"org_metadata": {"isLicensed": true}})), "view", invalid()),
        ("strict: org plan without an organization", tok(json!({"pla": "o:pro"})), "view", invalid()),
        ("strict: org feature without an organization", tok(json!({"fea": "o:projects"})), "view", invalid()),
        ("strict: pla as a list", tok(json!({"pla": ["u:pro"]})), "view", invalid()),
        ("strict: fva with one number", tok(json!({"fva": [5]})), "view", invalid()),
        ("strict: fva below -1", tok(json!({"fva": [-2, 0]})), "view", invalid()),
        ("strict: fva as strings", tok(json!({"fva": ["5", "1"]})), "view", invalid()),
        ("strict: fva as a number", tok(json!({"fva": 5})), "view", invalid()),
    ];
    let workspace = json!({"type": "workspace", "id": "ws_1"});
    let vectors = cases
        .into_iter()
        .map(|(name, claims, action, expect)| vector(name.to_string(), claims, action, workspace.clone(), None, expect))
        .collect();
    VectorFile {
        file: "clerk_v2.json",
        description: "Clerk session token v2 on the test policy policies/clerk_v2_features.ord: has_plan / has_feature \
                      scope rules (pla, fea), permissions decoded from o.per / o.fpm, o.rol, fva and verified_within, act, \
                      sts pending = signed out, and strict decoding (each malformed shape is invalid_claims). \
                      Expectations written by hand from Clerk's documentation in engine/tests/conformance_vectors.rs, \
                      which renders this file; do not edit by hand."
            .into(),
        policy: "policies/clerk_v2_features.ord",
        vectors,
    }
}

/// Every generated file, in a fixed order.
fn all_files() -> Vec<VectorFile> {
    let team = team_tasks();
    let team_v2 = v2_twin(&team, "team_tasks.v2.json");
    let lic = licensing();
    let lic_v2 = v2_twin(&lic, "licensing.v2.json");
    let room = rooms();
    let room_v2 = v2_twin(&room, "rooms.v2.json");
    let cal = calendar_scopes();
    let cal_v2 = v2_twin(&cal, "calendar_scopes.v2.json");
    let team_edge = team_tasks_edges();
    let team_edge_v2 = v2_twin(&team_edge, "team_tasks_edge.v2.json");
    let cal_edge = calendar_edges();
    let cal_edge_v2 = v2_twin(&cal_edge, "calendar_scopes_edge.v2.json");
    let todo = authzen_todo();
    let todo_v2 = v2_twin(&todo, "authzen_todo.v2.json");
    vec![
        team,
        team_v2,
        lic,
        lic_v2,
        room,
        room_v2,
        cal,
        cal_v2,
        team_edge,
        team_edge_v2,
        cal_edge,
        cal_edge_v2,
        clerk_v2(),
        todo,
        todo_v2,
    ]
}

#[test]
fn checked_in_vectors_are_what_the_generator_produces() {
    let dir = conformance_dir();
    let regenerate = std::env::var_os("ORDINANCE_REGENERATE_VECTORS").is_some();
    let mut stale = Vec::new();
    let mut total = 0;
    for f in all_files() {
        // Names are how runners report failures and how v2 twins pair up: keep them unique.
        let mut names: Vec<&str> = f.vectors.iter().map(|v| v["name"].as_str().unwrap()).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "{}: duplicate vector names", f.file);
        total += count;
        let text = render(&f);
        let path = dir.join(f.file);
        if regenerate {
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(f.file);
        }
    }
    assert!(
        stale.is_empty(),
        "these checked-in vector files differ from the generator's output: {stale:?}\nregenerate with \
         `ORDINANCE_REGENERATE_VECTORS=1 cargo test -p ordinance --test conformance_vectors` and review the diff"
    );
    assert!(total > 1000, "only {total} vectors");
}

#[test]
fn v2_conversion_matches_clerks_documented_example() {
    // Clerk: fea o:dashboard,o:teams; per manage,read; fpm 3,2 for dashboard:{manage,read}, teams:read.
    let v1 = json!({"sub": ME, "org_id": ORG, "org_role": "org:admin",
                    "org_permissions": ["org:dashboard:manage", "org:dashboard:read", "org:teams:read"]});
    let v2 = to_v2(&v1).unwrap();
    assert_eq!(v2["fea"], "o:dashboard,o:teams");
    assert_eq!(v2["o"], json!({"id": ORG, "rol": "admin", "per": "manage,read", "fpm": "3,2"}));
    assert_eq!(v2["v"], 2);
    assert!(to_v2(&json!({"sub": ME, "org_permissions": [VIEW]})).is_none());
    assert!(to_v2(&json!({"sub": ME, "org_id": ORG, "org_permissions": "x"})).is_none());
}
