//! One engine shared by many threads, and policy replacement while they decide.
//!
//! - 8 threads share one `Engine` and the same prepared `Session`s (whose per-engine
//!   permission cache is initialised by whichever thread gets there first) and must give
//!   exactly the single-threaded answers;
//! - `SharedEngine` swaps between two policies whose every answer names its version (rule
//!   ids and forbid codes `A` / `B`) while 8 threads decide: each decision, and each
//!   `permitted_actions` call (one decision per action), comes wholly from one version.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use ordinance::{Context, Decision, Engine, Options, Resource, Session, SharedEngine};
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

const NOW: i64 = 1_721_770_150;
const THREADS: usize = 8;

fn sessions() -> Vec<Session> {
    let mut out = Vec::new();
    for (sub, org, role, perms, lic) in [
        ("user_alice", Some("org_team"), "org:manager", json!([]), json!(true)),
        ("user_bob", Some("org_team"), "org:member", json!(["org:tasks:view", "org:tasks:edit"]), json!(true)),
        ("user_bob", Some("org_team"), "org:member", json!(["org:tasks:edit"]), json!(false)),
        ("user_charlie", Some("org_team"), "org:viewer", json!([]), json!(true)),
        ("user_erin", Some("org_other"), "org:admin", json!([]), json!(true)),
        ("user_bob", None, "", json!([]), json!(null)),
    ] {
        let mut claims = json!({"sub": sub, "exp": NOW + 60});
        if let Some(org) = org {
            let c = claims.as_object_mut().unwrap();
            c.insert("org_id".into(), json!(org));
            c.insert("org_role".into(), json!(role));
            c.insert("org_permissions".into(), perms);
            c.insert("org_metadata".into(), json!({"isLicensed": lic}));
        }
        out.push(Session::from_claims(claims).unwrap());
    }
    out.push(Session::from_claims(json!({"sub": "user_alice", "exp": NOW - 60})).unwrap());
    out
}

fn resources() -> Vec<Resource> {
    [
        ("org_team", "user_bob"),
        ("org_team", "user_alice"),
        ("org_other", "user_erin"),
        ("user_bob", "user_bob"),
        ("user_alice", "user_alice"),
    ]
    .iter()
    .map(|(owner, by)| Resource::new("task").with_attr("owner_id", *owner).with_attr("created_by_id", *by))
    .collect()
}

const ACTIONS: [&str; 6] = ["view", "create", "edit", "complete", "delete", "archive"];

fn all_decisions(engine: &Engine, sessions: &[Session], resources: &[Resource]) -> Vec<Decision> {
    let opts = Options::default().at(NOW);
    let mut out = Vec::new();
    for s in sessions {
        for r in resources {
            for a in ACTIONS {
                out.push(engine.decide_with(s, a, r, &opts));
            }
        }
    }
    out
}

#[test]
fn one_engine_many_threads_same_answers() {
    let engine = Engine::from_policy_text(include_str!("../../policies/team_tasks.ord")).unwrap();
    let resources = Arc::new(resources());
    // The single-threaded answers, on sessions of their own.
    let expected = Arc::new(all_decisions(&engine, &sessions(), &resources));
    assert!(expected.iter().any(|d| d.allowed) && expected.iter().any(|d| !d.allowed));
    // Fresh sessions shared by every thread: the first decision on each prepares it for
    // this engine, racing with the other threads.
    let shared_sessions = Arc::new(sessions());
    let other_engine = Engine::from_policy_text(include_str!("../../policies/team_tasks.ord")).unwrap();
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let (engine, other) = (engine.clone(), other_engine.clone());
            let (sessions, resources, expected, start) =
                (shared_sessions.clone(), resources.clone(), expected.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                for round in 0..20 {
                    // Odd threads sometimes use a second engine with the same sessions, so
                    // a session prepared for one engine is decided by another.
                    let e = if i % 2 == 1 && round % 3 == 0 { &other } else { &engine };
                    let got = all_decisions(e, &sessions, &resources);
                    assert_eq!(got.len(), expected.len());
                    for (g, x) in got.iter().zip(expected.iter()) {
                        assert_eq!(g, x, "thread {i} round {round}");
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

/// Two versions of one policy. Every answer names its version: permits by rule id, denies
/// by forbid code and rule id, and `permitted_actions` by which half of the actions it
/// allows (`A` allows a0..a4, `B` allows a5..a9).
fn version(v: &str) -> Engine {
    let (own, other) = if v == "A" { (0..5, 5..10) } else { (5..10, 0..5) };
    let mut text = String::from("resource doc { level: int }\n");
    text.push_str("action a0, a1, a2, a3, a4, a5, a6, a7, a8, a9 on doc\n");
    text.push_str(&format!(
        "@id(\"{v}-forbid-high\")\nforbid * on doc when resource.level > 5 because \"{v}\"\n\
         @id(\"{v}-forbid-context\")\nforbid * on doc when context.stop because \"{v}-stop\"\n"
    ));
    for i in own {
        text.push_str(&format!("@id(\"{v}-a{i}\")\npermit a{i} on doc when user\n"));
    }
    for i in other {
        // Reachable only for the other version's users, so that validation accepts it.
        text.push_str(&format!("@id(\"{v}-never-a{i}\")\npermit a{i} on doc when user.id == \"nobody\"\n"));
    }
    Engine::from_policy_text(&text).unwrap()
}

/// Which version gave `d` for action `a<n>`: named by the rule, or, for a plain deny, by
/// the action (A denies a5..a9 for lack of a permit, B denies a0..a4).
fn version_of(d: &Decision, action: &str) -> &'static str {
    let rule = d.rule.as_ref().map(|r| r.to_string()).unwrap_or_default();
    let n: usize = action.trim_start_matches('a').parse().unwrap();
    let version = if rule.starts_with("A-") {
        "A"
    } else if rule.starts_with("B-") {
        "B"
    } else {
        assert_eq!((d.allowed, d.reason.as_str()), (false, "no_matching_rule"), "decision names no version: {d:?}");
        if n < 5 {
            "B"
        } else {
            "A"
        }
    };
    if let Some(code) = d.reason.strip_prefix("forbidden:") {
        assert!(code.starts_with(version), "mixed versions: reason {} from rule {rule}", d.reason);
    }
    if d.allowed {
        assert_eq!(rule, format!("{version}-{action}"), "permit from the wrong rule");
        assert_eq!(n < 5, version == "A", "{version} must not allow {action}");
    }
    version
}

#[test]
fn shared_engine_replacement_never_mixes_versions() {
    let (a, b) = (version("A"), version("B"));
    let shared = SharedEngine::new(a.clone());
    let user = Arc::new(Session::from_claims_json(r#"{"sub": "user_1"}"#).unwrap());
    let low = Arc::new(Resource::new("doc").with_attr("level", 1));
    let high = Arc::new(Resource::new("doc").with_attr("level", 9));
    let stop = Options::default().at(NOW).with_context(Context::new().with("stop", true));
    let go = Options::default().at(NOW);
    let done = Arc::new(AtomicBool::new(false));
    let seen = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let start = Arc::new(Barrier::new(THREADS + 1));

    let deciders: Vec<_> = (0..THREADS)
        .map(|i| {
            let (shared, user, low, high, done, seen, start) =
                (shared.clone(), user.clone(), low.clone(), high.clone(), done.clone(), seen.clone(), start.clone());
            let (stop, go) = (stop.clone(), go.clone());
            thread::spawn(move || {
                start.wait();
                let mut decisions = 0usize;
                while !done.load(Ordering::Acquire) || decisions < 200 {
                    let action = format!("a{}", decisions % 10);
                    let d = match (i + decisions) % 4 {
                        0 => shared.decide_with(&user, &action, &low, &go),
                        1 => shared.decide_with(&user, &action, &high, &go),
                        2 => shared.decide_with(&user, &action, &low, &stop),
                        _ => {
                            // Ten decisions in one call: all from one version.
                            let allowed = shared.permitted_actions(&user, &low, &go);
                            let expect_a: Vec<String> = (0..5).map(|n| format!("a{n}")).collect();
                            let expect_b: Vec<String> = (5..10).map(|n| format!("a{n}")).collect();
                            assert!(allowed == expect_a || allowed == expect_b, "mixed permitted_actions: {allowed:?}");
                            let slot = usize::from(allowed != expect_a);
                            seen[slot].fetch_add(1, Ordering::Relaxed);
                            decisions += 1;
                            continue;
                        }
                    };
                    let v = version_of(&d, &action);
                    // The answer must be the one that version gives for this request.
                    let expected = if v == "A" { a_answers() } else { b_answers() };
                    match (i + decisions) % 4 {
                        0 => {}
                        1 => assert_eq!(d.reason, expected.0, "{d:?}"),
                        _ => assert_eq!(d.reason, expected.1, "{d:?}"),
                    }
                    seen[usize::from(v == "B")].fetch_add(1, Ordering::Relaxed);
                    decisions += 1;
                }
            })
        })
        .collect();

    start.wait();
    let replacements = 400;
    for n in 0..replacements {
        let (next, slot) = if n % 2 == 0 { (b.clone(), 1) } else { (a.clone(), 0) };
        let before = seen[slot].load(Ordering::Relaxed);
        shared.replace(next);
        // Let the deciders answer from the new version before the next swap, so that both
        // versions are exercised even when a loaded machine starves the decider threads.
        let patience = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while seen[slot].load(Ordering::Relaxed) == before && std::time::Instant::now() < patience {
            thread::yield_now();
        }
    }
    done.store(true, Ordering::Release);
    for d in deciders {
        d.join().unwrap();
    }
    assert_eq!(shared.generation(), replacements + 1);
    let (on_a, on_b) = (seen[0].load(Ordering::Relaxed), seen[1].load(Ordering::Relaxed));
    assert!(on_a > 0 && on_b > 0, "both versions must have answered during the swaps: A {on_a}, B {on_b}");
    // After the last swap (to A, since the count is even), everything is A.
    assert_eq!(version_of(&shared.decide_with(&user, "a0", &low, &go), "a0"), "A");
}

fn a_answers() -> (&'static str, &'static str) {
    ("forbidden:A", "forbidden:A-stop")
}

fn b_answers() -> (&'static str, &'static str) {
    ("forbidden:B", "forbidden:B-stop")
}

#[test]
fn reload_keeps_the_running_policy_on_error() {
    let shared = SharedEngine::new(version("A"));
    let user = Session::from_claims_json(r#"{"sub": "user_1"}"#).unwrap();
    let low = Resource::new("doc").with_attr("level", 1);
    let go = Options::default().at(NOW);
    let err = shared.reload("resource doc {}\naction a0 on doc\npermit a0 on nothing").unwrap_err();
    assert!(err.to_string().contains("unknown resource type `nothing`"), "{err}");
    assert_eq!(shared.generation(), 1);
    assert_eq!(version_of(&shared.decide_with(&user, "a0", &low, &go), "a0"), "A");
    // A snapshot taken before a replacement keeps answering with its version.
    let snapshot = shared.load();
    shared.replace(version("B"));
    assert_eq!(version_of(&snapshot.decide_with(&user, "a0", &low, &go), "a0"), "A");
    assert_eq!(version_of(&shared.decide_with(&user, "a7", &low, &go), "a7"), "B");
    assert_eq!(shared.generation(), 2);
}
