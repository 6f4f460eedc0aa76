//! Policy text: lexing, parsing, validation and error reporting.

pub(crate) mod ast;
pub(crate) mod diagnostic;
pub(crate) mod format;
pub(crate) mod lexer;
pub(crate) mod parser;
pub(crate) mod validate;

use crate::limits::Limits;

/// At most this many problems are located and reported for one policy.
const MAX_REPORTED: usize = 100;
pub use diagnostic::{Located, Span};
use std::fmt;
use std::sync::Arc;

/// A parsed and validated policy, ready to be compiled into an [`Engine`](crate::Engine).
///
/// ```
/// let policy = ordinance::Policy::parse(r#"
///     permission org:tasks:view "View tasks"
///     role org:viewer = [org:tasks:view]
///     resource task { owner_id: string }
///     action view on task
///     permit view on task when resource.owner_id == org.id and has(org:tasks:view)
/// "#).unwrap();
/// assert_eq!(policy.rule_count(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct Policy {
    pub(crate) file: Arc<str>,
    pub(crate) source: Arc<str>,
    pub(crate) ast: Arc<ast::Ast>,
    pub(crate) schema: Arc<validate::Schema>,
}

/// Every problem found in a policy, each with `file:line:col`, a caret and a hint.
///
/// Its `Display` is the rendered report the CLI prints; [`PolicyError::diagnostics`] gives
/// the same problems as data for bindings and editors.
///
/// ```
/// let err = ordinance::Policy::parse_named("p.ord", "permit vew on task").unwrap_err();
/// let first = &err.diagnostics()[0];
/// assert_eq!(first.line, 1);
/// assert!(err.to_string().starts_with("p.ord:1:15: error: unknown resource type `task`"));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct PolicyError {
    rendered: String,
    diagnostics: Vec<Located>,
}

impl PolicyError {
    /// The problems, in source order.
    pub fn diagnostics(&self) -> &[Located] {
        &self.diagnostics
    }

    /// The first problem (there is always at least one).
    pub fn first(&self) -> Option<&Located> {
        self.diagnostics.first()
    }

    pub(crate) fn single(file: &str, code: &str, message: String, help: Option<String>) -> PolicyError {
        let loc = Located {
            code: code.to_string(),
            message: message.clone(),
            help: help.clone(),
            file: file.to_string(),
            line: 0,
            column: 0,
            span: Span::default(),
            related: None,
        };
        let mut rendered = format!("{file}: error: {message}\n");
        if let Some(h) = help {
            rendered.push_str(&format!("  = help: {h}\n"));
        }
        PolicyError { rendered, diagnostics: vec![loc] }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.rendered.trim_end())
    }
}

impl Policy {
    /// Parses and validates policy text; errors name the source `policy`.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        Policy::parse_named("policy", text)
    }

    /// Parses and validates policy text, naming it `file` in errors and rule ids.
    pub fn parse_named(file: &str, text: &str) -> Result<Policy, PolicyError> {
        Policy::parse_with_limits(file, text, &Limits::default())
    }

    /// As [`Policy::parse_named`], with explicit [`Limits`].
    pub fn parse_with_limits(file: &str, text: &str, limits: &Limits) -> Result<Policy, PolicyError> {
        if text.len() > limits.max_policy_bytes {
            return Err(PolicyError::single(
                file,
                "limit",
                format!("the policy is {} bytes, more than the limit of {} bytes", text.len(), limits.max_policy_bytes),
                Some("split the policy, or raise `Limits::max_policy_bytes`".into()),
            ));
        }
        let fail = |mut diags: Vec<diagnostic::Diagnostic>| {
            // Locating and drawing a diagnostic scans the source up to it: report the first
            // `MAX_REPORTED` only, so that an error in each of 75,000 rules costs linear time
            // (it took 166 s for a 1 MiB policy when every one was located).
            let total = diags.len();
            diags.sort_by_key(|d| (d.span.start, d.span.end));
            diags.truncate(MAX_REPORTED);
            let located: Vec<Located> = diags.iter().map(|d| diagnostic::locate(text, file, d)).collect();
            let mut rendered = String::new();
            for loc in &located {
                diagnostic::render(text, loc, &mut rendered);
            }
            if total > located.len() {
                rendered.push_str(&format!("{total} errors; the first {} are shown\n", located.len()));
            } else if located.len() > 1 {
                rendered.push_str(&format!("{} errors\n", located.len()));
            }
            PolicyError { rendered, diagnostics: located }
        };
        let tokens = lexer::tokenize(text, limits.max_string_len).map_err(|d| fail(vec![d]))?;
        let ast = parser::Parser::new(&tokens, limits.max_nesting, limits.max_list_len)
            .with_max_height(limits.max_condition_depth)
            .policy()
            .map_err(fail)?;
        if ast.rules.len() > limits.max_rules {
            return Err(PolicyError::single(
                file,
                "limit",
                format!("the policy has {} rules, more than {} rules", ast.rules.len(), limits.max_rules),
                Some("raise `Limits::max_rules` if this is intended".into()),
            ));
        }
        // Distinct action names, in the set type the validator already uses (one copy of
        // the hash table's code in the WebAssembly build).
        let actions: std::collections::HashSet<(usize, &str)> =
            ast.actions.iter().flat_map(|d| d.actions.iter().map(|a| (0, a.text.as_str()))).collect();
        let pairs = ast.resources.len().saturating_mul(actions.len());
        if pairs > limits.max_action_pairs {
            return Err(PolicyError::single(
                file,
                "limit",
                format!(
                    "the policy declares {} resource types and {} actions, {pairs} pairs, more than {}",
                    ast.resources.len(),
                    actions.len(),
                    limits.max_action_pairs
                ),
                Some("raise `Limits::max_action_pairs` if this is intended".into()),
            ));
        }
        let (schema, errors) = validate::validate(&ast, text, file);
        if !errors.is_empty() {
            return Err(fail(errors));
        }
        Ok(Policy { file: file.into(), source: text.into(), ast: Arc::new(ast), schema: Arc::new(schema) })
    }

    /// Reads, parses and validates a policy file; errors and rule ids name the file.
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Policy, PolicyError> {
        let path = path.as_ref();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "policy".into());
        let io = |e: std::io::Error| {
            PolicyError::single(&path.display().to_string(), "io", format!("cannot read the policy: {e}"), None)
        };
        // At most one byte past the size limit is read: a file that never ends (a FIFO,
        // `/dev/zero`) or a huge one is refused after that, never read whole.
        let max = Limits::default().max_policy_bytes;
        let mut bytes = Vec::new();
        let file = std::fs::File::open(path).map_err(io)?;
        std::io::Read::read_to_end(&mut std::io::Read::take(file, (max as u64).saturating_add(1)), &mut bytes)
            .map_err(io)?;
        if bytes.len() > max {
            let size = std::fs::metadata(path).ok().filter(|m| m.is_file()).map(|m| m.len());
            let message = match size {
                Some(n) => format!("the policy is {n} bytes, more than the limit of {max} bytes"),
                None => format!("the policy is more than the limit of {max} bytes"),
            };
            let help = "split the policy, or raise `Limits::max_policy_bytes`";
            return Err(PolicyError::single(&name, "limit", message, Some(help.into())));
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            io(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("the file is not UTF-8 (at byte {at})")))
        })?;
        Policy::parse_named(&name, &text)
    }

    /// The number of rules.
    pub fn rule_count(&self) -> usize {
        self.ast.rules.len()
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The name used in errors and rule ids.
    pub fn file_name(&self) -> &str {
        &self.file
    }

    /// Every action declared on a resource type, in declaration order.
    pub fn actions(&self, resource_type: &str) -> Vec<&str> {
        self.schema
            .type_index
            .get(resource_type)
            .and_then(|&t| self.schema.types.get(t))
            .map(|t| t.actions.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// The canonical formatting of this policy (what `ordinance fmt` writes).
    ///
    /// ```
    /// let p = ordinance::Policy::parse("resource doc{}action view on doc permit view on doc when user").unwrap();
    /// assert_eq!(p.format(), "resource doc {}\n\naction view on doc\n\npermit view on doc\n  when user\n");
    /// ```
    pub fn format(&self) -> String {
        format::format(&self.ast, &self.source)
    }
}
