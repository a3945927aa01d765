//! Arithmetic on integers, floats and numerics with PostgreSQL's overflow,
//! division-by-zero and result-scale rules.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, MathematicalOps};

use super::BinaryOp;
use crate::error::{SqlError, SqlState};
use crate::text::numeric::{self, round_to_scale};
use crate::types::DataType;
use crate::value::Value;

/// The 22003 error for an integer type overflowing.
pub fn int_overflow(ty: &DataType) -> SqlError {
    SqlError::out_of_range(match ty {
        DataType::Int2 => "smallint out of range",
        DataType::Int8 => "bigint out of range",
        _ => "integer out of range",
    })
}

/// Wraps an i128 result back into the integer type `ty`.
pub fn int_value(v: i128, ty: &DataType) -> Result<Value, SqlError> {
    let err = || int_overflow(ty);
    match ty {
        DataType::Int2 => i16::try_from(v).map(Value::Int2).map_err(|_| err()),
        DataType::Int4 => i32::try_from(v).map(Value::Int4).map_err(|_| err()),
        _ => i64::try_from(v).map(Value::Int8).map_err(|_| err()),
    }
}

/// Integer `+ - * / %` and bitwise operators.
pub fn int_op(op: BinaryOp, a: i64, b: i64, ty: &DataType) -> Result<Value, SqlError> {
    let (a128, b128) = (a as i128, b as i128);
    let bits = match ty {
        DataType::Int2 => 16,
        DataType::Int4 => 32,
        _ => 64,
    };
    let r = match op {
        BinaryOp::Add => a128 + b128,
        BinaryOp::Sub => a128 - b128,
        BinaryOp::Mul => a128 * b128,
        BinaryOp::Div => {
            if b == 0 {
                return Err(SqlError::division_by_zero());
            }
            a128 / b128
        }
        BinaryOp::Mod => {
            if b == 0 {
                return Err(SqlError::division_by_zero());
            }
            a128 % b128
        }
        BinaryOp::BitAnd => a128 & b128,
        BinaryOp::BitOr => a128 | b128,
        BinaryOp::BitXor => a128 ^ b128,
        BinaryOp::ShiftLeft | BinaryOp::ShiftRight => {
            let shift = (b as u32) & (bits - 1);
            let v = match (op, bits) {
                (BinaryOp::ShiftLeft, 16) => ((a as i16).wrapping_shl(shift)) as i64,
                (BinaryOp::ShiftLeft, 32) => ((a as i32).wrapping_shl(shift)) as i64,
                (BinaryOp::ShiftLeft, _) => a.wrapping_shl(shift),
                (_, 16) => ((a as i16) >> shift) as i64,
                (_, 32) => ((a as i32) >> shift) as i64,
                _ => a >> shift,
            };
            v as i128
        }
        _ => {
            return Err(SqlError::internal(format!(
                "not an integer operator: {op:?}"
            )))
        }
    };
    int_value(r, ty)
}

fn overflow() -> SqlError {
    SqlError::out_of_range("value out of range: overflow")
}

fn underflow() -> SqlError {
    SqlError::out_of_range("value out of range: underflow")
}

/// Float arithmetic (`+ - * / ^`) in f64, with PostgreSQL's checks.
pub fn float_op(op: BinaryOp, a: f64, b: f64) -> Result<f64, SqlError> {
    let r = match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => {
            if b == 0.0 {
                return Err(SqlError::division_by_zero());
            }
            a / b
        }
        BinaryOp::Pow => return float_pow(a, b),
        _ => return Err(SqlError::internal(format!("not a float operator: {op:?}"))),
    };
    check_float(
        r,
        a.is_infinite() || b.is_infinite(),
        matches!(op, BinaryOp::Mul | BinaryOp::Div) && a != 0.0 && !b.is_infinite(),
    )
}

/// PostgreSQL's overflow/underflow checks on a float result.
pub fn check_float(r: f64, inf_input: bool, zero_is_underflow: bool) -> Result<f64, SqlError> {
    if r.is_infinite() && !inf_input {
        return Err(overflow());
    }
    if r == 0.0 && zero_is_underflow {
        return Err(underflow());
    }
    Ok(r)
}

/// Same as [`float_op`] in single precision.
pub fn float4_op(op: BinaryOp, a: f32, b: f32) -> Result<f32, SqlError> {
    let r = match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => {
            if b == 0.0 {
                return Err(SqlError::division_by_zero());
            }
            a / b
        }
        _ => return float_op(op, a as f64, b as f64).map(|r| r as f32),
    };
    if r.is_infinite() && !a.is_infinite() && !b.is_infinite() {
        return Err(overflow());
    }
    if r == 0.0 && matches!(op, BinaryOp::Mul | BinaryOp::Div) && a != 0.0 && !b.is_infinite() {
        return Err(underflow());
    }
    Ok(r)
}

fn pow_error(msg: &str) -> SqlError {
    SqlError::new(SqlState("2201F"), msg)
}

/// PostgreSQL's `dpow`.
pub fn float_pow(a: f64, b: f64) -> Result<f64, SqlError> {
    if a == 0.0 && b < 0.0 {
        return Err(pow_error("zero raised to a negative power is undefined"));
    }
    if a < 0.0 && b.fract() != 0.0 && b.is_finite() {
        return Err(pow_error(
            "a negative number raised to a non-integer power yields a complex result",
        ));
    }
    let r = a.powf(b);
    if r.is_infinite() && a.is_finite() && b.is_finite() {
        return Err(overflow());
    }
    if r == 0.0 && a != 0.0 {
        return Err(underflow());
    }
    Ok(r)
}

/// Numeric arithmetic with PostgreSQL's result scales (`/` picks at least 16
/// significant digits, `^` at least 16 decimals).
pub fn numeric_op(op: BinaryOp, a: Decimal, b: Decimal) -> Result<Decimal, SqlError> {
    let over = numeric::overflow;
    match op {
        BinaryOp::Add => a.checked_add(b).ok_or_else(over),
        BinaryOp::Sub => a.checked_sub(b).ok_or_else(over),
        BinaryOp::Mul => a.checked_mul(b).ok_or_else(over),
        BinaryOp::Div => {
            if b.is_zero() {
                return Err(SqlError::division_by_zero());
            }
            let scale = numeric::div_scale(&a, &b);
            let q = a.checked_div(b).ok_or_else(over)?;
            Ok(round_to_scale(q, scale))
        }
        BinaryOp::Mod => {
            if b.is_zero() {
                return Err(SqlError::division_by_zero());
            }
            let mut r = a.checked_rem(b).ok_or_else(over)?;
            // PostgreSQL's result has the larger of the two scales.
            r = round_to_scale(r, a.scale().max(b.scale()));
            Ok(r)
        }
        BinaryOp::Pow => numeric_pow(a, b),
        _ => Err(SqlError::internal(format!(
            "not a numeric operator: {op:?}"
        ))),
    }
}

/// PostgreSQL's `numeric_power`.
pub fn numeric_pow(a: Decimal, b: Decimal) -> Result<Decimal, SqlError> {
    if a.is_zero() && b.is_sign_negative() && !b.is_zero() {
        return Err(pow_error("zero raised to a negative power is undefined"));
    }
    let integral = b.fract().is_zero();
    if a.is_sign_negative() && !a.is_zero() && !integral {
        return Err(pow_error(
            "a negative number raised to a non-integer power yields a complex result",
        ));
    }
    let r = if integral {
        let e = b.to_i64().ok_or_else(numeric::overflow)?;
        a.checked_powi(e).ok_or_else(numeric::overflow)?
    } else {
        a.checked_powd(b).ok_or_else(numeric::overflow)?
    };
    let scale = if integral {
        16u32.max(a.scale())
    } else {
        let f = r.to_f64().unwrap_or(1.0).abs();
        let log = if f > 0.0 { f.log10().floor() as i32 } else { 0 };
        (16 - log)
            .max(a.scale() as i32)
            .max(b.scale() as i32)
            .max(0) as u32
    };
    Ok(round_to_scale(r, scale))
}
