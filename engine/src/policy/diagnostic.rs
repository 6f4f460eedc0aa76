//! Policy diagnostics: what went wrong, where, and how to fix it.
//!
//! A diagnostic is plain data (code, message, byte span, help, an optional second span) so
//! that the CLI, Python and JavaScript can all show it their own way; [`render`] draws the
//! terminal form with the source line and a caret, with no dependency.

use serde::Serialize;
use std::fmt;

/// A byte range in the policy source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    pub(crate) fn new(start: usize, end: usize) -> Span {
        Span { start, end: end.max(start) }
    }

    pub(crate) fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// One problem found in a policy.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Diagnostic {
    pub code: &'static str,
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
    /// A second place worth showing, e.g. the first declaration of a duplicate.
    pub related: Option<(Span, String)>,
}

impl Diagnostic {
    pub fn new(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { code, span, message: message.into(), help: None, related: None }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_related(mut self, span: Span, note: impl Into<String>) -> Diagnostic {
        self.related = Some((span, note.into()));
        self
    }
}

/// A located problem, as reported by [`PolicyError`](crate::PolicyError).
///
/// ```
/// let err = ordinance::Policy::parse("permit view on task when").unwrap_err();
/// let first = &err.diagnostics()[0];
/// assert_eq!((first.line, first.column), (1, 25));
/// assert_eq!(first.code, "syntax");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Located {
    /// A short stable category: `syntax`, `lex`, `unknown-attribute`, `type-mismatch`, ...
    pub code: String,
    /// One line, lowercase, user input in backticks.
    pub message: String,
    /// One-line fix hint.
    pub help: Option<String>,
    /// The file name given when loading, or `policy`.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// The byte range in the source.
    pub span: Span,
    /// A second location (line, column, note), e.g. where a duplicate was first declared.
    pub related: Option<(usize, usize, String)>,
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
    }
}

/// Turns byte offsets into 1-based (line, column in chars).
pub(crate) fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = src.get(..offset).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = src.get(line_start..offset).map(|s| s.chars().count()).unwrap_or(0) + 1;
    (line, column)
}

pub(crate) fn locate(src: &str, file: &str, d: &Diagnostic) -> Located {
    let (line, column) = line_col(src, d.span.start);
    Located {
        code: d.code.to_string(),
        message: d.message.clone(),
        help: d.help.clone(),
        file: file.to_string(),
        line,
        column,
        span: d.span,
        related: d.related.as_ref().map(|(span, note)| {
            let (l, c) = line_col(src, span.start);
            (l, c, note.clone())
        }),
    }
}

/// Draws `file:line:col: error: message`, the source line, a caret under the span and the
/// help line, the way rustc and cedar do.
pub(crate) fn render(src: &str, loc: &Located, out: &mut String) {
    use std::fmt::Write as _;
    let _ = writeln!(out, "{}:{}:{}: error: {}", loc.file, loc.line, loc.column, loc.message);
    draw_line(src, loc.span, loc.line, out);
    if let Some((line, column, note)) = &loc.related {
        let _ = writeln!(out, "{}:{}:{}: note: {}", loc.file, line, column, note);
    }
    if let Some(help) = &loc.help {
        let gutter = " ".repeat(loc.line.to_string().len());
        let _ = writeln!(out, "{gutter} = help: {help}");
    }
}

/// The most characters of a source line that a report shows. A longer line (a 900 KB
/// string literal, a generated path of 100,000 segments) is cut to a window around the
/// column, each cut marked with `…`, so that a report stays readable and its size bounded.
const MAX_SHOWN: usize = 120;
/// How many characters before the column a cut line keeps, for context.
const SHOWN_BEFORE: usize = 40;

fn draw_line(src: &str, span: Span, line_no: usize, out: &mut String) {
    use std::fmt::Write as _;
    let start = span.start.min(src.len());
    let line_start = src.get(..start).and_then(|s| s.rfind('\n')).map(|i| i + 1).unwrap_or(0);
    let line_end = src.get(start..).and_then(|s| s.find('\n')).map(|i| start + i).unwrap_or(src.len());
    let text = src.get(line_start..line_end).unwrap_or_default().trim_end_matches('\r');
    let pad = src.get(line_start..start).map(|s| s.chars().count()).unwrap_or(0);
    let width = src.get(start..span.end.min(line_end).max(start)).map(|s| s.chars().count()).unwrap_or(0).max(1);
    let total = text.chars().count();
    // The window of characters shown, [from, to): all of a short line; else up to
    // `MAX_SHOWN` characters starting `SHOWN_BEFORE` before the column (or ending at the
    // line's end), which always holds the column or the place just past the last character.
    let from = if total <= MAX_SHOWN { 0 } else { pad.saturating_sub(SHOWN_BEFORE).min(total - MAX_SHOWN) };
    let to = total.min(from + MAX_SHOWN);
    let byte = |chars: usize| text.char_indices().nth(chars).map_or(text.len(), |(i, _)| i);
    let shown = text.get(byte(from)..byte(to)).unwrap_or_default();
    let (before, after) = (if from > 0 { "…" } else { "" }, if to < total { "…" } else { "" });
    // The caret moves right by the `…` and stops at the window's end.
    let caret_pad = pad - from.min(pad) + usize::from(from > 0);
    let caret_width = width.min(to.saturating_sub(pad)).max(1);
    let gutter = " ".repeat(line_no.to_string().len());
    let _ = writeln!(out, "{gutter} |");
    let _ = writeln!(out, "{line_no} | {before}{shown}{after}");
    let _ = writeln!(out, "{gutter} | {}{}", " ".repeat(caret_pad), "^".repeat(caret_width));
}

/// Suggests the closest candidate by edit distance, as "did you mean".
pub(crate) fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1) + 1;
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_chars() {
        assert_eq!(line_col("ab\ncé d", 7), (2, 4));
        assert_eq!(line_col("x", 0), (1, 1));
    }

    #[test]
    fn caret_under_span() {
        let src = "first\nsecond line\n";
        let d = Diagnostic::new("syntax", Span::new(13, 17), "bad").with_help("fix it");
        let loc = locate(src, "p.ord", &d);
        let mut out = String::new();
        render(src, &loc, &mut out);
        assert_eq!(out, "p.ord:2:8: error: bad\n  |\n2 | second line\n  |        ^^^^\n  = help: fix it\n");
    }

    fn rendered(src: &str, span: Span) -> String {
        let d = Diagnostic::new("syntax", span, "bad");
        let mut out = String::new();
        render(src, &locate(src, "p.ord", &d), &mut out);
        out
    }

    /// The shown line and the caret line of a rendered diagnostic.
    fn shown(out: &str) -> (String, String) {
        let lines: Vec<&str> = out.lines().collect();
        let text = lines.get(2).and_then(|l| l.split_once(" | ")).map(|(_, t)| t).unwrap_or_default();
        let caret = lines.get(3).and_then(|l| l.split_once(" | ")).map(|(_, t)| t).unwrap_or_default();
        (text.to_string(), caret.to_string())
    }

    #[test]
    fn long_lines_are_cut_around_the_column() {
        // A 900 KB string literal: the caret under its opening quote, the line cut after.
        let src = format!("permit view on doc when context.a == \"{}\"", "x".repeat(900_000));
        let quote = src.find('"').unwrap_or_default();
        let out = rendered(&src, Span::new(quote, src.len()));
        assert!(out.len() < 600, "{out}");
        let (text, caret) = shown(&out);
        assert!(text.starts_with("permit view on doc when context.a == \"xxx") && text.ends_with("x…"), "{text}");
        assert_eq!(text.chars().count(), MAX_SHOWN + 1);
        assert_eq!(caret.find('^'), Some(37), "{out}");
        assert_eq!(caret.chars().count(), MAX_SHOWN);
        // A column far into the line: both ends cut, the caret under the same character.
        let src = format!("{}é{}", "a.".repeat(50_000), "b".repeat(50_000));
        let at = src.find('é').unwrap_or_default();
        let out = rendered(&src, Span::new(at, at + 'é'.len_utf8()));
        let (text, caret) = shown(&out);
        assert!(text.starts_with('…') && text.ends_with('…'), "{text}");
        assert_eq!(text.chars().count(), MAX_SHOWN + 2);
        let column = caret.find('^').unwrap_or_default();
        assert_eq!(text.chars().nth(column), Some('é'), "{out}");
        assert_eq!(caret.trim(), "^");
        // Just past the end of a long line (a missing value after `==`): the window ends
        // at the line's end and the caret stands right after it.
        let src = format!("when {} ==\nnext", "a".repeat(500));
        let at = src.find('\n').unwrap_or_default();
        let (text, caret) = shown(&rendered(&src, Span::new(at, at)));
        assert!(text.starts_with('…') && text.ends_with(" =="), "{text}");
        assert_eq!(caret.find('^'), Some(text.chars().count()));
        // A line of exactly the limit is shown whole.
        let src = "b".repeat(MAX_SHOWN);
        let (text, _) = shown(&rendered(&src, Span::new(5, 6)));
        assert_eq!(text, src);
    }

    #[test]
    fn suggestions() {
        assert_eq!(did_you_mean("edti", ["view", "edit", "delete"]), Some("edit"));
        assert_eq!(did_you_mean("zzzzzz", ["view", "edit"]), None);
    }
}
