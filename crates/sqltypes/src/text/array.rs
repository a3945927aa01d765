//! Array text I/O: `{1,2,NULL}`, `{"a b","x,y"}`, nested `{{1,2},{3,4}}`.

use crate::error::{SqlError, SqlState};
use crate::types::DataType;
use crate::value::{EvalContext, Value};

/// Array output; elements that would not read back unquoted are quoted.
pub fn format_array(items: &[Value], elem: &DataType, ctx: &EvalContext) -> String {
    let mut out = String::from("{");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match item {
            Value::Null => out.push_str("NULL"),
            Value::Array(inner) => out.push_str(&format_array(inner, elem, ctx)),
            v => {
                let s = super::format(v, elem, ctx);
                push_element(&s, &mut out);
            }
        }
    }
    out.push('}');
    out
}

fn push_element(s: &str, out: &mut String) {
    let needs_quotes = s.is_empty()
        || s.eq_ignore_ascii_case("null")
        || s.chars()
            .any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || c.is_ascii_whitespace());
    if !needs_quotes {
        out.push_str(s);
        return;
    }
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

fn malformed(input: &str) -> SqlError {
    SqlError::new(
        SqlState::INVALID_TEXT_REPRESENTATION,
        format!("malformed array literal: \"{input}\""),
    )
}

/// Array input; elements are parsed with the element type's input rules.
pub fn parse_array(
    input: &str,
    elem: &DataType,
    ctx: &EvalContext,
) -> Result<Vec<Value>, SqlError> {
    let mut s = input.trim_start();
    // Optional dimension decoration: `[1:3]={...}`.
    if s.starts_with('[') {
        let eq = s.find('=').ok_or_else(|| malformed(input))?;
        s = s[eq + 1..].trim_start();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut pos = 0;
    let items = parse_list(&chars, &mut pos, input, elem, ctx, 0)?;
    while pos < chars.len() {
        if !chars[pos].is_whitespace() {
            return Err(malformed(input));
        }
        pos += 1;
    }
    Ok(items)
}

fn parse_list(
    c: &[char],
    pos: &mut usize,
    input: &str,
    elem: &DataType,
    ctx: &EvalContext,
    depth: usize,
) -> Result<Vec<Value>, SqlError> {
    if depth > 6 || c.get(*pos) != Some(&'{') {
        return Err(malformed(input));
    }
    *pos += 1;
    let mut items = Vec::new();
    let skip_ws = |pos: &mut usize| {
        while *pos < c.len() && c[*pos].is_whitespace() {
            *pos += 1;
        }
    };
    skip_ws(pos);
    if c.get(*pos) == Some(&'}') {
        *pos += 1;
        return Ok(items);
    }
    loop {
        skip_ws(pos);
        match c.get(*pos) {
            None => return Err(malformed(input)),
            Some('{') => {
                let inner = parse_list(c, pos, input, elem, ctx, depth + 1)?;
                items.push(Value::Array(inner));
            }
            Some('"') => {
                *pos += 1;
                let mut s = String::new();
                loop {
                    match c.get(*pos) {
                        None => return Err(malformed(input)),
                        Some('"') => {
                            *pos += 1;
                            break;
                        }
                        Some('\\') => {
                            let ch = c.get(*pos + 1).ok_or_else(|| malformed(input))?;
                            s.push(*ch);
                            *pos += 2;
                        }
                        Some(ch) => {
                            s.push(*ch);
                            *pos += 1;
                        }
                    }
                }
                items.push(super::parse(&s, elem, ctx)?);
            }
            Some(_) => {
                let mut s = String::new();
                let mut escaped_any = false;
                while let Some(&ch) = c.get(*pos) {
                    match ch {
                        ',' | '}' => break,
                        '{' | '"' => return Err(malformed(input)),
                        '\\' => {
                            let next = c.get(*pos + 1).ok_or_else(|| malformed(input))?;
                            s.push(*next);
                            escaped_any = true;
                            *pos += 2;
                        }
                        _ => {
                            s.push(ch);
                            *pos += 1;
                        }
                    }
                }
                let trimmed = s.trim_end();
                if !escaped_any && trimmed.eq_ignore_ascii_case("null") {
                    items.push(Value::Null);
                } else {
                    items.push(super::parse(trimmed, elem, ctx)?);
                }
            }
        }
        skip_ws(pos);
        match c.get(*pos) {
            Some(',') => *pos += 1,
            Some('}') => {
                *pos += 1;
                return Ok(items);
            }
            _ => return Err(malformed(input)),
        }
    }
}
