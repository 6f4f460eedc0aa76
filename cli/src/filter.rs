//! `ordinance filter`: the residual of a policy for one session, action and resource type,
//! with its PostgreSQL `WHERE` fragment and bind parameters.

use crate::args::Args;
use ordinance::{Context, Engine, Options, Session, SqlOptions};
use serde_json::Value;
use std::process::ExitCode;

/// Prints `Filter::to_json()` plus `"sql"` and `"params"` as one JSON object. Exit 0 (also
/// for `never`), 1 for policy errors or a rule that cannot be rendered, 2 for usage errors
/// and unusable input (claims, context, an unknown type or action, a bad column map).
pub(crate) fn run(args: &Args) -> Result<ExitCode, String> {
    args.check_options(&["policy", "claims", "action", "type", "context", "now", "first-param"], &["column"], &[])?;
    let Some(policy) = crate::load_policy(args.required("policy")?)? else {
        return Ok(ExitCode::from(1));
    };
    let claims = crate::read(args.required("claims")?)?;
    let action = args.required("action")?;
    let resource_type = args.required("type")?;
    let now = args
        .value("now")
        .map(|n| n.parse::<i64>().map_err(|_| format!("--now takes a unix time in seconds, not `{n}`")))
        .transpose()?;
    let first_param = match args.value("first-param") {
        None => 1,
        Some(n) => n.parse::<usize>().map_err(|_| format!("--first-param takes a parameter number, not `{n}`"))?,
    };
    let mut sql_opts = SqlOptions { first_param, ..SqlOptions::default() };
    for spec in args.values("column") {
        let Some((attr, column)) = spec.split_once('=') else {
            return Err(format!("--column takes ATTR=COLUMN, not `{spec}`"));
        };
        sql_opts.columns.insert(attr.trim().to_string(), column.trim().to_string());
    }
    let engine = Engine::new(policy);
    let session = Session::from_claims_json_with_limits(&claims, engine.limits()).map_err(|e| e.to_string())?;
    let context = match args.value("context") {
        Some(path) => {
            Some(Context::from_json_with_limits(&crate::read(path)?, engine.limits()).map_err(|e| e.to_string())?)
        }
        None => None,
    };
    let rendered = engine
        .filter(&session, action, resource_type, &Options { now, context })
        .and_then(|filter| filter.to_sql(&sql_opts).map(|sql| (filter, sql)));
    let (filter, sql) = match rendered {
        Ok(both) => both,
        Err(e) if e.code() == "not_expressible" || e.code() == "too_complex" => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.to_string()),
    };
    let json = filter.to_json();
    let out = Printed {
        kind: filter.kind(),
        reason: filter.reason(),
        resource_type: filter.resource_type(),
        action: filter.action(),
        required: filter.required_attributes(),
        condition: json.get("condition"),
        sql: &sql.sql,
        params: &sql.params,
    };
    println!("{}", serde_json::to_string(&out).map_err(|e| e.to_string())?);
    Ok(ExitCode::SUCCESS)
}

/// The printed object: `Filter::to_json()`'s keys in a readable order, then the SQL.
#[derive(serde::Serialize)]
struct Printed<'a> {
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    resource_type: &'a str,
    action: &'a str,
    required: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    condition: Option<&'a Value>,
    sql: &'a str,
    params: &'a [Value],
}
