//! `real` and `double precision` text I/O.
//!
//! PostgreSQL 12+ prints the shortest string that reads back to the same
//! float (when `extra_float_digits > 0`), switching to exponent notation
//! outside a fixed window of decimal exponents; older clients that set
//! `extra_float_digits <= 0` get `%.Ng` output instead.

use crate::error::SqlError;

/// PostgreSQL's `float8out`.
pub fn format_float8(v: f64, extra_float_digits: i32) -> String {
    if let Some(s) = special(v) {
        return s;
    }
    if extra_float_digits > 0 {
        let (digits, exp) = shortest(&format!("{v:e}"));
        render(v.is_sign_negative(), &digits, exp, 15)
    } else {
        format_g(v, (15 + extra_float_digits).max(1) as usize)
    }
}

/// PostgreSQL's `float4out`.
pub fn format_float4(v: f32, extra_float_digits: i32) -> String {
    if let Some(s) = special(v as f64) {
        return s;
    }
    if extra_float_digits > 0 {
        let (digits, exp) = shortest(&format!("{v:e}"));
        render(v.is_sign_negative(), &digits, exp, 6)
    } else {
        format_g(v as f64, (6 + extra_float_digits).max(1) as usize)
    }
}

fn special(v: f64) -> Option<String> {
    if v.is_nan() {
        Some("NaN".into())
    } else if v.is_infinite() {
        Some(if v > 0.0 { "Infinity" } else { "-Infinity" }.into())
    } else if v == 0.0 {
        Some(if v.is_sign_negative() { "-0" } else { "0" }.into())
    } else {
        None
    }
}

/// Splits Rust's shortest `{:e}` output (`-1.25e-3`) into significant
/// digits (`125`) and the decimal exponent of the first digit (`-3`).
fn shortest(s: &str) -> (String, i32) {
    let s = s.trim_start_matches('-');
    let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    (digits.to_string(), exp.parse().unwrap_or(0))
}

/// Prints digits with exponent `exp` in fixed notation when
/// `-4 <= exp < fixed_limit`, otherwise as `d.ddde+XX`.
fn render(neg: bool, digits: &str, exp: i32, fixed_limit: i32) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let n = digits.len() as i32;
    if (-4..fixed_limit).contains(&exp) {
        if exp < 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(digits);
        } else if exp + 1 >= n {
            out.push_str(digits);
            out.extend(std::iter::repeat_n('0', (exp + 1 - n) as usize));
        } else {
            let (a, b) = digits.split_at((exp + 1) as usize);
            out.push_str(a);
            out.push('.');
            out.push_str(b);
        }
    } else {
        out.push_str(&digits[..1]);
        if n > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push_str(&exp_suffix(exp));
    }
    out
}

fn exp_suffix(exp: i32) -> String {
    format!("e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
}

/// C's `%.{precision}g`.
fn format_g(v: f64, precision: usize) -> String {
    let s = format!("{:.*e}", precision - 1, v.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let mut out = String::new();
    if v.is_sign_negative() {
        out.push('-');
    }
    if exp < -4 || exp >= precision as i32 {
        let d = digits.trim_end_matches('0');
        let d = if d.is_empty() { "0" } else { d };
        out.push_str(&d[..1]);
        if d.len() > 1 {
            out.push('.');
            out.push_str(&d[1..]);
        }
        out.push_str(&exp_suffix(exp));
    } else {
        let fixed = format!(
            "{:.*}",
            (precision as i32 - 1 - exp).max(0) as usize,
            v.abs()
        );
        let fixed = if fixed.contains('.') {
            fixed
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string()
        } else {
            fixed
        };
        out.push_str(&fixed);
    }
    out
}

/// What `strtod` would accept before the number: blanks, then the special
/// words PostgreSQL recognises.
fn special_word(s: &str) -> Option<f64> {
    match s.to_ascii_lowercase().as_str() {
        "nan" | "+nan" | "-nan" => Some(f64::NAN),
        "infinity" | "+infinity" | "inf" | "+inf" => Some(f64::INFINITY),
        "-infinity" | "-inf" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

fn check_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+') | Some(b'-')) {
        i += 1;
    }
    let mut digits = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if matches!(b.get(i), Some(b'+') | Some(b'-')) {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

fn has_nonzero_mantissa(s: &str) -> bool {
    s.split(['e', 'E'])
        .next()
        .is_some_and(|m| m.bytes().any(|b| (b'1'..=b'9').contains(&b)))
}

/// PostgreSQL's `float8in`.
pub fn parse_float8(input: &str) -> Result<f64, SqlError> {
    let s = input.trim_matches(|c: char| c.is_ascii_whitespace());
    if let Some(v) = special_word(s) {
        return Ok(v);
    }
    if !check_syntax(s) {
        return Err(SqlError::invalid_text("double precision", input));
    }
    let v: f64 = s
        .parse()
        .map_err(|_| SqlError::invalid_text("double precision", input))?;
    if v.is_infinite() || (v == 0.0 && has_nonzero_mantissa(s)) {
        return Err(SqlError::out_of_range(format!(
            "\"{input}\" is out of range for type double precision"
        )));
    }
    Ok(v)
}

/// PostgreSQL's `float4in`.
pub fn parse_float4(input: &str) -> Result<f32, SqlError> {
    let s = input.trim_matches(|c: char| c.is_ascii_whitespace());
    if let Some(v) = special_word(s) {
        return Ok(v as f32);
    }
    if !check_syntax(s) {
        return Err(SqlError::invalid_text("real", input));
    }
    let v: f32 = s
        .parse()
        .map_err(|_| SqlError::invalid_text("real", input))?;
    if v.is_infinite() || (v == 0.0 && has_nonzero_mantissa(s)) {
        return Err(SqlError::out_of_range(format!(
            "\"{input}\" is out of range for type real"
        )));
    }
    Ok(v)
}
