//! Support for the ordinance benchmarks (`benches/engine.rs`) and the allocation test
//! (`tests/alloc.rs`): the Team Task workload prepared for the engine, and a generator of
//! large policies for the scaling and compile benchmarks.
//!
//! The request mix, sample claims and the hand-written floor come from the shared crate
//! `ordinance-bench-workload` (`benches/workload`), which the Cedar comparison in
//! `benches/cedar` uses too.
//!
//! # Generated policies
//!
//! * [`distinct_pairs`]`(n)`: `n` rules spread over `n / 2` distinct (resource type,
//!   action) pairs, five actions per type: each pair has one `permit` and one `forbid`.
//!   A decision should touch only the two rules of its pair, whatever `n` is.
//! * [`same_pair`]`(n)`: `n` permit rules on one pair (`read` on `doc`); the first `n - 1`
//!   do not match the probe request, the last one does, so the decision walks all `n`.
//!
//! Each comes with [`Case`]s, requests whose decision is known from how the policy was
//! generated, and [`Scenario::check`] asserts them against an engine.
//!
//! ```
//! use ordinance::{Engine, Policy, Session};
//! use ordinance_benches::{distinct_pairs, GENERATED_CLAIMS};
//!
//! let scenario = distinct_pairs(100);
//! let engine = Engine::new(Policy::parse(&scenario.policy).unwrap());
//! assert_eq!(engine.policy().rule_count(), 100);
//! let session = Session::from_claims_json(GENERATED_CLAIMS).unwrap();
//! scenario.check(&engine, &session).unwrap();
//! ```

use std::fmt::Write as _;

use ordinance::{Engine, Options, Policy, PolicyError, Resource, Session};
use ordinance_bench_workload::workload::{Request, MIX, NOW};

pub use ordinance_bench_workload::{floor_bench, floor_decide, floor_decide_json, workload, Claims, Task, ACTIONS};

/// The Team Task policy, `policies/team_tasks.ord`, embedded at build time so that no
/// benchmark reads a file while timing.
pub const TEAM_TASKS: &str = include_str!("../../../policies/team_tasks.ord");

/// Options for every timed decision: the fixed time [`NOW`] (inside the sample tokens'
/// validity, and no clock read per decision) and no context.
pub fn options() -> Options {
    Options { now: Some(NOW), context: None }
}

/// Parses, validates and compiles the Team Task policy.
pub fn team_tasks_engine() -> Result<Engine, PolicyError> {
    Ok(Engine::new(Policy::parse(TEAM_TASKS)?))
}

/// One request of [`MIX`] with its claims and resource parsed beforehand.
#[derive(Debug)]
pub struct PreparedRequest {
    /// The session built from the request's claims.
    pub session: Session,
    /// The action.
    pub action: &'static str,
    /// The resource built from the request's resource JSON.
    pub resource: Resource,
    /// The request as written in the workload, with its expected decision.
    pub request: &'static Request,
}

/// Builds a [`PreparedRequest`] for every request of [`MIX`], in order.
///
/// ```
/// let engine = ordinance_benches::team_tasks_engine().unwrap();
/// let opts = ordinance_benches::options();
/// for p in ordinance_benches::prepared_mix().unwrap() {
///     assert_eq!(engine.decide_with(&p.session, p.action, &p.resource, &opts).allowed, p.request.expected);
/// }
/// ```
pub fn prepared_mix() -> Result<Vec<PreparedRequest>, String> {
    MIX.iter()
        .map(|request| {
            let session = Session::from_claims_json(request.claims).map_err(|e| format!("{}: {e}", request.name))?;
            let resource = Resource::from_json(request.resource).map_err(|e| format!("{}: {e}", request.name))?;
            Ok(PreparedRequest { session, action: request.action, resource, request })
        })
        .collect()
}

/// Claims of the session that probes the generated policies: an `org:member` of
/// [`GENERATED_ORG`], whose role grants `doc:read` and `doc:write`.
pub const GENERATED_CLAIMS: &str = r#"{"sub": "user_1", "sid": "sess_1", "iat": 1721770133, "nbf": 1721770123, "exp": 1721770193, "org_id": "org_1", "org_role": "org:member", "org_permissions": ["doc:read", "doc:write"]}"#;

/// The active organization of [`GENERATED_CLAIMS`].
pub const GENERATED_ORG: &str = "org_1";

/// Actions declared per resource type in [`distinct_pairs`].
pub const ACTIONS_PER_TYPE: usize = 5;

/// A generated policy and requests whose decisions are known.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The policy text.
    pub policy: String,
    /// How many rules the policy has.
    pub rules: usize,
    /// Requests with known decisions, for the session of [`GENERATED_CLAIMS`].
    pub cases: Vec<Case>,
}

/// A request on a generated policy and the decision the generator built it to get.
#[derive(Debug, Clone)]
pub struct Case {
    /// A short label.
    pub name: String,
    /// The action.
    pub action: String,
    /// The resource document.
    pub resource: Resource,
    /// Whether the request is allowed.
    pub allowed: bool,
    /// The deciding rule's id (for a forbid or a permit), `None` for a default deny.
    pub rule: Option<String>,
    /// The reason code.
    pub reason: &'static str,
}

impl Scenario {
    /// Decides every case with `engine` for `session` and compares allowed, reason and rule.
    pub fn check(&self, engine: &Engine, session: &Session) -> Result<(), String> {
        if engine.policy().rule_count() != self.rules {
            return Err(format!("the engine has {} rules, expected {}", engine.policy().rule_count(), self.rules));
        }
        let opts = options();
        for case in &self.cases {
            let d = engine.decide_with(session, &case.action, &case.resource, &opts);
            let rule = d.rule.as_deref().map(str::to_owned);
            if d.allowed != case.allowed || &*d.reason != case.reason || rule != case.rule {
                return Err(format!(
                    "{}: got allowed={} reason={} rule={rule:?}, expected allowed={} reason={} rule={:?}",
                    case.name, d.allowed, &*d.reason, case.allowed, case.reason, case.rule
                ));
            }
        }
        Ok(())
    }

    /// The cases whose name starts with `prefix`.
    pub fn cases_named<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a Case> + 'a {
        self.cases.iter().filter(move |c| c.name.starts_with(prefix))
    }
}

/// The permissions and roles every generated policy declares.
const PREAMBLE: &str = "permission doc:read \"Read\"\n\
permission doc:write \"Write\"\n\
permission doc:manage \"Manage\"\n\
role org:member = [doc:read, doc:write]\n\
role org:admin = [doc:*]\n";

fn task(type_name: &str, owner: &str, level: i64) -> Resource {
    Resource::new(type_name).with_id("r1").with_attr("owner_id", owner).with_attr("level", level)
}

/// `rules` rules over `rules.div_ceil(2)` distinct (type, action) pairs, [`ACTIONS_PER_TYPE`]
/// actions per type (`t0` .. `tN`, actions `a0` .. `a4`). Pair `k` is type `t{k / 5}`,
/// action `a{k % 5}`, and has
///
/// ```text
/// @id("p{k}") permit a{j} on t{i} when org and resource.owner_id == org.id and has(doc:write)
/// @id("f{k}") forbid a{j} on t{i} when resource.level > 9 because "too_high"
/// ```
///
/// (the forbid is left out of the last pair when `rules` is odd). The cases: `allow/first`
/// and `allow/last` (the first and the last pair, an org resource at level 3: forbid
/// evaluated and not matching, permit matching), `deny/last` (the last pair, another
/// organization's resource: no permit matches, so the engine also computes `missing`) and
/// `forbid/last` (level 12).
pub fn distinct_pairs(rules: usize) -> Scenario {
    let rules = rules.max(1);
    let pairs = rules.div_ceil(2);
    let types = pairs.div_ceil(ACTIONS_PER_TYPE);
    // About 160 bytes per pair and 90 per type.
    let mut policy = String::with_capacity(PREAMBLE.len() + pairs * 160 + types * 90);
    policy.push_str(PREAMBLE);
    for t in 0..types {
        let actions = (pairs - t * ACTIONS_PER_TYPE).min(ACTIONS_PER_TYPE);
        let names: Vec<String> = (0..actions).map(|a| format!("a{a}")).collect();
        let _ = writeln!(policy, "resource t{t} {{ owner_id: string, level: int }}");
        let _ = writeln!(policy, "action {} on t{t}", names.join(", "));
    }
    let mut written = 0;
    for k in 0..pairs {
        let (t, a) = (k / ACTIONS_PER_TYPE, k % ACTIONS_PER_TYPE);
        let _ = writeln!(
            policy,
            "@id(\"p{k}\")\npermit a{a} on t{t} when org and resource.owner_id == org.id and has(doc:write)"
        );
        written += 1;
        if written < rules {
            let _ = writeln!(policy, "@id(\"f{k}\")\nforbid a{a} on t{t} when resource.level > 9 because \"too_high\"");
            written += 1;
        }
    }
    let last = pairs - 1;
    let (lt, la) = (format!("t{}", last / ACTIONS_PER_TYPE), format!("a{}", last % ACTIONS_PER_TYPE));
    let last_has_forbid = 2 * pairs == rules;
    let mut cases = vec![
        Case {
            name: "allow/first".into(),
            action: "a0".into(),
            resource: task("t0", GENERATED_ORG, 3),
            allowed: true,
            rule: Some("p0".into()),
            reason: "permit",
        },
        Case {
            name: "allow/last".into(),
            action: la.clone(),
            resource: task(&lt, GENERATED_ORG, 3),
            allowed: true,
            rule: Some(format!("p{last}")),
            reason: "permit",
        },
        Case {
            name: "deny/last".into(),
            action: la.clone(),
            resource: task(&lt, "org_2", 3),
            allowed: false,
            rule: None,
            reason: "no_matching_rule",
        },
    ];
    if last_has_forbid {
        cases.push(Case {
            name: "forbid/last".into(),
            action: la,
            resource: task(&lt, GENERATED_ORG, 12),
            allowed: false,
            rule: Some(format!("f{last}")),
            reason: "forbidden:too_high",
        });
    }
    Scenario { policy, rules, cases }
}

/// `rules` permit rules on the single pair (`read`, `doc`):
///
/// ```text
/// @id("miss{k}") permit read on doc when org and resource.owner_id == org.id and resource.level >= {100 + k}
/// ...
/// @id("hit") permit read on doc when org and resource.owner_id == org.id and has(doc:write)
/// ```
///
/// The case `allow/last` (an org resource at level 3) matches only the last rule, so the
/// engine evaluates every rule before it.
pub fn same_pair(rules: usize) -> Scenario {
    let rules = rules.max(1);
    let mut policy = String::with_capacity(PREAMBLE.len() + 100 + rules * 110);
    policy.push_str(PREAMBLE);
    policy.push_str("resource doc { owner_id: string, level: int }\naction read on doc\n");
    for k in 0..rules - 1 {
        let _ = writeln!(
            policy,
            "@id(\"miss{k}\")\npermit read on doc when org and resource.owner_id == org.id and resource.level >= {}",
            100 + k
        );
    }
    policy.push_str("@id(\"hit\")\npermit read on doc when org and resource.owner_id == org.id and has(doc:write)\n");
    let cases = vec![Case {
        name: "allow/last".into(),
        action: "read".into(),
        resource: task("doc", GENERATED_ORG, 3),
        allowed: true,
        rule: Some("hit".into()),
        reason: "permit",
    }];
    Scenario { policy, rules, cases }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;
    use ordinance_bench_workload::floor_decide_json;

    fn engine(text: &str) -> Engine {
        Engine::new(Policy::parse(text).unwrap_or_else(|e| unreachable!("generated policy rejected:\n{e}")))
    }

    #[test]
    fn distinct_pairs_parse_and_decide_as_generated() {
        let session = Session::from_claims_json(GENERATED_CLAIMS).unwrap();
        for n in [1, 2, 3, 9, 10, 11, 100, 1_000, 10_000] {
            let scenario = distinct_pairs(n);
            let engine = engine(&scenario.policy);
            assert_eq!(engine.policy().rule_count(), n, "n = {n}");
            // One forbid per pair, except the last pair when n is odd.
            assert_eq!(scenario.cases.len(), if n % 2 == 0 { 4 } else { 3 }, "n = {n}");
            scenario.check(&engine, &session).unwrap_or_else(|e| unreachable!("n = {n}: {e}"));
            // Every declared action of the last type is reachable, so there are no extra ones.
            let last_type = format!("t{}", (n.div_ceil(2) - 1) / ACTIONS_PER_TYPE);
            let declared = engine.policy().actions(&last_type).len();
            assert_eq!(declared, (n.div_ceil(2) - 1) % ACTIONS_PER_TYPE + 1, "n = {n}");
        }
    }

    #[test]
    fn distinct_pairs_check_catches_a_wrong_expectation() {
        let session = Session::from_claims_json(GENERATED_CLAIMS).unwrap();
        let mut scenario = distinct_pairs(10);
        let engine = engine(&scenario.policy);
        scenario.cases[1].rule = Some("p0".into());
        assert!(scenario.check(&engine, &session).is_err());
        let other = distinct_pairs(12);
        assert!(other.check(&engine, &session).is_err(), "rule count differs");
    }

    #[test]
    fn the_10000_rule_policy_fits_the_default_limits() {
        let scenario = distinct_pairs(10_000);
        assert!(scenario.policy.len() < ordinance::Limits::default().max_policy_bytes, "{}", scenario.policy.len());
    }

    #[test]
    fn same_pair_walks_to_the_last_rule() {
        let session = Session::from_claims_json(GENERATED_CLAIMS).unwrap();
        for n in [1, 2, 10, 100] {
            let scenario = same_pair(n);
            let engine = engine(&scenario.policy);
            assert_eq!(engine.policy().rule_count(), n);
            scenario.check(&engine, &session).unwrap_or_else(|e| unreachable!("n = {n}: {e}"));
            // Without `doc:write` only an earlier rule could match, and none does.
            let viewer =
                Session::from_claims_json(r#"{"sub": "user_1", "org_id": "org_1", "org_role": "org:viewer"}"#).unwrap();
            let d = engine.decide_with(&viewer, "read", &scenario.cases[0].resource, &options());
            assert!(!d.allowed, "n = {n}");
            let high = task("doc", GENERATED_ORG, 150);
            let d = engine.decide_with(&viewer, "read", &high, &options());
            assert_eq!(d.allowed, n > 1, "n = {n}: level 150 matches `miss0` .. `miss50`");
        }
    }

    #[test]
    fn team_tasks_agrees_with_the_floor_on_the_mix() {
        let engine = team_tasks_engine().unwrap();
        let opts = options();
        for p in prepared_mix().unwrap() {
            let r = p.request;
            assert_eq!(floor_decide_json(r.claims, r.action, r.resource), r.expected, "{}", r.name);
            assert_eq!(engine.decide_with(&p.session, p.action, &p.resource, &opts).allowed, r.expected, "{}", r.name);
            assert_eq!(engine.decide_json(r.claims, r.action, r.resource, None, Some(NOW)).allowed, r.expected);
        }
    }
}
