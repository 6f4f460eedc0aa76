//! Static checks against the declarations in the policy, before it is accepted.
//!
//! Unknown permissions, roles, resource types, actions and attributes, type mismatches,
//! duplicates and actions that no rule can allow are each an error with a span and a
//! one-line hint (with "did you mean" where a near name exists).

use super::ast::*;
use super::diagnostic::{did_you_mean, line_col, Diagnostic, Span};
use std::collections::HashMap;

/// Declarations resolved to indexes; what the compiler and the interpreters work from.
#[derive(Debug, Clone, Default)]
pub(crate) struct Schema {
    pub permissions: Vec<String>,
    pub permission_index: HashMap<String, u32>,
    pub permission_descriptions: Vec<Option<String>>,
    /// Role name -> granted permission indexes.
    pub roles: HashMap<String, Vec<u32>>,
    pub role_names: Vec<String>,
    pub types: Vec<TypeSchema>,
    pub type_index: HashMap<String, usize>,
    pub license: Option<Path>,
    /// One per rule, in file order.
    pub rules: Vec<RuleInfo>,
}

#[derive(Debug, Clone)]
pub(crate) struct TypeSchema {
    pub name: String,
    pub attrs: Vec<AttrDecl>,
    pub actions: Vec<String>,
}

impl TypeSchema {
    pub fn attr(&self, name: &str) -> Option<&AttrDecl> {
        self.attrs.iter().find(|a| a.name.text == name)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct RuleInfo {
    pub id: String,
    /// Every (type index, action) the rule applies to.
    pub applies: Vec<(usize, String)>,
}

/// The static type of an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Str,
    Int,
    Bool,
    StrList,
    IntList,
    /// Untyped JSON (context, claims, metadata): checked at decision time.
    Any,
    /// `user`, `org`, `session.actor`: usable only as a presence test.
    Object,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Str => "a string",
            Ty::Int => "an integer",
            Ty::Bool => "a boolean",
            Ty::StrList => "a list of strings",
            Ty::IntList => "a list of integers",
            Ty::Any => "a value",
            Ty::Object => "an object",
        }
    }

    fn element(self) -> Option<Ty> {
        match self {
            Ty::StrList => Some(Ty::Str),
            Ty::IntList => Some(Ty::Int),
            Ty::Any => Some(Ty::Any),
            _ => None,
        }
    }

    fn compatible(self, other: Ty) -> bool {
        self == other || self == Ty::Any || other == Ty::Any
    }
}

impl From<AttrType> for Ty {
    fn from(t: AttrType) -> Ty {
        match t {
            AttrType::String => Ty::Str,
            AttrType::Int => Ty::Int,
            AttrType::Bool => Ty::Bool,
            AttrType::StringList => Ty::StrList,
        }
    }
}

pub(crate) fn validate(ast: &Ast, source: &str, file: &str) -> (Schema, Vec<Diagnostic>) {
    let mut v = Validator { schema: Schema::default(), errors: Vec::new() };
    v.declarations(ast);
    v.rules(ast, source, file);
    v.reachability(ast);
    (v.schema, v.errors)
}

struct Validator {
    schema: Schema,
    errors: Vec<Diagnostic>,
}

/// What a rule's condition may refer to.
struct Scope<'a> {
    types: Vec<&'a TypeSchema>,
}

impl Validator {
    fn error(&mut self, d: Diagnostic) {
        self.errors.push(d);
    }

    fn declarations(&mut self, ast: &Ast) {
        let mut first_perm: HashMap<&str, Span> = HashMap::new();
        for p in &ast.permissions {
            if let Some(prev) = first_perm.get(p.name.text.as_str()) {
                self.error(duplicate("permission", &p.name, *prev));
                continue;
            }
            first_perm.insert(&p.name.text, p.name.span);
            let idx = self.schema.permissions.len() as u32;
            self.schema.permission_index.insert(p.name.text.clone(), idx);
            self.schema.permissions.push(p.name.text.clone());
            self.schema.permission_descriptions.push(p.description.clone());
        }
        let mut first_role: HashMap<&str, Span> = HashMap::new();
        for r in &ast.roles {
            if let Some(prev) = first_role.get(r.name.text.as_str()) {
                self.error(duplicate("role", &r.name, *prev));
                continue;
            }
            first_role.insert(&r.name.text, r.name.span);
            let mut grants = Vec::new();
            for g in &r.grants {
                if g.text.contains('*') {
                    // `*` only as the whole last segment: `org:*:view` is no wildcard, and
                    // no permission either (a declared permission cannot contain `*`).
                    let prefix = g.text.strip_suffix('*').unwrap_or(&g.text);
                    if g.text.matches('*').count() > 1 || !prefix.ends_with(':') {
                        self.error(
                            Diagnostic::new("syntax", g.span, format!("`{}` is not a valid wildcard", g.text))
                                .with_help("a wildcard is allowed only as the last segment, e.g. `org:tasks:*`"),
                        );
                        continue;
                    }
                    let matched: Vec<u32> = self
                        .schema
                        .permissions
                        .iter()
                        .enumerate()
                        .filter(|(_, p)| p.starts_with(prefix))
                        .map(|(i, _)| i as u32)
                        .collect();
                    if matched.is_empty() {
                        self.error(
                            Diagnostic::new(
                                "unknown-permission",
                                g.span,
                                format!("wildcard `{}` matches no declared permission", g.text),
                            )
                            .with_help("declare the permissions first with `permission org:tasks:view`"),
                        );
                    }
                    grants.extend(matched);
                } else if let Some(&idx) = self.schema.permission_index.get(&g.text) {
                    grants.push(idx);
                } else {
                    let d = self.unknown_permission(g);
                    self.error(d);
                }
            }
            grants.sort_unstable();
            grants.dedup();
            self.schema.roles.insert(r.name.text.clone(), grants);
            self.schema.role_names.push(r.name.text.clone());
        }
        for res in &ast.resources {
            if let Some(&prev) = self.schema.type_index.get(&res.name.text) {
                let prev_span = ast.resources.get(prev).map(|r| r.name.span).unwrap_or_default();
                self.error(duplicate("resource type", &res.name, prev_span));
                continue;
            }
            let mut attrs: Vec<AttrDecl> = Vec::new();
            for a in &res.attrs {
                if a.name.text == "type" || a.name.text == "id" {
                    self.error(
                        Diagnostic::new("reserved", a.name.span, format!("attribute `{}` is built in", a.name.text))
                            .with_help("every resource has `type` and an optional `id`; remove this declaration"),
                    );
                    continue;
                }
                if let Some(prev) = attrs.iter().find(|p| p.name.text == a.name.text) {
                    self.error(duplicate("attribute", &a.name, prev.name.span));
                    continue;
                }
                attrs.push(a.clone());
            }
            self.schema.type_index.insert(res.name.text.clone(), self.schema.types.len());
            self.schema.types.push(TypeSchema { name: res.name.text.clone(), attrs, actions: Vec::new() });
        }
        let mut first_action: HashMap<(usize, &str), Span> = HashMap::new();
        for decl in &ast.actions {
            for ty in &decl.types {
                let Some(&t) = self.schema.type_index.get(&ty.text) else {
                    let d = self.unknown_type(ty);
                    self.error(d);
                    continue;
                };
                for a in &decl.actions {
                    if let Some(prev) = first_action.get(&(t, a.text.as_str())) {
                        self.error(duplicate(&format!("action on `{}`", ty.text), a, *prev));
                        continue;
                    }
                    first_action.insert((t, &a.text), a.span);
                    if let Some(ts) = self.schema.types.get_mut(t) {
                        ts.actions.push(a.text.clone());
                    }
                }
            }
        }
        // A resource type without any `action ... on` declaration takes the actions its rules
        // name, in order of appearance (so short policies need no action declarations).
        let mut declared = vec![false; self.schema.types.len()];
        for (t, _) in first_action.keys() {
            if let Some(d) = declared.get_mut(*t) {
                *d = true;
            }
        }
        for rule in &ast.rules {
            let Targets::Some(actions) = &rule.actions else { continue };
            let types: Vec<usize> = match &rule.types {
                Targets::All(_) => (0..self.schema.types.len()).collect(),
                Targets::Some(names) => {
                    names.iter().filter_map(|n| self.schema.type_index.get(&n.text).copied()).collect()
                }
            };
            for t in types.into_iter().filter(|&t| declared.get(t) == Some(&false)) {
                if let Some(ts) = self.schema.types.get_mut(t) {
                    for a in actions {
                        if !ts.actions.contains(&a.text) {
                            ts.actions.push(a.text.clone());
                        }
                    }
                }
            }
        }
        if let Some(lic) = &ast.license {
            let ok = match lic.path.root {
                Root::Org => {
                    lic.path.segments.first().map(|s| s.text.as_str()) == Some("metadata")
                        && lic.path.segments.len() >= 2
                }
                Root::Claims => !lic.path.segments.is_empty(),
                _ => false,
            };
            if ok {
                self.schema.license = Some(lic.path.clone());
            } else {
                self.error(
                    Diagnostic::new(
                        "license",
                        lic.path.span,
                        format!("`{}` cannot hold a license flag", lic.path.display()),
                    )
                    .with_help("point at a boolean claim, e.g. `license org.metadata.isLicensed`"),
                );
            }
        }
    }

    fn unknown_permission(&self, name: &Name) -> Diagnostic {
        let d = Diagnostic::new("unknown-permission", name.span, format!("unknown permission `{}`", name.text));
        match did_you_mean(&name.text, self.schema.permissions.iter().map(String::as_str)) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help(format!("declare it: `permission {} \"what it allows\"`", name.text)),
        }
    }

    fn unknown_type(&self, name: &Name) -> Diagnostic {
        let d = Diagnostic::new("unknown-type", name.span, format!("unknown resource type `{}`", name.text));
        match did_you_mean(&name.text, self.schema.types.iter().map(|t| t.name.as_str())) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help(format!("declare it: `resource {} {{ owner_id: string }}`", name.text)),
        }
    }

    /// Each rule's id: its `@id`, else `file:line`. An explicit id must differ from every
    /// other rule's id: two rules with one id would be indistinguishable in decisions and
    /// explanations. It may not have the `file:line` form at all, which covers the ids of
    /// rules without `@id`, and the ids they would take after an edit above them or `fmt`.
    fn rule_ids(&mut self, ast: &Ast, source: &str, file: &str) -> Vec<String> {
        // Rules come in source order: count lines from the previous rule on, not from the top
        // (from the top, a 1 MiB policy of one-line rules took 48 s to validate).
        let mut cursor = (0usize, 1usize);
        let mut ids = Vec::with_capacity(ast.rules.len());
        let mut explicit: HashMap<&str, Span> = HashMap::new();
        for rule in &ast.rules {
            let start = rule.span.start;
            cursor = match source.get(cursor.0..start) {
                Some(between) => (start, cursor.1 + between.matches('\n').count()),
                None => (start, line_col(source, start).0),
            };
            let Some(name) = &rule.id else {
                ids.push(format!("{file}:{}", cursor.1));
                continue;
            };
            if let Some(prev) = explicit.get(name.text.as_str()) {
                self.error(duplicate("rule id", name, *prev).with_help("choose another id"));
            } else {
                if is_line_id(&name.text, file) {
                    self.error(
                        Diagnostic::new(
                            "duplicate",
                            name.span,
                            format!(
                                "rule id `{}` has the form `file:line` of the ids of rules without `@id`",
                                name.text
                            ),
                        )
                        .with_help("choose another id"),
                    );
                }
                explicit.insert(&name.text, name.span);
            }
            ids.push(name.text.clone());
        }
        ids
    }

    fn rules(&mut self, ast: &Ast, source: &str, file: &str) {
        let ids = self.rule_ids(ast, source, file);
        for (rule, id) in ast.rules.iter().zip(ids) {
            let types: Vec<usize> = match &rule.types {
                Targets::All(_) => (0..self.schema.types.len()).collect(),
                Targets::Some(names) => names
                    .iter()
                    .filter_map(|n| match self.schema.type_index.get(&n.text) {
                        Some(&t) => Some(t),
                        None => {
                            let d = self.unknown_type(n);
                            self.error(d);
                            None
                        }
                    })
                    .collect(),
            };
            let mut applies = Vec::new();
            match &rule.actions {
                Targets::All(_) => {
                    for &t in &types {
                        if let Some(ts) = self.schema.types.get(t) {
                            applies.extend(ts.actions.iter().map(|a| (t, a.clone())));
                        }
                    }
                }
                Targets::Some(actions) => {
                    for a in actions {
                        let on: Vec<usize> = types
                            .iter()
                            .copied()
                            .filter(|&t| self.schema.types.get(t).is_some_and(|ts| ts.actions.contains(&a.text)))
                            .collect();
                        let explicit_types = matches!(rule.types, Targets::Some(_));
                        if on.is_empty() || (explicit_types && on.len() < types.len()) {
                            let missing_on: Vec<&str> = types
                                .iter()
                                .filter(|t| !on.contains(t))
                                .filter_map(|&t| self.schema.types.get(t).map(|ts| ts.name.as_str()))
                                .collect();
                            if !missing_on.is_empty() || types.is_empty() {
                                let where_ = missing_on.join("`, `");
                                let known: Vec<&str> = types
                                    .iter()
                                    .filter_map(|&t| self.schema.types.get(t))
                                    .flat_map(|ts| ts.actions.iter().map(String::as_str))
                                    .collect();
                                let d = Diagnostic::new(
                                    "unknown-action",
                                    a.span,
                                    format!("unknown action `{}` on `{where_}`", a.text),
                                );
                                let d = match did_you_mean(&a.text, known) {
                                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                                    None => d.with_help(format!("declare it: `action {} on {where_}`", a.text)),
                                };
                                if !types.is_empty() {
                                    self.error(d);
                                }
                            }
                        }
                        applies.extend(on.into_iter().map(|t| (t, a.text.clone())));
                    }
                }
            }
            // Named types are checked even when an action is unknown, so one run reports both.
            let scope_types: Vec<usize> = match &rule.types {
                Targets::Some(_) => types.clone(),
                Targets::All(_) => {
                    let mut ts: Vec<usize> = applies.iter().map(|(t, _)| *t).collect();
                    ts.sort_unstable();
                    ts.dedup();
                    ts
                }
            };
            if let Some(cond) = &rule.condition {
                // The scope borrows a snapshot so that errors can be pushed while checking.
                let owned: Vec<TypeSchema> =
                    scope_types.iter().filter_map(|&t| self.schema.types.get(t).cloned()).collect();
                let scope = Scope { types: owned.iter().collect() };
                self.condition(cond, &scope);
            }
            self.schema.rules.push(RuleInfo { id, applies });
        }
    }

    fn reachability(&mut self, ast: &Ast) {
        // One pass over the rules, then one lookup per declared action.
        let permitted: std::collections::HashSet<(usize, &str)> = ast
            .rules
            .iter()
            .zip(&self.schema.rules)
            .filter(|(rule, _)| rule.effect == Effect::Permit)
            .flat_map(|(_, info)| info.applies.iter().map(|(t, a)| (*t, a.as_str())))
            .collect();
        let mut unreachable = Vec::new();
        for decl in &ast.actions {
            for ty in &decl.types {
                let Some(&t) = self.schema.type_index.get(&ty.text) else {
                    continue;
                };
                for a in &decl.actions {
                    if !permitted.contains(&(t, a.text.as_str())) {
                        unreachable.push(
                            Diagnostic::new(
                                "unreachable-action",
                                a.span,
                                format!("no rule can ever allow `{}` on `{}`", a.text, ty.text),
                            )
                            .with_help(format!(
                                "add `permit {} on {} when ...`, or remove the action",
                                a.text, ty.text
                            )),
                        );
                    }
                }
            }
        }
        for d in unreachable {
            self.error(d);
        }
    }

    /// Checks a condition in boolean position.
    fn condition(&mut self, e: &Expr, scope: &Scope) {
        let Some(ty) = self.expr(e, scope) else {
            return;
        };
        if !matches!(ty, Ty::Bool | Ty::Any | Ty::Object) {
            // The example must itself type-check: `== user.id` only fits a string.
            let hint = match (&e.kind, ty) {
                (ExprKind::Path(p), Ty::Str) => format!("compare it, e.g. `{} == user.id`", p.display()),
                (ExprKind::Path(p), Ty::Int) => format!("compare it, e.g. `{} > 0` or `{0} == 1`", p.display()),
                (ExprKind::Path(p), Ty::StrList) => {
                    format!("test its items, e.g. `{}.contains(\"x\")` or `user.id in {0}`", p.display())
                }
                _ => "use a comparison or a test such as `has(...)`".to_string(),
            };
            self.error(
                Diagnostic::new("type-mismatch", e.span, format!("this is {}, not a condition", ty.name()))
                    .with_help(hint),
            );
        }
    }

    fn expr(&mut self, e: &Expr, scope: &Scope) -> Option<Ty> {
        match &e.kind {
            ExprKind::Lit(Literal::Str(_)) => Some(Ty::Str),
            ExprKind::Lit(Literal::Int(_)) => Some(Ty::Int),
            ExprKind::Lit(Literal::Bool(_)) => Some(Ty::Bool),
            ExprKind::List(items) => {
                let mut elem: Option<Ty> = None;
                for item in items {
                    let t = self.expr(item, scope)?;
                    match (elem, t) {
                        (None, t) | (Some(Ty::Any), t) => elem = Some(t),
                        (Some(prev), t) if prev.compatible(t) => {}
                        (Some(prev), t) => {
                            self.error(
                                Diagnostic::new(
                                    "type-mismatch",
                                    item.span,
                                    format!("list items mix {} and {}", prev.name(), t.name()),
                                )
                                .with_help("keep every item of a list the same type"),
                            );
                            return None;
                        }
                    }
                }
                match elem {
                    None | Some(Ty::Str) => Some(Ty::StrList),
                    Some(Ty::Int) => Some(Ty::IntList),
                    Some(Ty::Any) => Some(Ty::Any),
                    Some(other) => {
                        self.error(
                            Diagnostic::new(
                                "type-mismatch",
                                e.span,
                                format!("lists hold strings or integers, not {}", other.name()),
                            )
                            .with_help("use a list of strings or of integers"),
                        );
                        None
                    }
                }
            }
            ExprKind::Path(p) => self.path(p, scope),
            ExprKind::Not(inner) => {
                self.condition(inner, scope);
                Some(Ty::Bool)
            }
            ExprKind::And(a, b) | ExprKind::Or(a, b) => {
                self.condition(a, scope);
                self.condition(b, scope);
                Some(Ty::Bool)
            }
            ExprKind::Cmp(op, a, b) => {
                let (ta, tb) = (self.expr(a, scope)?, self.expr(b, scope)?);
                let ordering = !matches!(op, CmpOp::Eq | CmpOp::Ne);
                if ordering && !(ta.compatible(Ty::Int) && tb.compatible(Ty::Int)) {
                    let bad = if ta.compatible(Ty::Int) { (b, tb) } else { (a, ta) };
                    self.error(
                        Diagnostic::new(
                            "type-mismatch",
                            bad.0.span,
                            format!("`{}` compares integers, but this is {}", op.symbol(), bad.1.name()),
                        )
                        .with_help("order comparisons work on integers only"),
                    );
                } else if !ordering && (!ta.compatible(tb) || ta == Ty::Object || tb == Ty::Object) {
                    self.error(
                        Diagnostic::new(
                            "type-mismatch",
                            e.span,
                            format!(
                                "`{}` compares {} with {}; they can never be equal",
                                op.symbol(),
                                ta.name(),
                                tb.name()
                            ),
                        )
                        .with_help("compare values of the same type, e.g. a string attribute with a string"),
                    );
                }
                Some(Ty::Bool)
            }
            ExprKind::In(a, b) => {
                let (ta, tb) = (self.expr(a, scope)?, self.expr(b, scope)?);
                match tb.element() {
                    Some(el) if el.compatible(ta) => {}
                    Some(el) => self.error(
                        Diagnostic::new(
                            "type-mismatch",
                            a.span,
                            format!("`in` looks for {} in {}, but this is {}", el.name(), tb.name(), ta.name()),
                        )
                        .with_help("look for a value of the list's item type"),
                    ),
                    None => self.error(
                        Diagnostic::new(
                            "type-mismatch",
                            b.span,
                            format!("`in` needs a list on its right, but this is {}", tb.name()),
                        )
                        .with_help("write `x in [\"a\", \"b\"]`, or compare with `==`"),
                    ),
                }
                Some(Ty::Bool)
            }
            ExprKind::Call(recv, method, args) => {
                let tr = self.expr(recv, scope)?;
                let targ = match args.first() {
                    Some(a) => self.expr(a, scope)?,
                    None => return Some(Ty::Bool),
                };
                let arg_span = args.first().map(|a| a.span).unwrap_or(e.span);
                match method {
                    Method::StartsWith | Method::EndsWith => {
                        if !tr.compatible(Ty::Str) {
                            self.error(
                                Diagnostic::new(
                                    "type-mismatch",
                                    recv.span,
                                    format!("`{}` works on strings, but this is {}", method.name(), tr.name()),
                                )
                                .with_help(
                                    "call it on a string attribute, e.g. `claims.email.ends_with(\"@example.com\")`",
                                ),
                            );
                        }
                        if !targ.compatible(Ty::Str) {
                            self.error(type_arg(arg_span, method.name(), "a string", targ));
                        }
                    }
                    Method::Contains => match tr {
                        Ty::Str => {
                            if !targ.compatible(Ty::Str) {
                                self.error(type_arg(arg_span, "contains", "a string", targ));
                            }
                        }
                        Ty::StrList | Ty::IntList | Ty::Any => {
                            if let Some(el) = tr.element() {
                                if !el.compatible(targ) {
                                    self.error(type_arg(arg_span, "contains", el.name(), targ));
                                }
                            }
                        }
                        other => self.error(
                            Diagnostic::new(
                                "type-mismatch",
                                recv.span,
                                format!("`contains` works on lists and strings, but this is {}", other.name()),
                            )
                            .with_help("call it on a list, e.g. `resource.tags.contains(\"urgent\")`"),
                        ),
                    },
                    Method::ContainsAll | Method::ContainsAny => {
                        if tr.element().is_none() {
                            self.error(
                                Diagnostic::new(
                                    "type-mismatch",
                                    recv.span,
                                    format!("`{}` works on lists, but this is {}", method.name(), tr.name()),
                                )
                                .with_help(
                                    "call it on a list, e.g. `scopes(context.approved_scopes).contains_all([...])`",
                                ),
                            );
                        }
                        if targ.element().is_none() {
                            self.error(type_arg(arg_span, method.name(), "a list", targ));
                        }
                    }
                }
                Some(Ty::Bool)
            }
            ExprKind::HasPermission(name) => {
                if !self.schema.permission_index.contains_key(&name.text) {
                    let d = if name.text.contains('*') {
                        Diagnostic::new("syntax", name.span, "`has` takes one permission, not a wildcard")
                            .with_help("name the permission, e.g. `has(org:tasks:edit)`")
                    } else {
                        self.unknown_permission(name)
                    };
                    self.error(d);
                }
                Some(Ty::Bool)
            }
            ExprKind::HasRole(name) => {
                if name.text.contains('*') {
                    self.error(
                        Diagnostic::new("syntax", name.span, "`has_role` takes one role, not a wildcard")
                            .with_help("name the role, e.g. `has_role(org:admin)`"),
                    );
                } else if !self.schema.roles.contains_key(&name.text) {
                    let d = Diagnostic::new("unknown-role", name.span, format!("unknown role `{}`", name.text));
                    let d = match did_you_mean(&name.text, self.schema.role_names.iter().map(String::as_str)) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None => d.with_help(format!("declare it: `role {} = [...]`", name.text)),
                    };
                    self.error(d);
                }
                Some(Ty::Bool)
            }
            ExprKind::HasPlan(name) | ExprKind::HasFeature(name) => {
                let bare =
                    name.text.strip_prefix("org:").or_else(|| name.text.strip_prefix("user:")).unwrap_or(&name.text);
                if bare.is_empty() || bare.contains(':') {
                    self.error(
                        Diagnostic::new("syntax", name.span, format!("`{}` is not a plan or feature name", name.text))
                            .with_help("write a name, optionally scoped: \"pro\", \"org:pro\" or \"user:pro\""),
                    );
                }
                Some(Ty::Bool)
            }
            ExprKind::Licensed => {
                if self.schema.license.is_none() {
                    self.error(
                        Diagnostic::new("license", e.span, "`licensed` is used but no license claim is declared")
                            .with_help("declare where the seat flag lives: `license org.metadata.isLicensed`"),
                    );
                }
                Some(Ty::Bool)
            }
            ExprKind::VerifiedWithin(..) => Some(Ty::Bool),
            ExprKind::Scopes(inner) => {
                let t = self.expr(inner, scope)?;
                if !matches!(t, Ty::Any | Ty::Str | Ty::StrList) {
                    self.error(
                        Diagnostic::new(
                            "type-mismatch",
                            inner.span,
                            format!("`scopes` reads a list or a space-separated string, but this is {}", t.name()),
                        )
                        .with_help("pass the approved scopes, e.g. `scopes(context.approved_scopes)`"),
                    );
                }
                Some(Ty::StrList)
            }
            ExprKind::Present(p) => {
                self.path(p, scope)?;
                Some(Ty::Bool)
            }
        }
    }

    fn path(&mut self, p: &Path, scope: &Scope) -> Option<Ty> {
        let segs: Vec<&str> = p.segments.iter().map(|s| s.text.as_str()).collect();
        let unknown = |this: &mut Validator, idx: usize, known: &[&str], hint: &str| {
            let seg = p.segments.get(idx)?;
            let prefix = Path { root: p.root, segments: p.segments.iter().take(idx).cloned().collect(), span: p.span };
            let d = Diagnostic::new(
                "unknown-attribute",
                seg.span,
                format!("`{}` has no attribute `{}`", prefix.display(), seg.text),
            );
            let d = match did_you_mean(&seg.text, known.iter().copied()) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(hint.to_string()),
            };
            this.error(d);
            None
        };
        match p.root {
            Root::Context | Root::Claims => Some(Ty::Any),
            Root::User => match segs.as_slice() {
                [] => Some(Ty::Object),
                ["id"] => Some(Ty::Str),
                _ => unknown(self, 0, &["id"], "custom session claims are read as `claims.<name>`"),
            },
            Root::Org => match segs.as_slice() {
                [] => Some(Ty::Object),
                ["id"] | ["slug"] | ["role"] => Some(Ty::Str),
                ["permissions"] => Some(Ty::StrList),
                ["metadata", ..] => Some(Ty::Any),
                _ => unknown(
                    self,
                    0,
                    &["id", "slug", "role", "permissions", "metadata"],
                    "the organization has `id`, `slug`, `role`, `permissions` and `metadata`",
                ),
            },
            Root::Session => match segs.as_slice() {
                [] => Some(Ty::Object),
                ["id"] | ["azp"] | ["iss"] => Some(Ty::Str),
                ["exp"] | ["nbf"] | ["iat"] => Some(Ty::Int),
                ["actor"] => Some(Ty::Object),
                ["actor", ..] => Some(Ty::Any),
                _ => unknown(
                    self,
                    0,
                    &["id", "azp", "iss", "exp", "nbf", "iat", "actor"],
                    "the session has `id`, `azp`, `iss`, `exp`, `nbf`, `iat` and `actor`",
                ),
            },
            Root::Resource => match segs.as_slice() {
                [] => {
                    self.error(
                        Diagnostic::new("type-mismatch", p.span, "`resource` alone is not a value")
                            .with_help("read one of its attributes, e.g. `resource.owner_id`"),
                    );
                    None
                }
                ["type"] | ["id"] => Some(Ty::Str),
                [name] => {
                    let mut found: Option<Ty> = None;
                    for ts in &scope.types {
                        match ts.attr(name) {
                            Some(a) => {
                                let t = Ty::from(a.ty);
                                if found.is_some_and(|f| f != t) {
                                    self.error(
                                        Diagnostic::new(
                                            "type-mismatch",
                                            p.span,
                                            format!(
                                                "`resource.{name}` has different types on the rule's resource types"
                                            ),
                                        )
                                        .with_help("split the rule by resource type"),
                                    );
                                    return None;
                                }
                                found = Some(t);
                            }
                            None => {
                                let known: Vec<&str> = ts.attrs.iter().map(|a| a.name.text.as_str()).collect();
                                let seg = p.segments.first()?;
                                let d = Diagnostic::new(
                                    "unknown-attribute",
                                    seg.span,
                                    format!("resource type `{}` has no attribute `{name}`", ts.name),
                                );
                                let d = match did_you_mean(name, known) {
                                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                                    None => d.with_help(format!("declare it in `resource {} {{ ... }}`", ts.name)),
                                };
                                self.error(d);
                                return None;
                            }
                        }
                    }
                    Some(found.unwrap_or(Ty::Any))
                }
                _ => unknown(self, 1, &[], "resource attributes are flat; declare the attribute on the resource type"),
            },
        }
    }
}

/// Whether `id` is `file:<line>`, the form of the default id of a rule without `@id`.
fn is_line_id(id: &str, file: &str) -> bool {
    id.strip_prefix(file)
        .and_then(|rest| rest.strip_prefix(':'))
        .is_some_and(|line| !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()))
}

fn type_arg(span: Span, method: &str, want: &str, got: Ty) -> Diagnostic {
    Diagnostic::new("type-mismatch", span, format!("`{method}` takes {want} here, but this is {}", got.name()))
        .with_help(format!("pass {want}"))
}

fn duplicate(what: &str, name: &Name, first: Span) -> Diagnostic {
    Diagnostic::new("duplicate", name.span, format!("{what} `{}` is declared twice", name.text))
        .with_related(first, "first declared here")
        .with_help("remove one of the declarations, or rename it")
}
