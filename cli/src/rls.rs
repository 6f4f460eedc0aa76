//! `ordinance rls`: PostgreSQL row-level security policies generated from a policy.

use crate::args::Args;
use ordinance::{row_level_security, Engine, RlsOptions, SqlCommand};
use std::process::ExitCode;

/// Every value of a repeatable option, `--name v` or `--name=v`, each split at commas.
fn repeated(argv: &[String], name: &str) -> Vec<String> {
    let flag = format!("--{name}");
    let prefix = format!("--{name}=");
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(arg) = argv.get(i) {
        let value = if *arg == flag {
            i += 1;
            argv.get(i).cloned()
        } else {
            arg.strip_prefix(&prefix).map(str::to_string)
        };
        if let Some(v) = value {
            out.extend(v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string));
        }
        i += 1;
    }
    out
}

/// Prints the statements. The default mapping is `view` -> SELECT, `create` -> INSERT,
/// `edit` and `complete` -> UPDATE, `delete` -> DELETE; `--select` etc. replace it for one
/// command, and `--action` keeps only the listed actions.
pub(crate) fn run(args: &Args, argv: &[String]) -> Result<ExitCode, String> {
    args.check_options(
        &["policy", "type", "table", "role"],
        &["action", "column", "select", "insert", "update", "delete"],
        &[],
    )?;
    let Some(policy) = crate::load_policy(args.required("policy")?)? else {
        return Ok(ExitCode::from(1));
    };
    let resource_type = args.required("type")?;
    let mut opts = RlsOptions::new(resource_type, args.required("table")?);
    opts.role = args.value("role").map(str::to_string);
    for spec in repeated(argv, "column") {
        let Some((attr, column)) = spec.split_once('=') else {
            return Err(format!("--column takes ATTR=COLUMN, not `{spec}`"));
        };
        opts.columns.insert(attr.trim().to_string(), column.trim().to_string());
    }
    let engine = Engine::new(policy);
    let declared = engine.policy().actions(resource_type);
    if declared.is_empty() {
        return Err(format!("the policy declares no resource type `{resource_type}` (or no action on it)"));
    }
    let only = repeated(argv, "action");
    for a in &only {
        if !declared.contains(&a.as_str()) {
            return Err(format!("the policy declares no action `{a}` on `{resource_type}`"));
        }
    }
    for cmd in SqlCommand::ALL {
        let explicit = repeated(argv, &cmd.keyword().to_lowercase());
        let actions: Vec<String> = if explicit.is_empty() {
            cmd.default_actions().iter().filter(|a| declared.contains(a)).map(|a| a.to_string()).collect()
        } else {
            explicit
        };
        let actions: Vec<String> = actions.into_iter().filter(|a| only.is_empty() || only.contains(a)).collect();
        if !actions.is_empty() {
            opts.commands.push((cmd, actions));
        }
    }
    if opts.commands.is_empty() {
        return Err(format!(
            "no action of `{resource_type}` maps to a SQL command; map them with --select, --insert, --update or --delete"
        ));
    }
    match row_level_security(&engine, &opts) {
        Ok(sql) => {
            print!("{sql}");
            Ok(ExitCode::SUCCESS)
        }
        // The caller's options (a column map naming no attribute, an undeclared action) are
        // usage errors, exit 2; a policy that cannot be rendered exactly is exit 1.
        Err(e) if matches!(e.code(), "invalid_option" | "unknown_action" | "unknown_resource_type") => {
            Err(e.to_string())
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(1))
        }
    }
}
