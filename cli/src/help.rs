//! `ordinance COMMAND --help`: each command's usage, its options one line each, and an
//! example that runs from the repository root.

/// The help text of `command`, or `None` for a command that does not exist.
pub(crate) fn for_command(command: &str) -> Option<&'static str> {
    Some(match command {
        "check" => CHECK,
        "decide" => DECIDE,
        "explain" => EXPLAIN,
        "test" => TEST,
        "fmt" => FMT,
        "authzen" => AUTHZEN,
        "filter" => FILTER,
        "rls" => RLS,
        _ => return None,
    })
}

const CHECK: &str = "\
ordinance check: parse and validate policy files

USAGE:
    ordinance check FILE...

Prints `FILE: ok (N rules)` per valid file; each error with file:line:col, a caret and a hint.

OPTIONS:
    -h, --help          print this help

EXAMPLE:
    ordinance check policies/team_tasks.ord policies/rooms.ord

Exit codes: 0 every file is valid, 1 a file has errors, 2 usage errors.
";

/// The options of one request, shared by `decide` and `explain` (a macro, so that the help
/// texts stay `&'static str` constants built with `concat!`).
macro_rules! request_options {
    () => {
        "    --policy FILE       the policy (.ord) to decide with
    --claims FILE       the session-token claims, a JSON object (`-` reads stdin)
    --action A          the action to decide, e.g. `edit`
    --resource FILE     the resource, a JSON object with `type` and the declared attributes
    --context FILE      the request context, a JSON object (optional)
    --now UNIX          the time to decide at, in unix seconds (default: the clock)
"
    };
}

const DECIDE: &str = concat!(
    "\
ordinance decide: one authorization decision as JSON, or one per request line

USAGE:
    ordinance decide --policy FILE --claims FILE --action A --resource FILE [--context FILE] [--now UNIX]
    ordinance decide --policy FILE --requests FILE.jsonl

OPTIONS:
",
    request_options!(),
    "    --requests FILE     one JSON request per line, {\"claims\", \"action\", \"resource\", \"context\"?, \"now\"?} (`-` reads stdin); not with the five options above
    -h, --help          print this help

Prints {\"allowed\", \"reason\", \"rule\", \"missing\"} (+ \"error\"). With --requests, every input line
gets exactly one decision line, in order: a blank or malformed line is an `invalid_request` deny.

EXAMPLES:
    ordinance decide --policy policies/team_tasks.ord --claims examples/requests/bob_member.claims.json --action edit --resource examples/requests/task_by_alice.json
    ordinance decide --policy policies/team_tasks.ord --requests examples/requests/requests.jsonl

Exit codes: 0 a decision was printed (a deny is a success), 1 policy errors, 2 usage errors.
"
);

const EXPLAIN: &str = concat!(
    "\
ordinance explain: a decision with every rule considered and each condition's value

USAGE:
    ordinance explain --policy FILE --claims FILE --action A --resource FILE [--context FILE] [--now UNIX] [--json]

OPTIONS:
",
    request_options!(),
    "    --json              print the explanation as JSON instead of text
    -h, --help          print this help

EXAMPLE:
    ordinance explain --policy policies/team_tasks.ord --claims examples/requests/bob_member.claims.json --action edit --resource examples/requests/task_by_alice.json

Exit codes: 0 an explanation was printed, 1 policy errors, 2 usage errors.
"
);

const TEST: &str = "\
ordinance test: run policy test files (*.test.json, format in docs/testing.md)

USAGE:
    ordinance test [--verbose] PATH...

Each PATH is a test file or a directory searched for *.test.json files. A test file's
\"policy\" is read relative to the test file's directory.

OPTIONS:
    --verbose           also print every passing case
    -h, --help          print this help

EXAMPLE:
    ordinance test policies/

Exit codes: 0 every case passed, 1 a case failed or a policy has errors, 2 usage errors or a malformed test file.
";

const FMT: &str = "\
ordinance fmt: rewrite policy files in canonical formatting

USAGE:
    ordinance fmt [--check] FILE...

OPTIONS:
    --check             change nothing; list the files that are not formatted (exit 1 if any)
    -h, --help          print this help

EXAMPLE:
    ordinance fmt --check policies/team_tasks.ord

Exit codes: 0 success, 1 policy errors or (with --check) unformatted files, 2 usage errors.
";

const AUTHZEN: &str = "\
ordinance authzen: answer one OpenID AuthZEN evaluation or batch request

USAGE:
    ordinance authzen --policy FILE [--directory FILE] [--request FILE] [--now UNIX]

OPTIONS:
    --policy FILE       the policy (.ord) to decide with
    --directory FILE    subject attributes by `subject.id`, a JSON object (optional)
    --request FILE      the AuthZEN request (default: stdin)
    --now UNIX          the time to decide at, in unix seconds (default: the clock)
    -h, --help          print this help

Prints the AuthZEN response: one decision, or {\"evaluations\": [...]} for a batch.

EXAMPLE:
    echo '{\"subject\": {\"type\": \"user\", \"id\": \"u\"}, \"action\": {\"name\": \"can_read_todos\"}, \"resource\": {\"type\": \"todo\", \"id\": \"1\"}}' \\
        | ordinance authzen --policy policies/authzen_todo.ord --directory policies/authzen_todo.directory.json

Exit codes: 0 answered (a deny is a success), 1 policy errors, 2 a malformed request (HTTP 400) or usage errors.
";

const FILTER: &str = "\
ordinance filter: which resources of a type the session may act on, as a SQL WHERE fragment

USAGE:
    ordinance filter --policy FILE --claims FILE --action A --type TYPE [--context FILE] [--now UNIX]
                     [--column ATTR=COLUMN]... [--first-param N]

OPTIONS:
    --policy FILE           the policy (.ord) to filter with
    --claims FILE           the session-token claims, a JSON object (`-` reads stdin)
    --action A              the action, e.g. `view`
    --type TYPE             the resource type, e.g. `task`
    --context FILE          the request context, a JSON object (optional)
    --now UNIX              the time to decide at, in unix seconds (default: the clock)
    --column ATTR=COLUMN    the SQL column of an attribute (repeatable; default: the attribute's name)
    --first-param N         the number of the first bind parameter (default: 1, i.e. `$1`)
    -h, --help              print this help

Prints {\"kind\", \"resource_type\", \"action\", \"required\", \"condition\"?, \"reason\"?, \"sql\", \"params\"}.

EXAMPLE:
    ordinance filter --policy policies/team_tasks.ord --claims examples/requests/bob_member.claims.json --action view --type task

Exit codes: 0 success, 1 policy errors or a rule SQL cannot express, 2 usage errors or unusable input.
";

const RLS: &str = "\
ordinance rls: PostgreSQL row-level security policies derived from a policy (docs/filters.md)

USAGE:
    ordinance rls --policy FILE --type TYPE --table TABLE [--action A]... [--column ATTR=COLUMN]...
                  [--select A,...] [--insert A,...] [--update A,...] [--delete A,...] [--role ROLE]

OPTIONS:
    --policy FILE           the policy (.ord) to render
    --type TYPE             the resource type the table holds, e.g. `task`
    --table TABLE           the table to protect
    --action A,...          keep only these actions (repeatable)
    --column ATTR=COLUMN    the SQL column of an attribute (repeatable; default: the attribute's name)
    --select A,...          the actions a row needs for SELECT (repeatable; default: view)
    --insert A,...          the actions a row needs for INSERT (repeatable; default: create)
    --update A,...          the actions a row needs for UPDATE (repeatable; default: edit, complete)
    --delete A,...          the actions a row needs for DELETE (repeatable; default: delete)
    --role ROLE             the role the policies apply to (default: PUBLIC)
    -h, --help              print this help

EXAMPLE:
    ordinance rls --policy policies/team_tasks.ord --type task --table tasks --role authenticated | psql

Exit codes: 0 success, 1 policy errors or a rule SQL cannot express, 2 usage errors.
";
