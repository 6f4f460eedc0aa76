//! `ordinance test`: runs policy test files (`*.test.json`, format in `docs/testing.md`).
//!
//! A test file names its policy (relative to the file), optional named sessions,
//! resources and contexts, a default `now`, and cases with the expected `allowed` and,
//! optionally, `reason`, `rule` and `missing`.

use crate::args::Args;
use ordinance::{Engine, Policy};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub(crate) fn run(args: &Args) -> Result<ExitCode, String> {
    args.check_options(&[], &[], &["verbose"])?;
    let roots = args.positional();
    if roots.is_empty() {
        return Err("`test` needs a test file or a directory".into());
    }
    let mut files = Vec::new();
    for root in roots {
        collect(Path::new(root), &mut files)?;
    }
    files.sort();
    if files.is_empty() {
        return Err(format!("no *.test.json files under {}", roots.join(", ")));
    }
    // Every file is read and checked before any case runs: a malformed file is an error and
    // nothing runs, rather than a mix of results and an error.
    let loaded = files.iter().map(|f| load_file(f)).collect::<Result<Vec<_>, _>>()?;
    let (mut passed, mut failed) = (0usize, 0usize);
    for file in &loaded {
        let (p, f) = run_file(file, args.flag("verbose"));
        passed += p;
        failed += f;
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    if path.is_dir() {
        let entries = std::fs::read_dir(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        for entry in entries.flatten() {
            collect(&entry.path(), out)?;
        }
    } else if path.to_string_lossy().ends_with(".test.json") {
        out.push(path.to_path_buf());
    } else if !path.exists() {
        return Err(format!("`{}` does not exist", path.display()));
    }
    Ok(())
}

/// Parses JSON like `serde_json::from_str`, but refuses an object with the same key twice
/// (as the engine does for claims and resources): with "last one wins", a case giving
/// `"allowed"` twice would silently check only the second.
fn strict_json(text: &str) -> Result<Value, serde_json::Error> {
    use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, SeqAccess, Visitor};
    struct Strict;
    impl<'de> DeserializeSeed<'de> for Strict {
        type Value = Value;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
            d.deserialize_any(Strict)
        }
    }
    impl<'de> Visitor<'de> for Strict {
        type Value = Value;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON value")
        }
        fn visit_bool<E: Error>(self, v: bool) -> Result<Value, E> {
            Ok(Value::Bool(v))
        }
        fn visit_i64<E: Error>(self, v: i64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_u64<E: Error>(self, v: u64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_f64<E: Error>(self, v: f64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_str<E: Error>(self, v: &str) -> Result<Value, E> {
            Ok(Value::String(v.to_string()))
        }
        fn visit_unit<E: Error>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element_seed(Strict)? {
                items.push(item);
            }
            Ok(Value::Array(items))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
            let mut out = Map::new();
            while let Some(key) = map.next_key::<String>()? {
                if out.contains_key(&key) {
                    return Err(A::Error::custom(format!("duplicate key `{key}`")));
                }
                let value = map.next_value_seed(Strict)?;
                out.insert(key, value);
            }
            Ok(Value::Object(out))
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Strict.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Keys a test file may have; anything else is a typo that would silently skip a check.
const FILE_KEYS: [&str; 6] = ["policy", "now", "sessions", "resources", "contexts", "cases"];
/// Keys a case may have.
const CASE_KEYS: [&str; 10] =
    ["name", "session", "action", "resource", "context", "now", "allowed", "reason", "rule", "missing"];

/// Refuses keys outside `known`, naming the first unknown one and what is allowed.
fn reject_unknown_keys(doc: &Map<String, Value>, known: &[&str], what: &str) -> Result<(), String> {
    match doc.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(format!("{what}: unknown key `{k}` (known keys: {})", known.join(", "))),
        None => Ok(()),
    }
}

/// An optional unix time: absent, or an integer.
fn time(doc: &Map<String, Value>, what: &str) -> Result<Option<i64>, String> {
    match doc.get("now") {
        None => Ok(None),
        Some(v) => {
            v.as_i64().map(Some).ok_or_else(|| format!("{what}: \"now\" must be an integer unix time, not `{v}`"))
        }
    }
}

/// Resolves a case field that is either a name in the file's table or an inline document.
fn resolve(
    case: &Map<String, Value>,
    key: &str,
    table: &Map<String, Value>,
    what: &str,
) -> Result<Option<Value>, String> {
    match case.get(key) {
        None => Ok(None),
        Some(Value::String(name)) => table
            .get(name)
            .cloned()
            .map(Some)
            .ok_or_else(|| format!("{what}: no {key} named `{name}` in the file's \"{key}s\"")),
        Some(v) => Ok(Some(v.clone())),
    }
}

/// What one case expects, checked for shape before anything runs.
fn check_expectations(case: &Map<String, Value>, what: &str) -> Result<(), String> {
    match case.get("allowed") {
        Some(Value::Bool(_)) => {}
        None => return Err(format!("{what}: the case has no expected \"allowed\" (true or false)")),
        Some(v) => return Err(format!("{what}: \"allowed\" must be true or false, not `{v}`")),
    }
    if let Some(v) = case.get("reason").filter(|v| !v.is_string()) {
        return Err(format!("{what}: \"reason\" must be a string, not `{v}`"));
    }
    if let Some(v) = case.get("rule").filter(|v| !v.is_string() && !v.is_null()) {
        return Err(format!("{what}: \"rule\" must be a string or null, not `{v}`"));
    }
    if let Some(v) = case.get("missing").filter(|v| !v.is_array()) {
        return Err(format!("{what}: \"missing\" must be a list of {{\"kind\", \"name\"}} objects, not `{v}`"));
    }
    Ok(())
}

/// One case, checked and with its named documents resolved.
struct Case {
    name: String,
    /// The expected `allowed` and, if given, `reason`, `rule` and `missing`.
    expected: Vec<(&'static str, Value)>,
    claims: Value,
    action: String,
    resource: Value,
    context: Option<Value>,
    now: Option<i64>,
}

/// A test file that passed every check of its format.
struct TestFile {
    path: PathBuf,
    /// The `policy` as the file gives it, relative to the file's directory.
    policy_name: String,
    /// The policy's path as it is read: the file's directory joined with `policy_name`.
    policy: PathBuf,
    cases: Vec<Case>,
}

/// Reads and checks one test file: `Err` for a file that is not a valid test file.
fn load_file(file: &Path) -> Result<TestFile, String> {
    let shown = file.display();
    let text = crate::read(&file.to_string_lossy())?;
    let doc = strict_json(&text).map_err(|e| format!("{shown}: not valid JSON: {e}"))?;
    let doc = doc.as_object().ok_or_else(|| format!("{shown}: a test file is a JSON object"))?;
    reject_unknown_keys(doc, &FILE_KEYS, &shown.to_string())?;
    let empty = Map::new();
    let mut tables = Vec::new();
    for key in ["sessions", "resources", "contexts"] {
        tables.push(match doc.get(key) {
            None => &empty,
            Some(Value::Object(t)) => t,
            Some(_) => return Err(format!("{shown}: \"{key}\" must be an object of named documents")),
        });
    }
    let [sessions, resources, contexts] = tables.as_slice() else {
        return Err(format!("{shown}: internal error reading the tables"));
    };
    let policy_name = match doc.get("policy") {
        Some(Value::String(p)) => p,
        Some(_) => return Err(format!("{shown}: \"policy\" must be a path (a string)")),
        None => return Err(format!("{shown}: missing \"policy\" (the policy file, relative to the test file)")),
    };
    let default_now = time(doc, &shown.to_string())?;
    let cases = match doc.get("cases") {
        Some(Value::Array(c)) => c,
        Some(_) => return Err(format!("{shown}: \"cases\" must be a list")),
        None => return Err(format!("{shown}: missing \"cases\"")),
    };
    let mut runs = Vec::with_capacity(cases.len());
    for (i, case) in cases.iter().enumerate() {
        let case = case.as_object().ok_or_else(|| format!("{shown}: case {i} is not an object"))?;
        let name = match case.get("name") {
            None => format!("case {i}"),
            Some(Value::String(n)) => n.clone(),
            Some(v) => return Err(format!("{shown}: case {i}: \"name\" must be a string, not `{v}`")),
        };
        let what = format!("{shown}: case {i} (`{name}`)");
        reject_unknown_keys(case, &CASE_KEYS, &what)?;
        let claims = resolve(case, "session", sessions, &what)?
            .ok_or_else(|| format!("{what}: missing \"session\" (a name from \"sessions\" or inline claims)"))?;
        let resource = resolve(case, "resource", resources, &what)?
            .ok_or_else(|| format!("{what}: missing \"resource\" (a name from \"resources\" or an inline resource)"))?;
        let context = resolve(case, "context", contexts, &what)?;
        let action = match case.get("action") {
            Some(Value::String(a)) => a.clone(),
            Some(v) => return Err(format!("{what}: \"action\" must be a string, not `{v}`")),
            None => return Err(format!("{what}: missing \"action\"")),
        };
        let now = time(case, &what)?.or(default_now);
        check_expectations(case, &what)?;
        let expected = ["allowed", "reason", "rule", "missing"]
            .into_iter()
            .filter_map(|key| case.get(key).map(|v| (key, v.clone())))
            .collect();
        runs.push(Case { name, expected, claims, action, resource, context, now });
    }
    // The path as it is looked up: `./nope.ord` for a test file in the current directory,
    // so a message about it cannot be read as a path relative to somewhere else.
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let policy = dir.join(policy_name);
    Ok(TestFile { path: file.to_path_buf(), policy_name: policy_name.clone(), policy, cases: runs })
}

/// Runs one checked test file: `(passed, failed)`. A policy that does not compile prints
/// its errors and is one failure.
fn run_file(file: &TestFile, verbose: bool) -> (usize, usize) {
    let shown = file.path.display();
    let policy = match Policy::from_file(&file.policy) {
        Ok(p) => p,
        // A policy that cannot be read: the engine's message names only the path, which
        // does not say which test file asked for it nor how its `policy` was resolved.
        Err(e) if e.first().is_some_and(|d| d.code == "io") => {
            let policy = file.policy.display();
            let cause = e.first().map(|d| d.message.as_str()).unwrap_or_default();
            let cause = cause.strip_prefix("cannot read the policy: ").unwrap_or(cause);
            eprintln!("{policy}: error: cannot read the policy named by `{shown}`: {cause}");
            eprintln!(
                "  = help: `{shown}` gives \"policy\": \"{}\", which is read relative to the test file's directory",
                file.policy_name
            );
            println!("FAIL {shown}: cannot read the policy `{policy}`");
            return (0, 1);
        }
        Err(e) => {
            eprintln!("{e}");
            println!("FAIL {shown}: the policy `{}` has errors", file.policy.display());
            return (0, 1);
        }
    };
    let engine = Engine::new(policy);
    let (mut passed, mut failed) = (0, 0);
    for case in &file.cases {
        let decision = engine
            .decide_value(case.claims.clone(), &case.action, case.resource.clone(), case.context.clone(), case.now)
            .to_json();
        let name = &case.name;
        let mut problems = Vec::new();
        for (key, want) in &case.expected {
            let got = decision.get(*key).unwrap_or(&Value::Null);
            if got != want {
                problems.push(format!("{key}: expected {want}, got {got}"));
            }
        }
        if problems.is_empty() {
            passed += 1;
            if verbose {
                println!("ok   {shown}: {name}");
            }
        } else {
            failed += 1;
            println!("FAIL {shown}: {name}: {}", problems.join("; "));
        }
    }
    (passed, failed)
}
