//! The Team Task benchmark workload and the hand-written floor, shared by every
//! benchmark: `benches/engine` (ordinance, in the root workspace) and `benches/cedar`
//! (Cedar, its own workspace), so that all of them decide the same requests against the
//! same reference.
//!
//! * The **floor** (this file): the rules hand-coded in Rust, the way a careful
//!   engineer writes them without any policy engine. Claims arrive as the verified
//!   Clerk v1 session-token payload (JSON), parsed with a `serde` derive into
//!   borrowed `&str` fields, unknown fields skipped.
//! * [`workload`]: sample claims and tasks, and the request mix that every benchmark
//!   group runs and asserts.
//!
//! ```
//! use ordinance_bench_workload::{floor_decide_json, workload::MIX};
//! for r in &MIX {
//!     assert_eq!(floor_decide_json(r.claims, r.action, r.resource), r.expected, "{}", r.name);
//! }
//! ```
//!
//! # The rules
//! Roles grant permissions: `org:viewer` (view), `org:member` (view, edit),
//! `org:manager` and `org:admin` (view, edit, manage), where the permission names are
//! `org:tasks:view`, `org:tasks:edit` and `org:tasks:manage`. A permission is held if
//! it is in `org_permissions` or granted to `org_role` by that table, and only while
//! an organization is active (`org_id` present).
//!
//! * A personal task (`owner_id == sub`) is fully the user's: every action, in any
//!   session, licensed or not.
//! * An organization task (`owner_id == org_id`): `view` needs `org:tasks:view`;
//!   `create` needs `org:tasks:edit`; `edit`, `complete` and `delete` need
//!   `org:tasks:manage`, or `org:tasks:edit` on a task the user created.
//!   All but `view` also need `org_metadata.isLicensed` to be exactly JSON `true`.
//! * Anything else is denied: other organizations' tasks, other users' personal
//!   tasks, unknown actions, claims or resources that do not parse.

use std::fmt;

use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

pub mod floor_bench;
pub mod workload;

/// The five Team Task actions, in a fixed order.
pub const ACTIONS: [&str; 5] = ["view", "create", "edit", "complete", "delete"];

/// Verified Clerk v1 session claims: the fields the Team Task rules read.
/// Every other claim (`azp`, `exp`, `sid`, `org_slug`, ...) is skipped by the parser.
#[derive(Debug, Clone, Deserialize)]
pub struct Claims<'a> {
    /// The user id (`user_...`). Required: a token without it does not parse.
    pub sub: &'a str,
    /// The active organization (`org_...`); absent in a personal session.
    #[serde(borrow, default)]
    pub org_id: Option<&'a str>,
    /// The user's role in the active organization.
    #[serde(borrow, default)]
    pub org_role: Option<&'a str>,
    /// Permissions the token carries for the active organization.
    #[serde(borrow, default)]
    pub org_permissions: Vec<&'a str>,
    /// Public metadata of the membership.
    #[serde(default)]
    pub org_metadata: Option<OrgMetadata>,
}

/// `org_metadata`: only `isLicensed` matters here.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct OrgMetadata {
    /// True only when the claim is the JSON boolean `true` (not `"true"`, not `1`).
    #[serde(rename = "isLicensed", default, deserialize_with = "json_true")]
    pub is_licensed: bool,
}

/// Accepts any JSON value; true only for the literal `true`. Arrays and objects are
/// skipped without building them.
fn json_true<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    deserializer.deserialize_any(JsonTrue)
}

struct JsonTrue;

impl<'de> Visitor<'de> for JsonTrue {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }

    fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_str<E>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(false)
    }
}

/// A Team Task resource: `{"type": "task", "id": "42", "owner_id": ..., "created_by_id": ...}`.
/// `type`, `id` and any other field are skipped.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Task<'a> {
    /// The owner: a user id (personal task) or an organization id.
    pub owner_id: &'a str,
    /// The user who created the task.
    pub created_by_id: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Perm {
    View,
    Edit,
    Manage,
}

impl Perm {
    const fn name(self) -> &'static str {
        match self {
            Perm::View => "org:tasks:view",
            Perm::Edit => "org:tasks:edit",
            Perm::Manage => "org:tasks:manage",
        }
    }
}

/// The role table.
fn role_grants(role: &str, perm: Perm) -> bool {
    match role {
        "org:admin" | "org:manager" => true,
        "org:member" => matches!(perm, Perm::View | Perm::Edit),
        "org:viewer" => perm == Perm::View,
        _ => false,
    }
}

impl Claims<'_> {
    /// Whether the session holds `perm` in its active organization.
    fn has(&self, perm: Perm) -> bool {
        self.org_id.is_some()
            && (self.org_role.is_some_and(|role| role_grants(role, perm))
                || self.org_permissions.contains(&perm.name()))
    }

    /// `org_metadata.isLicensed == true`.
    pub fn is_licensed(&self) -> bool {
        self.org_metadata.is_some_and(|m| m.is_licensed)
    }
}

/// The Team Task rules on already-parsed claims and resource.
pub fn floor_decide(claims: &Claims<'_>, action: &str, task: &Task<'_>) -> bool {
    #[derive(Clone, Copy)]
    enum Act {
        View,
        Create,
        Modify,
    }
    let act = match action {
        "view" => Act::View,
        "create" => Act::Create,
        "edit" | "complete" | "delete" => Act::Modify,
        _ => return false,
    };
    // Personal task: the user's, whatever the session.
    if task.owner_id == claims.sub {
        return true;
    }
    // Otherwise only the active organization's own tasks.
    match claims.org_id {
        Some(org_id) if task.owner_id == org_id => {}
        _ => return false,
    }
    match act {
        Act::View => claims.has(Perm::View),
        Act::Create => claims.is_licensed() && claims.has(Perm::Edit),
        Act::Modify => {
            claims.is_licensed()
                && (claims.has(Perm::Manage) || (task.created_by_id == claims.sub && claims.has(Perm::Edit)))
        }
    }
}

/// The Team Task rules from the raw claims JSON and resource JSON.
/// Anything that does not parse is denied.
pub fn floor_decide_json(claims_json: &str, action: &str, resource_json: &str) -> bool {
    let Ok(claims) = serde_json::from_str::<Claims<'_>>(claims_json) else {
        return false;
    };
    let Ok(task) = serde_json::from_str::<Task<'_>>(resource_json) else {
        return false;
    };
    floor_decide(&claims, action, &task)
}
