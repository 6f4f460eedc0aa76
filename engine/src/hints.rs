//! What a deny is missing: the smallest set of things the user could obtain (a
//! permission, a role, a license, OAuth scopes, a plan, a sign-in) that would turn the
//! deny into an allow under the closest permit rule, plus what would lift a matching
//! forbid.
//!
//! Only requirements a user can act on are reported. A condition on the resource
//! (`resource.created_by_id == user.id`) that fails makes that rule unreachable, and the
//! next closest rule is used instead. Computed on the deny path only.

use crate::claims::Session;
use crate::decision::Requirement;
use crate::policy::ast::*;
use crate::policy::Policy;
use crate::reference::{Env, Interp, RV};
use crate::resource::{Context, Resource};

type Cost = Option<Vec<Requirement>>;

/// `rules` are the indexes of the rules filed under the request's (type, action), in file
/// order (the compiled index gives them, so a deny costs the same at 10 or 10,000 rules).
pub(crate) fn missing(
    policy: &Policy,
    session: &Session,
    resource: &Resource,
    context: &Context,
    forbidden: bool,
    rules: impl Iterator<Item = u32>,
) -> Vec<Requirement> {
    let env = Env { policy, session, resource, context };
    let mut out: Vec<Requirement> = Vec::new();
    let mut permit_matches = false;
    let mut best: Option<Vec<Requirement>> = None;
    for rule in rules.filter_map(|i| policy.ast.rules.get(i as usize)) {
        let Some(cond) = &rule.condition else {
            if rule.effect == Effect::Permit {
                permit_matches = true;
            }
            continue;
        };
        let mut a = Analysis { interp: Interp::new(&env, false), policy };
        match rule.effect {
            Effect::Forbid if forbidden => {
                if a.interp.truth(cond) == Ok(true) {
                    if let Some(reqs) = a.cost(cond, false) {
                        merge(&mut out, reqs);
                    }
                }
            }
            Effect::Forbid => {}
            Effect::Permit => match a.cost(cond, true) {
                Some(reqs) if reqs.is_empty() => permit_matches = true,
                Some(reqs) if best.as_ref().map_or(true, |b| reqs.len() < b.len()) => best = Some(reqs),
                Some(_) => {}
                None => {}
            },
        }
    }
    if !permit_matches {
        if let Some(reqs) = best {
            merge(&mut out, reqs);
        }
    }
    out
}

fn merge(out: &mut Vec<Requirement>, reqs: Vec<Requirement>) {
    if out.len() + reqs.len() <= 16 {
        for r in reqs {
            if !out.contains(&r) {
                out.push(r);
            }
        }
        return;
    }
    // Thousands of missing scopes (a long request list) must not cost a quadratic dedup.
    let mut seen: std::collections::HashSet<Requirement> = out.iter().cloned().collect();
    for r in reqs {
        if seen.insert(r.clone()) {
            out.push(r);
        }
    }
}

struct Analysis<'a> {
    interp: Interp<'a>,
    policy: &'a Policy,
}

impl Analysis<'_> {
    /// The requirements that would make `e` evaluate to `want`; `None` if nothing the user
    /// can obtain would.
    fn cost(&mut self, e: &Expr, want: bool) -> Cost {
        match (&e.kind, want) {
            (ExprKind::Not(inner), _) => self.cost(inner, !want),
            (ExprKind::And(a, b), true) | (ExprKind::Or(a, b), false) => {
                let mut x = self.cost(a, want)?;
                let y = self.cost(b, want)?;
                merge(&mut x, y);
                Some(x)
            }
            (ExprKind::And(a, b), false) | (ExprKind::Or(a, b), true) => {
                match (self.cost(a, want), self.cost(b, want)) {
                    (Some(x), Some(y)) => Some(if y.len() < x.len() { y } else { x }),
                    (x, None) => x,
                    (None, y) => y,
                }
            }
            _ => match self.interp.truth(e) {
                Ok(v) if v == want => Some(Vec::new()),
                Ok(_) if want => self.obtainable(e),
                _ => None,
            },
        }
    }

    /// What the user could obtain to make a false atom true: signed out, a sign-in first.
    fn obtainable(&mut self, e: &Expr) -> Cost {
        let mut reqs = self.obtainable_in_session(e)?;
        let sign_in = Requirement::new("sign_in", "");
        if !self.session_has(Root::User) && reqs.first().is_some_and(|r| *r != sign_in) {
            reqs.insert(0, sign_in);
        }
        Some(reqs)
    }

    /// What a signed-in user could obtain to make a false atom true.
    fn obtainable_in_session(&mut self, e: &Expr) -> Cost {
        let session = (self.session_has(Root::Org),);
        let org_needed = |mut v: Vec<Requirement>| {
            if !session.0 {
                v.insert(0, Requirement::new("organization", ""));
            }
            Some(v)
        };
        match &e.kind {
            ExprKind::HasPermission(p) => org_needed(vec![Requirement::new("permission", p.text.clone())]),
            ExprKind::HasRole(r) => org_needed(vec![Requirement::new("role", r.text.clone())]),
            // An organization's plan or feature (`org:`) is had only in an organization.
            ExprKind::HasPlan(p) if p.text.starts_with("org:") => {
                org_needed(vec![Requirement::new("plan", p.text.clone())])
            }
            ExprKind::HasFeature(f) if f.text.starts_with("org:") => {
                org_needed(vec![Requirement::new("feature", f.text.clone())])
            }
            ExprKind::HasPlan(p) => Some(vec![Requirement::new("plan", p.text.clone())]),
            ExprKind::HasFeature(f) => Some(vec![Requirement::new("feature", f.text.clone())]),
            // A license in the organization's metadata needs an organization; one in the
            // user's own claims does not.
            ExprKind::Licensed => {
                let license = self.policy.schema.license.as_ref();
                let path = license.map(|p| p.display()).unwrap_or_default();
                let reqs = vec![Requirement::new("license", path)];
                if license.is_some_and(|p| p.root == Root::Org) {
                    org_needed(reqs)
                } else {
                    Some(reqs)
                }
            }
            ExprKind::VerifiedWithin(m, f) => Some(vec![Requirement::new("verification", format!("{}:{m}", f.name()))]),
            ExprKind::Path(p) if p.segments.is_empty() && p.root == Root::User => {
                Some(vec![Requirement::new("sign_in", "")])
            }
            ExprKind::Path(p) if p.segments.is_empty() && p.root == Root::Org => {
                Some(vec![Requirement::new("organization", "")])
            }
            ExprKind::Call(recv, Method::ContainsAll | Method::Contains, args)
                if matches!(recv.kind, ExprKind::Scopes(_)) =>
            {
                // A set: both lists may be long (16,000 scopes fit in 64 KiB of context).
                let have: std::collections::HashSet<String> = self.strings(recv)?.into_iter().collect();
                let arg = args.first()?;
                let want = match self.interp.value(arg).ok()?? {
                    RV::List(items) => items,
                    single => vec![single],
                };
                let mut reqs = Vec::new();
                for w in want {
                    let RV::Str(s) = w else { return None };
                    if !have.contains(s.as_ref()) {
                        reqs.push(Requirement::new("scope", s));
                    }
                }
                Some(reqs)
            }
            ExprKind::In(item, list) if matches!(list.kind, ExprKind::Scopes(_)) => {
                let have = self.strings(list)?;
                match self.interp.value(item).ok()?? {
                    RV::Str(s) if !have.iter().any(|h| h == s.as_ref()) => Some(vec![Requirement::new("scope", s)]),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn strings(&mut self, e: &Expr) -> Option<Vec<String>> {
        match self.interp.value(e).ok()?? {
            RV::List(items) => {
                items.into_iter().map(|i| if let RV::Str(s) = i { Some(s.into_owned()) } else { None }).collect()
            }
            _ => None,
        }
    }

    /// Whether `user` (signed in) or `org` (an active organization) holds.
    fn session_has(&mut self, root: Root) -> bool {
        let path = Expr {
            kind: ExprKind::Path(Path { root, segments: vec![], span: Default::default() }),
            span: Default::default(),
        };
        self.interp.truth(&path) == Ok(true)
    }
}
