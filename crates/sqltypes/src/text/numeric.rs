//! `numeric` text I/O, typmod enforcement and PostgreSQL's base-10000 digit
//! view of a decimal (used by the binary format and by division's choice of
//! result scale).
//!
//! Values are `rust_decimal::Decimal`s: 28 significant digits rather than
//! PostgreSQL's 131072, and no `NaN`/`Infinity`. Input with more fractional
//! digits than fit is rounded; larger integers are 22003.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::{SqlError, SqlState};

/// The largest scale a `Decimal` can hold.
pub const MAX_SCALE: u32 = 28;

/// Numeric output: the digits with the value's own scale (`1.50`).
pub fn format_numeric(d: &Decimal) -> String {
    let mut d = *d;
    if d.is_zero() {
        d.set_sign_positive(true);
    }
    d.to_string()
}

/// 22003 when a value cannot be represented.
pub fn overflow() -> SqlError {
    SqlError::out_of_range("value overflows numeric format")
}

/// PostgreSQL's `numeric_in` (without typmod).
pub fn parse_numeric(input: &str) -> Result<Decimal, SqlError> {
    let s = input.trim_matches(|c: char| c.is_ascii_whitespace());
    let err = || SqlError::invalid_text("numeric", input);
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "nan" | "infinity" | "+infinity" | "-infinity" | "inf" | "+inf" | "-inf"
    ) {
        return Err(SqlError::unsupported(format!(
            "numeric value \"{s}\" (NaN or infinity) is not supported"
        )));
    }
    let b = s.as_bytes();
    let mut i = 0;
    let neg = match b.first() {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut digits = String::new();
    let mut frac = 0i64;
    let mut seen_point = false;
    let mut any = false;
    while i < b.len() {
        match b[i] {
            c @ b'0'..=b'9' => {
                any = true;
                digits.push(c as char);
                if seen_point {
                    frac += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => break,
        }
        i += 1;
    }
    if !any {
        return Err(err());
    }
    let mut exp = 0i64;
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        let eneg = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            exp = (exp * 10 + (b[i] - b'0') as i64).min(1_000_000);
            i += 1;
        }
        if i == start {
            return Err(err());
        }
        if eneg {
            exp = -exp;
        }
    }
    if i != b.len() {
        return Err(err());
    }
    from_digits(neg, &digits, frac - exp)
}

/// Builds a decimal from decimal digits and a scale (which may be negative:
/// trailing zeros to add), rounding away fractional digits that do not fit.
pub fn from_digits(neg: bool, digits: &str, scale: i64) -> Result<Decimal, SqlError> {
    let trimmed = digits.trim_start_matches('0');
    let mut digits: Vec<u8> = trimmed.bytes().map(|c| c - b'0').collect();
    let mut scale = scale;
    if scale < 0 {
        if digits.is_empty() {
            scale = 0;
        } else {
            if digits.len() as i64 - scale > 40 {
                return Err(overflow());
            }
            digits.extend(std::iter::repeat_n(0, (-scale) as usize));
            scale = 0;
        }
    }
    // Fractional digits beyond what fits are rounded off (half away from zero).
    while scale > 0 && (scale > MAX_SCALE as i64 || digits.len() > 29) {
        let last = digits.pop().unwrap_or(0);
        scale -= 1;
        if last >= 5 {
            round_up(&mut digits);
        }
    }
    if digits.len() > 29 {
        return Err(overflow());
    }
    let mut mantissa: i128 = 0;
    for d in &digits {
        mantissa = mantissa * 10 + *d as i128;
    }
    loop {
        let m = if neg { -mantissa } else { mantissa };
        match Decimal::try_from_i128_with_scale(m, scale as u32) {
            Ok(mut d) => {
                if d.is_zero() {
                    d.set_sign_positive(true);
                }
                return Ok(d);
            }
            Err(_) if scale > 0 => {
                let last = mantissa % 10;
                mantissa /= 10;
                if last >= 5 {
                    mantissa += 1;
                }
                scale -= 1;
            }
            Err(_) => return Err(overflow()),
        }
    }
}

fn round_up(digits: &mut Vec<u8>) {
    for d in digits.iter_mut().rev() {
        if *d == 9 {
            *d = 0;
        } else {
            *d += 1;
            return;
        }
    }
    digits.insert(0, 1);
}

/// Rounds half away from zero to `scale` digits and then pads to exactly
/// that scale (as far as 28 significant digits allow).
pub fn round_to_scale(d: Decimal, scale: u32) -> Decimal {
    let scale = scale.min(MAX_SCALE);
    let mut r = d.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
    if r.scale() < scale {
        let mut padded = r;
        padded.rescale(scale);
        if padded == r {
            r = padded;
        } else {
            // Not enough room for all the trailing zeros: pad as far as fits.
            for s in (r.scale()..scale).rev() {
                let mut p = r;
                p.rescale(s);
                if p == r {
                    r = p;
                    break;
                }
            }
        }
    }
    if r.is_zero() {
        r.set_sign_positive(true);
    }
    r
}

/// Enforces `numeric(p,s)`: rounds to `s` digits, then 22003
/// `numeric field overflow` when the integer part needs more than `p - s`
/// digits.
pub fn apply_typmod(d: Decimal, typmod: Option<(u32, u32)>) -> Result<Decimal, SqlError> {
    let Some((p, s)) = typmod else {
        return Ok(d);
    };
    let r = round_to_scale(d, s);
    let maxdigits = p.saturating_sub(s);
    let int_digits = {
        let t = r.abs().trunc();
        if t.is_zero() {
            0
        } else {
            t.normalize().to_string().len() as u32
        }
    };
    if int_digits > maxdigits {
        let limit = if maxdigits > 0 {
            format!("10^{maxdigits}")
        } else {
            "1".to_string()
        };
        return Err(SqlError::new(
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            "numeric field overflow",
        )
        .with_detail(format!(
            "A field with precision {p}, scale {s} must round to an absolute value less than {limit}."
        )));
    }
    Ok(r)
}

/// PostgreSQL's internal view of a numeric: base-10000 digits (no leading
/// or trailing zero digits), the weight of the first digit, the sign and
/// the display scale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumericDigits {
    pub digits: Vec<i16>,
    pub weight: i16,
    pub negative: bool,
    pub dscale: u16,
}

/// Splits a decimal into PostgreSQL's base-10000 digits.
pub fn to_base10000(d: &Decimal) -> NumericDigits {
    let s = d.abs().to_string();
    let (int_part, frac_part) = s.split_once('.').unwrap_or((&s, ""));
    let int_part = int_part.trim_start_matches('0');
    let pad_left = (4 - int_part.len() % 4) % 4;
    let mut int_s = "0".repeat(pad_left);
    int_s.push_str(int_part);
    let mut frac_s = frac_part.to_string();
    frac_s.push_str(&"0".repeat((4 - frac_part.len() % 4) % 4));
    let group = |g: &str| g.parse::<i16>().unwrap_or(0);
    let mut digits: Vec<i16> = Vec::new();
    for chunk in int_s.as_bytes().chunks(4) {
        digits.push(group(std::str::from_utf8(chunk).unwrap_or("0")));
    }
    let mut weight = digits.len() as i32 - 1;
    for chunk in frac_s.as_bytes().chunks(4) {
        digits.push(group(std::str::from_utf8(chunk).unwrap_or("0")));
    }
    while digits.first() == Some(&0) {
        digits.remove(0);
        weight -= 1;
    }
    while digits.last() == Some(&0) {
        digits.pop();
    }
    if digits.is_empty() {
        weight = 0;
    }
    NumericDigits {
        digits,
        weight: weight as i16,
        negative: d.is_sign_negative() && !d.is_zero(),
        dscale: d.scale() as u16,
    }
}

/// Rebuilds a decimal from base-10000 digits.
pub fn from_base10000(n: &NumericDigits) -> Result<Decimal, SqlError> {
    if n.digits.iter().any(|d| !(0..10000).contains(d)) {
        return Err(SqlError::new(
            SqlState::INVALID_BINARY_REPRESENTATION,
            "invalid digit in external \"numeric\" value",
        ));
    }
    let mut digits = String::new();
    for d in &n.digits {
        digits.push_str(&format!("{d:04}"));
    }
    // digits[0] has weight n.weight; the decimal point sits after group
    // weight 0, i.e. the scale is 4 * (ndigits - 1 - weight).
    let scale = 4 * (n.digits.len() as i64 - 1 - n.weight as i64);
    let d = from_digits(n.negative, &digits, scale)?;
    Ok(round_to_scale(d, n.dscale as u32))
}

/// PostgreSQL's `select_div_scale`: the result scale of `a / b`, at least
/// 16 significant digits and no less than either input's scale.
pub fn div_scale(a: &Decimal, b: &Decimal) -> u32 {
    let x = to_base10000(a);
    let y = to_base10000(b);
    let (w1, f1) = (x.weight as i32, x.digits.first().copied().unwrap_or(0));
    let (w2, f2) = (y.weight as i32, y.digits.first().copied().unwrap_or(0));
    let mut qweight = w1 - w2;
    if f1 <= f2 {
        qweight -= 1;
    }
    let rscale = 16 - qweight * 4;
    rscale
        .max(a.scale() as i32)
        .max(b.scale() as i32)
        .clamp(0, 1000) as u32
}
