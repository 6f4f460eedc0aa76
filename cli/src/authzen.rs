//! `ordinance authzen`: answers one OpenID AuthZEN Authorization API request read from
//! standard input (or `--request FILE`) as the spec's endpoints would: an Access Evaluation
//! request gets one decision, a request with a non-empty `evaluations` list gets
//! `{"evaluations": [...]}`. A malformed request (HTTP 400 in the spec) is an error
//! message on stderr and exit code 2.

use crate::args::Args;
use ordinance::{Directory, Engine};
use std::process::ExitCode;

pub(crate) fn run(args: &Args) -> Result<ExitCode, String> {
    args.check_options(&["policy", "directory", "request", "now"], &[], &[])?;
    let Some(policy) = crate::load_policy(args.required("policy")?)? else {
        return Ok(ExitCode::from(1));
    };
    let mut engine = Engine::new(policy);
    if let Some(path) = args.value("directory") {
        let directory = Directory::from_json(&crate::read(path)?).map_err(|e| format!("`{path}`: {e}"))?;
        engine = engine.with_directory(directory);
    }
    let now = args
        .value("now")
        .map(|n| n.parse::<i64>().map_err(|_| format!("--now takes a unix time in seconds, not `{n}`")))
        .transpose()?;
    let request = crate::read(args.value("request").unwrap_or("-"))?;
    let response = engine.evaluate_json(&request, now).map_err(|e| e.to_string())?;
    println!("{response}");
    Ok(ExitCode::SUCCESS)
}
