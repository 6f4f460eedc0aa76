//! The syntax tree of a policy, as written (names are still strings).

use super::diagnostic::Span;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Name {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Ast {
    pub permissions: Vec<PermissionDecl>,
    pub roles: Vec<RoleDecl>,
    pub resources: Vec<ResourceDecl>,
    pub actions: Vec<ActionDecl>,
    pub license: Option<LicenseDecl>,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PermissionDecl {
    pub name: Name,
    pub description: Option<String>,
    /// From the keyword to the last token (`fmt` keeps comments inside it with it).
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RoleDecl {
    pub name: Name,
    /// Permission names; a trailing `*` segment is a wildcard.
    pub grants: Vec<Name>,
    /// From the keyword to the last token (`fmt` keeps comments inside it with it).
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AttrType {
    String,
    Int,
    Bool,
    StringList,
}

impl AttrType {
    pub fn keyword(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Int => "int",
            AttrType::Bool => "bool",
            AttrType::StringList => "[string]",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AttrDecl {
    pub name: Name,
    pub ty: AttrType,
    pub optional: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ResourceDecl {
    pub name: Name,
    pub attrs: Vec<AttrDecl>,
    /// From the keyword to the last token (`fmt` keeps comments inside it with it).
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ActionDecl {
    pub actions: Vec<Name>,
    pub types: Vec<Name>,
    /// From the keyword to the last token (`fmt` keeps comments inside it with it).
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LicenseDecl {
    pub path: Path,
    /// From the keyword to the last token (`fmt` keeps comments inside it with it).
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    Permit,
    Forbid,
}

impl Effect {
    pub fn keyword(self) -> &'static str {
        match self {
            Effect::Permit => "permit",
            Effect::Forbid => "forbid",
        }
    }
}

/// `*` or a list of names.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Targets {
    All(Span),
    Some(Vec<Name>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rule {
    /// From `@id("...")`, else `None` (the compiler names it `file:line`).
    pub id: Option<Name>,
    pub effect: Effect,
    pub actions: Targets,
    pub types: Targets,
    pub condition: Option<Expr>,
    pub because: Option<Name>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Root {
    User,
    Org,
    Session,
    Resource,
    Context,
    Claims,
}

impl Root {
    pub const ALL: [(&'static str, Root); 6] = [
        ("user", Root::User),
        ("org", Root::Org),
        ("session", Root::Session),
        ("resource", Root::Resource),
        ("context", Root::Context),
        ("claims", Root::Claims),
    ];

    pub fn keyword(self) -> &'static str {
        match self {
            Root::User => "user",
            Root::Org => "org",
            Root::Session => "session",
            Root::Resource => "resource",
            Root::Context => "context",
            Root::Claims => "claims",
        }
    }
}

/// `root.seg.seg`, e.g. `org.metadata.isLicensed`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Path {
    pub root: Root,
    pub segments: Vec<Name>,
    pub span: Span,
}

impl Path {
    pub fn display(&self) -> String {
        let mut s = self.root.keyword().to_string();
        for seg in &self.segments {
            if is_plain_key(&seg.text) {
                s.push('.');
                s.push_str(&seg.text);
            } else {
                s.push_str(&format!("[{}]", super::format::quote(&seg.text)));
            }
        }
        s
    }
}

pub(crate) fn is_plain_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    StartsWith,
    EndsWith,
    Contains,
    ContainsAll,
    ContainsAny,
}

impl Method {
    pub const ALL: [(&'static str, Method); 5] = [
        ("starts_with", Method::StartsWith),
        ("ends_with", Method::EndsWith),
        ("contains", Method::Contains),
        ("contains_all", Method::ContainsAll),
        ("contains_any", Method::ContainsAny),
    ];

    pub fn name(self) -> &'static str {
        Method::ALL.iter().find(|(_, m)| *m == self).map(|(n, _)| *n).unwrap_or("?")
    }
}

/// Which factor `verified_within` looks at (Clerk's reverification levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Factor {
    First,
    Second,
    Multi,
}

impl Factor {
    pub const ALL: [(&'static str, Factor); 3] =
        [("first_factor", Factor::First), ("second_factor", Factor::Second), ("multi_factor", Factor::Multi)];

    pub fn name(self) -> &'static str {
        Factor::ALL.iter().find(|(_, f)| *f == self).map(|(n, _)| *n).unwrap_or("?")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Str(String),
    Int(i64),
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ExprKind {
    Lit(Literal),
    List(Vec<Expr>),
    Path(Path),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    In(Box<Expr>, Box<Expr>),
    Call(Box<Expr>, Method, Vec<Expr>),
    /// `has(org:tasks:edit)`: a permission of the active organization.
    HasPermission(Name),
    /// `has_role(org:admin)`.
    HasRole(Name),
    /// `has_plan("pro")`, `has_plan("org:pro")`.
    HasPlan(Name),
    /// `has_feature("projects")`.
    HasFeature(Name),
    /// `licensed`: the declared license claim is `true`.
    Licensed,
    /// `verified_within(10)` minutes, optionally naming the factor.
    VerifiedWithin(i64, Factor),
    /// `scopes(expr)`: a list or a space-separated string of OAuth scopes.
    Scopes(Box<Expr>),
    /// `present(path)`: the attribute exists and is not null.
    Present(Path),
}

impl Ast {
    /// Whether the policy reads the session's raw claims: a `claims` path in a rule or in
    /// the license declaration. When it does not, deciding from claims text need not keep
    /// the text for [`Session::claims`](crate::Session::claims).
    pub fn reads_claims(&self) -> bool {
        self.license.as_ref().is_some_and(|l| l.path.root == Root::Claims)
            || self.rules.iter().filter_map(|r| r.condition.as_ref()).any(Expr::reads_claims)
    }
}

impl Expr {
    fn reads_claims(&self) -> bool {
        match &self.kind {
            ExprKind::Path(p) | ExprKind::Present(p) => p.root == Root::Claims,
            ExprKind::List(items) => items.iter().any(Expr::reads_claims),
            ExprKind::Not(e) | ExprKind::Scopes(e) => e.reads_claims(),
            ExprKind::And(a, b) | ExprKind::Or(a, b) | ExprKind::Cmp(_, a, b) | ExprKind::In(a, b) => {
                a.reads_claims() || b.reads_claims()
            }
            ExprKind::Call(e, _, args) => e.reads_claims() || args.iter().any(Expr::reads_claims),
            ExprKind::Lit(_)
            | ExprKind::HasPermission(_)
            | ExprKind::HasRole(_)
            | ExprKind::HasPlan(_)
            | ExprKind::HasFeature(_)
            | ExprKind::Licensed
            | ExprKind::VerifiedWithin(..) => false,
        }
    }
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use crate::Policy;

    fn reads_claims(text: &str) -> bool {
        match Policy::parse(text) {
            Ok(p) => p.ast.reads_claims(),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn reads_claims_finds_every_claims_path() {
        let head = "resource doc { tags: [string] }\naction read on doc\n";
        let when = |condition: &str| reads_claims(&format!("{head}permit read on doc when {condition}"));
        assert!(!when(r#"user and resource.tags.contains_any(["a"])"#));
        assert!(when(r#""a" in claims.roles"#));
        assert!(when(r#"not (user or claims.a == "b")"#));
        assert!(when("resource.tags.contains_any([claims.x])"));
        assert!(when(r#"scopes(claims.scope).contains_any(["a"])"#));
        assert!(when("present(claims.banned)"));
        assert!(reads_claims(&format!("license claims.seat\n{head}permit read on doc when licensed")));
        assert!(!reads_claims(&format!("license org.metadata.seat\n{head}permit read on doc when licensed")));
    }
}
