//! The Team Task rules written for `cedar-policy`: a schema validated in strict mode,
//! a policy set (`team_tasks.cedarschema`, `team_tasks.cedar` beside this file), and
//! the code that turns Clerk claims and a task record into a Cedar request and
//! entity store.
//!
//! Mapping:
//!
//! * principal `User::"<sub>"` with `org` (`Org::"<org_id>"`, only when present),
//!   `orgRole`, `orgPermissions` and `isLicensed` (exactly JSON `true`);
//! * the active organization `Org::"<org_id>"`, without attributes;
//! * resource `Task::"<id>"` whose parent is its owner: `Org::"<owner_id>"` for a
//!   Clerk organization id (`org_` prefix) and `User::"<owner_id>"` otherwise, with
//!   attribute `creator: User::"<created_by_id>"`;
//! * action `Action::"<action>"`; an action the schema does not declare fails
//!   request validation and so is denied.
//!
//! Entities referenced but not in the store (another user, another organization) are
//! left out, as Cedar allows: the policies only compare them.

use std::collections::{HashMap, HashSet};
use std::error::Error;
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid, PolicySet, Request,
    RestrictedExpression, Schema, ValidationMode, Validator,
};
use serde::Deserialize;

use crate::Claims;

/// The Cedar schema, in the Cedar schema syntax.
pub const SCHEMA_SRC: &str = include_str!("team_tasks.cedarschema");
/// The Cedar policies.
pub const POLICIES_SRC: &str = include_str!("team_tasks.cedar");

/// Any error from parsing, validation or building a request.
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// Parses the schema and the policies and validates the policies against the schema
/// in strict mode: what an application does once at start-up (`cedar/compile`).
pub fn compile(schema_src: &str, policies_src: &str) -> Result<(Schema, PolicySet), BoxError> {
    let (schema, warnings) = Schema::from_cedarschema_str(schema_src)?;
    let warnings: Vec<String> = warnings.map(|w| w.to_string()).collect();
    if !warnings.is_empty() {
        return Err(format!("schema warnings: {}", warnings.join("; ")).into());
    }
    let policies = PolicySet::from_str(policies_src)?;
    let result = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
    if !result.validation_passed_without_warnings() {
        let problems: Vec<String> = result
            .validation_errors()
            .map(|e| e.to_string())
            .chain(result.validation_warnings().map(|w| w.to_string()))
            .collect();
        return Err(format!("validation failed: {}", problems.join("; ")).into());
    }
    Ok((schema, policies))
}

/// A task record as the application stores it (`type`, other fields skipped).
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct TaskRecord<'a> {
    /// The task id; empty when the record has none.
    #[serde(default)]
    pub id: &'a str,
    /// The owner: a user id or an organization id.
    pub owner_id: &'a str,
    /// The user who created the task.
    pub created_by_id: &'a str,
}

/// A request and its entity store, built once ("prepared").
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The validated request.
    pub request: Request,
    /// User, active organization and task, plus the schema's action entities.
    pub entities: Entities,
}

/// The compiled Team Task policy with everything needed to authorize.
#[derive(Debug, Clone)]
pub struct TeamTasks {
    schema: Schema,
    policies: PolicySet,
    authorizer: Authorizer,
    user: EntityTypeName,
    org: EntityTypeName,
    task: EntityTypeName,
    action: EntityTypeName,
}

fn type_name(name: &str) -> Result<EntityTypeName, BoxError> {
    Ok(EntityTypeName::from_str(name)?)
}

impl TeamTasks {
    /// Compiles the bundled schema and policies.
    pub fn new() -> Result<Self, BoxError> {
        let (schema, policies) = compile(SCHEMA_SRC, POLICIES_SRC)?;
        Ok(Self {
            schema,
            policies,
            authorizer: Authorizer::new(),
            user: type_name("User")?,
            org: type_name("Org")?,
            task: type_name("Task")?,
            action: type_name("Action")?,
        })
    }

    fn uid(ty: &EntityTypeName, id: &str) -> EntityUid {
        EntityUid::from_type_name_and_id(ty.clone(), EntityId::new(id))
    }

    /// Builds the request and the entity store from parsed claims and a task record,
    /// validating both against the schema.
    pub fn build(&self, claims: &Claims<'_>, action: &str, task: &TaskRecord<'_>) -> Result<Prepared, BoxError> {
        let principal = Self::uid(&self.user, claims.sub);
        let mut entities = Vec::with_capacity(3);

        let mut user_attrs = HashMap::with_capacity(4);
        user_attrs.insert(
            "orgPermissions".to_owned(),
            RestrictedExpression::new_set(
                claims.org_permissions.iter().map(|p| RestrictedExpression::new_string((*p).to_owned())),
            ),
        );
        user_attrs.insert("isLicensed".to_owned(), RestrictedExpression::new_bool(claims.is_licensed()));
        if let Some(role) = claims.org_role {
            user_attrs.insert("orgRole".to_owned(), RestrictedExpression::new_string(role.to_owned()));
        }
        if let Some(org_id) = claims.org_id {
            let org = Self::uid(&self.org, org_id);
            user_attrs.insert("org".to_owned(), RestrictedExpression::new_entity_uid(org.clone()));
            entities.push(Entity::new_no_attrs(org, HashSet::new()));
        }
        entities.push(Entity::new(principal.clone(), user_attrs, HashSet::new())?);

        let owner = if task.owner_id.starts_with("org_") {
            Self::uid(&self.org, task.owner_id)
        } else {
            Self::uid(&self.user, task.owner_id)
        };
        let resource = Self::uid(&self.task, task.id);
        entities.push(Entity::new(
            resource.clone(),
            HashMap::from([(
                "creator".to_owned(),
                RestrictedExpression::new_entity_uid(Self::uid(&self.user, task.created_by_id)),
            )]),
            HashSet::from([owner]),
        )?);

        let entities = Entities::from_entities(entities, Some(&self.schema))?;
        let request =
            Request::new(principal, Self::uid(&self.action, action), resource, Context::empty(), Some(&self.schema))?;
        Ok(Prepared { request, entities })
    }

    /// Builds the request and entities from the raw claims JSON and resource JSON.
    pub fn build_json(&self, claims_json: &str, action: &str, resource_json: &str) -> Result<Prepared, BoxError> {
        let claims: Claims<'_> = serde_json::from_str(claims_json)?;
        let task: TaskRecord<'_> = serde_json::from_str(resource_json)?;
        self.build(&claims, action, &task)
    }

    /// Authorizes a prepared request (`cedar/prepared`).
    pub fn is_authorized(&self, prepared: &Prepared) -> bool {
        self.authorizer.is_authorized(&prepared.request, &self.policies, &prepared.entities).decision()
            == Decision::Allow
    }

    /// Builds everything from the raw JSON, then authorizes (`cedar/json`).
    /// Anything that fails to parse or validate is denied.
    pub fn decide_json(&self, claims_json: &str, action: &str, resource_json: &str) -> bool {
        self.build_json(claims_json, action, resource_json).is_ok_and(|prepared| self.is_authorized(&prepared))
    }
}
