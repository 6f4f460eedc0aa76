//! The canonical layout of a policy, written by `ordinance fmt`.
//!
//! Comments are kept: a comment after an item on the line where the item ends stays at
//! the end of that item's last line; any other is written before the item that follows it
//! in the source, and a comment inside an item (between the lines of a rule's condition,
//! among a resource's attributes) moves above that item, whose layout `fmt` redoes.
//!
//! The output is not parsed again here: the tests and the `policy_parse` fuzz target check
//! that it parses, formats to itself and decides alike. It can change the id of a rule
//! without `@id` (`file:line`), since rules move between lines.

use super::ast::*;
use super::diagnostic::Span;

enum Item<'a> {
    Permission(&'a PermissionDecl),
    Role(&'a RoleDecl),
    Resource(&'a ResourceDecl),
    Action(&'a ActionDecl),
    License(&'a LicenseDecl),
    Rule(&'a Rule),
}

impl Item<'_> {
    fn group(&self) -> u8 {
        match self {
            Item::Permission(_) => 0,
            Item::Role(_) => 1,
            Item::Resource(_) => 2,
            Item::Action(_) => 3,
            Item::License(_) => 4,
            Item::Rule(_) => 5,
        }
    }
}

pub(crate) fn format(ast: &Ast, source: &str) -> String {
    let mut items: Vec<(Span, Item)> = Vec::new();
    items.extend(ast.permissions.iter().map(|p| (p.span, Item::Permission(p))));
    items.extend(ast.roles.iter().map(|r| (r.span, Item::Role(r))));
    items.extend(ast.resources.iter().map(|r| (r.span, Item::Resource(r))));
    items.extend(ast.actions.iter().map(|a| (a.span, Item::Action(a))));
    items.extend(ast.license.iter().map(|l| (l.span, Item::License(l))));
    items.extend(ast.rules.iter().map(|r| (r.span, Item::Rule(r))));
    items.sort_by_key(|(span, _)| span.start);

    // Each comment goes with one item: after it on the line where the item ends (a
    // trailing comment), else before it (a comment inside an item, whose layout `fmt`
    // redoes, moves above that item); comments after the last item stay at the end.
    let mut leading: Vec<Vec<String>> = vec![Vec::new(); items.len()];
    let mut trailing: Vec<Option<String>> = vec![None; items.len()];
    let mut rest = Vec::new();
    let mut next = 0;
    for (at, text) in comments(source) {
        while items.get(next).is_some_and(|(span, _)| span.end <= at) {
            next += 1;
        }
        let same_line = |end: usize| source.get(end..at).is_some_and(|between| !between.contains('\n'));
        let inside_next = items.get(next).is_some_and(|(span, _)| span.start < at);
        let prev =
            next.checked_sub(1).filter(|&i| !inside_next && items.get(i).is_some_and(|(span, _)| same_line(span.end)));
        match (prev, trailing.get_mut(prev.unwrap_or(usize::MAX)), leading.get_mut(next)) {
            // (Only one comment fits after an item on its last line.)
            (Some(_), Some(slot @ None), _) => *slot = Some(text.trim_end().to_string()),
            (_, _, Some(before)) => before.push(text),
            _ => rest.push(text),
        }
    }

    let mut out = String::new();
    let mut prev_group: Option<u8> = None;
    for (((_, item), pending), after) in items.iter().zip(leading).zip(trailing) {
        let group = item.group();
        let blank = match prev_group {
            None => false,
            Some(g) => g != group || group >= 2 || !pending.is_empty(),
        };
        if blank {
            out.push('\n');
        }
        for c in pending {
            out.push_str(&c);
            out.push('\n');
        }
        write_item(item, &mut out);
        if let Some(c) = after {
            // On the item's last line: `}` of a resource, `when` or `because` of a rule.
            out.pop();
            out.push(' ');
            out.push_str(&c);
            out.push('\n');
        }
        prev_group = Some(group);
    }
    if !rest.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        for c in rest {
            out.push_str(&c);
            out.push('\n');
        }
    }
    out
}

/// Line comments (`//` or `#`) outside string literals, with their byte offsets. A comment
/// followed by a blank line in the source keeps that blank line.
fn comments(source: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let bytes = source.as_bytes();
    let mut i = 0;
    let mut in_string = false;
    while let Some(&b) = bytes.get(i) {
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' | b'\n' => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if b == b'#' || (b == b'/' && bytes.get(i + 1) == Some(&b'/')) {
            let end = source.get(i..).and_then(|s| s.find('\n')).map(|e| i + e).unwrap_or(source.len());
            let mut text = source.get(i..end).unwrap_or_default().trim_end().to_string();
            let next_line = source.get(end + 1..).unwrap_or_default().lines().next();
            if next_line.is_some_and(|l| l.trim().is_empty()) {
                text.push('\n');
            }
            out.push((i, text));
            i = end;
            continue;
        }
        i += 1;
    }
    out
}

fn write_item(item: &Item, out: &mut String) {
    match item {
        Item::Permission(p) => {
            out.push_str("permission ");
            out.push_str(&p.name.text);
            if let Some(d) = &p.description {
                out.push(' ');
                out.push_str(&quote(d));
            }
            out.push('\n');
        }
        Item::Role(r) => {
            let grants: Vec<&str> = r.grants.iter().map(|g| g.text.as_str()).collect();
            out.push_str(&format!("role {} = [{}]\n", r.name.text, grants.join(", ")));
        }
        Item::Resource(r) => {
            if r.attrs.is_empty() {
                out.push_str(&format!("resource {} {{}}\n", r.name.text));
                return;
            }
            out.push_str(&format!("resource {} {{\n", r.name.text));
            for a in &r.attrs {
                let q = if a.optional { "?" } else { "" };
                out.push_str(&format!("  {}{q}: {},\n", a.name.text, a.ty.keyword()));
            }
            out.push_str("}\n");
        }
        Item::Action(a) => {
            let actions: Vec<&str> = a.actions.iter().map(|n| n.text.as_str()).collect();
            let types: Vec<&str> = a.types.iter().map(|n| n.text.as_str()).collect();
            out.push_str(&format!("action {} on {}\n", actions.join(", "), types.join(", ")));
        }
        Item::License(l) => {
            out.push_str(&format!("license {}\n", l.path.display()));
        }
        Item::Rule(r) => {
            if let Some(id) = &r.id {
                out.push_str(&format!("@id({})\n", quote(&id.text)));
            }
            out.push_str(&format!("{} {} on {}\n", r.effect.keyword(), targets(&r.actions), targets(&r.types)));
            if let Some(c) = &r.condition {
                out.push_str("  when ");
                out.push_str(&condition(c));
                out.push('\n');
            }
            if let Some(b) = &r.because {
                out.push_str(&format!("  because {}\n", quote(&b.text)));
            }
        }
    }
}

const WIDTH: usize = 90;

/// A rule condition: one line when it fits, else one top-level `and` operand per line.
fn condition(c: &Expr) -> String {
    let one_line = expr(c, 0);
    if one_line.len() + 7 <= WIDTH {
        return one_line;
    }
    let mut conjuncts = Vec::new();
    flatten_and(c, &mut conjuncts);
    let parts: Vec<String> = conjuncts.iter().map(|e| wrapped(e, 2, 3)).collect();
    parts.join("\n   and ")
}

fn flatten_and<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    match &e.kind {
        ExprKind::And(a, b) => {
            flatten_and(a, out);
            flatten_and(b, out);
        }
        _ => out.push(e),
    }
}

/// Writes `e` at `indent` columns, breaking a long list argument one item per line.
fn wrapped(e: &Expr, min: u8, indent: usize) -> String {
    let one_line = expr(e, min);
    if one_line.len() + indent + 4 <= WIDTH {
        return one_line;
    }
    match &e.kind {
        ExprKind::Call(recv, m, args) => match args.first().map(|a| &a.kind) {
            Some(ExprKind::List(items)) if args.len() == 1 => {
                let pad = " ".repeat(indent + 2);
                let body: String = items.iter().map(|i| format!("{pad}{},\n", expr(i, 0))).collect();
                format!("{}.{}([\n{body}{}])", expr(recv, 5), m.name(), " ".repeat(indent))
            }
            _ => one_line,
        },
        _ => one_line,
    }
}

fn targets(t: &Targets) -> String {
    match t {
        Targets::All(_) => "*".to_string(),
        Targets::Some(names) => names.iter().map(|n| n.text.as_str()).collect::<Vec<_>>().join(", "),
    }
}

pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Or(..) => 1,
        ExprKind::And(..) => 2,
        ExprKind::Not(_) => 3,
        ExprKind::Cmp(..) | ExprKind::In(..) => 4,
        _ => 5,
    }
}

/// Writes `e`, parenthesised if it binds looser than `min`.
pub(crate) fn expr(e: &Expr, min: u8) -> String {
    let text = match &e.kind {
        ExprKind::Lit(Literal::Str(s)) => quote(s),
        ExprKind::Lit(Literal::Int(i)) => i.to_string(),
        ExprKind::Lit(Literal::Bool(b)) => b.to_string(),
        ExprKind::List(items) => format!("[{}]", items.iter().map(|i| expr(i, 0)).collect::<Vec<_>>().join(", ")),
        ExprKind::Path(p) => p.display(),
        ExprKind::Not(inner) => format!("not {}", expr(inner, 3)),
        ExprKind::And(a, b) => format!("{} and {}", expr(a, 2), expr(b, 3)),
        ExprKind::Or(a, b) => format!("{} or {}", expr(a, 1), expr(b, 2)),
        ExprKind::Cmp(op, a, b) => format!("{} {} {}", expr(a, 5), op.symbol(), expr(b, 5)),
        ExprKind::In(a, b) => format!("{} in {}", expr(a, 5), expr(b, 5)),
        ExprKind::Call(recv, m, args) => {
            format!(
                "{}.{}({})",
                expr(recv, 5),
                m.name(),
                args.iter().map(|a| expr(a, 0)).collect::<Vec<_>>().join(", ")
            )
        }
        ExprKind::HasPermission(n) => format!("has({})", n.text),
        ExprKind::HasRole(n) => format!("has_role({})", n.text),
        ExprKind::HasPlan(n) => format!("has_plan({})", quote(&n.text)),
        ExprKind::HasFeature(n) => format!("has_feature({})", quote(&n.text)),
        ExprKind::Licensed => "licensed".to_string(),
        ExprKind::VerifiedWithin(m, f) => match f {
            Factor::First => format!("verified_within({m})"),
            f => format!("verified_within({m}, {})", f.name()),
        },
        ExprKind::Scopes(inner) => format!("scopes({})", expr(inner, 0)),
        ExprKind::Present(p) => format!("present({})", p.display()),
    };
    if precedence(e) < min {
        format!("({text})")
    } else {
        text
    }
}
