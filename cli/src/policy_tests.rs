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
    args.reject_unknown(&[], &["verbose"])?;
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
    let (mut passed, mut failed) = (0usize, 0usize);
    for file in &files {
        let (p, f) = run_file(file, args.flag("verbose"))?;
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

/// Resolves a case field that is either a name in the file's table or an inline object.
fn resolve(case: &Map<String, Value>, key: &str, table: &Map<String, Value>) -> Result<Option<Value>, String> {
    match case.get(key) {
        None => Ok(None),
        Some(Value::String(name)) => {
            table.get(name).cloned().map(Some).ok_or_else(|| format!("no {key} named `{name}` in the file"))
        }
        Some(v) => Ok(Some(v.clone())),
    }
}

fn run_file(file: &Path, verbose: bool) -> Result<(usize, usize), String> {
    let text = crate::read(&file.to_string_lossy())?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    let empty = Map::new();
    let table = |k: &str| doc.get(k).and_then(Value::as_object).unwrap_or(&empty);
    let policy_name =
        doc.get("policy").and_then(Value::as_str).ok_or_else(|| format!("{}: missing \"policy\"", file.display()))?;
    let policy_path = file.parent().unwrap_or(Path::new(".")).join(policy_name);
    let policy = Policy::from_file(&policy_path).map_err(|e| e.to_string())?;
    let engine = Engine::new(policy);
    let default_now = doc.get("now").and_then(Value::as_i64);
    let cases =
        doc.get("cases").and_then(Value::as_array).ok_or_else(|| format!("{}: missing \"cases\"", file.display()))?;
    let (mut passed, mut failed) = (0, 0);
    for (i, case) in cases.iter().enumerate() {
        let Some(case) = case.as_object() else {
            return Err(format!("{}: case {i} is not an object", file.display()));
        };
        let name = case.get("name").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| format!("case {i}"));
        let claims = resolve(case, "session", table("sessions"))?.unwrap_or(Value::Null);
        let resource = resolve(case, "resource", table("resources"))?.unwrap_or(Value::Null);
        let context = resolve(case, "context", table("contexts"))?;
        let action = case.get("action").and_then(Value::as_str).unwrap_or_default();
        let now = case.get("now").and_then(Value::as_i64).or(default_now);
        let decision = engine.decide_value(claims, action, resource, context, now).to_json();
        let mut problems = Vec::new();
        for key in ["allowed", "reason", "rule", "missing"] {
            if let Some(want) = case.get(key) {
                let got = decision.get(key).unwrap_or(&Value::Null);
                if got != want {
                    problems.push(format!("{key}: expected {want}, got {got}"));
                }
            }
        }
        if !case.contains_key("allowed") {
            problems.push("the case has no expected \"allowed\"".into());
        }
        if problems.is_empty() {
            passed += 1;
            if verbose {
                println!("ok   {}: {name}", file.display());
            }
        } else {
            failed += 1;
            println!("FAIL {}: {name}: {}", file.display(), problems.join("; "));
        }
    }
    Ok((passed, failed))
}
