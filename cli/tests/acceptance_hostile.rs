//! Issue 7 acceptance review of the `ordinance` binary: garbage, non-UTF-8, huge and
//! endless inputs give a deny or a clear error with the documented exit code (0 for any
//! decision, 1 for policy errors, 2 for usage or unreadable input), never a panic, never an
//! allow, and never unbounded memory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};
use support::{bin, run, run_stdin};

const NOW: &str = "1721770150";
const CLAIMS: &str =
    r#"{"sub":"user_bob","org_id":"org_1","org_role":"org:manager","org_metadata":{"isLicensed":true}}"#;
const TASK: &str = r#"{"type":"task","owner_id":"org_1","created_by_id":"user_alice"}"#;

/// A file with these exact bytes, unique per call (the tests run in parallel).
fn file(bytes: &[u8]) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("ordinance-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("f{n}"));
    std::fs::write(&p, bytes).unwrap();
    p
}

fn no_panic(out: &Output) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{err}");
    assert!(out.status.code().is_some(), "killed by a signal: {out:?}");
}

fn decide(claims: &[u8], resource: &[u8], context: Option<&[u8]>) -> Output {
    let (c, r) = (file(claims), file(resource));
    let mut args: Vec<String> = ["decide", "--policy", "policies/team_tasks.ord", "--action", "edit", "--now", NOW]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(["--claims".into(), c.display().to_string(), "--resource".into(), r.display().to_string()]);
    if let Some(x) = context {
        args.extend(["--context".into(), file(x).display().to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&args);
    no_panic(&out);
    out
}

/// The single decision printed, which must be a deny with `reason` and an error.
fn deny(out: &Output, reason: &str) -> Value {
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let d: Value = serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(d["allowed"], false, "{d}");
    assert_eq!(d["reason"], reason, "{d}");
    let error = d["error"].as_str().unwrap_or_else(|| panic!("no error: {d}"));
    assert!(!error.is_empty() && !error.contains('\n'), "{d}");
    d
}

#[test]
fn baseline_allow() {
    let out = decide(CLAIMS.as_bytes(), TASK.as_bytes(), None);
    assert_eq!(out.status.code(), Some(0));
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["allowed"], true, "{d}");
}

#[test]
fn garbage_claims_resource_and_context_are_denies() {
    for garbage in [&b""[..], b"   ", b"null", b"[]", b"{", b"\x00\x00\x00", b"{\"sub\": \"user_bob\",}", b"NaN"] {
        deny(&decide(garbage, TASK.as_bytes(), None), "invalid_claims");
        deny(&decide(CLAIMS.as_bytes(), garbage, None), "invalid_resource");
    }
    for garbage in [&b""[..], b"[]", b"{", b"1", b"\"x\""] {
        deny(&decide(CLAIMS.as_bytes(), TASK.as_bytes(), Some(garbage)), "invalid_context");
    }
}

#[test]
fn non_utf8_inputs_are_denies_not_lossy_text() {
    // `\xff` must not become U+FFFD and then a (different) valid user id.
    let claims = b"{\"sub\":\"user_bob\xff\",\"org_id\":\"org_1\",\"org_role\":\"org:manager\",\"org_metadata\":{\"isLicensed\":true}}";
    let d = deny(&decide(claims, TASK.as_bytes(), None), "invalid_claims");
    assert!(d["error"].as_str().unwrap().contains("UTF-8"), "{d}");
    let d = deny(&decide(CLAIMS.as_bytes(), b"{\"type\":\"task\xc0\"}", None), "invalid_resource");
    assert!(d["error"].as_str().unwrap().contains("UTF-8"), "{d}");
    let d = deny(&decide(CLAIMS.as_bytes(), TASK.as_bytes(), Some(b"{\"a\":\"\xed\xa0\x80\"}")), "invalid_context");
    assert!(d["error"].as_str().unwrap().contains("UTF-8"), "{d}");
    // A UTF-8 byte order mark is not JSON either.
    deny(&decide(format!("\u{feff}{CLAIMS}").as_bytes(), TASK.as_bytes(), None), "invalid_claims");
}

#[test]
fn huge_inputs_are_denies() {
    let mut big = CLAIMS.trim_end_matches('}').to_string();
    big.push_str(&format!(",\"pad\":\"{}\"}}", "x".repeat(10 << 20)));
    let d = deny(&decide(big.as_bytes(), TASK.as_bytes(), None), "invalid_claims");
    assert!(d["error"].as_str().unwrap().contains("65536"), "{d}");
    let mut big = TASK.trim_end_matches('}').to_string();
    big.push_str(&format!(",\"pad\":\"{}\"}}", "x".repeat(10 << 20)));
    deny(&decide(CLAIMS.as_bytes(), big.as_bytes(), None), "invalid_resource");
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    deny(&decide(deep.as_bytes(), TASK.as_bytes(), None), "invalid_claims");
    deny(&decide(CLAIMS.as_bytes(), TASK.as_bytes(), Some(deep.as_bytes())), "invalid_context");
}

/// Runs `ordinance` with a time limit, so that an endless read fails the test instead of
/// hanging it.
fn run_bounded(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child =
        bin().args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        let _ = input.write_all(bytes);
    }
    drop(input);
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("`ordinance {}` did not finish in 60 s", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    no_panic(&out);
    out
}

#[test]
fn endless_files_are_refused_without_reading_them_whole() {
    // /dev/zero never ends: reading it whole would exhaust memory. Each is refused after
    // at most its limit.
    let out = run_bounded(&["check", "/dev/zero"], None);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("1048576"), "{}", String::from_utf8_lossy(&out.stderr));
    let task = file(TASK.as_bytes());
    let claims = file(CLAIMS.as_bytes());
    let base = ["decide", "--policy", "policies/team_tasks.ord", "--action", "edit", "--now", NOW];
    let mut args = base.to_vec();
    args.extend(["--claims", "/dev/zero", "--resource", task.to_str().unwrap()]);
    deny(&run_bounded(&args, None), "invalid_claims");
    let mut args = base.to_vec();
    args.extend(["--claims", claims.to_str().unwrap(), "--resource", "/dev/zero"]);
    deny(&run_bounded(&args, None), "invalid_resource");
    let mut args = base.to_vec();
    args.extend(["--claims", claims.to_str().unwrap(), "--resource", task.to_str().unwrap(), "--context", "/dev/zero"]);
    deny(&run_bounded(&args, None), "invalid_context");
}

fn request_line(claims: &str, resource: &str) -> String {
    format!(r#"{{"claims":{claims},"action":"edit","resource":{resource},"now":{NOW}}}"#)
}

#[test]
fn a_bad_request_line_is_one_deny_and_the_batch_goes_on() {
    let good = request_line(CLAIMS, TASK);
    let mut input = Vec::new();
    for line in [
        good.as_bytes(),
        b"{\"claims\": {\"sub\": \"user_bob\xff\"}, \"action\": \"edit\"}",
        b"garbage",
        b"\x00\x01\x02",
        good.as_bytes(),
        format!(
            "{{\"claims\":{{\"sub\":\"u\",\"pad\":\"{}\"}},\"action\":\"edit\",\"resource\":{TASK}}}",
            "x".repeat(1 << 20)
        )
        .as_bytes(),
        good.as_bytes(),
    ] {
        input.extend_from_slice(line);
        input.push(b'\n');
    }
    let path = file(&input);
    let out =
        run_bounded(&["decide", "--policy", "policies/team_tasks.ord", "--requests", path.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let reasons: Vec<&str> = lines.iter().map(|d| d["reason"].as_str().unwrap()).collect();
    assert_eq!(
        reasons,
        ["permit", "invalid_request", "invalid_request", "invalid_request", "permit", "invalid_request", "permit"],
        "{lines:?}"
    );
    // The same from standard input.
    let out = run_bounded(&["decide", "--policy", "policies/team_tasks.ord", "--requests", "-"], Some(&input));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 7);
}

#[test]
fn an_endless_request_line_is_one_deny() {
    let out =
        run_bounded(&["decide", "--policy", "policies/team_tasks.ord", "--requests", "-"], Some(&vec![b'x'; 4 << 20]));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let d: Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(d["reason"], "invalid_request", "{d}");
}

#[test]
fn garbage_policy_files() {
    for bytes in [
        &b"\xff\xfe\x00p\x00e\x00r"[..],
        b"permission org:x \"\xc3\x28\"",
        b"\x00\x00\x00",
        b"resource doc {}\naction view on doc\npermit view on doc /* never ends",
        b"permit view on doc when \"never ends",
    ] {
        let p = file(bytes);
        for cmd in ["check", "fmt"] {
            let out = run(&[cmd, p.to_str().unwrap()]);
            no_panic(&out);
            assert_eq!(out.status.code(), Some(1), "{cmd} {bytes:?}: {}", String::from_utf8_lossy(&out.stderr));
            assert!(!out.stderr.is_empty());
        }
        assert_eq!(std::fs::read(&p).unwrap(), bytes, "fmt must not rewrite a broken file");
        let out = decide_with_policy(&p);
        assert_eq!(out.status.code(), Some(1));
        assert!(out.stdout.is_empty(), "no decision from a broken policy");
    }
    // A policy over the size limit.
    let mut big = b"resource doc {}\naction view on doc\npermit view on doc\n".to_vec();
    big.extend(std::iter::repeat(b'/').take(2 << 20));
    let p = file(&big);
    let out = run(&["check", p.to_str().unwrap()]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("1048576"), "{}", String::from_utf8_lossy(&out.stderr));
}

fn decide_with_policy(policy: &std::path::Path) -> Output {
    let (c, r) = (file(CLAIMS.as_bytes()), file(TASK.as_bytes()));
    let out = run(&[
        "decide",
        "--policy",
        policy.to_str().unwrap(),
        "--claims",
        c.to_str().unwrap(),
        "--action",
        "edit",
        "--resource",
        r.to_str().unwrap(),
    ]);
    no_panic(&out);
    out
}

#[test]
fn usage_errors_exit_2() {
    let (c, r) = (file(CLAIMS.as_bytes()), file(TASK.as_bytes()));
    let (c, r) = (c.to_str().unwrap(), r.to_str().unwrap());
    let base = ["decide", "--policy", "policies/team_tasks.ord", "--claims", c, "--resource", r];
    for extra in [
        &["--action", "edit", "--now", "soon"][..],
        &["--action", "edit", "--now", "1e9"],
        &["--action", "edit", "--now", "99999999999999999999"],
        &["--action", "edit", "--bogus", "1"],
        &["--action"],
        &[],
    ] {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let out = run(&args);
        no_panic(&out);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stdout.is_empty());
    }
    let out = run(&[
        "decide",
        "--policy",
        "policies/team_tasks.ord",
        "--claims",
        "/nonexistent",
        "--resource",
        r,
        "--action",
        "edit",
    ]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn hostile_actions_are_unknown_actions() {
    for action in ["", " ", "EDIT", "edіt", "edit\u{200b}", "*", "view,edit", "-", "--"] {
        let (c, r) = (file(CLAIMS.as_bytes()), file(TASK.as_bytes()));
        let out = run(&[
            "decide",
            "--policy",
            "policies/team_tasks.ord",
            "--claims",
            c.to_str().unwrap(),
            "--resource",
            r.to_str().unwrap(),
            "--now",
            NOW,
            &format!("--action={action}"),
        ]);
        no_panic(&out);
        assert_eq!(out.status.code(), Some(0), "{action:?}: {}", String::from_utf8_lossy(&out.stderr));
        let d: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(d["allowed"], false);
        assert_eq!(d["reason"], "unknown_action", "{action:?}");
    }
}

#[test]
fn explain_on_garbage_is_a_deny() {
    let (c, r) = (file(b"{\"sub\": 1}"), file(TASK.as_bytes()));
    for json in [true, false] {
        let mut args = vec![
            "explain",
            "--policy",
            "policies/team_tasks.ord",
            "--claims",
            c.to_str().unwrap(),
            "--action",
            "edit",
            "--resource",
            r.to_str().unwrap(),
        ];
        if json {
            args.push("--json");
        }
        let out = run(&args);
        no_panic(&out);
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("invalid_claims"), "{text}");
        assert!(!text.contains("\"allowed\": true") && !text.contains("ALLOW"), "{text}");
    }
}

/// A `*.test.json` file with these bytes (`ordinance test` reads only such files).
fn test_file(bytes: &[u8]) -> PathBuf {
    let p = file(bytes);
    let named = p.with_extension("test.json");
    std::fs::rename(&p, &named).unwrap();
    named
}

#[test]
fn garbage_test_files_fail_cleanly() {
    for bytes in [
        &b""[..],
        b"{}",
        b"[]",
        b"{\"policy\": 1, \"cases\": []}",
        b"{\"policy\": \"/dev/zero\", \"cases\": [{\"name\": \"x\", \"session\": {}, \"action\": \"view\", \"resource\": {\"type\": \"doc\"}, \"allowed\": true}]}",
        b"{\"policy\": \"/nonexistent.ord\", \"cases\": []}",
    ] {
        let p = test_file(bytes);
        let out = run_bounded(&["test", p.to_str().unwrap()], None);
        assert_ne!(out.status.code(), Some(0), "{bytes:?}");
        assert!(!out.stderr.is_empty(), "{bytes:?}");
    }
    let out = run_stdin(&["test", "-"], "{}");
    no_panic(&out);
}

#[test]
fn endless_test_files_and_authzen_requests_are_refused() {
    let endless = file(b"").with_extension("endless.test.json");
    std::os::unix::fs::symlink("/dev/zero", &endless).unwrap();
    let out = run_bounded(&["test", endless.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("larger than the limit"));
    let out = run_bounded(&["authzen", "--policy", "policies/team_tasks.ord", "--request", "/dev/zero"], None);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let p = test_file(b"{\"cases\": [\xff]}");
    let out = run_bounded(&["test", p.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("UTF-8"));
}
