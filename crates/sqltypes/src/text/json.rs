//! `json` validation and `jsonb` text I/O.
//!
//! `jsonb` prints like PostgreSQL: `", "` and `": "` separators and object
//! keys ordered by length, then bytewise (PostgreSQL's storage order), with
//! the last of duplicate keys kept.

use serde_json::Value as Json;

use crate::error::{SqlError, SqlState};

fn json_error(e: &serde_json::Error) -> SqlError {
    SqlError::new(
        SqlState::INVALID_TEXT_REPRESENTATION,
        "invalid input syntax for type json",
    )
    .with_detail(format!("{e}"))
}

/// Checks that `input` is valid JSON (the `json` type keeps the text).
pub fn validate_json(input: &str) -> Result<(), SqlError> {
    serde_json::from_str::<serde::de::IgnoredAny>(input)
        .map(|_| ())
        .map_err(|e| json_error(&e))
}

/// `jsonb` input.
pub fn parse_jsonb(input: &str) -> Result<Json, SqlError> {
    serde_json::from_str(input).map_err(|e| json_error(&e))
}

/// Object keys in PostgreSQL's jsonb order: shorter first, then bytewise.
pub fn sorted_keys(map: &serde_json::Map<String, Json>) -> Vec<&String> {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort_by(|a, b| {
        a.len()
            .cmp(&b.len())
            .then_with(|| a.as_bytes().cmp(b.as_bytes()))
    });
    keys
}

/// `jsonb` output.
pub fn format_jsonb(j: &Json) -> String {
    let mut out = String::new();
    write_jsonb(j, &mut out);
    out
}

/// A JSON number as PostgreSQL's numeric prints it (never in exponent form).
pub fn format_json_number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    match n.as_f64() {
        Some(f) if f.is_finite() => {
            let s = format!("{f}");
            if s == "-0" {
                "0".into()
            } else {
                s
            }
        }
        _ => n.to_string(),
    }
}

fn write_jsonb(j: &Json, out: &mut String) {
    match j {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => out.push_str(&format_json_number(n)),
        Json::String(s) => escape_json_string(s, out),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_jsonb(item, out);
            }
            out.push(']');
        }
        Json::Object(map) => {
            out.push('{');
            for (i, key) in sorted_keys(map).into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                escape_json_string(key, out);
                out.push_str(": ");
                if let Some(v) = map.get(key) {
                    write_jsonb(v, out);
                }
            }
            out.push('}');
        }
    }
}

/// PostgreSQL's `escape_json`.
pub fn escape_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}
