//! The shipped policies and the Team Task requests the security tests start from
//! (`security_deputies.rs`, `acceptance_hostile.rs`): a licensed manager of `org_team` and
//! an organization task another member created, at a fixed `NOW`.
#![allow(dead_code, clippy::unwrap_used)]

use ordinance::Engine;
use serde_json::{json, Value};

pub const NOW: i64 = 1_721_770_150;

pub fn team_tasks() -> Engine {
    Engine::from_policy_text(include_str!("../../../policies/team_tasks.ord")).unwrap()
}

pub fn licensing() -> Engine {
    Engine::from_policy_text(include_str!("../../../policies/licensing.ord")).unwrap()
}

pub fn calendar() -> Engine {
    Engine::from_policy_text(include_str!("../../../policies/calendar_scopes.ord")).unwrap()
}

/// A licensed manager of `org_team`: everything on the org's tasks is allowed.
pub fn manager() -> Value {
    json!({
        "sub": "user_alice", "sid": "sess_1", "exp": NOW + 60, "iat": NOW - 10, "nbf": NOW - 10,
        "org_id": "org_team", "org_slug": "team", "org_role": "org:manager",
        "org_permissions": ["org:tasks:view", "org:tasks:edit", "org:tasks:manage"],
        "org_metadata": {"isLicensed": true}
    })
}

/// A task of `org_team` that `user_bob` created.
pub fn org_task() -> Value {
    json!({"type": "task", "id": "t1", "owner_id": "org_team", "created_by_id": "user_bob"})
}
