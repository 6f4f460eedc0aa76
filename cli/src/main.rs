//! `ordinance`: check, decide, explain, test and format ordinance policies.

mod args;
mod authzen;
mod filter;
mod help;
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
`ordinance COMMAND --help` describes one command's options.
";

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = argv.split_first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let args = Args::new(command, rest);
    if let Some(help) = help::for_command(command).filter(|_| args.wants_help()) {
        print!("{help}");
        return ExitCode::SUCCESS;
    }
    let result = match command.as_str() {
        "check" => check(&args),
        "decide" => decide(&args),
        "explain" => explain(&args),
        "test" => policy_tests::run(&args),
        "fmt" => fmt(&args),
        "authzen" => authzen::run(&args),
        "filter" => filter::run(&args),
        "rls" => rls::run(&args, rest),
        "help" | "--help" | "-h" => match rest.first() {
            // `ordinance help decide`, as `ordinance decide --help`.
            Some(topic) => match help::for_command(topic) {
                Some(help) => {
                    print!("{help}");
                    Ok(ExitCode::SUCCESS)
                }
                None => Err(format!("unknown command `{topic}`; run `ordinance --help`")),
            },
            None => {
                print!("{USAGE}");
                Ok(ExitCode::SUCCESS)
            }
        },
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

/// The most any other file (a test file, an AuthZEN request or directory) may hold: 64 MiB,
/// the size of the largest directory the library reads.
const MAX_FILE_BYTES: usize = ordinance::MAX_DIRECTORY_BYTES;

/// Reads a whole text file (`-`: standard input), at most [`MAX_FILE_BYTES`] of it: a file
/// that never ends is refused after that, not read until memory runs out.
pub(crate) fn read(path: &str) -> Result<String, String> {
    let shown = if path == "-" { "stdin" } else { path };
    let bytes = read_at_most(path, MAX_FILE_BYTES).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(format!("cannot read `{shown}`: it is larger than the limit of {MAX_FILE_BYTES} bytes"));
    }
    String::from_utf8(bytes)
        .map_err(|e| format!("cannot read `{shown}`: it is not UTF-8 (at byte {})", e.utf8_error().valid_up_to()))
}

/// The bytes of a file (`-`: standard input), at most `max + 1` of them: one past the
/// limit is enough to refuse it, and a file that never ends is never read whole.
fn read_at_most(path: &str, max: usize) -> std::io::Result<Vec<u8>> {
    let limit = (max as u64).saturating_add(1);
    let mut bytes = Vec::new();
    if path == "-" {
        std::io::Read::read_to_end(&mut std::io::Read::take(std::io::stdin().lock(), limit), &mut bytes)?;
    } else {
        std::io::Read::read_to_end(&mut std::io::Read::take(std::fs::File::open(path)?, limit), &mut bytes)?;
    }
    Ok(bytes)
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
    args.check_options(&[], &[], &[])?;
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

/// The decision for input that cannot be used, with the shape and messages of the
/// library's (`Decision::to_json`): `{"allowed": false, "reason", "rule": null, "missing": [], "error"}`.
#[derive(serde::Serialize)]
struct Deny {
    allowed: bool,
    reason: &'static str,
    rule: Option<String>,
    missing: Vec<String>,
    error: String,
}

impl Deny {
    fn new(reason: &'static str, error: String) -> Deny {
        Deny { allowed: false, reason, rule: None, missing: Vec::new(), error }
    }
}

/// Reads an input document of at most `max` bytes. Bytes past the limit are never read (a
/// file that never ends is refused, not read whole), and bytes that are not UTF-8 are never
/// turned into other text: each is a deny with `reason`, as the library gives for text
/// over the limit or malformed. `Err` only for a file that cannot be opened or read.
fn read_input(path: &str, max: usize, what: &str, reason: &'static str) -> Result<Result<String, Deny>, String> {
    let bytes = read_at_most(path, max).map_err(|e| format!("cannot read `{path}`: {e}"))?;
    if bytes.len() > max {
        let size = std::fs::metadata(path).ok().filter(|m| m.is_file() && path != "-").map(|m| m.len());
        let error = match size {
            Some(n) => format!("invalid {what}: input of {n} bytes is larger than the limit of {max} bytes"),
            None => format!("invalid {what}: input is larger than the limit of {max} bytes"),
        };
        return Ok(Err(Deny::new(reason, error)));
    }
    Ok(String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        Deny::new(reason, format!("invalid {what}: the JSON bytes are not UTF-8 (at byte {at})"))
    }))
}

/// Reads the single-request inputs; an unusable input is a deny, not an abort, judged in
/// the library's order (claims, resource, context) with its messages.
fn single(args: &Args, policy: Policy) -> Result<Result<Single, Deny>, String> {
    let engine = Engine::new(policy);
    let limits = engine.limits().clone();
    let claims = read_input(args.required("claims")?, limits.max_claims_bytes, "claims", "invalid_claims")?;
    let resource = read_input(args.required("resource")?, limits.max_request_bytes, "resource", "invalid_resource")?;
    let context = args
        .value("context")
        .map(|path| read_input(path, limits.max_request_bytes, "context", "invalid_context"))
        .transpose()?;
    let now = args
        .value("now")
        .map(|n| n.parse::<i64>().map_err(|_| format!("--now takes a unix time in seconds, not `{n}`")))
        .transpose()?;
    let action = args.required("action")?.to_string();
    let parsed = (|| {
        let session = Session::from_claims_json_with_limits(&claims?, &limits)
            .map_err(|e| Deny::new("invalid_claims", e.to_string()))?;
        let resource = Resource::from_json_with_limits(&resource?, &limits)
            .map_err(|e| Deny::new("invalid_resource", e.to_string()))?;
        let context = match context {
            Some(text) => Some(
                Context::from_json_with_limits(&text?, &limits)
                    .map_err(|e| Deny::new("invalid_context", e.to_string()))?,
            ),
            None => None,
        };
        Ok((session, resource, context))
    })();
    Ok(parsed.map(|(session, resource, context)| Single {
        engine,
        session,
        action,
        resource,
        opts: Options { now, context },
    }))
}

fn decide(args: &Args) -> Result<ExitCode, String> {
    args.check_options(&["policy", "claims", "action", "resource", "context", "now", "requests"], &[], &[])?;
    args.exclusive(
        "requests",
        &["claims", "action", "resource", "context", "now"],
        "each request line carries its own claims, action, resource, context and now",
    )?;
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
        let mut reader = reader;
        let limits = engine.limits();
        let max = limits.max_claims_bytes.saturating_add(limits.max_request_bytes.saturating_mul(2));
        let mut out = BufWriter::new(std::io::stdout().lock());
        let mut bytes = Vec::new();
        while let Some(over) =
            next_line(&mut reader, &mut bytes, max).map_err(|e| format!("cannot read `{requests}`: {e}"))?
        {
            // A line that cannot be a request is one deny; the lines after it are decided.
            let written = if over {
                let error = format!("invalid request: input is larger than the limit of {max} bytes");
                serde_json::to_writer(&mut out, &Deny::new("invalid_request", error))
            } else {
                match std::str::from_utf8(&bytes) {
                    // Skipping it would pair every later decision with the wrong line.
                    Ok(line) if line.trim().is_empty() => {
                        let error = "invalid request: the line is empty; write one JSON request per line".to_string();
                        serde_json::to_writer(&mut out, &Deny::new("invalid_request", error))
                    }
                    Ok(line) => serde_json::to_writer(&mut out, &engine.decide_request_json(line)),
                    Err(e) => {
                        let at = e.valid_up_to();
                        let error = format!("invalid request: the JSON bytes are not UTF-8 (at byte {at})");
                        serde_json::to_writer(&mut out, &Deny::new("invalid_request", error))
                    }
                }
            };
            written.map_err(|e| e.to_string())?;
            out.write_all(b"\n").map_err(|e| e.to_string())?;
        }
        out.flush().map_err(|e| e.to_string())?;
        return Ok(ExitCode::SUCCESS);
    }
    let line = match single(args, policy)? {
        Ok(s) => serde_json::to_string(&s.engine.decide_with(&s.session, &s.action, &s.resource, &s.opts)),
        Err(d) => serde_json::to_string(&d),
    };
    println!("{}", line.map_err(|e| e.to_string())?);
    Ok(ExitCode::SUCCESS)
}

/// Reads the next line into `bytes`, without its `\n` (or `\r\n`): `None` at the end of
/// the input, else whether the line is longer than `max` bytes. At most `max + 1` bytes of
/// a line are kept; the rest is read and dropped, so a line that never ends costs no memory.
fn next_line(reader: &mut dyn BufRead, bytes: &mut Vec<u8>, max: usize) -> std::io::Result<Option<bool>> {
    bytes.clear();
    let (mut any, mut over) = (false, false);
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        any = true;
        let end = chunk.iter().position(|&b| b == b'\n');
        let part = chunk.get(..end.unwrap_or(chunk.len())).unwrap_or_default();
        let room = max.saturating_add(1).saturating_sub(bytes.len());
        over |= part.len() > room;
        bytes.extend_from_slice(part.get(..part.len().min(room)).unwrap_or_default());
        let used = end.map_or(chunk.len(), |i| i + 1);
        reader.consume(used);
        if end.is_some() {
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    if bytes.last() == Some(&b'\r') {
        bytes.pop();
    }
    Ok(Some(over || bytes.len() > max))
}

fn explain(args: &Args) -> Result<ExitCode, String> {
    args.check_options(&["policy", "claims", "action", "resource", "context", "now"], &[], &["json"])?;
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
                println!("error: {}", d.error);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn fmt(args: &Args) -> Result<ExitCode, String> {
    args.check_options(&[], &[], &["check"])?;
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
