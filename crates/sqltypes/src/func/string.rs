//! String functions (`length`, `substr`, `lpad`, `split_part`, `format`, ...).

use super::{arg_i64, arg_str, invalid_param, FunctionSignature};
use crate::error::{SqlError, SqlState};
use crate::text;
use crate::types::DataType;
use crate::value::{EvalContext, Value};

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

fn t(s: impl Into<String>) -> Option<Value> {
    Some(Value::Text(s.into()))
}

/// Substring by 1-based character position and optional length, with
/// PostgreSQL's handling of starts before 1.
fn substr(s: &[char], from: i64, count: Option<i64>) -> Result<(usize, usize), SqlError> {
    let len = s.len() as i64;
    let end = match count {
        Some(c) if c < 0 => {
            return Err(SqlError::new(
                SqlState::SUBSTRING_ERROR,
                "negative substring length not allowed",
            ))
        }
        Some(c) => from.saturating_add(c),
        None => i64::MAX,
    };
    let start = from.max(1);
    if end <= start || start > len {
        return Ok((0, 0));
    }
    let end = end.min(len + 1);
    Ok(((start - 1) as usize, (end - 1) as usize))
}

fn pad(s: &str, len: i64, fill: &str, left: bool) -> String {
    let sc = chars(s);
    if len <= 0 {
        return String::new();
    }
    let len = len as usize;
    if sc.len() >= len || fill.is_empty() {
        return sc.into_iter().take(len).collect();
    }
    let padding: String = fill.chars().cycle().take(len - sc.len()).collect();
    if left {
        padding + s
    } else {
        s.to_string() + &padding
    }
}

fn trim_chars<'a>(s: &'a str, set: &str, leading: bool, trailing: bool) -> &'a str {
    let f = |c: char| set.contains(c);
    let mut r = s;
    if leading {
        r = r.trim_start_matches(f);
    }
    if trailing {
        r = r.trim_end_matches(f);
    }
    r
}

fn initcap(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_word = false;
    for c in s.chars() {
        if c.is_alphanumeric() {
            if in_word {
                out.extend(c.to_lowercase());
            } else {
                out.extend(c.to_uppercase());
            }
            in_word = true;
        } else {
            out.push(c);
            in_word = false;
        }
    }
    out
}

/// PostgreSQL's `quote_ident`: quoted unless a plain lower-case identifier.
pub fn quote_ident(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && !is_reserved(s);
    if plain {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

fn is_reserved(s: &str) -> bool {
    matches!(
        s,
        "all"
            | "and"
            | "any"
            | "array"
            | "as"
            | "asc"
            | "both"
            | "case"
            | "cast"
            | "check"
            | "column"
            | "constraint"
            | "create"
            | "default"
            | "desc"
            | "distinct"
            | "do"
            | "else"
            | "end"
            | "false"
            | "for"
            | "foreign"
            | "from"
            | "grant"
            | "group"
            | "having"
            | "in"
            | "into"
            | "leading"
            | "limit"
            | "not"
            | "null"
            | "offset"
            | "on"
            | "only"
            | "or"
            | "order"
            | "primary"
            | "references"
            | "select"
            | "table"
            | "then"
            | "to"
            | "trailing"
            | "true"
            | "union"
            | "unique"
            | "user"
            | "using"
            | "when"
            | "where"
            | "with"
    )
}

/// PostgreSQL's `quote_literal`.
pub fn quote_literal(s: &str) -> String {
    let body = s.replace('\'', "''");
    if s.contains('\\') {
        format!("E'{}'", body.replace('\\', "\\\\"))
    } else {
        format!("'{body}'")
    }
}

/// A value as `concat`/`format` print it: its type's output function.
fn out(v: &Value, ty: &DataType, ctx: &EvalContext) -> String {
    match v {
        Value::Text(s) => s.clone(),
        other => text::format(other, ty, ctx),
    }
}

fn format_fn(args: &[Value], types: &[DataType], ctx: &EvalContext) -> Result<Value, SqlError> {
    let Some(Value::Text(fmt)) = args.first() else {
        return Ok(Value::Null);
    };
    let mut outp = String::new();
    let cs = chars(fmt);
    let mut i = 0;
    let mut next_arg = 1usize;
    while i < cs.len() {
        if cs[i] != '%' {
            outp.push(cs[i]);
            i += 1;
            continue;
        }
        i += 1;
        let Some(&c) = cs.get(i) else {
            return Err(invalid_param("unterminated format() type specifier"));
        };
        if c == '%' {
            outp.push('%');
            i += 1;
            continue;
        }
        // Optional `n$` position.
        let mut j = i;
        let mut n = 0usize;
        while j < cs.len() && cs[j].is_ascii_digit() {
            n = n
                .saturating_mul(10)
                .saturating_add(cs[j] as usize - '0' as usize);
            j += 1;
        }
        let mut argno = next_arg;
        if j > i && cs.get(j) == Some(&'$') {
            if n == 0 {
                return Err(invalid_param(
                    "format specifies argument 0, but arguments are numbered from 1",
                ));
            }
            argno = n;
            i = j + 1;
        }
        let Some(&spec) = cs.get(i) else {
            return Err(invalid_param("unterminated format() type specifier"));
        };
        i += 1;
        let Some(v) = args.get(argno) else {
            return Err(invalid_param("too few arguments for format()"));
        };
        next_arg = argno + 1;
        let ty = types.get(argno).cloned().unwrap_or(DataType::Text);
        match spec {
            's' => {
                if !v.is_null() {
                    outp.push_str(&out(v, &ty, ctx));
                }
            }
            'I' => {
                if v.is_null() {
                    return Err(SqlError::new(
                        SqlState::NULL_VALUE_NOT_ALLOWED,
                        "null values cannot be formatted as an SQL identifier",
                    ));
                }
                outp.push_str(&quote_ident(&out(v, &ty, ctx)));
            }
            'L' => {
                if v.is_null() {
                    outp.push_str("NULL");
                } else {
                    outp.push_str(&quote_literal(&out(v, &ty, ctx)));
                }
            }
            other => {
                return Err(invalid_param(format!(
                    "unrecognized format() type specifier \"{other}\""
                )))
            }
        }
    }
    Ok(Value::Text(outp))
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(data: &[u8]) -> String {
    let mut out = String::new();
    for (n, chunk) in data.chunks(3).enumerate() {
        if n > 0 && n % 19 == 0 {
            out.push('\n');
        }
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let v = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(B64[(v >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(s: &str) -> Result<Vec<u8>, SqlError> {
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        if c.is_ascii_whitespace() || c == b'=' {
            continue;
        }
        let v = B64.iter().position(|&x| x == c).ok_or_else(|| {
            invalid_param(format!(
                "invalid symbol \"{}\" found while decoding base64 sequence",
                c as char
            ))
        })?;
        acc = acc << 6 | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

fn escape_encode(data: &[u8]) -> String {
    let mut out = String::new();
    for &b in data {
        if b == b'\\' {
            out.push_str("\\\\");
        } else if b == 0 || b >= 0x80 {
            out.push_str(&format!("\\{b:03o}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

/// String functions; `None` when `name` is not one of them.
pub fn call(
    name: &str,
    sig: &FunctionSignature,
    args: &[Value],
    ctx: &EvalContext,
) -> Result<Option<Value>, SqlError> {
    let s0 = || arg_str(args, 0);
    Ok(match name {
        "length" | "char_length" | "character_length" => match args.first() {
            Some(Value::Bytea(b)) => Some(Value::Int4(b.len() as i32)),
            _ => {
                let s = if matches!(sig.args.first(), Some(DataType::Char(_))) {
                    s0().trim_end_matches(' ')
                } else {
                    s0()
                };
                Some(Value::Int4(s.chars().count() as i32))
            }
        },
        "octet_length" | "bit_length" => {
            let n = match args.first() {
                Some(Value::Bytea(b)) => b.len(),
                _ => s0().len(),
            } as i32;
            Some(Value::Int4(if name == "bit_length" { n * 8 } else { n }))
        }
        "lower" => t(s0().to_lowercase()),
        "upper" => t(s0().to_uppercase()),
        "initcap" => t(initcap(s0())),
        "reverse" => t(s0().chars().rev().collect::<String>()),
        "md5" => {
            let bytes = match args.first() {
                Some(Value::Bytea(b)) => b.clone(),
                _ => s0().as_bytes().to_vec(),
            };
            t(super::md5::hex_digest(&bytes))
        }
        "quote_ident" => t(quote_ident(s0())),
        "quote_literal" => t(quote_literal(s0())),
        "quote_nullable" => match args.first() {
            Some(Value::Null) | None => t("NULL"),
            _ => t(quote_literal(s0())),
        },
        "substr" | "substring" => {
            let count = (args.len() > 2).then(|| arg_i64(args, 2));
            match args.first() {
                Some(Value::Bytea(b)) => {
                    let (a, e) = substr(&vec![' '; b.len()], arg_i64(args, 1), count)?;
                    Some(Value::Bytea(b[a..e].to_vec()))
                }
                _ => {
                    let cs = chars(s0());
                    let (a, e) = substr(&cs, arg_i64(args, 1), count)?;
                    t(cs[a..e].iter().collect::<String>())
                }
            }
        }
        "strpos" | "position" => {
            let (s, sub) = (s0(), arg_str(args, 1));
            Some(Value::Int4(match s.find(sub) {
                Some(byte) => s[..byte].chars().count() as i32 + 1,
                None => 0,
            }))
        }
        "replace" => {
            let from = arg_str(args, 1);
            if from.is_empty() {
                t(s0())
            } else {
                t(s0().replace(from, arg_str(args, 2)))
            }
        }
        "translate" => {
            let from = chars(arg_str(args, 1));
            let to = chars(arg_str(args, 2));
            let mut o = String::new();
            for c in s0().chars() {
                match from.iter().position(|f| *f == c) {
                    Some(i) => {
                        if let Some(r) = to.get(i) {
                            o.push(*r);
                        }
                    }
                    None => o.push(c),
                }
            }
            t(o)
        }
        "btrim" | "trim" | "ltrim" | "rtrim" => {
            let set = if args.len() > 1 {
                arg_str(args, 1)
            } else {
                " "
            };
            let (l, r) = match name {
                "ltrim" => (true, false),
                "rtrim" => (false, true),
                _ => (true, true),
            };
            t(trim_chars(s0(), set, l, r))
        }
        "lpad" | "rpad" => {
            let fill = if args.len() > 2 {
                arg_str(args, 2)
            } else {
                " "
            };
            t(pad(s0(), arg_i64(args, 1), fill, name == "lpad"))
        }
        "left" | "right" => {
            let cs = chars(s0());
            let n = arg_i64(args, 1);
            let len = cs.len() as i64;
            let keep = if n >= 0 { n.min(len) } else { (len + n).max(0) } as usize;
            let r: String = if name == "left" {
                cs[..keep].iter().collect()
            } else {
                cs[cs.len() - keep..].iter().collect()
            };
            t(r)
        }
        "repeat" => {
            let n = arg_i64(args, 1).max(0) as usize;
            let s = s0();
            if s.len().saturating_mul(n) > 1 << 30 {
                return Err(SqlError::new(
                    SqlState::PROGRAM_LIMIT_EXCEEDED,
                    "requested length too large",
                ));
            }
            t(s.repeat(n))
        }
        "split_part" => {
            let (s, delim, n) = (s0(), arg_str(args, 1), arg_i64(args, 2));
            if n == 0 {
                return Err(invalid_param("field position must not be zero"));
            }
            let parts: Vec<&str> = if delim.is_empty() {
                vec![s]
            } else {
                s.split(delim).collect()
            };
            let idx = if n > 0 { n - 1 } else { parts.len() as i64 + n };
            t(if (0..parts.len() as i64).contains(&idx) {
                parts[idx as usize]
            } else {
                ""
            })
        }
        "ascii" => Some(Value::Int4(s0().chars().next().map_or(0, |c| c as i32))),
        "chr" => {
            let n = arg_i64(args, 0);
            if n == 0 {
                return Err(SqlError::new(
                    SqlState::PROGRAM_LIMIT_EXCEEDED,
                    "null character not permitted",
                ));
            }
            let c = u32::try_from(n)
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| {
                    SqlError::new(
                        SqlState::PROGRAM_LIMIT_EXCEEDED,
                        "requested character too large for encoding",
                    )
                })?;
            t(c.to_string())
        }
        "starts_with" => Some(Value::Bool(s0().starts_with(arg_str(args, 1)))),
        "to_hex" => {
            let v = arg_i64(args, 0);
            t(match args.first() {
                Some(Value::Int4(i)) => format!("{:x}", *i as u32),
                _ => format!("{:x}", v as u64),
            })
        }
        "concat" => {
            let mut o = String::new();
            for (v, ty) in args.iter().zip(sig.args.iter()) {
                if !v.is_null() {
                    o.push_str(&out(v, ty, ctx));
                }
            }
            t(o)
        }
        "concat_ws" => {
            let Some(Value::Text(sep)) = args.first() else {
                return Ok(Some(Value::Null));
            };
            let parts: Vec<String> = args
                .iter()
                .zip(sig.args.iter())
                .skip(1)
                .filter(|(v, _)| !v.is_null())
                .map(|(v, ty)| out(v, ty, ctx))
                .collect();
            t(parts.join(sep))
        }
        "format" => Some(format_fn(args, &sig.args, ctx)?),
        "encode" => {
            let Some(Value::Bytea(b)) = args.first() else {
                return Ok(Some(Value::Null));
            };
            let fmt = arg_str(args, 1).to_ascii_lowercase();
            t(match fmt.as_str() {
                "hex" => text::format_bytea(b)[2..].to_string(),
                "base64" => base64_encode(b),
                "escape" => escape_encode(b),
                other => return Err(invalid_param(format!("unrecognized encoding: \"{other}\""))),
            })
        }
        "decode" => {
            let s = s0();
            let fmt = arg_str(args, 1).to_ascii_lowercase();
            Some(Value::Bytea(match fmt.as_str() {
                "hex" => text::parse_bytea(&format!("\\x{s}"))?,
                "base64" => base64_decode(s)?,
                "escape" => text::parse_bytea(s)?,
                other => return Err(invalid_param(format!("unrecognized encoding: \"{other}\""))),
            }))
        }
        "string_to_array" => {
            let (s, d) = (s0(), arg_str(args, 1));
            let items: Vec<Value> = if s.is_empty() {
                vec![]
            } else if d.is_empty() {
                vec![Value::Text(s.to_string())]
            } else {
                s.split(d).map(|p| Value::Text(p.to_string())).collect()
            };
            Some(Value::Array(items))
        }
        _ => None,
    })
}
