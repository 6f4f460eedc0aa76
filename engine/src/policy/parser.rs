//! Recursive-descent parser with precedence climbing for conditions.
//!
//! Function names follow the grammar in `docs/language.md`. After an error the parser skips
//! to the next item keyword and goes on, so one run reports every broken declaration.

use super::ast::*;
use super::diagnostic::{did_you_mean, Diagnostic, Span};
use super::lexer::{Token, TokenKind};

const ITEM_KEYWORDS: [&str; 7] = ["permission", "role", "resource", "action", "license", "permit", "forbid"];
/// Words that cannot name a resource type, an attribute in a declaration or an action
/// (both rule keywords are here, so that `forbid` is no more a valid name than `permit`).
const RESERVED: [&str; 11] = ["and", "or", "not", "in", "when", "because", "on", "true", "false", "permit", "forbid"];

pub(crate) struct Parser<'t> {
    tokens: &'t [Token],
    pos: usize,
    depth: usize,
    max_depth: usize,
    max_list_len: usize,
    max_height: usize,
}

type PResult<T> = Result<T, Diagnostic>;

/// The depth of an expression tree (a leaf is 1). The parser checks every tree it builds
/// against [`Limits::max_condition_depth`](crate::Limits), so this recursion is bounded.
pub(crate) fn expr_height(e: &Expr) -> usize {
    1 + match &e.kind {
        ExprKind::Not(a) | ExprKind::Scopes(a) => expr_height(a),
        ExprKind::And(a, b) | ExprKind::Or(a, b) | ExprKind::Cmp(_, a, b) | ExprKind::In(a, b) => {
            expr_height(a).max(expr_height(b))
        }
        ExprKind::Call(recv, _, args) => args.iter().map(expr_height).fold(expr_height(recv), usize::max),
        ExprKind::List(items) => items.iter().map(expr_height).max().unwrap_or(0),
        _ => 0,
    }
}

impl<'t> Parser<'t> {
    pub fn new(tokens: &'t [Token], max_depth: usize, max_list_len: usize) -> Parser<'t> {
        Parser {
            tokens,
            pos: 0,
            depth: 0,
            max_depth,
            max_list_len,
            max_height: crate::Limits::default().max_condition_depth,
        }
    }

    /// Sets the bound on the depth of a condition's tree (see `Limits::max_condition_depth`).
    pub fn with_max_height(mut self, max_height: usize) -> Parser<'t> {
        self.max_height = max_height;
        self
    }

    /// policy := item*
    pub fn policy(&mut self) -> Result<Ast, Vec<Diagnostic>> {
        let mut ast = Ast::default();
        let mut errors = Vec::new();
        while !self.at_eof() {
            // An error inside a condition leaves `depth` where it was; each item starts afresh.
            self.depth = 0;
            let start = self.pos;
            if let Err(e) = self.item(&mut ast) {
                errors.push(e);
                if errors.len() >= 20 {
                    break;
                }
                self.recover(start);
            }
        }
        if errors.is_empty() {
            Ok(ast)
        } else {
            Err(errors)
        }
    }

    /// Skips to the start of the next item after an error in the item that began at token
    /// `start`. An error found at the next item's first token (`a ==` before `permit`) stops
    /// there, so that the next item is parsed, not skipped. Only a real item start counts:
    /// a keyword inside a condition (`resource.owner_id`, `org.role`) would report a second,
    /// bogus error on a valid line.
    fn recover(&mut self, start: usize) {
        if self.pos > start && self.item_starts_at(self.pos) {
            return;
        }
        self.bump();
        while !self.at_eof() && !self.item_starts_at(self.pos) {
            self.bump();
        }
    }

    /// Whether token `at` starts a declaration or a rule: `@`, or a declaration keyword
    /// that is not an attribute or a name segment (`resource.permit`, `has_role(org:role)`)
    /// and is followed by what that item starts with. `resource` also roots paths, so it
    /// counts only before a type name (`resource task {`).
    #[cfg(not(target_arch = "wasm32"))]
    fn item_starts_at(&self, at: usize) -> bool {
        let kind = |i: usize| self.tokens.get(i).map(|t| &t.kind);
        let keyword = match kind(at) {
            Some(TokenKind::At) => return true,
            Some(TokenKind::Word(w)) if ITEM_KEYWORDS.contains(&w.as_str()) => w.as_str(),
            _ => return false,
        };
        let before = at.checked_sub(1).and_then(kind);
        if matches!(before, Some(TokenKind::Dot | TokenKind::Colon)) {
            return false;
        }
        match (keyword, kind(at + 1)) {
            ("resource", Some(TokenKind::Word(name))) => !RESERVED.contains(&name.as_str()),
            ("resource", _) => false,
            ("permit" | "forbid", Some(TokenKind::Star)) => true,
            (_, next) => matches!(next, Some(TokenKind::Word(_))),
        }
    }

    /// [`Parser::item_starts_at`] in the size-bound WebAssembly build, where only error
    /// recovery asks it: any declaration keyword or `@`. A broken condition that names
    /// `resource.` may then report a second error there; the first is the same.
    #[cfg(target_arch = "wasm32")]
    fn item_starts_at(&self, at: usize) -> bool {
        match self.tokens.get(at).map(|t| &t.kind) {
            Some(TokenKind::At) => true,
            Some(TokenKind::Word(w)) => ITEM_KEYWORDS.contains(&w.as_str()),
            _ => false,
        }
    }

    /// What the item starting at the current token is: ("a new rule", "the next rule").
    fn next_item_words(&self) -> (&'static str, &'static str) {
        match &self.peek().kind {
            TokenKind::Word(w) if w == "permit" || w == "forbid" => ("a new rule", "the next rule"),
            TokenKind::At => ("an annotated rule", "the next rule"),
            _ => ("a new declaration", "the next declaration"),
        }
    }

    /// The error for a value or condition missing before the next item, e.g. `a ==` at the
    /// end of a line followed by `permit ...`: the expression parser stops at a keyword that
    /// can never start a value (rather than calling it an unknown name), and the error points
    /// right after the dangling token, where the value is missing.
    #[cfg(not(target_arch = "wasm32"))]
    fn missing_before_next_item(&self, what: &str) -> Diagnostic {
        let tok = self.peek();
        let prev = self.pos.checked_sub(1).and_then(|i| self.tokens.get(i));
        let at = prev.map_or(tok.span.start, |t| t.span.end);
        let (starts, next) = self.next_item_words();
        let (after, help) = match prev {
            Some(p) => (
                format!(" after {}", p.kind.describe()),
                format!("finish the condition before {next}, or remove the dangling {}", p.kind.describe()),
            ),
            None => (String::new(), format!("finish the condition before {next}")),
        };
        Diagnostic::new(
            "syntax",
            Span::new(at, at),
            format!("expected {what}{after}, found {}, which starts {starts}", tok.kind.describe()),
        )
        .with_related(tok.span, format!("{next} starts here"))
        .with_help(help)
    }

    /// The same error, in fewer words: the size-bound WebAssembly build reports where and
    /// what, without the next item's description (the CLI and the Python wheel say it all).
    #[cfg(target_arch = "wasm32")]
    fn missing_before_next_item(&self, what: &str) -> Diagnostic {
        let tok = self.peek();
        let at = self.pos.checked_sub(1).and_then(|i| self.tokens.get(i)).map_or(tok.span.start, |t| t.span.end);
        Diagnostic::new("syntax", Span::new(at, at), format!("expected {what}, found {}", tok.kind.describe()))
    }

    /// Expects the `close` bracket that matches `open`; when the next item starts first,
    /// the error points where the bracket is missing and at the unclosed one, not at the
    /// next item's keyword.
    fn expect_close(&mut self, close: TokenKind, open: &Token, help: &str) -> PResult<Span> {
        // (The WebAssembly build, size-bound, says only what `expect` says.)
        if cfg!(not(target_arch = "wasm32")) && self.peek().kind != close && self.item_starts_at(self.pos) {
            let at = self.prev_span().end;
            let (_, next) = self.next_item_words();
            let (close, opener) = (close.symbol(), open.kind.symbol());
            return Err(Diagnostic::new(
                "syntax",
                Span::new(at, at),
                format!("expected `{close}` before {next}, found {}", self.peek().kind.describe()),
            )
            .with_related(open.span, format!("this `{opener}` is not closed"))
            .with_help(format!("close the `{opener}` with `{close}` before {next}")));
        }
        self.expect(close, help)
    }

    // ---------------------------------------------------------------- token helpers

    fn peek(&self) -> &Token {
        self.tokens.get(self.pos).or_else(|| self.tokens.last()).unwrap_or(&EOF)
    }

    fn peek_at(&self, n: usize) -> &TokenKind {
        self.tokens.get(self.pos + n).map(|t| &t.kind).unwrap_or(&TokenKind::Eof)
    }

    fn at_eof(&self) -> bool {
        self.peek().kind == TokenKind::Eof
    }

    fn bump(&mut self) -> Token {
        let tok = self.peek().clone();
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        tok
    }

    fn prev_span(&self) -> Span {
        self.pos.checked_sub(1).and_then(|i| self.tokens.get(i)).map(|t| t.span).unwrap_or_default()
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(&self.peek().kind, TokenKind::Word(w) if w == word)
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if self.is_word(word) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn eat(&mut self, kind: &TokenKind) -> bool {
        if &self.peek().kind == kind {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expected(&self, what: &str) -> Diagnostic {
        let tok = self.peek();
        Diagnostic::new("syntax", tok.span, format!("expected {what}, found {}", tok.kind.describe()))
    }

    fn expect(&mut self, kind: TokenKind, help: &str) -> PResult<Span> {
        if self.peek().kind == kind {
            Ok(self.bump().span)
        } else {
            Err(self.expected(&format!("`{}`", kind.symbol())).with_help(help))
        }
    }

    fn expect_word(&mut self, word: &str, help: &str) -> PResult<Span> {
        if self.is_word(word) {
            Ok(self.bump().span)
        } else {
            Err(self.expected(&format!("`{word}`")).with_help(help))
        }
    }

    /// ident := word (not a reserved word)
    fn ident(&mut self, what: &str) -> PResult<Name> {
        match &self.peek().kind {
            TokenKind::Word(w) if !RESERVED.contains(&w.as_str()) => {
                let text = w.clone();
                Ok(Name { text, span: self.bump().span })
            }
            TokenKind::Word(w) => {
                let help = format!("`{w}` is a keyword; choose another name");
                Err(self.expected(what).with_help(help))
            }
            TokenKind::Str(_) => Err(self.expected(what).with_help("write names without quotes")),
            _ => Err(self.expected(what).with_help("names use ASCII letters, digits and `_`, e.g. `owner_id`")),
        }
    }

    /// qname := word (':' word)*   — permission and role names such as `org:tasks:edit`; also
    /// grant := qname (':' '*')?, a role's grant such as `org:tasks:*`. A `*` segment is read
    /// anywhere; callers reject it where it is not allowed, each with its own hint.
    fn qualified_name(&mut self, what: &str) -> PResult<Name> {
        let mut text = match &self.peek().kind {
            TokenKind::Word(w) => w.clone(),
            TokenKind::Str(_) => {
                return Err(self.expected(what).with_help("write permission and role names without quotes"));
            }
            _ => {
                return Err(self.expected(what).with_help("permission and role names look like `org:tasks:view`"));
            }
        };
        let mut span = self.bump().span;
        while self.peek().kind == TokenKind::Colon && self.peek().span.start == span.end {
            self.bump();
            let next = self.peek().clone();
            match &next.kind {
                TokenKind::Word(w) if next.span.start == span.end + 1 => {
                    text.push(':');
                    text.push_str(w);
                }
                TokenKind::Star if next.span.start == span.end + 1 => text.push_str(":*"),
                _ => {
                    return Err(self
                        .expected("a name segment after `:`")
                        .with_help("write qualified names without spaces, e.g. `org:tasks:edit`"))
                }
            }
            self.bump();
            span = span.to(next.span);
        }
        Ok(Name { text, span })
    }

    /// string := '"' chars '"'
    fn string(&mut self, what: &str) -> PResult<Name> {
        match &self.peek().kind {
            TokenKind::Str(s) => {
                let text = s.clone();
                Ok(Name { text, span: self.bump().span })
            }
            TokenKind::Word(w) => {
                let help = format!("put it in double quotes: `\"{w}\"`");
                Err(self.expected(what).with_help(help))
            }
            _ => Err(self.expected(what).with_help("text is written in double quotes, e.g. `\"license_required\"`")),
        }
    }

    // ---------------------------------------------------------------- items

    /// item := permission_decl | role_decl | resource_decl | action_decl | license_decl | rule
    fn item(&mut self, ast: &mut Ast) -> PResult<()> {
        let tok = self.peek().clone();
        match &tok.kind {
            TokenKind::Word(w) => match w.as_str() {
                "permission" => {
                    let decl = self.permission_decl()?;
                    ast.permissions.push(decl);
                }
                "role" => {
                    let decl = self.role_decl()?;
                    ast.roles.push(decl);
                }
                "resource" => {
                    let decl = self.resource_decl()?;
                    ast.resources.push(decl);
                }
                "action" => {
                    let decl = self.action_decl()?;
                    ast.actions.push(decl);
                }
                "license" => {
                    let start = self.bump().span;
                    let path = self.path_only("a claim path such as `org.metadata.isLicensed`")?;
                    if let Some(prev) = &ast.license {
                        return Err(Diagnostic::new(
                            "duplicate",
                            start.to(path.span),
                            "the license claim is declared twice",
                        )
                        .with_related(prev.path.span, "first declared here")
                        .with_help("keep one `license` declaration"));
                    }
                    self.eat(&TokenKind::Semi);
                    ast.license = Some(LicenseDecl { span: start.to(self.prev_span()), path });
                }
                "permit" | "forbid" => {
                    let rule = self.rule(None)?;
                    ast.rules.push(rule);
                }
                other => {
                    let mut d = Diagnostic::new(
                        "syntax",
                        tok.span,
                        format!("expected a declaration or a rule, found `{other}`"),
                    );
                    d = match did_you_mean(other, ITEM_KEYWORDS) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None => d.with_help(
                            "items start with `permission`, `role`, `resource`, `action`, `license`, `permit` or `forbid`",
                        ),
                    };
                    return Err(d);
                }
            },
            TokenKind::At => {
                let id = self.annotation()?;
                if !(self.is_word("permit") || self.is_word("forbid")) {
                    return Err(self
                        .expected("`permit` or `forbid` after the annotation")
                        .with_help("an annotation such as `@id(\"org_view\")` goes right before its rule"));
                }
                let rule = self.rule(Some(id))?;
                ast.rules.push(rule);
            }
            _ => {
                return Err(self.expected("a declaration or a rule").with_help(
                    "items start with `permission`, `role`, `resource`, `action`, `license`, `permit` or `forbid`",
                ))
            }
        }
        Ok(())
    }

    /// permission_decl := 'permission' qname string?
    fn permission_decl(&mut self) -> PResult<PermissionDecl> {
        let start = self.bump().span;
        let name = self.qualified_name("a permission name such as `org:tasks:edit`")?;
        if name.text.contains('*') {
            return Err(Diagnostic::new("syntax", name.span, "a declared permission cannot contain `*`")
                .with_help("wildcards belong in role grants, e.g. `role org:admin = [org:tasks:*]`"));
        }
        let description = match &self.peek().kind {
            TokenKind::Str(_) => Some(self.string("a description")?.text),
            _ => None,
        };
        self.eat(&TokenKind::Semi);
        Ok(PermissionDecl { name, description, span: start.to(self.prev_span()) })
    }

    /// role_decl := 'role' qname '=' '[' (grant (',' grant)* ','?)? ']'
    fn role_decl(&mut self) -> PResult<RoleDecl> {
        let start = self.bump().span;
        let name = self.qualified_name("a role name such as `org:member`")?;
        if name.text.contains('*') {
            return Err(Diagnostic::new("syntax", name.span, "a role name cannot contain `*`")
                .with_help("wildcards belong in the granted permissions, e.g. `role org:admin = [org:tasks:*]`"));
        }
        self.expect(TokenKind::Assign, "a role is a list of permissions: `role org:viewer = [org:tasks:view]`")?;
        self.expect(TokenKind::LBracket, "a role is a list of permissions: `role org:viewer = [org:tasks:view]`")?;
        let mut grants = Vec::new();
        while self.peek().kind != TokenKind::RBracket {
            grants.push(self.qualified_name("a permission name or a wildcard such as `org:tasks:*`")?);
            if grants.len() > self.max_list_len {
                return Err(Diagnostic::new(
                    "limit",
                    name.span,
                    "the role grants more permissions than the list limit",
                )
                .with_help("raise `Limits::max_list_len` if this is intended"));
            }
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        self.expect(TokenKind::RBracket, "close the permission list with `]`")?;
        self.eat(&TokenKind::Semi);
        Ok(RoleDecl { name, grants, span: start.to(self.prev_span()) })
    }

    /// resource_decl := 'resource' ident '{' (attr_decl (',' attr_decl)* ','?)? '}'
    fn resource_decl(&mut self) -> PResult<ResourceDecl> {
        let start = self.bump().span;
        let name = self.ident("a resource type name such as `task`")?;
        self.expect(TokenKind::LBrace, "declare attributes in braces: `resource task { owner_id: string }`")?;
        let mut attrs = Vec::new();
        while self.peek().kind != TokenKind::RBrace {
            attrs.push(self.attr_decl()?);
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        self.expect(TokenKind::RBrace, "separate attributes with `,` and close the block with `}`")?;
        self.eat(&TokenKind::Semi);
        Ok(ResourceDecl { name, attrs, span: start.to(self.prev_span()) })
    }

    /// attr_decl := ident '?'? ':' type ;  type := 'string' | 'int' | 'bool' | '[' 'string' ']'
    fn attr_decl(&mut self) -> PResult<AttrDecl> {
        let name = self.ident("an attribute name")?;
        let optional = self.eat(&TokenKind::Question);
        self.expect(TokenKind::Colon, "give each attribute a type: `owner_id: string`")?;
        let ty_help = "the types are `string`, `int`, `bool` and `[string]`";
        let ty = if self.eat(&TokenKind::LBracket) {
            self.expect_word("string", ty_help)?;
            self.expect(TokenKind::RBracket, ty_help)?;
            AttrType::StringList
        } else {
            let tok = self.peek().clone();
            let ty = match &tok.kind {
                TokenKind::Word(w) if w == "string" => AttrType::String,
                TokenKind::Word(w) if w == "int" => AttrType::Int,
                TokenKind::Word(w) if w == "bool" => AttrType::Bool,
                TokenKind::Word(w) => {
                    let mut d = Diagnostic::new("syntax", tok.span, format!("unknown type `{w}`"));
                    d = match did_you_mean(w, ["string", "int", "bool"]) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None => d.with_help(ty_help),
                    };
                    return Err(d);
                }
                _ => return Err(self.expected("a type").with_help(ty_help)),
            };
            self.bump();
            ty
        };
        Ok(AttrDecl { name, ty, optional })
    }

    /// action_decl := 'action' ident (',' ident)* 'on' ident (',' ident)*
    fn action_decl(&mut self) -> PResult<ActionDecl> {
        let start = self.bump().span;
        let mut actions = vec![self.ident("an action name such as `view`")?];
        while self.eat(&TokenKind::Comma) {
            actions.push(self.ident("an action name")?);
        }
        self.expect_word("on", "name the resource types: `action view, edit on task`")?;
        let mut types = vec![self.ident("a resource type name")?];
        while self.eat(&TokenKind::Comma) {
            types.push(self.ident("a resource type name")?);
        }
        self.eat(&TokenKind::Semi);
        Ok(ActionDecl { actions, types, span: start.to(self.prev_span()) })
    }

    /// annotation := '@' 'id' '(' string ')'
    fn annotation(&mut self) -> PResult<Name> {
        self.bump();
        let key = self.ident("`id`")?;
        if key.text != "id" {
            return Err(Diagnostic::new("syntax", key.span, format!("unknown annotation `@{}`", key.text))
                .with_help("name a rule with `@id(\"my_rule\")`"));
        }
        self.expect(TokenKind::LParen, "write `@id(\"my_rule\")`")?;
        let id = self.string("a rule id in double quotes")?;
        self.expect(TokenKind::RParen, "write `@id(\"my_rule\")`")?;
        if id.text.is_empty() {
            return Err(
                Diagnostic::new("syntax", id.span, "a rule id cannot be empty").with_help("write `@id(\"my_rule\")`")
            );
        }
        Ok(id)
    }

    /// rule := ('permit' | 'forbid') targets 'on' targets ('when' expr)? ('because' string)? ';'?
    fn rule(&mut self, id: Option<Name>) -> PResult<Rule> {
        let start = id.as_ref().map(|n| n.span).unwrap_or(self.peek().span);
        let effect = if self.eat_word("permit") {
            Effect::Permit
        } else {
            self.bump();
            Effect::Forbid
        };
        let actions = self.targets("an action name or `*`")?;
        self.expect_word("on", "name the resource types: `permit view on task`")?;
        let types = self.targets("a resource type name or `*`")?;
        let condition = if self.eat_word("when") { Some(self.expr()?) } else { None };
        if let Some(c) = &condition {
            self.check_height(expr_height(c), c.span)?;
        }
        let because = if self.eat_word("because") {
            let code = self.string("a reason code in double quotes, e.g. \"license_required\"")?;
            if code.text.is_empty() || !code.text.chars().all(|c| c.is_ascii_alphanumeric() || "_-.:".contains(c)) {
                return Err(Diagnostic::new("syntax", code.span, "a reason code must be a non-empty machine code")
                    .with_help("use letters, digits, `_`, `-`, `.` or `:`, e.g. \"license_required\""));
            }
            Some(code)
        } else {
            None
        };
        if effect == Effect::Permit {
            if let Some(code) = &because {
                return Err(Diagnostic::new("syntax", code.span, "only `forbid` rules take a `because` code")
                    .with_help("remove `because`, or turn the rule into a `forbid`"));
            }
        }
        self.eat(&TokenKind::Semi);
        // A rule ends where the next item starts (`permit`, `forbid`, `@`, a declaration).
        let next_item = matches!(&self.peek().kind, TokenKind::Word(w) if ITEM_KEYWORDS.contains(&w.as_str()));
        if !self.at_eof() && self.peek().kind != TokenKind::At && !next_item {
            let help = if condition.is_some() {
                "join conditions with `and` / `or`, or start a new rule"
            } else {
                "add `when <condition>`, `because \"code\"`, or start a new rule"
            };
            return Err(self.expected("the end of the rule").with_help(help));
        }
        Ok(Rule { id, effect, actions, types, condition, because, span: start.to(self.prev_span()) })
    }

    fn targets(&mut self, what: &str) -> PResult<Targets> {
        if self.peek().kind == TokenKind::Star {
            return Ok(Targets::All(self.bump().span));
        }
        let mut names = vec![self.ident(what)?];
        while self.eat(&TokenKind::Comma) {
            names.push(self.ident(what)?);
        }
        Ok(Targets::Some(names))
    }

    // ---------------------------------------------------------------- expressions

    fn enter(&mut self, span: Span) -> PResult<()> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(Diagnostic::new(
                "limit",
                span,
                format!("the condition nests deeper than the limit of {}", self.max_depth),
            )
            .with_help("split the rule into several rules, or raise `Limits::max_nesting`"));
        }
        Ok(())
    }

    /// Rejects a tree deeper than the limit. Chains (`a and b and ...`, `x.f(a).g(b)...`) do
    /// not recurse in the parser but build a tree as deep as they are long, which every later
    /// pass (validation, compilation, evaluation, explanation, drop) walks recursively.
    fn check_height(&self, height: usize, span: Span) -> PResult<()> {
        if height > self.max_height {
            return Err(Diagnostic::new(
                "limit",
                span,
                format!("the condition is more than {} levels deep", self.max_height),
            )
            .with_help(
                "split the rule into several rules, use `x in [...]` instead of long `or` chains, or raise `Limits::max_condition_depth`",
            ));
        }
        Ok(())
    }

    /// expr := or_expr
    pub fn expr(&mut self) -> PResult<Expr> {
        self.or_expr()
    }

    /// or_expr := and_expr ('or' and_expr)*
    fn or_expr(&mut self) -> PResult<Expr> {
        let mut left = self.and_expr()?;
        let mut height = None;
        while self.eat_word("or") {
            let right = self.and_expr()?;
            let span = left.span.to(right.span);
            let h = 1 + height.unwrap_or_else(|| expr_height(&left)).max(expr_height(&right));
            self.check_height(h, span)?;
            height = Some(h);
            left = Expr { kind: ExprKind::Or(Box::new(left), Box::new(right)), span };
        }
        Ok(left)
    }

    /// and_expr := not_expr ('and' not_expr)*
    fn and_expr(&mut self) -> PResult<Expr> {
        let mut left = self.not_expr()?;
        let mut height = None;
        while self.eat_word("and") {
            let right = self.not_expr()?;
            let span = left.span.to(right.span);
            let h = 1 + height.unwrap_or_else(|| expr_height(&left)).max(expr_height(&right));
            self.check_height(h, span)?;
            height = Some(h);
            left = Expr { kind: ExprKind::And(Box::new(left), Box::new(right)), span };
        }
        Ok(left)
    }

    /// not_expr := 'not' not_expr | comparison
    fn not_expr(&mut self) -> PResult<Expr> {
        if self.is_word("not") {
            let start = self.bump().span;
            self.enter(start)?;
            let inner = self.not_expr()?;
            self.depth -= 1;
            let span = start.to(inner.span);
            return Ok(Expr { kind: ExprKind::Not(Box::new(inner)), span });
        }
        self.comparison()
    }

    /// comparison := postfix (('==' | '!=' | '<' | '<=' | '>' | '>=' | 'in') postfix)?
    fn comparison(&mut self) -> PResult<Expr> {
        let left = self.postfix()?;
        let op = match &self.peek().kind {
            TokenKind::Eq => Some(CmpOp::Eq),
            TokenKind::Ne => Some(CmpOp::Ne),
            TokenKind::Lt => Some(CmpOp::Lt),
            TokenKind::Le => Some(CmpOp::Le),
            TokenKind::Gt => Some(CmpOp::Gt),
            TokenKind::Ge => Some(CmpOp::Ge),
            TokenKind::Assign => {
                return Err(self
                    .expected("an operator")
                    .with_help("compare with `==`; `=` is only used in role declarations"))
            }
            _ => None,
        };
        if let Some(op) = op {
            self.bump();
            let right = self.postfix()?;
            let span = left.span.to(right.span);
            return Ok(Expr { kind: ExprKind::Cmp(op, Box::new(left), Box::new(right)), span });
        }
        if self.eat_word("in") {
            let right = self.postfix()?;
            let span = left.span.to(right.span);
            return Ok(Expr { kind: ExprKind::In(Box::new(left), Box::new(right)), span });
        }
        Ok(left)
    }

    /// postfix := primary ('.' method '(' args ')')*
    fn postfix(&mut self) -> PResult<Expr> {
        let mut expr = self.primary()?;
        let mut height = None;
        while self.peek().kind == TokenKind::Dot {
            let dot = self.bump().span;
            let name = self.ident("a method name after `.`")?;
            let Some(method) = Method::ALL.iter().find(|(n, _)| *n == name.text).map(|(_, m)| *m) else {
                let mut d = Diagnostic::new("syntax", name.span, format!("unknown method `{}`", name.text));
                d = match did_you_mean(&name.text, Method::ALL.iter().map(|(n, _)| *n)) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(
                        "the methods are `starts_with`, `ends_with`, `contains`, `contains_all` and `contains_any`",
                    ),
                };
                return Err(d);
            };
            let open = self.peek().clone();
            self.expect(TokenKind::LParen, "call the method with one argument, e.g. `.ends_with(\"@example.com\")`")?;
            self.enter(dot)?;
            let arg = self.expr()?;
            self.depth -= 1;
            self.expect_close(TokenKind::RParen, &open, "methods take exactly one argument")?;
            let span = expr.span.to(self.prev_span());
            let h = 1 + height.unwrap_or_else(|| expr_height(&expr)).max(expr_height(&arg));
            self.check_height(h, span)?;
            height = Some(h);
            expr = Expr { kind: ExprKind::Call(Box::new(expr), method, vec![arg]), span };
        }
        Ok(expr)
    }

    /// primary := literal | list | '(' expr ')' | builtin | path
    fn primary(&mut self) -> PResult<Expr> {
        let tok = self.peek().clone();
        // A declaration keyword never starts a value: the condition ended early.
        // (Not in the size-bound WebAssembly build, where it is an unknown name.)
        let rule_keyword = matches!(&tok.kind, TokenKind::Word(w) if w == "permit" || w == "forbid");
        if cfg!(not(target_arch = "wasm32")) && (rule_keyword || self.item_starts_at(self.pos)) {
            let prev = self.pos.checked_sub(1).and_then(|i| self.tokens.get(i)).map(|t| &t.kind);
            let what = match prev {
                Some(
                    TokenKind::Eq
                    | TokenKind::Ne
                    | TokenKind::Lt
                    | TokenKind::Le
                    | TokenKind::Gt
                    | TokenKind::Ge
                    | TokenKind::Comma
                    | TokenKind::LBracket
                    | TokenKind::Minus,
                ) => "a value",
                Some(TokenKind::Word(w)) if w == "in" => "a value",
                _ => "a condition",
            };
            return Err(self.missing_before_next_item(what));
        }
        match &tok.kind {
            TokenKind::Str(s) => {
                self.bump();
                Ok(Expr { kind: ExprKind::Lit(Literal::Str(s.clone())), span: tok.span })
            }
            TokenKind::Int(i) => {
                self.bump();
                Ok(Expr { kind: ExprKind::Lit(Literal::Int(*i)), span: tok.span })
            }
            TokenKind::Minus => {
                self.bump();
                match self.peek().kind.clone() {
                    // `i64::MIN` arrives as one token (see the lexer); `-` before it
                    // would overflow.
                    TokenKind::Int(i) if i != i64::MIN => {
                        let span = tok.span.to(self.bump().span);
                        Ok(Expr { kind: ExprKind::Lit(Literal::Int(-i)), span })
                    }
                    _ => Err(self.expected("a number after `-`").with_help("write negative integers as `-1`")),
                }
            }
            TokenKind::LParen => {
                self.bump();
                self.enter(tok.span)?;
                let inner = self.expr()?;
                self.depth -= 1;
                self.expect_close(TokenKind::RParen, &tok, "close the parenthesis")?;
                Ok(Expr { kind: inner.kind, span: tok.span.to(self.prev_span()) })
            }
            TokenKind::LBracket => {
                self.bump();
                self.enter(tok.span)?;
                let mut items = Vec::new();
                // A list may end with `,`: at the next item, the `]` is what is missing. (Not
                // in the WebAssembly build, whose `item_starts_at` is looser: for recovery only.)
                while self.peek().kind != TokenKind::RBracket
                    && !(cfg!(not(target_arch = "wasm32")) && self.item_starts_at(self.pos))
                {
                    items.push(self.expr()?);
                    if items.len() > self.max_list_len {
                        return Err(Diagnostic::new(
                            "limit",
                            tok.span,
                            "the list literal is longer than the list limit",
                        )
                        .with_help("raise `Limits::max_list_len` if this is intended"));
                    }
                    if !self.eat(&TokenKind::Comma) {
                        break;
                    }
                }
                self.expect_close(
                    TokenKind::RBracket,
                    &tok,
                    "separate list items with `,` and close the list with `]`",
                )?;
                self.depth -= 1;
                Ok(Expr { kind: ExprKind::List(items), span: tok.span.to(self.prev_span()) })
            }
            TokenKind::Word(w) => self.word_primary(w.clone(), tok.span),
            _ => Err(self.expected("a condition").with_help(
                "conditions compare attributes, e.g. `resource.owner_id == user.id`, or call `has(permission)`",
            )),
        }
    }

    fn word_primary(&mut self, word: String, span: Span) -> PResult<Expr> {
        let lit = |kind| Ok(Expr { kind, span });
        match word.as_str() {
            "true" => {
                self.bump();
                lit(ExprKind::Lit(Literal::Bool(true)))
            }
            "false" => {
                self.bump();
                lit(ExprKind::Lit(Literal::Bool(false)))
            }
            "licensed" => {
                self.bump();
                lit(ExprKind::Licensed)
            }
            "has" | "has_role" => {
                self.bump();
                self.expect(TokenKind::LParen, "write `has(org:tasks:edit)` or `has_role(org:admin)`")?;
                let name = self.qualified_name("a permission or role name")?;
                self.expect(TokenKind::RParen, "these take exactly one name")?;
                let span = span.to(self.prev_span());
                let kind = if word == "has" { ExprKind::HasPermission(name) } else { ExprKind::HasRole(name) };
                Ok(Expr { kind, span })
            }
            "has_plan" | "has_feature" => {
                self.bump();
                self.expect(TokenKind::LParen, "write `has_plan(\"pro\")` or `has_feature(\"projects\")`")?;
                let name = match &self.peek().kind {
                    TokenKind::Str(_) => self.string("a name")?,
                    _ => self.qualified_name("a plan or feature name")?,
                };
                if name.text.contains('*') {
                    return Err(Diagnostic::new(
                        "syntax",
                        name.span,
                        format!("`{word}` takes one name, not a wildcard"),
                    )
                    .with_help("name the plan or feature, e.g. `has_plan(\"pro\")`"));
                }
                self.expect(TokenKind::RParen, "these take exactly one name")?;
                let span = span.to(self.prev_span());
                let kind = if word == "has_plan" { ExprKind::HasPlan(name) } else { ExprKind::HasFeature(name) };
                Ok(Expr { kind, span })
            }
            "verified_within" => {
                self.bump();
                let help = "write `verified_within(10)` or `verified_within(10, second_factor)` (minutes)";
                self.expect(TokenKind::LParen, help)?;
                let minutes = match self.peek().kind {
                    TokenKind::Int(i) if i >= 0 => {
                        self.bump();
                        i
                    }
                    _ => return Err(self.expected("a number of minutes").with_help(help)),
                };
                let factor = if self.eat(&TokenKind::Comma) {
                    let f = self.ident("`first_factor`, `second_factor` or `multi_factor`")?;
                    Factor::ALL.iter().find(|(n, _)| *n == f.text).map(|(_, f)| *f).ok_or_else(|| {
                        Diagnostic::new("syntax", f.span, format!("unknown factor `{}`", f.text))
                            .with_help("the factors are `first_factor`, `second_factor` and `multi_factor`")
                    })?
                } else {
                    Factor::First
                };
                self.expect(TokenKind::RParen, help)?;
                Ok(Expr { kind: ExprKind::VerifiedWithin(minutes, factor), span: span.to(self.prev_span()) })
            }
            "scopes" => {
                self.bump();
                let open = self.peek().clone();
                self.expect(TokenKind::LParen, "write `scopes(context.approved_scopes)`")?;
                self.enter(span)?;
                let inner = self.expr()?;
                self.depth -= 1;
                self.expect_close(TokenKind::RParen, &open, "`scopes` takes one argument")?;
                Ok(Expr { kind: ExprKind::Scopes(Box::new(inner)), span: span.to(self.prev_span()) })
            }
            "present" => {
                self.bump();
                self.expect(TokenKind::LParen, "write `present(resource.due_date)`")?;
                let path = self.path_only("an attribute path")?;
                self.expect(TokenKind::RParen, "`present` takes one attribute path")?;
                Ok(Expr { kind: ExprKind::Present(path), span: span.to(self.prev_span()) })
            }
            _ => {
                let path = self.path_only("a condition")?;
                let span = path.span;
                Ok(Expr { kind: ExprKind::Path(path), span })
            }
        }
    }

    /// path := root ('.' ident | '[' string ']')*
    fn path_only(&mut self, what: &str) -> PResult<Path> {
        let tok = self.peek().clone();
        let TokenKind::Word(word) = &tok.kind else {
            return Err(self.expected(what).with_help(
                "conditions compare attributes, e.g. `resource.owner_id == user.id`, or call `has(permission)`",
            ));
        };
        let Some(root) = Root::ALL.iter().find(|(n, _)| n == word).map(|(_, r)| *r) else {
            let mut d = Diagnostic::new("unknown-name", tok.span, format!("unknown name `{word}`"));
            let candidates = Root::ALL.iter().map(|(n, _)| *n).chain([
                "has",
                "has_role",
                "has_plan",
                "has_feature",
                "licensed",
                "scopes",
                "present",
                "verified_within",
                "true",
                "false",
            ]);
            d = match did_you_mean(word, candidates) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(
                    "conditions start from `user`, `org`, `session`, `resource`, `context` or `claims`; put text in double quotes",
                ),
            };
            return Err(d);
        };
        self.bump();
        let mut segments = Vec::new();
        let mut span = tok.span;
        loop {
            if self.peek().kind == TokenKind::Dot {
                // `x.starts_with(` is a method call, handled by `postfix`.
                if matches!(self.peek_at(2), TokenKind::LParen) {
                    break;
                }
                self.bump();
                let seg = self.attribute_name()?;
                span = span.to(seg.span);
                segments.push(seg);
            } else if self.peek().kind == TokenKind::LBracket {
                self.bump();
                let seg = self.string("a key in double quotes, e.g. `claims[\"https://example.com/role\"]`")?;
                self.expect(TokenKind::RBracket, "close the key with `]`")?;
                span = span.to(self.prev_span());
                segments.push(seg);
            } else {
                break;
            }
            if segments.len() > self.max_depth {
                return Err(Diagnostic::new("limit", span, "the attribute path is deeper than the nesting limit")
                    .with_help("raise `Limits::max_nesting` if this is intended"));
            }
        }
        Ok(Path { root, segments, span })
    }

    /// Attribute names may be any word, including ones that are keywords elsewhere.
    fn attribute_name(&mut self) -> PResult<Name> {
        match &self.peek().kind {
            TokenKind::Word(w) => {
                let text = w.clone();
                Ok(Name { text, span: self.bump().span })
            }
            _ => {
                Err(self.expected("an attribute name after `.`").with_help("write a path such as `resource.owner_id`"))
            }
        }
    }
}

static EOF: Token = Token { kind: TokenKind::Eof, span: Span { start: 0, end: 0 } };
