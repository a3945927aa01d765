//! POSIX regular-expression functions: `regexp_replace`, `regexp_match`,
//! `regexp_split_to_array`, `regexp_like`,
//! `regexp_count`, `substring(s FROM pattern)`, the `~` operators
//! ([`is_match`]) and SIMILAR TO ([`similar_to`]).
//!
//! Patterns run on the `regex` crate (Perl-style leftmost-first matching, no
//! back references); PostgreSQL's word-boundary escapes `\m`, `\M`, `\y`,
//! `\Y` and `\Z` are translated. As in PostgreSQL, `.` matches a newline
//! and `^`/`$` anchor at the ends of the string unless a flag says
//! otherwise.

use std::cell::RefCell;
use std::collections::HashMap;

use regex::{Regex, RegexBuilder};

use super::{check_buffer, invalid_param};
use crate::error::{SqlError, SqlState};
use crate::value::Value;

/// Compile options from PostgreSQL's flag letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Flags {
    global: bool,
    case_insensitive: bool,
    /// `.` does not match a newline (`n`, `p`).
    dot_stops_at_newline: bool,
    /// `^`/`$` match at newlines (`n`, `w`).
    multi_line: bool,
    expanded: bool,
    literal: bool,
}

impl Flags {
    fn parse(flags: &str) -> Result<Flags, SqlError> {
        let mut f = Flags {
            global: false,
            case_insensitive: false,
            dot_stops_at_newline: false,
            multi_line: false,
            expanded: false,
            literal: false,
        };
        for c in flags.chars() {
            match c {
                'g' => f.global = true,
                'i' => f.case_insensitive = true,
                'c' => f.case_insensitive = false,
                'n' | 'm' => {
                    f.dot_stops_at_newline = true;
                    f.multi_line = true;
                }
                'p' => {
                    f.dot_stops_at_newline = true;
                    f.multi_line = false;
                }
                'w' => {
                    f.dot_stops_at_newline = false;
                    f.multi_line = true;
                }
                's' => {
                    f.dot_stops_at_newline = false;
                    f.multi_line = false;
                }
                'x' => f.expanded = true,
                't' => f.expanded = false,
                'q' => f.literal = true,
                'e' => {}
                'b' => {
                    return Err(SqlError::unsupported(
                        "basic regular expressions (flag \"b\") are not supported",
                    ))
                }
                other => {
                    return Err(invalid_param(format!(
                        "invalid regular expression option: \"{other}\""
                    )))
                }
            }
        }
        Ok(f)
    }
}

fn regex_error(e: regex::Error) -> SqlError {
    let msg = match e {
        regex::Error::CompiledTooBig(_) => "regular expression is too complex".to_string(),
        other => other.to_string(),
    };
    SqlError::new(
        SqlState("2201B"),
        format!("invalid regular expression: {msg}"),
    )
}

/// A PostgreSQL ARE as the `regex` crate spells it: the escapes that differ
/// (`\m`, `\M`, `\y`, `\Y`, `\Z`, `\b` is a backspace, `\B` a backslash,
/// `\e`), and bracket expressions, where `[`, `&&`, `--` and `~~` are
/// literal in PostgreSQL but nesting or set operations in the `regex` crate.
fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars().peekable();
    let mut in_bracket = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('m') if !in_bracket => out.push_str(r"\b{start}"),
                Some('M') if !in_bracket => out.push_str(r"\b{end}"),
                Some('y') if !in_bracket => out.push_str(r"\b"),
                Some('Y') if !in_bracket => out.push_str(r"\B"),
                Some('Z') if !in_bracket => out.push_str(r"\z"),
                Some('b') => out.push_str(r"\x08"),
                Some('B') => out.push_str(r"\\"),
                Some('e') => out.push_str(r"\x1B"),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            },
            '[' if !in_bracket => {
                in_bracket = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                }
                // A `]` right after `[` or `[^` is a literal.
                if chars.peek() == Some(&']') {
                    chars.next();
                    out.push_str(r"\]");
                }
            }
            '[' if in_bracket => match chars.peek() {
                Some(':') | Some('=') | Some('.') => {
                    // `[:alpha:]` (kept), `[=a=]` and `[.a.]` (one character).
                    let kind = chars.next().unwrap_or(':');
                    let mut name = String::new();
                    let mut closed = false;
                    while let Some(n) = chars.next() {
                        if n == kind && chars.peek() == Some(&']') {
                            chars.next();
                            closed = true;
                            break;
                        }
                        name.push(n);
                    }
                    if kind == ':' || !closed {
                        out.push('[');
                        out.push(kind);
                        out.push_str(&name);
                        if closed {
                            out.push(kind);
                            out.push(']');
                        }
                    } else {
                        out.push_str(&regex::escape(&name));
                    }
                }
                _ => out.push_str(r"\["),
            },
            ']' if in_bracket => {
                in_bracket = false;
                out.push(']');
            }
            '&' | '~' if in_bracket => {
                out.push('\\');
                out.push(c);
            }
            '-' if in_bracket && chars.peek() == Some(&'-') => {
                // `a--` : a range ending at `-`; never a set difference.
                out.push_str(r"-\-");
                chars.next();
            }
            c => out.push(c),
        }
    }
    out
}

const CACHE_SIZE: usize = 64;

thread_local! {
    static CACHE: RefCell<HashMap<(String, Flags), Regex>> = RefCell::new(HashMap::new());
}

fn compile(pattern: &str, flags: Flags) -> Result<Regex, SqlError> {
    let key = (
        pattern.to_string(),
        Flags {
            global: false,
            ..flags
        },
    );
    if let Some(re) = CACHE.with(|c| c.borrow().get(&key).cloned()) {
        return Ok(re);
    }
    let source = if flags.literal {
        regex::escape(pattern)
    } else {
        translate(pattern)
    };
    let re = RegexBuilder::new(&source)
        .case_insensitive(flags.case_insensitive)
        .dot_matches_new_line(!flags.dot_stops_at_newline)
        .multi_line(flags.multi_line)
        .ignore_whitespace(flags.expanded && !flags.literal)
        .size_limit(16 << 20)
        .build()
        .map_err(regex_error)?;
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_SIZE {
            c.clear();
        }
        c.insert(key, re.clone());
    });
    Ok(re)
}

/// Group spans (byte offsets) of one match; index 0 is the whole match.
type Groups = Vec<Option<(usize, usize)>>;

/// The byte offset one character after `i`.
fn next_char(s: &str, i: usize) -> usize {
    s[i..].chars().next().map_or(i + 1, |c| i + c.len_utf8())
}

/// The byte offset of character `n` (0-based); `s.len()` for the end and
/// `s.len() + 1` past it.
fn char_offset(s: &str, n: usize) -> usize {
    match s.char_indices().nth(n) {
        Some((i, _)) => i,
        None if s.chars().count() == n => s.len(),
        None => s.len() + 1,
    }
}

/// PostgreSQL's `setup_regexp_matches`: matches from `start`, all of them
/// when `global`; `ignore_degenerate` (the split functions) drops empty
/// matches at the ends and right after the previous match.
fn find_matches(
    re: &Regex,
    s: &str,
    start: usize,
    global: bool,
    ignore_degenerate: bool,
) -> Vec<Groups> {
    let mut out = Vec::new();
    let mut search = start;
    let mut prev_end = 0;
    while search <= s.len() {
        let Some(caps) = re.captures_at(s, search) else {
            break;
        };
        let Some(m) = caps.get(0) else { break };
        if !ignore_degenerate || (m.start() < s.len() && m.end() > prev_end) {
            out.push(
                caps.iter()
                    .map(|g| g.map(|g| (g.start(), g.end())))
                    .collect(),
            );
        }
        prev_end = m.end();
        if !global {
            break;
        }
        search = if m.start() == m.end() {
            next_char(s, m.end())
        } else {
            m.end()
        };
    }
    out
}

/// Appends `replacement` with `\1`..`\9` and `\&` substituted.
fn expand(replacement: &str, s: &str, groups: &Groups, out: &mut String) {
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some(d @ '1'..='9') => {
                chars.next();
                let idx = d as usize - '0' as usize;
                if let Some(Some((a, b))) = groups.get(idx) {
                    out.push_str(&s[*a..*b]);
                }
            }
            Some('&') => {
                chars.next();
                if let Some(Some((a, b))) = groups.first() {
                    out.push_str(&s[*a..*b]);
                }
            }
            Some('\\') => {
                chars.next();
                out.push('\\');
            }
            _ => out.push('\\'),
        }
    }
}

/// PostgreSQL's `replace_text_regexp`: replaces the `n`th match at or
/// after character `start` (1-based), or every match when `n` is 0.
fn replace(
    s: &str,
    re: &Regex,
    replacement: &str,
    start: usize,
    n: i64,
) -> Result<String, SqlError> {
    let mut out = String::new();
    let mut data_pos = 0;
    let mut search = char_offset(s, start.saturating_sub(1));
    let mut count = 0;
    while search <= s.len() {
        let Some(caps) = re.captures_at(s, search) else {
            break;
        };
        let Some(m) = caps.get(0) else { break };
        count += 1;
        if n > 0 && count < n {
            search = if m.start() == m.end() {
                next_char(s, m.end())
            } else {
                m.end()
            };
            continue;
        }
        let groups: Groups = caps
            .iter()
            .map(|g| g.map(|g| (g.start(), g.end())))
            .collect();
        check_buffer(out.len(), m.start() - data_pos)?;
        out.push_str(&s[data_pos..m.start()]);
        let mut piece = String::new();
        expand(replacement, s, &groups, &mut piece);
        check_buffer(out.len(), piece.len())?;
        out.push_str(&piece);
        data_pos = m.end();
        if n > 0 {
            break;
        }
        search = if m.start() == m.end() {
            next_char(s, m.end())
        } else {
            m.end()
        };
    }
    check_buffer(out.len(), s.len() - data_pos)?;
    out.push_str(&s[data_pos..]);
    Ok(out)
}

fn no_global(func: &str) -> SqlError {
    invalid_param(format!("{func}() does not support the \"global\" option"))
}

fn bad_param(name: &str, v: i64) -> SqlError {
    invalid_param(format!("invalid value for parameter \"{name}\": {v}"))
}

fn text_of(args: &[Value], i: usize) -> &str {
    super::arg_str(args, i)
}

/// The groups of a match as `regexp_match` returns them: the
/// parenthesized subexpressions, or the whole match when there are none.
fn match_array(re: &Regex, s: &str, groups: &Groups) -> Value {
    let pick = |g: &Option<(usize, usize)>| match g {
        Some((a, b)) => Value::Text(s[*a..*b].to_string()),
        None => Value::Null,
    };
    if re.captures_len() > 1 {
        Value::Array(groups.iter().skip(1).map(pick).collect())
    } else {
        Value::Array(vec![groups.first().map_or(Value::Null, pick)])
    }
}

/// `s ~ pattern` (`~*` with `case_insensitive`): PostgreSQL's ARE rules,
/// as the regexp functions apply them.
pub fn is_match(s: &str, pattern: &str, case_insensitive: bool) -> Result<bool, SqlError> {
    let flags = Flags {
        case_insensitive,
        ..Flags::parse("")?
    };
    Ok(compile(pattern, flags)?.is_match(s))
}

/// SIMILAR TO's pattern as a regular expression, as PostgreSQL's
/// `similar_to_escape` builds it: anchored at both ends, `%` and `_` are
/// wildcards, `.`, `^`, `$` and `\` are literal, `escape` quotes the next
/// character; `|`, `*`, `+`, `?`, `{}`, `()` and brackets keep their
/// regular-expression meaning.
pub fn similar_to_regex(pattern: &str, escape: Option<char>) -> String {
    let mut out = String::from("^(?:");
    let mut chars = pattern.chars();
    let mut in_brackets = false;
    while let Some(c) = chars.next() {
        if Some(c) == escape {
            match chars.next() {
                Some(next) => {
                    out.push('\\');
                    out.push(next);
                }
                None => out.push_str("\\\\"),
            }
            continue;
        }
        if in_brackets {
            if c == ']' {
                in_brackets = false;
            }
            out.push(c);
            continue;
        }
        match c {
            '%' => out.push_str(".*"),
            '_' => out.push('.'),
            '(' => out.push_str("(?:"),
            '[' => {
                in_brackets = true;
                out.push('[');
            }
            '\\' | '.' | '^' | '$' => {
                out.push('\\');
                out.push(c);
            }
            other => out.push(other),
        }
    }
    out.push_str(")$");
    out
}

/// `s SIMILAR TO pattern [ESCAPE escape]`. The escape must be one
/// character or empty (no escape); `None` means the default backslash.
pub fn similar_to(s: &str, pattern: &str, escape: Option<&str>) -> Result<bool, SqlError> {
    let escape = match escape {
        None => Some('\\'),
        Some(e) => {
            let mut chars = e.chars();
            match (chars.next(), chars.next()) {
                (None, _) => None,
                (Some(c), None) => Some(c),
                _ => {
                    return Err(SqlError::new(SqlState("22025"), "invalid escape string")
                        .with_hint("Escape string must be empty or one character."))
                }
            }
        }
    };
    let regex = similar_to_regex(pattern, escape);
    Ok(compile(&regex, Flags::parse("")?)?.is_match(s))
}

/// `substring(s FROM pattern)`: the first parenthesized subexpression of
/// the first match (the whole match without one), NULL without a match.
pub fn substring(s: &str, pattern: &str) -> Result<Option<Value>, SqlError> {
    let re = compile(pattern, Flags::parse("")?)?;
    let Some(caps) = re.captures(s) else {
        return Ok(Some(Value::Null));
    };
    let g = if re.captures_len() > 1 {
        caps.get(1)
    } else {
        caps.get(0)
    };
    Ok(Some(g.map_or(Value::Null, |m| {
        Value::Text(m.as_str().to_string())
    })))
}

/// Regular-expression functions; `None` when `name` is not one of them.
/// Arguments are non-NULL (the functions are strict).
pub fn call(name: &str, args: &[Value]) -> Result<Option<Value>, SqlError> {
    let s = text_of(args, 0);
    let pattern = text_of(args, 1);
    Ok(Some(match name {
        "regexp_replace" => {
            let replacement = text_of(args, 2);
            let (start, n, flags) = match args.get(3) {
                Some(Value::Text(f)) => {
                    if let Some(d) = f.chars().next().filter(char::is_ascii_digit) {
                        // PostgreSQL names only the first character.
                        return Err(invalid_param(format!(
                            "invalid regular expression option: \"{d}\""
                        ))
                        .with_hint(
                            "If you meant to use regexp_replace() with a start parameter, cast the fourth argument to integer explicitly.",
                        ));
                    }
                    let flags = Flags::parse(f)?;
                    (1, if flags.global { 0 } else { 1 }, flags)
                }
                Some(v) => {
                    let start = v.as_i64().unwrap_or(1);
                    if start <= 0 {
                        return Err(bad_param("start", start));
                    }
                    let n = match args.get(4) {
                        Some(v) => v.as_i64().unwrap_or(1),
                        None => 1,
                    };
                    if n < 0 {
                        return Err(bad_param("n", n));
                    }
                    let flags = Flags::parse(text_of(args, 5))?;
                    let n = if args.len() <= 4 && flags.global {
                        0
                    } else {
                        n
                    };
                    (start as usize, n, flags)
                }
                None => (1, 1, Flags::parse("")?),
            };
            let re = compile(pattern, flags)?;
            Value::Text(replace(s, &re, replacement, start, n)?)
        }
        "regexp_match" => {
            let flags = Flags::parse(text_of(args, 2))?;
            if flags.global {
                return Err(no_global(name).with_hint("Use the regexp_matches function instead."));
            }
            let re = compile(pattern, flags)?;
            match find_matches(&re, s, 0, false, false).first() {
                Some(groups) => match_array(&re, s, groups),
                None => Value::Null,
            }
        }
        "regexp_split_to_array" => {
            let flags = Flags::parse(text_of(args, 2))?;
            if flags.global {
                return Err(no_global(name));
            }
            let re = compile(pattern, flags)?;
            let mut items = Vec::new();
            let mut from = 0;
            for groups in find_matches(&re, s, 0, true, true) {
                if let Some(Some((a, b))) = groups.first() {
                    items.push(Value::Text(s[from..*a].to_string()));
                    from = *b;
                }
            }
            items.push(Value::Text(s[from..].to_string()));
            Value::Array(items)
        }
        "regexp_like" => {
            let flags = Flags::parse(text_of(args, 2))?;
            if flags.global {
                return Err(no_global(name));
            }
            Value::Bool(compile(pattern, flags)?.is_match(s))
        }
        "regexp_count" => {
            let start = match args.get(2) {
                Some(v) => v.as_i64().unwrap_or(1),
                None => 1,
            };
            if start <= 0 {
                return Err(bad_param("start", start));
            }
            let flags = Flags::parse(text_of(args, 3))?;
            if flags.global {
                return Err(no_global(name));
            }
            let re = compile(pattern, flags)?;
            let from = char_offset(s, start as usize - 1);
            if from > s.len() {
                Value::Int4(0)
            } else {
                Value::Int4(find_matches(&re, s, from, true, false).len() as i32)
            }
        }
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {

    #[test]
    fn similar_to_follows_postgres_escaping() {
        let m = |s: &str, p: &str| similar_to(s, p, None).expect("valid");
        assert!(m("abc", "a%"));
        assert!(!m("abc", "b%"), "anchored at the start");
        assert!(m("abc", "_b_"));
        assert!(m("abc", "(a|x)bc"));
        assert!(
            !m("a.c", "a\\%c") && m("a%c", "a\\%c"),
            "escaped % is literal"
        );
        assert!(!m("abc", "a.c"), ". is literal");
        assert!(m("aab", "a+b") && m("b", "a*b"));
        assert!(m("a1", "[a-c][0-9]"));
        assert!(similar_to("a_c", "a#_c", Some("#")).expect("valid"));
        assert!(!similar_to("abc", "a#_c", Some("#")).expect("valid"));
        assert!(similar_to("x", "x", Some("ab")).is_err());
        assert!(is_match("Hello", "^h", true).expect("valid"));
        assert!(
            is_match("a\nb", "a.b", false).expect("valid"),
            ". matches a newline"
        );
    }
    use super::*;

    fn t(s: &str) -> Value {
        Value::Text(s.to_string())
    }

    fn texts(items: &[&str]) -> Value {
        Value::Array(items.iter().map(|s| t(s)).collect())
    }

    fn run(name: &str, args: &[Value]) -> Result<Value, SqlError> {
        Ok(call(name, args)?.expect("a regex function"))
    }

    #[test]
    fn translation_of_postgres_escapes() {
        assert_eq!(translate(r"\mfoo\M"), r"\b{start}foo\b{end}");
        assert_eq!(translate(r"\yx\Y"), r"\bx\B");
        assert_eq!(translate(r"a\Z"), r"a\z");
        assert_eq!(translate(r"\b\B\e"), r"\x08\\\x1B");
        assert_eq!(translate(r"\d+\.\w"), r"\d+\.\w");
    }

    #[test]
    fn translation_of_brackets() {
        // `]` first in a bracket is literal, `[` inside one is literal.
        assert_eq!(translate("[]a]"), r"[\]a]");
        assert_eq!(translate("[^]a]"), r"[^\]a]");
        assert_eq!(translate("[][]"), r"[\]\[]");
        assert_eq!(translate("[a[]"), r"[a\[]");
        // POSIX classes stay, collating elements become the character.
        assert_eq!(translate("[[:alpha:]_]"), "[[:alpha:]_]");
        assert_eq!(translate("[[.-.]a]"), r"[\-a]");
        // No set operations.
        assert_eq!(translate("[&&~~]"), r"[\&\&\~\~]");
        assert_eq!(translate("[!--]"), r"[!-\-]");
        // `\m` inside a bracket is left to the regex crate.
        assert_eq!(translate(r"[\m]"), r"[\m]");
        // Every translated pattern compiles.
        for p in [
            "[]a]",
            "[^]a]",
            "[][]",
            "[a[]",
            "[[:alpha:]_]",
            "[[.-.]a]",
            "[&&~~]",
            "[!--]",
            r"\mfoo\M",
            r"\b\B\e",
        ] {
            assert!(
                compile(p, Flags::parse("").unwrap()).is_ok(),
                "{p} -> {}",
                translate(p)
            );
        }
    }

    #[test]
    fn flags() {
        assert!(Flags::parse("gixnpwstqce").is_ok());
        assert!(Flags::parse("z").is_err());
        let f = Flags::parse("n").unwrap();
        assert!(f.dot_stops_at_newline && f.multi_line);
        let f = Flags::parse("ns").unwrap();
        assert!(!f.dot_stops_at_newline && !f.multi_line);
        // `.` matches a newline unless a flag says otherwise.
        assert_eq!(
            run("regexp_like", &[t("a\nb"), t("a.b")]).unwrap(),
            Value::Bool(true)
        );
        assert_eq!(
            run("regexp_like", &[t("a\nb"), t("a.b"), t("n")]).unwrap(),
            Value::Bool(false)
        );
        assert_eq!(
            run("regexp_like", &[t("x\nab"), t("^a"), t("w")]).unwrap(),
            Value::Bool(true)
        );
        assert_eq!(
            run("regexp_like", &[t("a.b"), t("."), t("q")]).unwrap(),
            Value::Bool(true)
        );
        assert_eq!(
            run("regexp_like", &[t("ab"), t("."), t("q")]).unwrap(),
            Value::Bool(false)
        );
    }

    #[test]
    fn replace_like_postgres() {
        let r = |args: &[Value]| run("regexp_replace", args).unwrap();
        assert_eq!(r(&[t("abc"), t("x*"), t("-"), t("g")]), t("-a-b-c-"));
        assert_eq!(r(&[t("aaa"), t("^a"), t("b"), t("g")]), t("baa"));
        assert_eq!(
            r(&[t("foobarbaz"), t("b(.)(.)"), t(r"[\2\1\&\\]"), t("g")]),
            t(r"foo[rabar\][zabaz\]")
        );
        // start and N.
        assert_eq!(
            r(&[t("abcabc"), t("b"), t("X"), Value::Int4(3)]),
            t("abcaXc")
        );
        assert_eq!(
            r(&[t("abcabc"), t("b"), t("X"), Value::Int4(1), Value::Int4(2)]),
            t("abcaXc")
        );
        assert_eq!(r(&[t("abc"), t("b"), t("X"), Value::Int4(9)]), t("abc"));
        let e = run("regexp_replace", &[t("abc"), t("b"), t("x"), t("12")]).unwrap_err();
        assert_eq!(e.message, "invalid regular expression option: \"1\"");
        let e = run("regexp_replace", &[t("abc"), t("("), t("x")]).unwrap_err();
        assert_eq!(e.code, SqlState("2201B"));
    }

    #[test]
    fn matches_counts_and_splits() {
        assert_eq!(
            run("regexp_match", &[t("foobarbeque"), t("(bar)(beque)")]).unwrap(),
            texts(&["bar", "beque"])
        );
        assert_eq!(
            run("regexp_match", &[t("foobar"), t("o+")]).unwrap(),
            texts(&["oo"])
        );
        assert_eq!(
            run("regexp_match", &[t("abc"), t("(x)?b")]).unwrap(),
            Value::Array(vec![Value::Null])
        );
        assert_eq!(
            run("regexp_match", &[t("abc"), t("x")]).unwrap(),
            Value::Null
        );
        assert!(run("regexp_match", &[t("abc"), t("b"), t("g")]).is_err());
        assert_eq!(
            run("regexp_count", &[t("abc"), t("")]).unwrap(),
            Value::Int4(4)
        );
        assert_eq!(
            run("regexp_count", &[t("ababab"), t("ab"), Value::Int4(2)]).unwrap(),
            Value::Int4(2)
        );
        assert_eq!(
            run("regexp_count", &[t("ab"), t("b"), Value::Int4(9)]).unwrap(),
            Value::Int4(0)
        );
        assert_eq!(
            run("regexp_split_to_array", &[t("a1b22c"), t(r"\d*")]).unwrap(),
            texts(&["a", "b", "c"])
        );
        assert_eq!(
            run("regexp_split_to_array", &[t("héllo"), t("")]).unwrap(),
            texts(&["h", "é", "l", "l", "o"])
        );
        assert_eq!(substring("foobar", "o(b)a").unwrap(), Some(t("b")));
        assert_eq!(substring("foobar", "o+b").unwrap(), Some(t("oob")));
        assert_eq!(substring("foobar", "x").unwrap(), Some(Value::Null));
    }
}
