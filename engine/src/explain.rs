//! The full trace of a decision: every rule filed under the request's (type, action), its
//! outcome, and the value of each sub-condition, from the naive interpreter.

use crate::claims::Session;
use crate::decision::Decision;
use crate::policy::ast::Effect;
use crate::policy::Policy;
use crate::reference::{Env, Interp, Outcome};
use crate::resource::{Context, Resource};
use serde::Serialize;
use std::fmt;

/// A decision with the trace that led to it. `Display` is the CLI's human-readable form;
/// it also serializes to JSON.
///
/// ```
/// # use ordinance::*;
/// let engine = Engine::from_policy_text(
///     "resource doc { owner: string }\naction read on doc\n@id(\"owner\")\npermit read on doc when resource.owner == user.id").unwrap();
/// let s = Session::from_claims_json(r#"{"sub": "u1"}"#).unwrap();
/// let doc = Resource::new("doc").with_attr("owner", "u2");
/// let why = engine.explain(&s, "read", &doc, &Options::default());
/// assert!(!why.decision.allowed);
/// assert_eq!(why.rules[0].outcome, "no match");
/// assert!(why.to_string().contains("resource.owner == user.id = false"));
/// ```
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// The decision, as `decide` gives it.
    pub decision: Decision,
    /// The rules considered, in file order.
    pub rules: Vec<RuleTrace>,
}

/// One rule's part in a decision.
#[derive(Debug, Clone, Serialize)]
pub struct RuleTrace {
    /// The rule id.
    pub id: String,
    /// `permit` or `forbid`.
    pub effect: String,
    /// `match`, `no match`, or `error: <why>`.
    pub outcome: String,
    /// Each leaf condition evaluated, with its value or error, in evaluation order.
    pub steps: Vec<(String, String)>,
}

pub(crate) fn explain(
    policy: &Policy,
    decision: Decision,
    session: &Session,
    action: &str,
    resource: &Resource,
    context: &Context,
) -> Explanation {
    let env = Env { policy, session, resource, context };
    let schema = &policy.schema;
    let mut rules = Vec::new();
    for (rule, info) in policy.ast.rules.iter().zip(&schema.rules) {
        let applies = info
            .applies
            .iter()
            .any(|(t, a)| a == action && schema.types.get(*t).is_some_and(|ts| ts.name == resource.type_name));
        if !applies {
            continue;
        }
        let mut interp = Interp::new(&env, true);
        let outcome = match interp.rule(rule) {
            Outcome::Match => "match".to_string(),
            Outcome::NoMatch => "no match".to_string(),
            Outcome::Error(e) => format!("error: {e}"),
        };
        let steps = interp
            .trace
            .unwrap_or_default()
            .into_iter()
            .map(|s| (s.text, s.value.unwrap_or_else(|e| format!("error: {e}"))))
            .collect();
        let effect = match rule.effect {
            Effect::Permit => "permit",
            Effect::Forbid => "forbid",
        };
        rules.push(RuleTrace { id: info.id.clone(), effect: effect.into(), outcome, steps });
    }
    Explanation { decision, rules }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.decision;
        write!(f, "decision: {} ({})", if d.allowed { "ALLOW" } else { "DENY" }, d.reason)?;
        if let Some(rule) = &d.rule {
            write!(f, " by rule `{rule}`")?;
        }
        writeln!(f)?;
        if let Some(e) = &d.error {
            writeln!(f, "error: {e}")?;
        }
        for m in &d.missing {
            writeln!(f, "missing: {m}")?;
        }
        if self.rules.is_empty() {
            writeln!(f, "no rule applies to this resource type and action")?;
        }
        for r in &self.rules {
            writeln!(f, "{} `{}`: {}", r.effect, r.id, r.outcome)?;
            for (text, value) in &r.steps {
                writeln!(f, "    {text} = {value}")?;
            }
        }
        Ok(())
    }
}
