//! Turns policy text into tokens with byte spans.
//!
//! The lexer is hand-written: the language has a few dozen tokens and a generated lexer
//! would cost more in build time than it saves. Keywords are not special here; the parser
//! decides what a word means from where it stands, so `view` can be an action and
//! `resource.view` an attribute.

use super::diagnostic::{Diagnostic, Span};

/// One token with the byte range it came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    /// A word: letters, digits and `_`, starting with a letter or `_`.
    Word(String),
    Str(String),
    Int(i64),
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Dot,
    Colon,
    Semi,
    At,
    Question,
    Star,
    Minus,
    Assign,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Eof,
}

impl TokenKind {
    /// How the token is named in "expected X, found Y" messages.
    pub fn describe(&self) -> String {
        match self {
            TokenKind::Word(w) => format!("`{}`", shorten(w)),
            TokenKind::Str(s) => format!("string \"{}\"", shorten(s)),
            TokenKind::Int(i) => format!("number `{i}`"),
            TokenKind::Eof => "end of file".to_string(),
            other => format!("`{}`", other.symbol()),
        }
    }

    pub fn symbol(&self) -> &'static str {
        match self {
            TokenKind::LParen => "(",
            TokenKind::RParen => ")",
            TokenKind::LBracket => "[",
            TokenKind::RBracket => "]",
            TokenKind::LBrace => "{",
            TokenKind::RBrace => "}",
            TokenKind::Comma => ",",
            TokenKind::Dot => ".",
            TokenKind::Colon => ":",
            TokenKind::Semi => ";",
            TokenKind::At => "@",
            TokenKind::Question => "?",
            TokenKind::Star => "*",
            TokenKind::Minus => "-",
            TokenKind::Assign => "=",
            TokenKind::Eq => "==",
            TokenKind::Ne => "!=",
            TokenKind::Lt => "<",
            TokenKind::Le => "<=",
            TokenKind::Gt => ">",
            TokenKind::Ge => ">=",
            TokenKind::Word(_) => "word",
            TokenKind::Str(_) => "string",
            TokenKind::Int(_) => "number",
            TokenKind::Eof => "end of file",
        }
    }
}

/// The first 40 characters of a long word or string, then `…`: a message names the token,
/// it need not repeat a 900 KB literal.
fn shorten(text: &str) -> std::borrow::Cow<'_, str> {
    // (The size-bound WebAssembly build names the token whole.)
    if cfg!(target_arch = "wasm32") {
        return text.into();
    }
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or_default()).into(),
        None => text.into(),
    }
}

/// Splits `src` into tokens, ending with [`TokenKind::Eof`].
pub(crate) fn tokenize(src: &str, max_string_len: usize) -> Result<Vec<Token>, Diagnostic> {
    let bytes = src.as_bytes();
    let mut tokens = Vec::new();
    let mut pos = 0usize;
    while pos < bytes.len() {
        let start = pos;
        let Some(&b) = bytes.get(pos) else { break };
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => pos += 1,
            b'/' if bytes.get(pos + 1) == Some(&b'/') => {
                while pos < bytes.len() && bytes.get(pos) != Some(&b'\n') {
                    pos += 1;
                }
            }
            b'#' => {
                while pos < bytes.len() && bytes.get(pos) != Some(&b'\n') {
                    pos += 1;
                }
            }
            b'"' => {
                let (value, end) = lex_string(src, pos, max_string_len)?;
                tokens.push(Token { kind: TokenKind::Str(value), span: Span::new(start, end) });
                pos = end;
            }
            b'0'..=b'9' => {
                while matches!(bytes.get(pos), Some(b'0'..=b'9')) {
                    pos += 1;
                }
                if matches!(bytes.get(pos), Some(c) if c.is_ascii_alphabetic() || *c == b'_') {
                    return Err(Diagnostic::new(
                        "lex",
                        Span::new(start, pos + 1),
                        "a number cannot be followed directly by a letter",
                    )
                    .with_help("put a space between them, or start names with a letter"));
                }
                let text = src.get(start..pos).unwrap_or_default();
                // `-9223372036854775808` is `i64::MIN`, whose digits alone overflow: the
                // minus before them joins the number (with spaces between, as `- 1` may
                // have): the language has no binary minus, so a `-` is always a sign.
                if text == "9223372036854775808" {
                    if let Some(minus) = tokens.last_mut().filter(|t| t.kind == TokenKind::Minus) {
                        *minus = Token { kind: TokenKind::Int(i64::MIN), span: Span::new(minus.span.start, pos) };
                        continue;
                    }
                }
                let value: i64 = text.parse().map_err(|_| {
                    Diagnostic::new(
                        "lex",
                        Span::new(start, pos),
                        format!("the number `{text}` does not fit in a 64-bit integer"),
                    )
                    .with_help("integers range from -9223372036854775808 to 9223372036854775807")
                })?;
                tokens.push(Token { kind: TokenKind::Int(value), span: Span::new(start, pos) });
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while matches!(bytes.get(pos), Some(c) if c.is_ascii_alphanumeric() || *c == b'_') {
                    pos += 1;
                }
                let word = src.get(start..pos).unwrap_or_default().to_string();
                tokens.push(Token { kind: TokenKind::Word(word), span: Span::new(start, pos) });
            }
            _ => {
                let two = bytes.get(pos + 1).copied();
                let (kind, len) = match (b, two) {
                    (b'=', Some(b'=')) => (TokenKind::Eq, 2),
                    (b'!', Some(b'=')) => (TokenKind::Ne, 2),
                    (b'<', Some(b'=')) => (TokenKind::Le, 2),
                    (b'>', Some(b'=')) => (TokenKind::Ge, 2),
                    (b'&', Some(b'&')) => return Err(word_operator(start, "&&", "and")),
                    (b'|', Some(b'|')) => return Err(word_operator(start, "||", "or")),
                    (b'=', _) => (TokenKind::Assign, 1),
                    (b'<', _) => (TokenKind::Lt, 1),
                    (b'>', _) => (TokenKind::Gt, 1),
                    (b'(', _) => (TokenKind::LParen, 1),
                    (b')', _) => (TokenKind::RParen, 1),
                    (b'[', _) => (TokenKind::LBracket, 1),
                    (b']', _) => (TokenKind::RBracket, 1),
                    (b'{', _) => (TokenKind::LBrace, 1),
                    (b'}', _) => (TokenKind::RBrace, 1),
                    (b',', _) => (TokenKind::Comma, 1),
                    (b'.', _) => (TokenKind::Dot, 1),
                    (b':', _) => (TokenKind::Colon, 1),
                    (b';', _) => (TokenKind::Semi, 1),
                    (b'@', _) => (TokenKind::At, 1),
                    (b'?', _) => (TokenKind::Question, 1),
                    (b'*', _) => (TokenKind::Star, 1),
                    (b'-', _) => (TokenKind::Minus, 1),
                    (b'!', _) => return Err(word_operator(start, "!", "not")),
                    _ => {
                        let ch = src.get(start..).and_then(|s| s.chars().next()).unwrap_or('?');
                        return Err(Diagnostic::new(
                            "lex",
                            Span::new(start, start + ch.len_utf8()),
                            format!("unexpected character `{}`", ch.escape_default()),
                        )
                        .with_help("names use ASCII letters, digits and `_`; put other text in double quotes"));
                    }
                };
                tokens.push(Token { kind, span: Span::new(start, start + len) });
                pos += len;
            }
        }
    }
    // An error at the end of the file points just past the last token (e.g. right after a
    // dangling `when`), not at the empty line that trailing newlines and comments leave.
    let eof = tokens.last().map_or(0, |t| t.span.end);
    tokens.push(Token { kind: TokenKind::Eof, span: Span::new(eof, eof) });
    Ok(tokens)
}

fn word_operator(start: usize, symbol: &str, word: &str) -> Diagnostic {
    Diagnostic::new("lex", Span::new(start, start + symbol.len()), format!("unexpected `{symbol}`"))
        .with_help(format!("ordinance spells this operator `{word}`"))
}

/// Reads a double-quoted string starting at `start`; returns its value and the end offset.
fn lex_string(src: &str, start: usize, max_len: usize) -> Result<(String, usize), Diagnostic> {
    let mut value = String::new();
    let mut chars = src.get(start + 1..).unwrap_or_default().char_indices();
    while let Some((offset, ch)) = chars.next() {
        let at = start + 1 + offset;
        match ch {
            '"' => {
                if value.len() > max_len {
                    return Err(Diagnostic::new(
                        "limit",
                        Span::new(start, at + 1),
                        format!("string literal of {} bytes is longer than the limit of {max_len}", value.len()),
                    )
                    .with_help("raise `Limits::max_string_len` if this is intended"));
                }
                return Ok((value, at + 1));
            }
            '\n' => break,
            '\\' => {
                let Some((_, escaped)) = chars.next() else {
                    break;
                };
                match escaped {
                    '"' => value.push('"'),
                    '\\' => value.push('\\'),
                    'n' => value.push('\n'),
                    't' => value.push('\t'),
                    other => {
                        return Err(Diagnostic::new(
                            "lex",
                            Span::new(at, at + 1 + other.len_utf8()),
                            format!("unknown escape `\\{}`", other.escape_default()),
                        )
                        .with_help("the escapes are `\\\"`, `\\\\`, `\\n` and `\\t`"));
                    }
                }
            }
            other => value.push(other),
        }
    }
    Err(Diagnostic::new("lex", Span::new(start, start + 1), "unterminated string")
        .with_help("close the string with `\"` on the same line"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<TokenKind> {
        tokenize(src, 1024).map(|t| t.into_iter().map(|t| t.kind).collect()).unwrap_or_default()
    }

    #[test]
    fn words_symbols_and_comments() {
        assert_eq!(
            kinds("has(org:tasks:*) // c\n == 3"),
            vec![
                TokenKind::Word("has".into()),
                TokenKind::LParen,
                TokenKind::Word("org".into()),
                TokenKind::Colon,
                TokenKind::Word("tasks".into()),
                TokenKind::Colon,
                TokenKind::Star,
                TokenKind::RParen,
                TokenKind::Eq,
                TokenKind::Int(3),
                TokenKind::Eof
            ]
        );
    }

    #[test]
    fn spans_point_at_bytes() {
        let toks = tokenize("a  \"é\"", 1024).unwrap_or_default();
        assert_eq!(toks.get(1).map(|t| t.span), Some(Span::new(3, 7)));
    }

    #[test]
    fn long_tokens_are_shortened_in_messages() {
        let long = "x".repeat(900_000);
        assert_eq!(TokenKind::Str(long.clone()).describe(), format!("string \"{}…\"", "x".repeat(40)));
        assert_eq!(TokenKind::Word(long).describe(), format!("`{}…`", "x".repeat(40)));
        assert_eq!(TokenKind::Word("é".repeat(40)).describe(), format!("`{}`", "é".repeat(40)));
    }

    #[test]
    fn errors_carry_hints() {
        let err = tokenize("a && b", 1024).err().map(|d| d.help).unwrap_or_default();
        assert!(err.unwrap_or_default().contains("`and`"));
        assert!(tokenize("\"abc", 1024).is_err());
        assert!(tokenize("99999999999999999999", 1024).is_err());
        assert!(tokenize("\"abcdef\"", 3).is_err());
    }
}
