//! Slot plans: the rules of one (resource type, action) pair as lists of tests over the
//! pair's distinct leaf tests, so that a decision evaluates each test at most once.
//!
//! Most conditions are an `and` chain of simple tests (`org`, `resource.owner_id ==
//! org.id`, `has(org:tasks:edit)`, `not licensed`), and the rules of a pair repeat them: in
//! the Team Task policy `resource.owner_id == org.id` is in three of the four rules on
//! `edit`. A plan numbers the pair's distinct tests and writes each rule as the numbers of
//! its operands, in order; a rule is then a walk over that list with a memo of the tests
//! already evaluated. Tests have no effects and read only the request, so a remembered
//! value is the value evaluating again would give, and a rule's outcome is the tree
//! evaluator's: operands left to right, the first false or fault ends it.
//!
//! A pair with a condition that is not such a chain (an operand with an `or`, or a `not`
//! over an `and`) has no plan and keeps the tree evaluator ([`crate::fast`]).

use crate::compile::FastRule;
use crate::decision::Requirement;
use crate::eval::Fault;
use crate::fast::{merge_tail, move_down, Fast, FastEval, FastHints, Needs};

/// The most distinct tests a plan holds: one bit each in a [`Memo`].
const MAX_TESTS: usize = 64;

/// The rules of one slot over its distinct tests.
#[derive(Debug, Clone)]
pub(crate) struct SlotPlan {
    tests: Box<[Fast]>,
    /// The slot's position in `Program::index`, set by the compiler (names the plan in a
    /// [`DecisionKey`]).
    pub index: u32,
    /// Whether a deny's hint follows from the tests' values and the session's facts alone
    /// (no test reads the session's scopes for its hint): then [`SlotPlan::deny_key`]
    /// names the deny.
    keyable: bool,
    /// In the order of `Slot::fast_forbids` (the hints refer to a forbid by position).
    pub forbids: Box<[PlannedRule]>,
    /// In the order of `Slot::fast_permits`.
    pub permits: Box<[PlannedRule]>,
}

/// One rule of a plan: its index in `Program::rules`, and its condition as operands that
/// must all hold (none: the rule has no condition).
#[derive(Debug, Clone)]
pub(crate) struct PlannedRule {
    pub rule: u32,
    operands: Box<[Operand]>,
    /// Session facts the rule needs, checked before any operand (see [`Facts`]).
    needs: Facts,
    /// The operands left to evaluate once `needs` hold, in order.
    rest: Box<[Operand]>,
}

/// Session facts as bits: whether there is an active organization, a signed-in user, the
/// license, a permission; each with its negation, so one mask test checks a rule's
/// operands on them without a dispatch per test. They cannot fault, so for a permit (where
/// a fault and a false both mean "no match") any of its operands on them can be checked
/// first; for a forbid (where a fault denies) only those before its first operand that
/// can fault.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Facts {
    bits: u8,
    /// A permission the rule needs (`has(p)` holds only in an organization).
    permission: Option<u32>,
}

const ORG: u8 = 1;
const NO_ORG: u8 = 2;
const USER: u8 = 4;
const NO_USER: u8 = 8;
const LICENSED: u8 = 16;
const UNLICENSED: u8 = 32;

impl Facts {
    /// The facts of the request `ev` decides.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    pub fn of(ev: &FastEval<'_>) -> u8 {
        let g = &ev.general;
        let pick = |on: bool, yes: u8, no: u8| if on { yes } else { no };
        pick(g.session.org.is_some(), ORG, NO_ORG)
            | pick(g.session.user_id.is_some(), USER, NO_USER)
            | pick(g.licensed, LICENSED, UNLICENSED)
    }

    /// The fact `op` tests, when it is one (`None` for other operands, and for a second
    /// permission: one is kept).
    fn of_operand(self, op: &Fast, negated: bool) -> Option<Facts> {
        let bit = |yes: u8, no: u8| Some(Facts { bits: self.bits | if negated { no } else { yes }, ..self });
        match op {
            Fast::Org => bit(ORG, NO_ORG),
            Fast::User => bit(USER, NO_USER),
            Fast::Licensed => bit(LICENSED, UNLICENSED),
            Fast::HasPermission(i) if !negated && self.permission.is_none() => {
                Some(Facts { bits: self.bits | ORG, permission: Some(*i) })
            }
            _ => None,
        }
    }
}

/// A test of the plan, or its negation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Operand {
    pub test: u8,
    pub negated: bool,
    /// The operand is a test whose hint is nothing or out of reach (`Fast::is_fixed_leaf`).
    fixed: bool,
}

/// The tests evaluated so far in one decision: bit `i` of `known` is set once test `i` has
/// been evaluated, with its value in `truth` or its fault in `fault`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Memo {
    known: u64,
    truth: u64,
    fault: u64,
}

impl Memo {
    /// Records test `i`'s value or fault.
    #[inline(always)]
    pub fn record(&mut self, i: u8, value: Result<bool, Fault>) {
        let bit = 1u64 << (i % 64);
        self.known |= bit;
        match value {
            Ok(true) => self.truth |= bit,
            Ok(false) => {}
            Err(_) => self.fault |= bit,
        }
    }

    /// Test `i`'s recorded value or fault, `None` before it has one.
    pub fn value(&self, i: u8) -> Option<Result<bool, Fault>> {
        let bit = 1u64 << (i % 64);
        if self.known & bit == 0 {
            None
        } else if self.fault & bit != 0 {
            Some(Err(Fault))
        } else {
            Some(Ok(self.truth & bit != 0))
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl PlannedRule {
    /// The rule's operands, in the order written.
    pub fn operands(&self) -> &[Operand] {
        &self.operands
    }
}

impl SlotPlan {
    /// The plan of a slot whose forbids and permits are these lowered rules, or `None` when
    /// a condition is not a chain of (possibly negated) tests or there are too many tests.
    pub fn build(forbids: Vec<&FastRule>, permits: Vec<&FastRule>) -> Option<SlotPlan> {
        let mut tests: Vec<Fast> = Vec::new();
        let mut plan_rules = |rules: Vec<&FastRule>, is_permit: bool| -> Option<Box<[PlannedRule]>> {
            rules
                .into_iter()
                .map(|fr| {
                    let operands: Vec<Operand> = match fr.condition {
                        None => Vec::new(),
                        Some(_) => fr.conjuncts.iter().map(|c| operand(c, &mut tests)).collect::<Option<_>>()?,
                    };
                    let (needs, rest) = split_facts(&operands, &tests, is_permit);
                    Some(PlannedRule { rule: fr.rule, operands: operands.into(), needs, rest: rest.into() })
                })
                .collect()
        };
        let forbids = plan_rules(forbids, false)?;
        let permits = plan_rules(permits, true)?;
        let keyable = tests.iter().all(|t| !matches!(t, Fast::General(c) if crate::fast::hint_reads_scopes(c)));
        Some(SlotPlan { tests: tests.into(), index: 0, keyable, forbids, permits })
    }

    /// Whether a deny's hint (`SlotPlan::missing`) reads nothing but the plan's tests
    /// through the memo and the session facts: no OAuth scopes (the session's and the
    /// wanted ones), and no forbid whose permission `holds` checks outside the memo.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn hint_reads_only_tests(&self) -> bool {
        self.keyable && self.forbids.iter().all(|f| f.needs.permission.is_none())
    }

    /// Whether every test `read` knows and `from` does not has the same value in `memo`
    /// (evaluated into it as needed), on the request `ev` decides: then a computation that
    /// started from `from` and read `read` reads the same on this request.
    pub fn reads_alike<'a>(&'a self, ev: &FastEval<'a>, memo: &mut Memo, read: &Memo, from: &Memo) -> bool {
        let mut extra = read.known & !from.known;
        while extra != 0 {
            let i = extra.trailing_zeros() as u8;
            extra &= extra - 1;
            if read.value(i) != Some(self.test(ev, memo, i)) {
                return false;
            }
        }
        true
    }

    /// The plan's distinct tests, numbered as the operands number them.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn tests(&self) -> &[Fast] {
        &self.tests
    }

    /// Test `i`'s value, evaluated on first use.
    // Inlined in wasm too (unlike most of the hot path, kept out of line there for size):
    // measured 30 ns off a deny in Node for under 100 bytes of gzipped `.wasm`.
    #[inline(always)]
    pub fn test<'a>(&'a self, ev: &FastEval<'a>, memo: &mut Memo, i: u8) -> Result<bool, Fault> {
        let bit = 1u64 << (i % 64);
        if memo.known & bit != 0 {
            return if memo.fault & bit != 0 { Err(Fault) } else { Ok(memo.truth & bit != 0) };
        }
        let value = match self.tests.get(usize::from(i)) {
            Some(test) => ev.leaf(test),
            None => Err(Fault),
        };
        memo.record(i, value);
        value
    }

    /// Whether the rules allow the request: no forbid holds or faults, and a permit holds
    /// (`decide_planned`'s `allowed`, without the decision).
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    pub fn allows<'a>(&'a self, ev: &FastEval<'a>) -> bool {
        let mut memo = Memo::default();
        let facts = Facts::of(ev);
        self.forbids.iter().all(|planned| self.holds(ev, facts, &mut memo, planned) == Ok(false))
            && self.permits.iter().any(|planned| self.holds(ev, facts, &mut memo, planned) == Ok(true))
    }

    /// Whether `rule`'s condition holds: its operands left to right, the first that is
    /// false or faults decides.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    pub fn holds<'a>(
        &'a self,
        ev: &FastEval<'a>,
        facts: u8,
        memo: &mut Memo,
        rule: &PlannedRule,
    ) -> Result<bool, Fault> {
        let needs = rule.needs;
        if facts & needs.bits != needs.bits
            || needs.permission.is_some_and(|p| !crate::compile::has_bit(ev.general.permissions, p))
        {
            return Ok(false);
        }
        for op in rule.rest.iter() {
            if self.test(ev, memo, op.test)? == op.negated {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// The facts a rule's operands need that can be checked first (see [`Facts`]), and the
/// operands left.
fn split_facts(operands: &[Operand], tests: &[Fast], is_permit: bool) -> (Facts, Vec<Operand>) {
    let mut needs = Facts::default();
    let mut rest = Vec::new();
    let mut leading = true;
    for &op in operands {
        let fact = tests.get(usize::from(op.test)).and_then(|t| needs.of_operand(t, op.negated));
        match fact {
            Some(more) if is_permit || leading => needs = more,
            _ => {
                leading &= fact.is_some();
                rest.push(op);
            }
        }
    }
    (needs, rest)
}

/// `c` as an operand over `tests` (added there when new), or `None` when it is not a
/// possibly negated test, or the plan would hold too many tests.
fn operand(c: &Fast, tests: &mut Vec<Fast>) -> Option<Operand> {
    let mut negated = false;
    let mut leaf = c;
    while let Fast::Not(inner) = leaf {
        negated = !negated;
        leaf = inner;
    }
    if matches!(leaf, Fast::And(..) | Fast::Or(..)) {
        return None;
    }
    let index = match tests.iter().position(|t| t.same_test(leaf)) {
        Some(i) => i,
        None if tests.len() < MAX_TESTS => {
            tests.push(leaf.clone());
            tests.len() - 1
        }
        None => return None,
    };
    Some(Operand { test: u8::try_from(index).ok()?, negated, fixed: c.is_fixed_leaf() })
}

/// Names one decision of one engine on a planned (type, action) pair: an allow by the
/// permit that matched (the rule alone decides it), a deny by the session's facts and the
/// value (or fault) of every test of the pair's plan. Which forbid matched and that no
/// permit did follow from those, and so does the deny's `missing` hint: `SlotPlan::missing`
/// reads the tests through the memo, and an obtainable test's needs are names fixed by the
/// policy, plus an organization when the session has none (a fact). A plan with a test whose
/// hint reads the session's scopes gives denies no key. So within one engine equal keys
/// mean equal decisions (`one_decision_key_names_one_decision` in
/// `engine/tests/differential.rs`). See [`Engine::decide_action_keyed`](crate::Engine::decide_action_keyed).
///
/// ```
/// # use ordinance::*;
/// let engine = Engine::from_policy_text(
///     "permission docs:read \"Read\"\nresource doc {}\naction read on doc\npermit read on doc when has(docs:read)").unwrap();
/// let read = engine.action("read").unwrap();
/// let key = |claims: &str| {
///     let s = Session::from_claims_json(claims).unwrap();
///     engine.decide_action_keyed(&s, read, &Resource::new("doc"), &Options::default().at(0)).1.unwrap()
/// };
/// // Denied in an organization, or outside one: two hints (the second also asks for an
/// // organization), two keys; any user without the permission, one key.
/// assert_eq!(key(r#"{"sub": "a", "org_id": "o"}"#), key(r#"{"sub": "b", "org_id": "p"}"#));
/// assert_ne!(key(r#"{"sub": "a", "org_id": "o"}"#), key(r#"{"sub": "a"}"#));
/// // Allowed: by the same rule, whoever asks.
/// let granted = r#"{"sub": "a", "org_id": "o", "org_permissions": ["docs:read"]}"#;
/// assert_eq!(key(granted), key(r#"{"sub": "b", "org_id": "p", "org_permissions": ["docs:read"]}"#));
/// assert_ne!(key(granted), key(r#"{"sub": "a", "org_id": "o"}"#));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DecisionKey {
    program: u64,
    plan: u32,
    /// The permit that allowed (its position in the plan), or `u32::MAX` for a deny.
    permit: u32,
    facts: u8,
    truth: u64,
    fault: u64,
}

impl SlotPlan {
    /// The key of a deny (see [`DecisionKey`]), every test evaluated into `memo`; `None`
    /// when the plan is not keyable.
    pub fn deny_key<'a>(&'a self, program: u64, ev: &FastEval<'a>, facts: u8, memo: &mut Memo) -> Option<DecisionKey> {
        if !self.keyable {
            return None;
        }
        for i in 0..self.tests.len() {
            let _ = self.test(ev, memo, u8::try_from(i).ok()?);
        }
        Some(DecisionKey { program, plan: self.index, permit: u32::MAX, facts, truth: memo.truth, fault: memo.fault })
    }

    /// The key of an allow by the permit at `position`: the rule alone decides it.
    pub fn allow_key(&self, program: u64, position: usize) -> DecisionKey {
        let permit = u32::try_from(position).unwrap_or(u32::MAX - 1);
        DecisionKey { program, plan: self.index, permit, facts: 0, truth: 0, fault: 0 }
    }
}

/// The `missing` hint of a deny on a planned slot: `FastHints::missing`'s answer, worked out
/// on the plan's operand lists with the tests' values from the decision's memo (a test the
/// decision did not reach is evaluated once, here). `engine/tests/differential.rs` holds it
/// to the naive hints of `crate::hints`.
impl SlotPlan {
    /// What would turn the deny into an allow; `facts` are the request's (`Facts::of`),
    /// `forbidden` is the position of the forbid that denied (the first that matched), if
    /// one did. The hint is built in `spare` (emptied first), whose allocation it reuses.
    pub fn missing<'a>(
        &'a self,
        hints: &FastHints<'a, '_>,
        facts: u8,
        memo: &mut Memo,
        forbidden: Option<usize>,
        spare: Needs,
    ) -> Vec<Requirement> {
        let mut st = spare;
        st.clear();
        if let Some(first) = forbidden {
            // Every matching forbid must be lifted: the first that matched, and those after
            // it that match too (a forbid without a condition cannot be lifted: skipped).
            for (k, f) in self.forbids.get(first..).unwrap_or_default().iter().enumerate() {
                if !f.operands.is_empty() && (k == 0 || self.holds(hints.ev, facts, memo, f) == Ok(true)) {
                    let mid = st.len();
                    if self.lift(hints, memo, f, &mut st) {
                        merge_tail(&mut st, 0, mid);
                    }
                }
            }
        }
        // `st[..out]` lifts the forbids; the closest permit's needs follow.
        let out = st.len();
        let mut best: Option<usize> = None;
        for p in self.permits.iter() {
            let start = st.len();
            if !(p.operands.is_empty() || self.reach(hints, memo, p, &mut st)) {
                continue;
            }
            let n = st.len() - start;
            if n == 0 {
                st.truncate(out);
                return st;
            }
            if best.map_or(true, |b| n < b) {
                move_down(&mut st, start, out);
                best = Some(n);
            } else {
                st.truncate(start);
            }
        }
        if best.is_some() {
            merge_tail(&mut st, 0, out);
        }
        st
    }

    /// What would make a matching forbid's chain false: the operand that needs the fewest,
    /// the first on a tie (as `FastHints::cost` on the `and` tree); false if none can be.
    fn lift<'a>(&'a self, hints: &FastHints<'a, '_>, memo: &mut Memo, f: &PlannedRule, st: &mut Needs) -> bool {
        let start = st.len();
        let mut best: Option<usize> = None;
        for &op in f.operands.iter() {
            let mid = st.len();
            if !self.operand_cost(hints, memo, op, false, st) {
                continue;
            }
            let n = st.len() - mid;
            match best {
                None if n == 0 => return true,
                None => best = Some(n),
                Some(b) if n < b => {
                    move_down(st, mid, start);
                    best = Some(n);
                    if n == 0 {
                        return true;
                    }
                }
                Some(_) => st.truncate(mid),
            }
        }
        best.is_some()
    }

    /// What would make a permit's chain true (as `FastHints::permit_cost`): the operands
    /// whose hint is nothing or out of reach first, so a permit that failed on the resource
    /// is given up at once; then the needs of the others, merged in order.
    fn reach<'a>(&'a self, hints: &FastHints<'a, '_>, memo: &mut Memo, p: &PlannedRule, st: &mut Needs) -> bool {
        for op in p.operands.iter() {
            if op.fixed && self.test(hints.ev, memo, op.test) != Ok(true) {
                return false;
            }
        }
        let start = st.len();
        for (i, &op) in p.operands.iter().enumerate() {
            if op.fixed {
                continue;
            }
            let mid = st.len();
            if !self.operand_cost(hints, memo, op, true, st) {
                st.truncate(start);
                return false;
            }
            if i > 0 {
                merge_tail(st, start, mid);
            }
        }
        true
    }

    /// Whether something obtainable makes `op` evaluate to `want`, its needs appended (as
    /// `FastHints::leaf_cost` on the test, wanted true or false after the negations).
    fn operand_cost<'a>(
        &'a self,
        hints: &FastHints<'a, '_>,
        memo: &mut Memo,
        op: Operand,
        want: bool,
        st: &mut Needs,
    ) -> bool {
        let want = want != op.negated;
        match self.test(hints.ev, memo, op.test) {
            Ok(v) if v == want => true,
            Ok(_) if want => match self.tests.get(usize::from(op.test)) {
                Some(test) if test.may_be_obtained() => hints.obtainable(test, st),
                _ => false,
            },
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use crate::compile::Program;
    use crate::policy::Policy;

    const TEAM_TASKS: &str = include_str!("../../policies/team_tasks.ord");

    fn planned(text: &str) -> Vec<bool> {
        let program = Program::compile(&Policy::parse(text).unwrap());
        program.index.iter().filter(|s| s.declared).map(|s| s.plan.is_some()).collect()
    }

    #[test]
    fn chains_of_tests_are_planned_and_other_conditions_are_not() {
        assert_eq!(planned(TEAM_TASKS), vec![true; 5], "every Team Task condition is a chain");
        let text = "resource doc { owner: string }\naction read, write on doc\n\
                    permit read on doc when org and not (resource.owner == user.id)\n\
                    permit write on doc when org or user\n";
        assert_eq!(planned(text), vec![true, false], "`or` keeps the tree evaluator");
        let text = "resource doc { owner: string }\naction read on doc\npermit read on doc when not (org and user)";
        assert_eq!(planned(text), vec![false], "`not` over `and` keeps the tree evaluator");
    }

    #[test]
    fn a_test_repeated_across_rules_is_one_test() {
        let program = Program::compile(&Policy::parse(TEAM_TASKS).unwrap());
        let edit = program.action_index.get("edit").unwrap() as usize;
        let plan = program.index[edit].plan.as_ref().unwrap();
        // license_required, personal_task, org_manage, org_edit_own over: org,
        // owner == org.id, licensed, owner == user.id, has(manage), has(edit),
        // created_by_id == user.id.
        assert_eq!((plan.forbids.len(), plan.permits.len(), plan.tests.len()), (1, 3, 7));
    }

    #[test]
    fn a_permit_checks_its_session_facts_first_and_a_forbid_only_those_before_a_fallible_test() {
        let program = Program::compile(&Policy::parse(TEAM_TASKS).unwrap());
        let edit = program.action_index.get("edit").unwrap() as usize;
        let plan = program.index[edit].plan.as_ref().unwrap();
        // forbid: `org` leads and moves into the facts; `not licensed` follows a test that
        // can fault (`resource.owner_id == org.id`), so it stays in place.
        let forbid = &plan.forbids[0];
        assert_eq!((forbid.needs.bits, forbid.rest.len()), (super::ORG, 2));
        // org_edit_own: `org` and `has(org:tasks:edit)` are facts; the two comparisons stay.
        let own = &plan.permits[2];
        assert_eq!((own.needs.bits, own.needs.permission.is_some(), own.rest.len()), (super::ORG, true, 2));
    }
}
