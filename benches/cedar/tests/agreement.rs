//! The floor and the Cedar encoding must give the decisions written down here, which
//! come from the Team Task rules (see the crate docs), not from either implementation.

use ordinance_cedar_bench::cedar::{self, BoxError, TeamTasks};
use ordinance_cedar_bench::workload::{
    self, ORG_ID, OTHER_ORG_ID, OTHER_USER_ID, TASK_ORG_OTHER, TASK_ORG_OWN, TASK_OTHER_ORG, TASK_OTHER_PERSONAL,
    TASK_PERSONAL, USER_ID,
};
use ordinance_cedar_bench::{floor_decide, floor_decide_json, Claims, Task, ACTIONS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Viewer,
    Member,
    Manager,
    Admin,
    /// Personal session: no organization active.
    Personal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Owned by the user.
    Personal,
    /// Owned by the user's active org, created by the user.
    OrgOwn,
    /// Owned by the user's active org, created by someone else.
    OrgOther,
    /// Owned by another org.
    OtherOrg,
    /// Someone else's personal task.
    OtherPersonal,
}

/// How the token says what the user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `org_role` plus the matching `org_permissions`, as Clerk issues them.
    RoleAndPermissions,
    /// Only `org_role`; `org_permissions` absent: the role table must grant.
    RoleOnly,
    /// A custom role the rules do not know, with the permissions in the token.
    PermissionsOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Licensed {
    True,
    False,
    Absent,
}

const ROLES: [Role; 5] = [Role::Viewer, Role::Member, Role::Manager, Role::Admin, Role::Personal];
const SHAPES: [Shape; 3] = [Shape::RoleAndPermissions, Shape::RoleOnly, Shape::PermissionsOnly];
const LICENSES: [Licensed; 3] = [Licensed::True, Licensed::False, Licensed::Absent];

/// Expected decisions, from the rules. Each mask lists
/// `view create edit complete delete` in that order: a letter allows, `.` denies.
/// Columns: isLicensed true, isLicensed false, isLicensed absent.
#[rustfmt::skip]
const EXPECTED: [(Role, Kind, [&str; 3]); 25] = [
    (Role::Viewer,   Kind::Personal,      ["VCEPD", "VCEPD", "VCEPD"]),
    (Role::Viewer,   Kind::OrgOwn,        ["V....", "V....", "V...."]),
    (Role::Viewer,   Kind::OrgOther,      ["V....", "V....", "V...."]),
    (Role::Viewer,   Kind::OtherOrg,      [".....", ".....", "....."]),
    (Role::Viewer,   Kind::OtherPersonal, [".....", ".....", "....."]),

    (Role::Member,   Kind::Personal,      ["VCEPD", "VCEPD", "VCEPD"]),
    (Role::Member,   Kind::OrgOwn,        ["VCEPD", "V....", "V...."]),
    (Role::Member,   Kind::OrgOther,      ["VC...", "V....", "V...."]),
    (Role::Member,   Kind::OtherOrg,      [".....", ".....", "....."]),
    (Role::Member,   Kind::OtherPersonal, [".....", ".....", "....."]),

    (Role::Manager,  Kind::Personal,      ["VCEPD", "VCEPD", "VCEPD"]),
    (Role::Manager,  Kind::OrgOwn,        ["VCEPD", "V....", "V...."]),
    (Role::Manager,  Kind::OrgOther,      ["VCEPD", "V....", "V...."]),
    (Role::Manager,  Kind::OtherOrg,      [".....", ".....", "....."]),
    (Role::Manager,  Kind::OtherPersonal, [".....", ".....", "....."]),

    (Role::Admin,    Kind::Personal,      ["VCEPD", "VCEPD", "VCEPD"]),
    (Role::Admin,    Kind::OrgOwn,        ["VCEPD", "V....", "V...."]),
    (Role::Admin,    Kind::OrgOther,      ["VCEPD", "V....", "V...."]),
    (Role::Admin,    Kind::OtherOrg,      [".....", ".....", "....."]),
    (Role::Admin,    Kind::OtherPersonal, [".....", ".....", "....."]),

    // No organization active: only the user's own personal tasks.
    (Role::Personal, Kind::Personal,      ["VCEPD", "VCEPD", "VCEPD"]),
    (Role::Personal, Kind::OrgOwn,        [".....", ".....", "....."]),
    (Role::Personal, Kind::OrgOther,      [".....", ".....", "....."]),
    (Role::Personal, Kind::OtherOrg,      [".....", ".....", "....."]),
    (Role::Personal, Kind::OtherPersonal, [".....", ".....", "....."]),
];

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Viewer => "org:viewer",
        Role::Member => "org:member",
        Role::Manager => "org:manager",
        Role::Admin => "org:admin",
        Role::Personal => "",
    }
}

fn role_permissions(role: Role) -> &'static [&'static str] {
    match role {
        Role::Viewer => &["org:tasks:view"],
        Role::Member => &["org:tasks:view", "org:tasks:edit"],
        Role::Manager | Role::Admin => &["org:tasks:view", "org:tasks:edit", "org:tasks:manage"],
        Role::Personal => &[],
    }
}

fn claims_json(role: Role, shape: Shape, licensed: Licensed) -> String {
    let mut fields = vec![
        format!("\"sub\": \"{USER_ID}\""),
        "\"sid\": \"sess_2jfFHBJQpqzwZbnwHXti0yxCz1G\"".to_owned(),
        "\"exp\": 1721770193".to_owned(),
    ];
    if role != Role::Personal {
        fields.push(format!("\"org_id\": \"{ORG_ID}\""));
        fields.push("\"org_slug\": \"d2-gamers\"".to_owned());
        let permissions = serde_json::to_string(role_permissions(role)).unwrap_or_default();
        match shape {
            Shape::RoleAndPermissions => {
                fields.push(format!("\"org_role\": \"{}\"", role_name(role)));
                fields.push(format!("\"org_permissions\": {permissions}"));
            }
            Shape::RoleOnly => fields.push(format!("\"org_role\": \"{}\"", role_name(role))),
            Shape::PermissionsOnly => {
                fields.push("\"org_role\": \"org:custom\"".to_owned());
                fields.push(format!("\"org_permissions\": {permissions}"));
            }
        }
    }
    // In a personal session Clerk sends no org_metadata; it is added here anyway to
    // show that a license never matters for personal tasks.
    match licensed {
        Licensed::True => fields.push("\"org_metadata\": {\"isLicensed\": true}".to_owned()),
        Licensed::False => fields.push("\"org_metadata\": {\"isLicensed\": false}".to_owned()),
        Licensed::Absent => {}
    }
    format!("{{{}}}", fields.join(", "))
}

fn task_json(kind: Kind) -> &'static str {
    match kind {
        Kind::Personal => TASK_PERSONAL,
        Kind::OrgOwn => TASK_ORG_OWN,
        Kind::OrgOther => TASK_ORG_OTHER,
        Kind::OtherOrg => TASK_OTHER_ORG,
        Kind::OtherPersonal => TASK_OTHER_PERSONAL,
    }
}

/// Every way of deciding, which must all agree with `expected`.
fn check(
    engine: &TeamTasks,
    claims: &str,
    action: &str,
    resource: &str,
    expected: bool,
    label: &str,
) -> Result<(), BoxError> {
    assert_eq!(floor_decide_json(claims, action, resource), expected, "floor_decide_json: {label}");
    if let (Ok(c), Ok(t)) = (serde_json::from_str::<Claims<'_>>(claims), serde_json::from_str::<Task<'_>>(resource)) {
        assert_eq!(floor_decide(&c, action, &t), expected, "floor_decide: {label}");
    }
    assert_eq!(engine.decide_json(claims, action, resource), expected, "cedar decide_json: {label}");
    if let Ok(prepared) = engine.build_json(claims, action, resource) {
        assert_eq!(engine.is_authorized(&prepared), expected, "cedar prepared: {label}");
    }
    Ok(())
}

/// Calls `f(claims, action, resource, expected, label)` for every case of the matrix and
/// returns how many there were.
fn for_each_matrix_case(
    mut f: impl FnMut(&str, &str, &str, bool, &str) -> Result<(), BoxError>,
) -> Result<usize, BoxError> {
    let mut checked = 0;
    for &role in &ROLES {
        for &shape in &SHAPES {
            if role == Role::Personal && shape != Shape::RoleAndPermissions {
                continue; // a personal session has no role or permissions to shape
            }
            for (license_index, &licensed) in LICENSES.iter().enumerate() {
                let claims = claims_json(role, shape, licensed);
                for (expected_role, kind, masks) in EXPECTED {
                    if expected_role != role {
                        continue;
                    }
                    let mask = masks.get(license_index).ok_or("mask column")?;
                    assert_eq!(mask.len(), ACTIONS.len(), "mask {mask}");
                    for (action, flag) in ACTIONS.iter().zip(mask.chars()) {
                        let label = format!("{role:?} {shape:?} licensed={licensed:?} {kind:?} {action}");
                        f(&claims, action, task_json(kind), flag != '.', &label)?;
                        checked += 1;
                    }
                }
            }
        }
    }
    Ok(checked)
}

/// 4 org roles x 3 shapes x 3 licenses x 5 tasks x 5 actions, plus 3 x 5 x 5 personal.
const MATRIX_CASES: usize = 4 * 3 * 3 * 5 * 5 + 3 * 5 * 5;

#[test]
fn matrix_matches_the_rules() -> Result<(), BoxError> {
    let engine = TeamTasks::new()?;
    let checked = for_each_matrix_case(|claims, action, resource, expected, label| {
        check(&engine, claims, action, resource, expected, label)
    })?;
    assert_eq!(checked, MATRIX_CASES);
    Ok(())
}

/// ordinance with `policies/team_tasks.ord` (the engine the `ordinance` bench group times)
/// gives the same decisions, from JSON and on a prepared session, and `Engine::is_allowed`
/// the same answers.
#[test]
fn ordinance_matrix_matches_the_rules() -> Result<(), BoxError> {
    let engine = ordinance::Engine::new(ordinance::Policy::parse(include_str!("../../../policies/team_tasks.ord"))?);
    let opts = ordinance::Options { now: Some(workload::NOW), context: None };
    let mut rejected = 0;
    let checked = for_each_matrix_case(|claims, action, resource, expected, label| {
        let d = engine.decide_json(claims, action, resource, None, Some(workload::NOW));
        // The matrix adds `org_metadata` to personal sessions, which Clerk never does;
        // ordinance rejects such a token as inconsistent (fail closed) instead of ignoring it.
        if !claims.contains("\"org_id\"") && claims.contains("\"org_metadata\"") {
            assert_eq!(&*d.reason, "invalid_claims", "{label}");
            assert!(!d.allowed);
            rejected += 1;
            return Ok(());
        }
        assert_eq!(d.allowed, expected, "ordinance decide_json: {label}: {}", d.to_json());
        let session = ordinance::Session::from_claims_json(claims)?;
        let task = ordinance::Resource::from_json(resource)?;
        // The yes/no question first, so that it prepares the session and binds the task.
        assert_eq!(engine.is_allowed(&session, action, &task, &opts), expected, "ordinance is_allowed: {label}");
        let d = engine.decide_with(&session, action, &task, &opts);
        assert_eq!(d.allowed, expected, "ordinance prepared: {label}");
        Ok(())
    })?;
    assert_eq!(checked, MATRIX_CASES);
    assert_eq!(rejected, 2 * 5 * 5, "personal sessions with isLicensed true or false");
    for r in &workload::MIX {
        let d = engine.decide_json(r.claims, r.action, r.resource, None, Some(workload::NOW));
        assert_eq!(d.allowed, r.expected, "{}", r.name);
    }
    Ok(())
}

#[test]
fn workload_mix_matches_the_rules() -> Result<(), BoxError> {
    let engine = TeamTasks::new()?;
    for r in &workload::MIX {
        check(&engine, r.claims, r.action, r.resource, r.expected, r.name)?;
    }
    let allows = workload::MIX.iter().filter(|r| r.expected).count();
    assert_eq!((allows, workload::MIX.len() - allows), (5, 3));
    Ok(())
}

fn member(metadata: &str) -> String {
    format!(
        r#"{{"sub": "{USER_ID}", "org_id": "{ORG_ID}", "org_role": "org:member",
            "org_permissions": ["org:tasks:view", "org:tasks:edit"], "org_metadata": {metadata}}}"#
    )
}

#[test]
fn only_the_json_boolean_true_licenses() -> Result<(), BoxError> {
    let engine = TeamTasks::new()?;
    for (metadata, licensed) in [
        (r#"{"isLicensed": true}"#, true),
        (r#"{ "isLicensed" :  true , "seat": 3 }"#, true),
        (r#"{"isLicensed": "true"}"#, false),
        (r#"{"isLicensed": 1}"#, false),
        (r#"{"isLicensed": null}"#, false),
        (r#"{"isLicensed": [true]}"#, false),
        (r#"{"isLicensed": {"value": true}}"#, false),
        (r#"{}"#, false),
        ("null", false),
    ] {
        let claims = member(metadata);
        check(&engine, &claims, "edit", TASK_ORG_OWN, licensed, metadata)?;
        check(&engine, &claims, "view", TASK_ORG_OWN, true, metadata)?;
        check(&engine, &claims, "delete", TASK_PERSONAL, true, metadata)?;
    }
    Ok(())
}

#[test]
fn permissions_without_an_active_org_grant_nothing() -> Result<(), BoxError> {
    let engine = TeamTasks::new()?;
    let claims = format!(
        r#"{{"sub": "{USER_ID}", "org_role": "org:admin",
            "org_permissions": ["org:tasks:view", "org:tasks:edit", "org:tasks:manage"],
            "org_metadata": {{"isLicensed": true}}}}"#
    );
    for action in ACTIONS {
        check(&engine, &claims, action, TASK_ORG_OWN, false, action)?;
        check(&engine, &claims, action, TASK_PERSONAL, true, action)?;
    }
    Ok(())
}

#[test]
fn unknown_roles_and_permissions_grant_nothing() -> Result<(), BoxError> {
    let engine = TeamTasks::new()?;
    let claims = format!(
        r#"{{"sub": "{USER_ID}", "org_id": "{ORG_ID}", "org_role": "org:owner",
            "org_permissions": ["org:tasks:admin", "org:tasks:View", "tasks:view"],
            "org_metadata": {{"isLicensed": true}}}}"#
    );
    for action in ACTIONS {
        check(&engine, &claims, action, TASK_ORG_OWN, false, action)?;
    }
    Ok(())
}

#[test]
fn unknown_actions_are_denied() -> Result<(), BoxError> {
    let engine = TeamTasks::new()?;
    for action in ["archive", "View", "", "write", "modify", "org:tasks:view"] {
        check(&engine, workload::MANAGER_LICENSED, action, TASK_PERSONAL, false, action)?;
        check(&engine, workload::MANAGER_LICENSED, action, TASK_ORG_OTHER, false, action)?;
    }
    Ok(())
}

#[test]
fn malformed_input_is_denied() -> Result<(), BoxError> {
    let engine = TeamTasks::new()?;
    let no_sub = format!(r#"{{"org_id": "{ORG_ID}", "org_role": "org:admin"}}"#);
    let no_owner = format!(r#"{{"type": "task", "created_by_id": "{USER_ID}"}}"#);
    let numeric_owner = r#"{"type": "task", "owner_id": 7, "created_by_id": 7}"#;
    for (claims, resource) in [
        (no_sub.as_str(), TASK_ORG_OWN),
        ("", TASK_PERSONAL),
        ("not json", TASK_PERSONAL),
        ("[]", TASK_PERSONAL),
        (workload::MANAGER_LICENSED, no_owner.as_str()),
        (workload::MANAGER_LICENSED, numeric_owner),
        (workload::MANAGER_LICENSED, "{}"),
    ] {
        for action in ACTIONS {
            check(&engine, claims, action, resource, false, claims)?;
        }
    }
    Ok(())
}

#[test]
fn other_ids_and_org_prefix() -> Result<(), BoxError> {
    // The org task of another org is denied even to its creator; someone else's
    // personal task is denied even when that someone is in the same org.
    let engine = TeamTasks::new()?;
    let created_elsewhere =
        format!(r#"{{"type": "task", "id": "t", "owner_id": "{OTHER_ORG_ID}", "created_by_id": "{USER_ID}"}}"#);
    let bobs = format!(r#"{{"type": "task", "id": "t", "owner_id": "{OTHER_USER_ID}", "created_by_id": "{USER_ID}"}}"#);
    for action in ACTIONS {
        check(&engine, workload::MANAGER_LICENSED, action, &created_elsewhere, false, action)?;
        check(&engine, workload::MANAGER_LICENSED, action, &bobs, false, action)?;
    }
    Ok(())
}

#[test]
fn strict_validation_rejects_a_typo() {
    let typo = cedar::POLICIES_SRC.replace("principal.orgRole)", "principal.orgRoles)");
    assert_ne!(typo, cedar::POLICIES_SRC);
    assert!(cedar::compile(cedar::SCHEMA_SRC, &typo).is_err());
    assert!(cedar::compile(cedar::SCHEMA_SRC, cedar::POLICIES_SRC).is_ok());
}
