//! String functions (`length`, `substr`, `lpad`, `split_part`, `format`, ...).

use super::{
    arg_i64, arg_str, check_buffer, invalid_param, length_too_large, FunctionSignature,
    MAX_ALLOC_SIZE,
};
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

/// `lpad` / `rpad`, refusing (like PostgreSQL, before allocating) a
/// length whose worst-case UTF-8 size does not fit in 1 GB.
fn pad(s: &str, len: i64, fill: &str, left: bool) -> Result<String, SqlError> {
    let mut len = len.max(0) as usize;
    let kept = s.chars().count().min(len);
    if fill.is_empty() {
        len = kept;
    }
    if len.saturating_mul(4).saturating_add(4) > MAX_ALLOC_SIZE {
        return Err(length_too_large());
    }
    let body: String = s.chars().take(kept).collect();
    if kept >= len {
        return Ok(body);
    }
    let padding: String = fill.chars().cycle().take(len - kept).collect();
    Ok(if left {
        padding + &body
    } else {
        body + &padding
    })
}

/// `sha224` / `sha256` / `sha384` / `sha512` of `data`.
fn sha2_digest(name: &str, data: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    match name {
        "sha224" => sha2::Sha224::digest(data).to_vec(),
        "sha384" => sha2::Sha384::digest(data).to_vec(),
        "sha512" => sha2::Sha512::digest(data).to_vec(),
        _ => sha2::Sha256::digest(data).to_vec(),
    }
}

/// One character to one character, as PostgreSQL's `upper`/`lower` map
/// (`ß` stays `ß`; Rust's full mapping would give `SS`).
fn map_chars(s: &str, upper: bool) -> String {
    s.chars()
        .map(|c| {
            let mut m: Vec<char> = if upper {
                c.to_uppercase().collect()
            } else {
                c.to_lowercase().collect()
            };
            if m.len() == 1 {
                m.pop().unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

/// The kept head `(0, end)` and the start of the kept tail of
/// `overlay(s PLACING r FROM from FOR count)`.
fn overlay_bounds(s: &[char], from: i64, count: i64) -> Result<((usize, usize), usize), SqlError> {
    if from <= 0 {
        return Err(SqlError::new(
            SqlState::SUBSTRING_ERROR,
            "negative substring length not allowed",
        ));
    }
    let head = substr(s, 1, Some(from - 1))?;
    // PostgreSQL adds the two int4 arguments in int4.
    let tail_from = i32::try_from(from)
        .ok()
        .zip(i32::try_from(count).ok())
        .and_then(|(a, b)| a.checked_add(b))
        .ok_or_else(|| {
            SqlError::new(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "integer out of range")
        })? as i64;
    let (tail, _) = substr(s, tail_from, None)?;
    let tail = if tail_from > s.len() as i64 {
        s.len()
    } else {
        tail
    };
    Ok((head, tail))
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
            let mut buf = [0u8; 4];
            out.push_str(&map_chars(c.encode_utf8(&mut buf), !in_word));
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

/// Reads digits at `cs[*i..]` as a number (saturating), if there are any.
fn format_number(cs: &[char], i: &mut usize) -> Option<usize> {
    let start = *i;
    let mut n = 0usize;
    while *i < cs.len() && cs[*i].is_ascii_digit() {
        n = n
            .saturating_mul(10)
            .saturating_add(cs[*i] as usize - '0' as usize);
        *i += 1;
    }
    (*i > start).then_some(n)
}

fn unterminated_format() -> SqlError {
    invalid_param("unterminated format() type specifier")
        .with_hint("For a single \"%\" use \"%%\".")
}

fn numbered_from_one() -> SqlError {
    invalid_param("format specifies argument 0, but arguments are numbered from 1")
}

/// PostgreSQL's `format()`: `%[n$][-][width|*|*n$]{s,I,L}` and `%%`.
fn format_fn(args: &[Value], types: &[DataType], ctx: &EvalContext) -> Result<Value, SqlError> {
    let Some(Value::Text(fmt)) = args.first() else {
        return Ok(Value::Null);
    };
    let mut outp = String::new();
    let cs = chars(fmt);
    let mut i = 0;
    let mut next_arg = 1usize;
    let too_few = || invalid_param("too few arguments for format()");
    while i < cs.len() {
        if cs[i] != '%' {
            outp.push(cs[i]);
            i += 1;
            continue;
        }
        i += 1;
        if i >= cs.len() {
            return Err(unterminated_format());
        }
        if cs[i] == '%' {
            outp.push('%');
            i += 1;
            continue;
        }
        // text_format_parse_format: an argument position or a width.
        let mut argpos: Option<usize> = None;
        let mut widthpos: Option<usize> = None; // Some(0): the next argument
        let mut left = false;
        let mut width: i64 = 0;
        let mut j = i;
        let mut plain_width = false;
        if let Some(n) = format_number(&cs, &mut j) {
            if cs.get(j) == Some(&'$') {
                if n == 0 {
                    return Err(numbered_from_one());
                }
                argpos = Some(n);
                j += 1;
            } else {
                width = n.min(i32::MAX as usize) as i64;
                plain_width = true;
            }
        }
        if !plain_width {
            while cs.get(j) == Some(&'-') {
                left = true;
                j += 1;
            }
            if cs.get(j) == Some(&'*') {
                j += 1;
                match format_number(&cs, &mut j) {
                    Some(n) => {
                        if cs.get(j) != Some(&'$') {
                            return Err(unterminated_format());
                        }
                        if n == 0 {
                            return Err(numbered_from_one());
                        }
                        widthpos = Some(n);
                        j += 1;
                    }
                    None => widthpos = Some(0),
                }
            } else if let Some(n) = format_number(&cs, &mut j) {
                width = n.min(i32::MAX as usize) as i64;
            }
        }
        i = j;
        let Some(&spec) = cs.get(i) else {
            return Err(unterminated_format());
        };
        i += 1;
        if !matches!(spec, 's' | 'I' | 'L') {
            return Err(
                invalid_param(format!("unrecognized format() type specifier \"{spec}\""))
                    .with_hint("For a single \"%\" use \"%%\"."),
            );
        }
        if let Some(wp) = widthpos {
            let argno = if wp > 0 { wp } else { next_arg };
            let v = args.get(argno).ok_or_else(too_few)?;
            width = match v {
                Value::Null => 0,
                v => match v.as_i64() {
                    Some(n) => n,
                    None => {
                        let ty = types.get(argno).cloned().unwrap_or(DataType::Text);
                        let s = out(v, &ty, ctx);
                        s.trim().parse::<i32>().map_err(|_| {
                            SqlError::new(
                                SqlState::INVALID_TEXT_REPRESENTATION,
                                format!("invalid input syntax for type integer: \"{s}\""),
                            )
                        })? as i64
                    }
                },
            };
            next_arg = argno + 1;
        }
        let argno = argpos.unwrap_or(next_arg);
        let v = args.get(argno).ok_or_else(too_few)?;
        next_arg = argno + 1;
        let ty = types.get(argno).cloned().unwrap_or(DataType::Text);
        let piece = match spec {
            's' => {
                if v.is_null() {
                    String::new()
                } else {
                    out(v, &ty, ctx)
                }
            }
            'I' => {
                if v.is_null() {
                    return Err(SqlError::new(
                        SqlState::NULL_VALUE_NOT_ALLOWED,
                        "null values cannot be formatted as an SQL identifier",
                    ));
                }
                quote_ident(&out(v, &ty, ctx))
            }
            _ => {
                if v.is_null() {
                    "NULL".to_string()
                } else {
                    quote_literal(&out(v, &ty, ctx))
                }
            }
        };
        if width < 0 {
            if width <= i32::MIN as i64 {
                return Err(SqlError::new(
                    SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
                    "number is out of range",
                ));
            }
            left = true;
            width = -width;
        }
        let len = piece.chars().count();
        let spaces = (width as usize).saturating_sub(len);
        if left {
            check_buffer(outp.len(), piece.len())?;
            outp.push_str(&piece);
        }
        if spaces > 0 {
            check_buffer(outp.len(), spaces)?;
            outp.extend(std::iter::repeat_n(' ', spaces));
        }
        if !left {
            check_buffer(outp.len(), piece.len())?;
            outp.push_str(&piece);
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
        "lower" => t(map_chars(s0(), false)),
        "upper" => t(map_chars(s0(), true)),
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
        "quote_literal" | "quote_nullable" => match args.first() {
            Some(Value::Null) | None => t("NULL"),
            Some(Value::Text(s)) => t(quote_literal(s)),
            // The `::text` cast, which spells booleans out.
            Some(Value::Bool(b)) => t(quote_literal(if *b { "true" } else { "false" })),
            Some(v) => {
                let ty = sig.args.first().cloned().unwrap_or(DataType::Text);
                t(quote_literal(&out(v, &ty, ctx)))
            }
        },
        "substring" if matches!(sig.args.get(1), Some(DataType::Text)) => {
            super::regex::substring(s0(), arg_str(args, 1))?
        }
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
            let (s, from, to) = (s0(), arg_str(args, 1), arg_str(args, 2));
            if from.is_empty() {
                t(s)
            } else {
                if to.len() > from.len() {
                    let hits = s.matches(from).count();
                    let grow = hits.saturating_mul(to.len() - from.len());
                    check_buffer(s.len(), grow)?;
                }
                t(s.replace(from, to))
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
            t(pad(s0(), arg_i64(args, 1), fill, name == "lpad")?)
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
            if !s.is_empty() && s.len().saturating_mul(n).saturating_add(4) > MAX_ALLOC_SIZE {
                return Err(length_too_large());
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
            if n < 0 {
                return Err(invalid_param("character number must be positive"));
            }
            if n == 0 {
                return Err(SqlError::new(
                    SqlState::PROGRAM_LIMIT_EXCEEDED,
                    "null character not permitted",
                ));
            }
            if n > 0x10ffff {
                return Err(SqlError::new(
                    SqlState::PROGRAM_LIMIT_EXCEEDED,
                    format!("requested character too large for encoding: {n}"),
                ));
            }
            let c = u32::try_from(n)
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| {
                    SqlError::new(
                        SqlState::PROGRAM_LIMIT_EXCEEDED,
                        format!("requested character not valid for encoding: {n}"),
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
                    let piece = out(v, ty, ctx);
                    check_buffer(o.len(), piece.len())?;
                    o.push_str(&piece);
                }
            }
            t(o)
        }
        "concat_ws" => {
            let Some(Value::Text(sep)) = args.first() else {
                return Ok(Some(Value::Null));
            };
            let mut o = String::new();
            let mut first = true;
            for (v, ty) in args.iter().zip(sig.args.iter()).skip(1) {
                if v.is_null() {
                    continue;
                }
                if !first {
                    check_buffer(o.len(), sep.len())?;
                    o.push_str(sep);
                }
                first = false;
                let piece = out(v, ty, ctx);
                check_buffer(o.len(), piece.len())?;
                o.push_str(&piece);
            }
            t(o)
        }
        "format" => Some(format_fn(args, &sig.args, ctx)?),
        "encode" => {
            let Some(Value::Bytea(b)) = args.first() else {
                return Ok(Some(Value::Null));
            };
            let fmt = arg_str(args, 1).to_ascii_lowercase();
            check_buffer(0, b.len().saturating_mul(2))?;
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
            // Not strict: a NULL delimiter splits into characters, and the
            // third argument names the element that becomes NULL.
            let Some(Value::Text(s)) = args.first() else {
                return Ok(Some(Value::Null));
            };
            let null_str = match args.get(2) {
                Some(Value::Text(n)) => Some(n.as_str()),
                _ => None,
            };
            let item = |p: &str| {
                if Some(p) == null_str {
                    Value::Null
                } else {
                    Value::Text(p.to_string())
                }
            };
            let items: Vec<Value> = if s.is_empty() {
                vec![]
            } else {
                match args.get(1) {
                    Some(Value::Text(d)) if d.is_empty() => vec![item(s)],
                    Some(Value::Text(d)) => s.split(d.as_str()).map(item).collect(),
                    _ => s
                        .chars()
                        .map(|c| item(c.encode_utf8(&mut [0u8; 4])))
                        .collect(),
                }
            };
            Some(Value::Array(items))
        }
        "overlay" => {
            // overlay(s PLACING r FROM n [FOR len]) = substr(s, 1, n - 1) || r
            // || substr(s, n + len), len defaulting to r's length.
            let from = arg_i64(args, 2);
            match (args.first(), args.get(1)) {
                (Some(Value::Bytea(s)), Some(Value::Bytea(r))) => {
                    let count = if args.len() > 3 {
                        arg_i64(args, 3)
                    } else {
                        r.len() as i64
                    };
                    let spaces = vec![' '; s.len()];
                    let (head, tail) = overlay_bounds(&spaces, from, count)?;
                    check_buffer(head.1 + (s.len() - tail), r.len())?;
                    let mut o = s[..head.1].to_vec();
                    o.extend_from_slice(r);
                    o.extend_from_slice(&s[tail..]);
                    Some(Value::Bytea(o))
                }
                _ => {
                    let (s, r) = (chars(s0()), arg_str(args, 1));
                    let count = if args.len() > 3 {
                        arg_i64(args, 3)
                    } else {
                        r.chars().count() as i64
                    };
                    let (head, tail) = overlay_bounds(&s, from, count)?;
                    let mut o: String = s[..head.1].iter().collect();
                    let rest: String = s[tail..].iter().collect();
                    check_buffer(o.len() + rest.len(), r.len())?;
                    o.push_str(r);
                    o.push_str(&rest);
                    t(o)
                }
            }
        }
        "sha224" | "sha256" | "sha384" | "sha512" => {
            let Some(Value::Bytea(b)) = args.first() else {
                return Ok(Some(Value::Null));
            };
            Some(Value::Bytea(sha2_digest(name, b)))
        }
        "get_byte" | "get_bit" | "set_byte" | "set_bit" => {
            let Some(Value::Bytea(b)) = args.first() else {
                return Ok(Some(Value::Null));
            };
            let n = arg_i64(args, 1);
            let bits = name.ends_with("bit");
            let limit = if bits {
                b.len() as i64 * 8
            } else {
                b.len() as i64
            };
            if n < 0 || n >= limit {
                return Err(SqlError::new(
                    SqlState::ARRAY_SUBSCRIPT_ERROR,
                    format!("index {n} out of valid range, 0..{}", limit - 1),
                ));
            }
            let (byte, bit) = if bits {
                ((n / 8) as usize, (n % 8) as u32)
            } else {
                (n as usize, 0)
            };
            if name.starts_with("get") {
                let v = if bits { (b[byte] >> bit) & 1 } else { b[byte] };
                Some(Value::Int4(v as i32))
            } else {
                let v = arg_i64(args, 2);
                let mut o = b.clone();
                if bits {
                    if v != 0 && v != 1 {
                        return Err(invalid_param("new bit must be 0 or 1"));
                    }
                    o[byte] = (o[byte] & !(1 << bit)) | ((v as u8) << bit);
                } else {
                    o[byte] = v as u8;
                }
                Some(Value::Bytea(o))
            }
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::sha2_digest;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn sha2_known_vectors() {
        // FIPS 180-2 examples.
        assert_eq!(
            hex(&sha2_digest("sha256", b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&sha2_digest("sha256", b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(&sha2_digest("sha224", b"abc")),
            "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"
        );
        assert_eq!(
            hex(&sha2_digest("sha384", b"abc")),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed\
             8086072ba1e7cc2358baeca134c825a7"
        );
        assert_eq!(
            hex(&sha2_digest("sha512", b"abc")),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
        assert_eq!(
            hex(&sha2_digest(
                "sha256",
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }
}
