//! The benchmark workload: sample Clerk v1 session claims, Team Task resources and a
//! fixed mix of allow and deny requests with their expected decisions.
//!
//! Every benchmark group (`floor/*`, `decide/*`, `ordinance/*`, `cedar/*`) runs the
//! whole [`MIX`] per iteration and asserts each decision against
//! [`Request::expected`] before timing.

/// The requesting user in every sample token.
pub const USER_ID: &str = "user_2iVvo8iFCJQJ1WCXeBk5T9lUTO5";
/// Another user of the same organization.
pub const OTHER_USER_ID: &str = "user_2jfGxQ7dM1wZPp8cRb3sTu9VkLa";
/// The organization the sample sessions are active in.
pub const ORG_ID: &str = "org_2ieWEfZl0M6ccS1Ap1XVRbEm9Kk";
/// Some other organization.
pub const OTHER_ORG_ID: &str = "org_2kPqW8nBv4cXz1LmJ7hYt5RdEs0";

/// A fixed Unix time inside every sample token's validity (`nbf` 1721770123, `exp`
/// 1721770193), for engines that check the token's time claims.
pub const NOW: i64 = 1_721_770_150;

/// `org:manager`, licensed, with the permissions Clerk puts in the token.
pub const MANAGER_LICENSED: &str = r#"{
  "azp": "http://localhost:3005",
  "exp": 1721770193,
  "iat": 1721770133,
  "iss": "https://assuring-cod-50.clerk.accounts.dev",
  "jti": "daeb648e4c6dbfbdd2ce",
  "nbf": 1721770123,
  "org_id": "org_2ieWEfZl0M6ccS1Ap1XVRbEm9Kk",
  "org_metadata": { "isLicensed": true },
  "org_permissions": ["org:tasks:edit", "org:tasks:view", "org:tasks:manage"],
  "org_role": "org:manager",
  "org_slug": "d2-gamers",
  "sid": "sess_2jfFHBJQpqzwZbnwHXti0yxCz1G",
  "sub": "user_2iVvo8iFCJQJ1WCXeBk5T9lUTO5"
}"#;

/// `org:member`, licensed.
pub const MEMBER_LICENSED: &str = r#"{
  "azp": "http://localhost:3005",
  "exp": 1721770193,
  "iat": 1721770133,
  "iss": "https://assuring-cod-50.clerk.accounts.dev",
  "jti": "1c0ffee2d5e8a4b7f391",
  "nbf": 1721770123,
  "org_id": "org_2ieWEfZl0M6ccS1Ap1XVRbEm9Kk",
  "org_metadata": { "isLicensed": true },
  "org_permissions": ["org:tasks:edit", "org:tasks:view"],
  "org_role": "org:member",
  "org_slug": "d2-gamers",
  "sid": "sess_2jfFHBJQpqzwZbnwHXti0yxCz1G",
  "sub": "user_2iVvo8iFCJQJ1WCXeBk5T9lUTO5"
}"#;

/// `org:member` without a seat (`isLicensed: false`).
pub const MEMBER_UNLICENSED: &str = r#"{
  "azp": "http://localhost:3005",
  "exp": 1721770193,
  "iat": 1721770133,
  "iss": "https://assuring-cod-50.clerk.accounts.dev",
  "jti": "5ea7b9c0d4e1f2a3b6c8",
  "nbf": 1721770123,
  "org_id": "org_2ieWEfZl0M6ccS1Ap1XVRbEm9Kk",
  "org_metadata": { "isLicensed": false },
  "org_permissions": ["org:tasks:edit", "org:tasks:view"],
  "org_role": "org:member",
  "org_slug": "d2-gamers",
  "sid": "sess_2jfFHBJQpqzwZbnwHXti0yxCz1G",
  "sub": "user_2iVvo8iFCJQJ1WCXeBk5T9lUTO5"
}"#;

/// `org:viewer`, licensed.
pub const VIEWER_LICENSED: &str = r#"{
  "azp": "http://localhost:3005",
  "exp": 1721770193,
  "iat": 1721770133,
  "iss": "https://assuring-cod-50.clerk.accounts.dev",
  "jti": "9d8c7b6a5f4e3d2c1b0a",
  "nbf": 1721770123,
  "org_id": "org_2ieWEfZl0M6ccS1Ap1XVRbEm9Kk",
  "org_metadata": { "isLicensed": true },
  "org_permissions": ["org:tasks:view"],
  "org_role": "org:viewer",
  "org_slug": "d2-gamers",
  "sid": "sess_2jfFHBJQpqzwZbnwHXti0yxCz1G",
  "sub": "user_2iVvo8iFCJQJ1WCXeBk5T9lUTO5"
}"#;

/// A personal session: no organization active, so no `org_*` claims.
pub const PERSONAL: &str = r#"{
  "azp": "http://localhost:3005",
  "exp": 1721770193,
  "iat": 1721770133,
  "iss": "https://assuring-cod-50.clerk.accounts.dev",
  "jti": "0a1b2c3d4e5f60718293",
  "nbf": 1721770123,
  "sid": "sess_2jfFHBJQpqzwZbnwHXti0yxCz1G",
  "sub": "user_2iVvo8iFCJQJ1WCXeBk5T9lUTO5"
}"#;

/// A personal task of [`USER_ID`].
pub const TASK_PERSONAL: &str = r#"{"type": "task", "id": "task_101", "title": "Renew passport", "owner_id": "user_2iVvo8iFCJQJ1WCXeBk5T9lUTO5", "created_by_id": "user_2iVvo8iFCJQJ1WCXeBk5T9lUTO5"}"#;
/// A task of [`ORG_ID`] created by [`USER_ID`].
pub const TASK_ORG_OWN: &str = r#"{"type": "task", "id": "task_102", "title": "Draft Q3 roadmap", "owner_id": "org_2ieWEfZl0M6ccS1Ap1XVRbEm9Kk", "created_by_id": "user_2iVvo8iFCJQJ1WCXeBk5T9lUTO5"}"#;
/// A task of [`ORG_ID`] created by [`OTHER_USER_ID`].
pub const TASK_ORG_OTHER: &str = r#"{"type": "task", "id": "task_103", "title": "Fix login bug", "owner_id": "org_2ieWEfZl0M6ccS1Ap1XVRbEm9Kk", "created_by_id": "user_2jfGxQ7dM1wZPp8cRb3sTu9VkLa"}"#;
/// A task of [`OTHER_ORG_ID`] (created by [`USER_ID`], which grants nothing there).
pub const TASK_OTHER_ORG: &str = r#"{"type": "task", "id": "task_104", "title": "Competitor notes", "owner_id": "org_2kPqW8nBv4cXz1LmJ7hYt5RdEs0", "created_by_id": "user_2iVvo8iFCJQJ1WCXeBk5T9lUTO5"}"#;
/// A personal task of [`OTHER_USER_ID`].
pub const TASK_OTHER_PERSONAL: &str = r#"{"type": "task", "id": "task_105", "title": "Dentist", "owner_id": "user_2jfGxQ7dM1wZPp8cRb3sTu9VkLa", "created_by_id": "user_2jfGxQ7dM1wZPp8cRb3sTu9VkLa"}"#;

/// One request of the mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// A short label, for assertion messages.
    pub name: &'static str,
    /// Verified Clerk v1 session claims (JSON).
    pub claims: &'static str,
    /// The action.
    pub action: &'static str,
    /// The resource (JSON).
    pub resource: &'static str,
    /// The decision the Team Task rules give.
    pub expected: bool,
}

/// The fixed request mix: 5 allows, 3 denies, covering the personal, own-task,
/// manage, license and cross-organization paths.
pub const MIX: [Request; 8] = [
    Request {
        name: "manager edits another member's org task",
        claims: MANAGER_LICENSED,
        action: "edit",
        resource: TASK_ORG_OTHER,
        expected: true,
    },
    Request {
        name: "member edits another member's org task",
        claims: MEMBER_LICENSED,
        action: "edit",
        resource: TASK_ORG_OTHER,
        expected: false,
    },
    Request {
        name: "unlicensed member creates an org task",
        claims: MEMBER_UNLICENSED,
        action: "create",
        resource: TASK_ORG_OWN,
        expected: false,
    },
    Request {
        name: "viewer views an org task",
        claims: VIEWER_LICENSED,
        action: "view",
        resource: TASK_ORG_OTHER,
        expected: true,
    },
    Request {
        name: "personal session edits a personal task",
        claims: PERSONAL,
        action: "edit",
        resource: TASK_PERSONAL,
        expected: true,
    },
    Request {
        name: "member views another org's task",
        claims: MEMBER_LICENSED,
        action: "view",
        resource: TASK_OTHER_ORG,
        expected: false,
    },
    Request {
        name: "unlicensed member completes a personal task in an org session",
        claims: MEMBER_UNLICENSED,
        action: "complete",
        resource: TASK_PERSONAL,
        expected: true,
    },
    Request {
        name: "member deletes their own org task",
        claims: MEMBER_LICENSED,
        action: "delete",
        resource: TASK_ORG_OWN,
        expected: true,
    },
];
