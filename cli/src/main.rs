//! `ordinance`: check, decide, explain, test and format ordinance policies.

mod args;
mod authzen;
mod filter;
mod policy_tests;
mod rls;

use args::Args;
use ordinance::{Context, Engine, Options, Policy, Resource, Session};
use std::io::{BufRead, BufWriter, Write};
use std::process::ExitCode;

const USAGE: &str = "\
ordinance: an authorization policy engine for session-token claims

USAGE:
    ordinance check FILE...
    ordinance decide --policy FILE --claims FILE --action A --resource FILE [--context FILE] [--now UNIX]
    ordinance decide --policy FILE --requests FILE.jsonl      (one JSON request per line; `-` reads stdin)
    ordinance explain --policy FILE --claims FILE --action A --resource FILE [--context FILE] [--now UNIX] [--json]
    ordinance test [--verbose] PATH...                        (runs *.test.json files; docs/testing.md)
    ordinance fmt [--check] FILE...
    ordinance authzen --policy FILE [--directory FILE] [--request FILE] [--now UNIX]
                                                              (an AuthZEN request on stdin; exit 2 = HTTP 400)
    ordinance filter --policy FILE --claims FILE --action A --type TYPE [--context FILE] [--now UNIX]
                     [--column ATTR=COLUMN]... [--first-param N]
                                                              (which resources the session may act on, as SQL)
    ordinance rls --policy FILE --type TYPE --table TABLE [--action A]... [--column ATTR=COLUMN]...
                  [--select A,...] [--insert A,...] [--update A,...] [--delete A,...] [--role ROLE]
                                                              (PostgreSQL row-level security policies)

`decide` prints one JSON decision: {\"allowed\", \"reason\", \"rule\", \"missing\"} (+ \"error\").
`filter` prints one JSON object: {\"kind\", \"resource_type\", \"action\", \"required\", \"condition\"?, \"reason\"?, \"sql\", \"params\"}.
Exit codes: 0 success (a deny is a success), 1 policy errors or failed tests, 2 usage or input errors.
";

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = argv.split_first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let args = Args::new(rest);
    let result = match command.as_str() {
        "check" => check(&args),
        "decide" => decide(&args),
        "explain" => explain(&args),
        "test" => policy_tests::run(&args),
        "fmt" => fmt(&args),
        "authzen" => authzen::run(&args),
        "filter" => filter::run(&args),
        "rls" => rls::run(&args, rest),
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        "--version" | "-V" => {
            println!("ordinance {}", env!("CARGO_PKG_VERSION"));
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown command `{other}`; run `ordinance --help`")),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

pub(crate) fn read(path: &str) -> Result<String, String> {
    if path == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        return Ok(text);
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read `{path}`: {e}"))
}

/// Loads a policy, printing its errors; `None` means they were printed.
pub(crate) fn load_policy(path: &str) -> Result<Option<Policy>, String> {
    match Policy::from_file(path) {
        Ok(p) => Ok(Some(p)),
        Err(e) => {
            eprintln!("{e}");
            Ok(None)
        }
    }
}

fn check(args: &Args) -> Result<ExitCode, String> {
    args.reject_unknown(&[], &[])?;
    let files = args.positional();
    if files.is_empty() {
        return Err("`check` needs at least one policy file".into());
    }
    let mut ok = true;
    for f in files {
        match Policy::from_file(f) {
            Ok(p) => println!("{f}: ok ({} rules)", p.rule_count()),
            Err(e) => {
                eprintln!("{e}");
                ok = false;
            }
        }
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

struct Single {
    engine: Engine,
    session: Session,
    action: String,
    resource: Resource,
    opts: Options,
}

/// Reads the single-request inputs; an unusable input is a printed deny, not an abort.
fn single(args: &Args, policy: Policy) -> Result<Result<Single, ordinance::Decision>, String> {
    let claims = read(args.required("claims")?)?;
    let resource = read(args.required("resource")?)?;
    let context = args.value("context").map(read).transpose()?;
    let now = args
        .value("now")
        .map(|n| n.parse::<i64>().map_err(|_| format!("--now takes a unix time in seconds, not `{n}`")))
        .transpose()?;
    let action = args.required("action")?.to_string();
    let engine = Engine::new(policy);
    // Reuse the engine's own intake so malformed input gives the same deny as the library.
    let probe = engine.decide_json(&claims, &action, &resource, context.as_deref(), Some(now.unwrap_or(0)));
    let parsed = (|| {
        let session = Session::from_claims_json_with_limits(&claims, engine.limits()).ok()?;
        let resource = Resource::from_json_with_limits(&resource, engine.limits()).ok()?;
        let context = match &context {
            Some(c) => Some(Context::from_json_with_limits(c, engine.limits()).ok()?),
            None => None,
        };
        Some((session, resource, context))
    })();
    let Some((session, resource, context)) = parsed else {
        return Ok(Err(probe));
    };
    Ok(Ok(Single { engine, session, action, resource, opts: Options { now, context } }))
}

fn decide(args: &Args) -> Result<ExitCode, String> {
    args.reject_unknown(&["policy", "claims", "action", "resource", "context", "now", "requests"], &[])?;
    let Some(policy) = load_policy(args.required("policy")?)? else {
        return Ok(ExitCode::from(1));
    };
    if let Some(requests) = args.value("requests") {
        let engine = Engine::new(policy);
        let stdin;
        let reader: Box<dyn BufRead> = if requests == "-" {
            stdin = std::io::stdin();
            Box::new(stdin.lock())
        } else {
            let file = std::fs::File::open(requests).map_err(|e| format!("cannot read `{requests}`: {e}"))?;
            Box::new(std::io::BufReader::new(file))
        };
        let mut out = BufWriter::new(std::io::stdout().lock());
        for line in reader.lines() {
            let line = line.map_err(|e| format!("cannot read `{requests}`: {e}"))?;
            if line.trim().is_empty() {
                continue;
            }
            let d = engine.decide_request_json(&line);
            serde_json::to_writer(&mut out, &d).map_err(|e| e.to_string())?;
            out.write_all(b"\n").map_err(|e| e.to_string())?;
        }
        out.flush().map_err(|e| e.to_string())?;
        return Ok(ExitCode::SUCCESS);
    }
    let decision = match single(args, policy)? {
        Ok(s) => s.engine.decide_with(&s.session, &s.action, &s.resource, &s.opts),
        Err(d) => d,
    };
    println!("{}", serde_json::to_string(&decision).map_err(|e| e.to_string())?);
    Ok(ExitCode::SUCCESS)
}

fn explain(args: &Args) -> Result<ExitCode, String> {
    args.reject_unknown(&["policy", "claims", "action", "resource", "context", "now"], &["json"])?;
    let Some(policy) = load_policy(args.required("policy")?)? else {
        return Ok(ExitCode::from(1));
    };
    match single(args, policy)? {
        Ok(s) => {
            let why = s.engine.explain(&s.session, &s.action, &s.resource, &s.opts);
            if args.flag("json") {
                println!("{}", serde_json::to_string_pretty(&why).map_err(|e| e.to_string())?);
            } else {
                print!("{why}");
            }
        }
        Err(d) => {
            if args.flag("json") {
                println!("{}", serde_json::to_string_pretty(&d).map_err(|e| e.to_string())?);
            } else {
                println!("decision: DENY ({})", d.reason);
                if let Some(e) = &d.error {
                    println!("error: {e}");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn fmt(args: &Args) -> Result<ExitCode, String> {
    args.reject_unknown(&[], &["check"])?;
    let files = args.positional();
    if files.is_empty() {
        return Err("`fmt` needs at least one policy file".into());
    }
    let mut code = ExitCode::SUCCESS;
    for f in files {
        let Some(policy) = load_policy(f)? else {
            code = ExitCode::from(1);
            continue;
        };
        let formatted = policy.format();
        if formatted == policy.source() {
            continue;
        }
        if args.flag("check") {
            eprintln!("{f}: not formatted");
            code = ExitCode::from(1);
        } else {
            std::fs::write(f, formatted).map_err(|e| format!("cannot write `{f}`: {e}"))?;
            println!("formatted {f}");
        }
    }
    Ok(code)
}
