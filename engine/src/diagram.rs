//! Decision diagrams: the rules of a planned (type, action) pair unrolled, when the policy
//! is compiled, into one branching program over the pair's tests, for the yes/no question
//! of [`Engine::is_allowed`](crate::Engine::is_allowed), the borrowed decisions of
//! [`Engine::decide_ref`](crate::Engine::decide_ref) and the usual decisions of
//! [`Engine::decide_with`](crate::Engine::decide_with).
//!
//! A [`SlotPlan`] decides by walking its rules: each forbid, then each permit, each an
//! `and` chain of tests read through a memo. The walk's next step depends only on the
//! values of the tests read so far, so it can be run ahead of time on every combination
//! of them: a node reads one test and branches three ways (true, false, fault) to the
//! node for the next step, or to the answer. Deciding is then a walk down the nodes with
//! no rule loop, no memo and no per-rule fact masks: the straight-line code one would
//! write by hand for the pair, kept as data.
//!
//! The builder ([`walk`]) keeps the plan's semantics: allowed iff no forbid holds or
//! faults (a fault denies: fail closed) and a permit holds. A forbid's operands are read
//! strictly left to right (whether its first operand that is not true is false or faults
//! decides between no match and a deny); a permit's session facts first (a fault and a
//! false both mean "no match" there, so the order cannot change its outcome). The walk
//! stops at the first rule that settles the answer, and its end (a [`Settled`] leaf) also says which
//! rule that was, as `decide_planned` picks it: the first permit that holds, or the first
//! forbid that holds when no forbid before it faulted. After a fault the answer is a deny
//! but its reason is not settled (a later forbid that holds takes precedence over the
//! fault), so that end says only "denied" and a decision there is made the general way.
//! A deny's leaf also keeps the tests' values its walks had: its `missing` hint starts from
//! them, and is remembered there with the session facts and the values it read (a few per
//! leaf), so the next deny that ends there with those copies it instead of working it out.
//! `engine/tests/differential.rs` and `engine/tests/is_allowed.rs` hold the answers and
//! the settled decisions to `Engine::decide_with` and to the reference interpreter.
//!
//! Unrolling can grow exponentially with the number of tests, so a pair whose diagram
//! would pass [`MAX_NODES`] nodes keeps the walk. A node reads the usual tests inline
//! ([`Op`]: a session fact, a permission bit, a declared string attribute against the
//! user's or the organization's id, those ids compared in place as [`ShortText`]s) and
//! any other through `FastEval::leaf`.
//!
//! (Native builds only: the size-bound WebAssembly build answers through the walk.)

use crate::compile::CompiledRule;
use crate::decision::Reason;
use crate::decision_ref::Settled;
use crate::engine::Bound;
use crate::eval::Fault;
use crate::fast::{Fast, FastEval};
use crate::plan::{Memo, Operand, SlotPlan};

/// A test as a node reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Org,
    User,
    Licensed,
    /// `has(p)`: an active organization, and bit `bit` of word `word` of the permissions.
    Permission {
        word: u16,
        bit: u8,
    },
    /// A declared `string` attribute (slot) `==` (or, `eq` false, `!=`) the user's id.
    AttrIsUser {
        slot: u16,
        eq: bool,
    },
    /// The same against the active organization's id.
    AttrIsOrg {
        slot: u16,
        eq: bool,
    },
    /// Any other test: the plan's test of this number, through `FastEval::leaf`.
    Leaf(u8),
}

impl Op {
    /// How a node reads `test`, the plan's test `number`.
    fn of(test: &Fast, number: u8) -> Op {
        // (Small fields keep a node at 10 bytes; a test beyond them is read as a leaf.)
        let small = |i: usize| u16::try_from(i).ok();
        match test {
            Fast::Org => Op::Org,
            Fast::User => Op::User,
            Fast::Licensed => Op::Licensed,
            Fast::HasPermission(p) => match u16::try_from(p / 64) {
                Ok(word) => Op::Permission { word, bit: u8::try_from(p % 64).unwrap_or(0) },
                Err(_) => Op::Leaf(number),
            },
            Fast::AttrStrEq(eq, slot, crate::fast::StrRef::UserId) => match small(*slot) {
                Some(slot) => Op::AttrIsUser { slot, eq: *eq },
                None => Op::Leaf(number),
            },
            Fast::AttrStrEq(eq, slot, crate::fast::StrRef::OrgId) => match small(*slot) {
                Some(slot) => Op::AttrIsOrg { slot, eq: *eq },
                None => Op::Leaf(number),
            },
            _ => Op::Leaf(number),
        }
    }
}

/// A string of at most [`SHORT`] bytes held in place, zero-padded, so that two compare
/// as two 16-byte words each, without following a pointer to their bytes. The ids a
/// diagram compares (`resource.owner_id == user.id`) are copied into these once per
/// prepared session and per bound resource. `len` is the length, or [`LONG`] for a longer
/// string (compared in full instead), or [`NONE`] for an absent value (a fault).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ShortText {
    len: u8,
    bytes: [u8; SHORT],
}

/// The most bytes a [`ShortText`] holds: Clerk's ids are 31.
const SHORT: usize = 32;
const LONG: u8 = 254;
const NONE: u8 = 255;

impl ShortText {
    /// `text` in place, when short.
    pub fn of(text: Option<&str>) -> ShortText {
        let mut bytes = [0u8; SHORT];
        let len = match text {
            None => NONE,
            Some(t) => match bytes.get_mut(..t.len()) {
                Some(room) => {
                    room.copy_from_slice(t.as_bytes());
                    u8::try_from(t.len()).unwrap_or(LONG)
                }
                None => LONG,
            },
        };
        ShortText { len, bytes }
    }

    /// `a == b`, or `None` when the bytes in place cannot tell: either is absent (a fault),
    /// or both are long.
    #[inline(always)]
    fn same(a: &ShortText, b: &ShortText) -> Option<bool> {
        if a.len == b.len {
            let word = |t: &ShortText, at: usize| {
                t.bytes.get(at..at + 16).and_then(|w| w.first_chunk::<16>()).map(|w| u128::from_le_bytes(*w))
            };
            return (usize::from(a.len) <= SHORT).then(|| word(a, 0) == word(b, 0) && word(a, 16) == word(b, 16));
        }
        // Lengths differ (a short one and a long one included): not equal, unless one is
        // absent.
        (a.len != NONE && b.len != NONE).then_some(false)
    }
}

/// The ids the usual tests compare, in place: the resource's declared attributes (by
/// slot), the user's and the active organization's.
#[derive(Clone, Copy)]
pub(crate) struct Ids<'a> {
    pub attrs: &'a [ShortText],
    pub user: &'a ShortText,
    pub org: &'a ShortText,
}

/// What a test read gave, as the index of the branch to take.
const FALSE: usize = 0;
const TRUE: usize = 1;
const FAULT: usize = 2;

/// The most nodes a diagram may have (node numbers are `u16`, below [`END`]).
const MAX_NODES: usize = 2048;

/// Read a test, then go where its value says: `next[FALSE]`, `next[TRUE]` or
/// `next[FAULT]`, each a later node's number or an end (see [`END`]).
#[derive(Debug, Clone, Copy)]
struct Node {
    op: Op,
    next: [u16; 3],
}

/// A branch at or past `END` ends the walk: bit 0 is the answer (1: allowed); for a branch
/// other than [`FAULTED`], the bits above it number the leaf that settled it (a [`Settled`]).
const END: u16 = 0x8000;
/// The end of a walk that met a forbid whose condition faulted: denied, reason unsettled.
const FAULTED: u16 = u16::MAX - 1;
/// The most leaves a diagram may have: each numbered below [`FAULTED`].
const MAX_LEAVES: usize = ((FAULTED - END) / 2) as usize;

/// A planned pair's rules as a branching program, from `start`; every branch goes to a
/// later node or to an end, so a walk ends.
#[derive(Debug, Clone)]
pub(crate) struct Diagram {
    start: u16,
    nodes: Box<[Node]>,
    leaves: Box<[Settled]>,
}

impl Diagram {
    /// The diagram of `plan`, whose rules are numbered in `rules`, or `None` when it would
    /// be too large.
    pub fn build(plan: &SlotPlan, rules: &[CompiledRule]) -> Option<Diagram> {
        // Each rule's operands in the order the walk reads them.
        let forbids: Vec<Vec<Operand>> = plan.forbids.iter().map(|r| r.operands().to_vec()).collect();
        let permits: Vec<Vec<Operand>> = plan
            .permits
            .iter()
            .map(|r| {
                let (mut facts, others): (Vec<Operand>, Vec<Operand>) =
                    r.operands().iter().partition(|op| plan.tests().get(usize::from(op.test)).is_some_and(is_fact));
                facts.extend(others);
                facts
            })
            .collect();
        let mut builder = Builder {
            plan,
            rules,
            forbids: &forbids,
            permits: &permits,
            rememberable: plan.hint_reads_only_tests(),
            nodes: Vec::new(),
            leaves: Vec::new(),
        };
        let start = builder.node(Known::default())?;
        // The walk steps to a `true` child that is a node as `at + 1`.
        let falls_through = |(i, n): (usize, &Node)| n.next[TRUE] >= END || usize::from(n.next[TRUE]) == i + 1;
        if !builder.nodes.iter().enumerate().all(falls_through) {
            return None;
        }
        Some(Diagram { start, nodes: builder.nodes.into(), leaves: builder.leaves.into() })
    }

    /// Whether an end the walk returned ([`Diagram::walk`]) is an allow.
    #[inline(always)]
    pub fn allowed(end: u16) -> bool {
        end & 1 == 1
    }

    /// The settled decision of an end the walk returned, or `None` for a deny whose reason
    /// the diagram does not settle (a forbid faulted).
    #[inline(always)]
    pub fn leaf(&self, end: u16) -> Option<&Settled> {
        // `FAULTED` numbers no leaf: it is past the last one (`MAX_LEAVES`).
        self.leaves.get(usize::from(end.wrapping_sub(END) >> 1))
    }

    /// The end of the walk for the request `ev` decides: read it with
    /// [`Diagram::allowed`] and [`Diagram::leaf`].
    #[inline(always)]
    pub fn walk<'a>(&self, plan: &'a SlotPlan, ev: &FastEval<'a>, ids: Ids<'_>) -> u16 {
        let session = ev.general.session;
        let mut at = self.start;
        loop {
            // Past the nodes is an end: branches name a node or an end, and every end is
            // past any node (`MAX_NODES` < `END`).
            let Some(node) = self.nodes.get(usize::from(at)) else { return at };
            let branch = match node.op {
                Op::Org => usize::from(session.org.is_some()),
                Op::User => usize::from(session.user_id.is_some()),
                Op::Licensed => usize::from(ev.general.licensed),
                Op::Permission { word, bit } => usize::from(
                    session.org.is_some()
                        && ev.general.permissions.get(usize::from(word)).is_some_and(|w| w >> bit & 1 != 0),
                ),
                Op::AttrIsUser { slot, eq } => {
                    match ids.attrs.get(usize::from(slot)).and_then(|a| ShortText::same(a, ids.user)) {
                        Some(same) => usize::from(same == eq),
                        None => compare_in_full(ev, slot, session.user_id.as_deref(), eq),
                    }
                }
                Op::AttrIsOrg { slot, eq } => {
                    match ids.attrs.get(usize::from(slot)).and_then(|a| ShortText::same(a, ids.org)) {
                        Some(same) => usize::from(same == eq),
                        None => compare_in_full(ev, slot, session.org.as_ref().map(|o| o.id.as_str()), eq),
                    }
                }
                Op::Leaf(test) => match plan.tests().get(usize::from(test)).map(|t| ev.leaf(t)) {
                    Some(Ok(v)) => usize::from(v),
                    _ => FAULT,
                },
            };
            // A branch, not an indexed load: the processor predicts it and runs on into the
            // next node instead of waiting for this test's value (measured: the indexed form
            // was slower on the mix for fewer instructions). A node's `true` child, when it
            // is a node, is the next one (see `Builder::node`), so that step is `at + 1`: the
            // next node's address does not wait for a load of this one's branches.
            if branch == TRUE {
                let then = node.next[TRUE];
                if then >= END {
                    return then;
                }
                at += 1;
            } else if branch == FALSE {
                at = node.next[FALSE];
            } else {
                at = node.next[FAULT];
            }
        }
    }
}

/// The branch of a node that compares the string attribute `slot` with `id` (`==`, or `!=`
/// when `eq` is false) when the ids in place cannot tell: an id longer than a
/// [`ShortText`], or an absent value (a fault). Out of line, so that the walk's loop does
/// not keep what it reads at hand for every node.
#[cold]
#[inline(never)]
fn compare_in_full(ev: &FastEval<'_>, slot: u16, id: Option<&str>, eq: bool) -> usize {
    match (ev.slots.get(usize::from(slot)), id) {
        (Some(Bound::Str(s)), Some(id)) => usize::from(same_text(s, id) == eq),
        _ => FAULT,
    }
}

/// `a == b`, inline for texts of 16 to 32 bytes (ids such as Clerk's 31-byte `user_…` and
/// `org_…`): two 16-byte halves each, overlapping when shorter than 32, instead of a call
/// to `memcmp`.
#[inline(always)]
fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if !(16..=32).contains(&n) {
        return a == b;
    }
    let half =
        |s: &[u8], at: usize| s.get(at..at + 16).and_then(|h| h.first_chunk::<16>()).map(|h| u128::from_le_bytes(*h));
    half(a, 0) == half(b, 0) && half(a, n - 16) == half(b, n - 16)
}

/// A test that reads only the session and cannot fault: read first in a permit.
fn is_fact(test: &Fast) -> bool {
    matches!(test, Fast::Org | Fast::User | Fast::Licensed | Fast::HasPermission(_) | Fast::HasRole(_) | Fast::Const(_))
}

/// Test values fixed so far while building: a memo, as a walk fills it.
type Known = Memo;

/// `known` with test `test` fixed to `value`.
fn with(known: Known, test: u8, value: Result<bool, Fault>) -> Known {
    let mut next = known;
    next.record(test, value);
    next
}

/// How the walk ends, as `decide_planned` would decide: allowed by the permit at this
/// position, denied by the forbid at this position, denied with no permit, or denied
/// because a forbid faulted (which forbid and why is left to the general path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Permit(usize),
    Forbid(usize),
    NoPermit,
    Faulted,
}

/// One step of the walk on partial knowledge: how it ends, or the test it reads next.
enum Step {
    Done(Outcome),
    Read(u8),
}

/// How the rules decide on the tests' values in `known`; stops at the first test it needs
/// that `known` does not have.
fn walk(forbids: &[Vec<Operand>], permits: &[Vec<Operand>], known: &Known) -> Step {
    // `Ok(Ok(holds))`, `Ok(Err(Fault))`, or `Err(test)` to read next.
    let chain = |operands: &[Operand]| -> Result<Result<bool, Fault>, u8> {
        for op in operands {
            match known.value(op.test) {
                None => return Err(op.test),
                Some(Err(Fault)) => return Ok(Err(Fault)),
                Some(Ok(v)) if v == op.negated => return Ok(Ok(false)),
                Some(Ok(_)) => {}
            }
        }
        Ok(Ok(true))
    };
    for (position, operands) in forbids.iter().enumerate() {
        match chain(operands) {
            Err(test) => return Step::Read(test),
            Ok(Ok(false)) => {}
            Ok(Ok(true)) => return Step::Done(Outcome::Forbid(position)),
            // Denied (fail closed) whatever the other rules say.
            Ok(Err(Fault)) => return Step::Done(Outcome::Faulted),
        }
    }
    for (position, operands) in permits.iter().enumerate() {
        match chain(operands) {
            Err(test) => return Step::Read(test),
            Ok(Ok(true)) => return Step::Done(Outcome::Permit(position)),
            Ok(_) => {}
        }
    }
    Step::Done(Outcome::NoPermit)
}

struct Builder<'p> {
    plan: &'p SlotPlan,
    rules: &'p [CompiledRule],
    forbids: &'p [Vec<Operand>],
    permits: &'p [Vec<Operand>],
    /// Whether the pair's denies may remember their hints ([`SlotPlan::hint_reads_only_tests`]).
    rememberable: bool,
    nodes: Vec<Node>,
    leaves: Vec<Settled>,
}

impl Builder<'_> {
    /// The node for the walk from `known` on (its children after it), or `None` when the
    /// diagram grows too large.
    fn node(&mut self, known: Known) -> Option<u16> {
        let test = match walk(self.forbids, self.permits, &known) {
            Step::Done(outcome) => return self.end(outcome, known),
            Step::Read(test) => test,
        };
        if self.nodes.len() >= MAX_NODES {
            return None;
        }
        let at = self.nodes.len();
        let number = u16::try_from(at).ok()?;
        let read = self.plan.tests().get(usize::from(test))?;
        // The node first, its branches after it (filled in below), its `true` child first of
        // all: when that is a node it is the next one, which the walk relies on.
        self.nodes.push(Node { op: Op::of(read, test), next: [FAULTED; 3] });
        let then = self.node(with(known, test, Ok(true)))?;
        let otherwise = self.node(with(known, test, Ok(false)))?;
        let fault = if is_fact(read) { otherwise } else { self.node(with(known, test, Err(Fault)))? };
        let node = self.nodes.get_mut(at)?;
        (node.next[FALSE], node.next[TRUE], node.next[FAULT]) = (otherwise, then, fault);
        Some(number)
    }

    /// The end for `outcome`, reached with the tests' values in `known`: its leaf, numbered
    /// once (each deny has its own, as its hint starts from those values).
    fn end(&mut self, outcome: Outcome, known: Known) -> Option<u16> {
        let rememberable = self.rememberable;
        let deny = |reason, rule, forbidden| Settled {
            allowed: false,
            reason,
            rule,
            hint: true,
            forbidden,
            known,
            rememberable,
            remembered: Default::default(),
        };
        let rule = |planned: Option<&crate::plan::PlannedRule>| self.rules.get(planned?.rule as usize);
        let leaf = match outcome {
            Outcome::Faulted => return Some(FAULTED),
            Outcome::Permit(p) => {
                let rule = rule(self.plan.permits.get(p))?;
                let (reason, rule) = (Reason::PERMIT, Some(rule.id.clone()));
                Settled {
                    allowed: true,
                    reason,
                    rule,
                    hint: false,
                    forbidden: None,
                    known: Known::default(),
                    rememberable: false,
                    remembered: Default::default(),
                }
            }
            Outcome::Forbid(f) => {
                let rule = rule(self.plan.forbids.get(f))?;
                deny(rule.deny_reason.clone(), Some(rule.id.clone()), Some(f))
            }
            Outcome::NoPermit => deny(Reason::NO_MATCHING_RULE, None, None),
        };
        // Paths of a tree differ in some test's value, so a deny's leaf (which keeps them) is
        // never another's: only allows share theirs (by rule).
        let shared = if leaf.hint { None } else { self.leaves.iter().position(|l| l.same_end(&leaf)) };
        let number = match shared {
            Some(n) => n,
            None if self.leaves.len() < MAX_LEAVES => {
                self.leaves.push(leaf);
                self.leaves.len() - 1
            }
            None => return None,
        };
        let allowed = u16::from(self.leaves.get(number)?.allowed);
        Some(END + (u16::try_from(number).ok()? << 1) + allowed)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::compile::Program;
    use crate::policy::Policy;

    const TEAM_TASKS: &str = include_str!("../../policies/team_tasks.ord");

    fn diagram(text: &str, action: &str) -> Diagram {
        let program = Program::compile(&Policy::parse(text).unwrap());
        let slot = program.action_index.get(action).unwrap() as usize;
        program.index[slot].diagram.clone().unwrap()
    }

    #[test]
    fn a_forbid_that_holds_or_faults_ends_the_walk() {
        // Twelve fallible forbids: twelve nodes, each denying unless its test is false.
        let mut text = String::from("resource doc { level?: int }\naction read on doc\npermit read on doc\n");
        for k in 0..12 {
            text.push_str(&format!("forbid read on doc when resource.level == {k}\n"));
        }
        let d = diagram(&text, "read");
        assert_eq!(d.nodes.len(), 12);
        // Each forbid's `true` ends on its own leaf, naming it; a fault, on the unsettled deny.
        let forbid = |n: &Node| d.leaf(n.next[TRUE]).filter(|l| !l.allowed && l.hint).and_then(|l| l.rule.clone());
        let named: Vec<_> = d.nodes.iter().map(|n| forbid(n).unwrap().to_string()).collect();
        assert_eq!(named, (4..16).map(|line| format!("policy:{line}")).collect::<Vec<_>>());
        assert!(d.nodes.iter().all(|n| n.next[FAULT] == FAULTED && d.leaf(FAULTED).is_none()));
        // The last forbid's `false` reaches the permit (line 3), which holds.
        let last = d.nodes.last().unwrap();
        assert!(Diagram::allowed(last.next[FALSE]));
        assert_eq!(d.leaf(last.next[FALSE]).unwrap().rule.as_ref().unwrap(), "policy:3");
    }

    #[test]
    fn short_texts_compare_as_their_strings_or_say_they_cannot() {
        let t = |s: Option<&str>| ShortText::of(s);
        let u31 = "user_2iVvo8iFCJQJ1WCXeBk5T9lUTO5";
        let same = |a: Option<&str>, b: Option<&str>| ShortText::same(&t(a), &t(b));
        assert_eq!(same(Some(u31), Some(u31)), Some(true));
        assert_eq!(same(Some(u31), Some("user_2iVvo8iFCJQJ1WCXeBk5T9lUTO6")), Some(false), "last byte");
        assert_eq!(same(Some("a"), Some("a\0")), Some(false), "padding is not content");
        assert_eq!(same(Some(""), Some("")), Some(true));
        let (s32, s33) = ("x".repeat(32), "x".repeat(33));
        assert_eq!(same(Some(&s32), Some(&s32)), Some(true), "32 bytes fit");
        assert_eq!(same(Some(&s33), Some(&s33)), None, "both long: compared in full");
        assert_eq!(same(Some(&s32), Some(&s33)), Some(false), "a short and a long one differ");
        assert_eq!(same(None, Some("a")), None, "absent: a fault");
        assert_eq!(same(Some(&s33), None), None);
        assert_eq!(same(None, None), None);
    }

    #[test]
    fn every_branch_goes_forward() {
        let d = diagram(TEAM_TASKS, "edit");
        for (i, node) in d.nodes.iter().enumerate() {
            assert!(node.next.iter().all(|&n| n >= END || (usize::from(n) > i && usize::from(n) < d.nodes.len())));
        }
    }

    #[test]
    fn a_fact_is_not_given_a_fault_branch() {
        let text = "permission p:a \"A\"\nresource doc {}\naction read on doc\npermit read on doc when has(p:a)";
        let d = diagram(text, "read");
        // has(p:a): allow or no match, the fault branch shared with the false one.
        assert_eq!((d.start, d.nodes.len()), (0, 1), "{d:?}");
        let Node { op, next: [no, yes, fault] } = d.nodes[0];
        assert_eq!(op, Op::Permission { word: 0, bit: 0 });
        assert_eq!(no, fault);
        assert!(Diagram::allowed(yes) && !Diagram::allowed(no));
        assert_eq!(d.leaf(no).map(|l| (l.reason.as_str(), l.hint)), Some(("no_matching_rule", true)));
        assert_eq!(d.leaf(yes).map(|l| (l.reason.as_str(), l.hint)), Some(("permit", false)));
    }

    #[test]
    fn a_pair_whose_walk_has_too_many_paths_keeps_the_walk() {
        // 12 permits each reading its own fallible test: 2^12 paths (false and fault both
        // go on to the next permit, with different knowledge).
        let mut text = String::from("resource doc { level?: int }\naction read on doc\n");
        for k in 0..12 {
            text.push_str(&format!("permit read on doc when resource.level == {k}\n"));
        }
        let program = Program::compile(&Policy::parse(&text).unwrap());
        assert!(program.index[0].plan.is_some() && program.index[0].diagram.is_none());
    }
}
