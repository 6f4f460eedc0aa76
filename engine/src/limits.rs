//! Bounds on every input, so that no policy, token or request can make ordinance do
//! unbounded work. Each limit exceeded is a clear error and, at decision time, a deny.

/// Explicit bounds on policy text and request inputs, with documented defaults.
///
/// ```
/// use ordinance::{Limits, Policy};
/// let tight = Limits { max_rules: 1, ..Limits::default() };
/// let text = "resource doc {}\naction view on doc\npermit view on doc\npermit view on doc";
/// let err = Policy::parse_with_limits("policy", text, &tight).unwrap_err();
/// assert!(err.to_string().contains("more than 1 rules"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Policy source size in bytes (default 1 MiB).
    pub max_policy_bytes: usize,
    /// Number of rules in one policy (default 100,000).
    pub max_rules: usize,
    /// Nesting depth of a condition: parentheses, `not`, lists, calls (default 32).
    pub max_nesting: usize,
    /// Depth of a condition's expression tree, where each operand of an `and` / `or` chain,
    /// each `not`, comparison, method call and list adds a level (default 64). A chain such
    /// as `a and b and c ...` nests no parentheses but builds a tree as deep as it is long,
    /// and every later pass walks that tree recursively: this bound keeps the stack use of
    /// validation, evaluation and explanation small (see `docs/security.md`).
    pub max_condition_depth: usize,
    /// Length of one string literal in a policy, in bytes (default 4,096).
    pub max_string_len: usize,
    /// Items in one list literal or role grant list (default 1,024).
    pub max_list_len: usize,
    /// Declared resource types times declared action names (default 250,000): the size of
    /// the compiled rule index, which `action a1, ..., aN on t1, ..., tN` would otherwise
    /// make grow with the square of the text.
    pub max_action_pairs: usize,
    /// Size of a claims payload in bytes (default 64 KiB; Clerk tokens stay under 4 KB).
    pub max_claims_bytes: usize,
    /// Size of a resource or context document in bytes (default 64 KiB).
    pub max_request_bytes: usize,
    /// Nesting depth of claims, resource and context JSON (default 32).
    pub max_json_depth: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_policy_bytes: 1 << 20,
            max_rules: 100_000,
            max_nesting: 32,
            max_condition_depth: 64,
            max_string_len: 4096,
            max_list_len: 1024,
            max_action_pairs: 250_000,
            max_claims_bytes: 64 << 10,
            max_request_bytes: 64 << 10,
            max_json_depth: 32,
        }
    }
}
