//! Mathematical functions on integers, floats and numerics.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, MathematicalOps, RoundingStrategy};

use super::{arg_f64, arg_i64, FunctionSignature};
use crate::error::{SqlError, SqlState};
use crate::ops::arith::{self, int_overflow, int_value};
use crate::ops::BinaryOp;
use crate::text::numeric::{self, round_to_scale, to_base10000};
use crate::types::DataType;
use crate::value::Value;

fn sqrt_negative() -> SqlError {
    SqlError::new(
        SqlState("2201F"),
        "cannot take square root of a negative number",
    )
}

fn log_zero() -> SqlError {
    SqlError::new(SqlState("2201E"), "cannot take logarithm of zero")
}

fn log_negative() -> SqlError {
    SqlError::new(
        SqlState("2201E"),
        "cannot take logarithm of a negative number",
    )
}

fn out_of_range_input() -> SqlError {
    SqlError::out_of_range("input is out of range")
}

fn dec(args: &[Value], i: usize) -> Decimal {
    args.get(i).and_then(Value::as_decimal).unwrap_or_default()
}

/// PostgreSQL's `estimate_ln_dweight`: roughly the decimal weight of `ln(x)`.
fn ln_dweight(x: &Decimal) -> i32 {
    let f = x.to_f64().unwrap_or(1.0);
    let l = f.ln().abs();
    if l == 0.0 || !l.is_finite() {
        return 0;
    }
    l.log10().trunc() as i32
}

fn numeric_ln(x: Decimal) -> Result<Decimal, SqlError> {
    if x.is_zero() {
        return Err(log_zero());
    }
    if x.is_sign_negative() {
        return Err(log_negative());
    }
    x.checked_ln().ok_or_else(numeric::overflow)
}

fn float_result(v: f64, inputs_finite: bool) -> Result<Value, SqlError> {
    if v.is_infinite() && inputs_finite {
        return Err(SqlError::out_of_range("value out of range: overflow"));
    }
    Ok(Value::Float8(v))
}

fn is_numeric_sig(sig: &FunctionSignature, i: usize) -> bool {
    matches!(sig.args.get(i), Some(DataType::Numeric(_)))
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a.abs()
}

fn dec_gcd(mut a: Decimal, mut b: Decimal) -> Result<Decimal, SqlError> {
    while !b.is_zero() {
        let t = a.checked_rem(b).ok_or_else(numeric::overflow)?;
        a = b;
        b = t;
    }
    Ok(a.abs())
}

/// Math functions; `None` when `name` is not one of them.
pub fn call(
    name: &str,
    sig: &FunctionSignature,
    args: &[Value],
) -> Result<Option<Value>, SqlError> {
    let num = is_numeric_sig(sig, 0);
    let x = || arg_f64(args, 0);
    let f = |v: f64| Ok::<_, SqlError>(Some(Value::Float8(v)));
    Ok(match name {
        "abs" => Some(match args.first() {
            Some(Value::Int2(v)) => Value::Int2(
                v.checked_abs()
                    .ok_or_else(|| int_overflow(&DataType::Int2))?,
            ),
            Some(Value::Int4(v)) => Value::Int4(
                v.checked_abs()
                    .ok_or_else(|| int_overflow(&DataType::Int4))?,
            ),
            Some(Value::Int8(v)) => Value::Int8(
                v.checked_abs()
                    .ok_or_else(|| int_overflow(&DataType::Int8))?,
            ),
            Some(Value::Float4(v)) => Value::Float4(v.abs()),
            Some(Value::Float8(v)) => Value::Float8(v.abs()),
            Some(Value::Numeric(d)) => Value::Numeric(d.abs()),
            _ => Value::Null,
        }),
        "ceil" | "ceiling" if num => Some(Value::Numeric(round_to_scale(dec(args, 0).ceil(), 0))),
        "ceil" | "ceiling" => return f(x().ceil()),
        "floor" if num => Some(Value::Numeric(round_to_scale(dec(args, 0).floor(), 0))),
        "floor" => return f(x().floor()),
        "sign" if num => {
            let v = dec(args, 0);
            let s = if v.is_zero() {
                0
            } else if v.is_sign_negative() {
                -1
            } else {
                1
            };
            Some(Value::Numeric(Decimal::from(s)))
        }
        "sign" => {
            let v = x();
            return f(if v > 0.0 {
                1.0
            } else if v < 0.0 {
                -1.0
            } else {
                0.0
            });
        }
        "round" | "trunc" if num => {
            let d = dec(args, 0);
            let places = if args.len() > 1 { arg_i64(args, 1) } else { 0 };
            let strategy = if name == "round" {
                RoundingStrategy::MidpointAwayFromZero
            } else {
                RoundingStrategy::ToZero
            };
            let r = if places >= 0 {
                let p = places.min(numeric::MAX_SCALE as i64) as u32;
                let r = d.round_dp_with_strategy(p, strategy);
                round_to_scale(r, p)
            } else {
                let p = (-places).min(28) as u32;
                let factor = Decimal::from_i128_with_scale(10i128.pow(p), 0);
                match d.checked_div(factor) {
                    Some(q) => {
                        let q = q.round_dp_with_strategy(0, strategy);
                        round_to_scale(q.checked_mul(factor).ok_or_else(numeric::overflow)?, 0)
                    }
                    None => Decimal::ZERO,
                }
            };
            Some(Value::Numeric(r))
        }
        "round" => return f(x().round_ties_even()),
        "trunc" => return f(x().trunc()),
        "sqrt" if num => {
            let d = dec(args, 0);
            if d.is_sign_negative() && !d.is_zero() {
                return Err(sqrt_negative());
            }
            let w = to_base10000(&d).weight as i32;
            let sweight = (w + 1) * 4 / 2 - 1;
            let scale = (16 - sweight).max(d.scale() as i32).max(0) as u32;
            let r = d.sqrt().ok_or_else(sqrt_negative)?;
            Some(Value::Numeric(round_to_scale(r, scale)))
        }
        "sqrt" => {
            if x() < 0.0 {
                return Err(sqrt_negative());
            }
            return f(x().sqrt());
        }
        "cbrt" => return f(x().cbrt()),
        "exp" if num => {
            let d = dec(args, 0);
            let val = d.to_f64().unwrap_or(0.0) * std::f64::consts::LOG10_E;
            let scale = (16 - val.clamp(-1000.0, 1000.0) as i32)
                .max(d.scale() as i32)
                .max(0) as u32;
            let r = d.checked_exp().ok_or_else(numeric::overflow)?;
            Some(Value::Numeric(round_to_scale(r, scale)))
        }
        "exp" => return float_result(x().exp(), x().is_finite()).map(Some),
        "ln" | "log10" | "log" if args.len() == 1 => {
            if num {
                let d = dec(args, 0);
                let l = numeric_ln(d)?;
                let r = if name == "ln" {
                    l
                } else {
                    let ln10 = Decimal::TEN.checked_ln().ok_or_else(numeric::overflow)?;
                    l.checked_div(ln10).ok_or_else(numeric::overflow)?
                };
                let dweight = if name == "ln" {
                    ln_dweight(&d)
                } else {
                    ln_dweight(&d) - ln_dweight(&Decimal::TEN)
                };
                let scale = (16 - dweight).max(d.scale() as i32).max(0) as u32;
                Some(Value::Numeric(round_to_scale(r, scale)))
            } else {
                let v = x();
                if v == 0.0 {
                    return Err(log_zero());
                }
                if v < 0.0 {
                    return Err(log_negative());
                }
                return f(if name == "ln" { v.ln() } else { v.log10() });
            }
        }
        "log" => {
            let (b, v) = (dec(args, 0), dec(args, 1));
            let lb = numeric_ln(b)?;
            let lv = numeric_ln(v)?;
            if lb.is_zero() {
                return Err(SqlError::division_by_zero());
            }
            let r = lv.checked_div(lb).ok_or_else(numeric::overflow)?;
            let dweight = ln_dweight(&v) - ln_dweight(&b);
            let scale = (16 - dweight)
                .max(b.scale() as i32)
                .max(v.scale() as i32)
                .max(0) as u32;
            Some(Value::Numeric(round_to_scale(r, scale)))
        }
        "power" | "pow" if num => Some(Value::Numeric(arith::numeric_pow(
            dec(args, 0),
            dec(args, 1),
        )?)),
        "power" | "pow" => return f(arith::float_pow(x(), arg_f64(args, 1))?),
        "mod" => match (args.first(), args.get(1)) {
            (Some(Value::Numeric(_)), _) | (_, Some(Value::Numeric(_))) => Some(Value::Numeric(
                arith::numeric_op(BinaryOp::Mod, dec(args, 0), dec(args, 1))?,
            )),
            _ => Some(arith::int_op(
                BinaryOp::Mod,
                arg_i64(args, 0),
                arg_i64(args, 1),
                &sig.result,
            )?),
        },
        "div" => {
            let (a, b) = (dec(args, 0), dec(args, 1));
            if b.is_zero() {
                return Err(SqlError::division_by_zero());
            }
            let q = a.checked_div(b).ok_or_else(numeric::overflow)?;
            Some(Value::Numeric(round_to_scale(q.trunc(), 0)))
        }
        "gcd" | "lcm" if sig.result.is_numeric() && matches!(sig.result, DataType::Numeric(_)) => {
            let (a, b) = (dec(args, 0), dec(args, 1));
            let g = dec_gcd(a, b)?;
            let r = if name == "gcd" {
                g
            } else if g.is_zero() {
                Decimal::ZERO
            } else {
                (a.checked_div(g).ok_or_else(numeric::overflow)?)
                    .checked_mul(b)
                    .ok_or_else(numeric::overflow)?
                    .abs()
            };
            Some(Value::Numeric(round_to_scale(r, a.scale().max(b.scale()))))
        }
        "gcd" | "lcm" => {
            let (a, b) = (arg_i64(args, 0) as i128, arg_i64(args, 1) as i128);
            let g = gcd(a, b);
            let r = if name == "gcd" {
                g
            } else if g == 0 {
                0
            } else {
                (a / g * b).abs()
            };
            Some(int_value(r, &sig.result)?)
        }
        "pi" => return f(std::f64::consts::PI),
        "random" => {
            let bytes = uuid::Uuid::new_v4().into_bytes();
            let mut v = 0u64;
            for b in &bytes[..8] {
                v = v << 8 | *b as u64;
            }
            return f((v >> 11) as f64 / (1u64 << 53) as f64);
        }
        "degrees" => return f(x().to_degrees()),
        "radians" => return f(x().to_radians()),
        "sin" => return f(x().sin()),
        "cos" => return f(x().cos()),
        "tan" => return f(x().tan()),
        "cot" => return f(1.0 / x().tan()),
        "asin" | "acos" => {
            let v = x();
            if !(-1.0..=1.0).contains(&v) {
                return Err(out_of_range_input());
            }
            return f(if name == "asin" { v.asin() } else { v.acos() });
        }
        "atan" => return f(x().atan()),
        "atan2" => return f(x().atan2(arg_f64(args, 1))),
        "sind" => return f(x().to_radians().sin()),
        "cosd" => return f(x().to_radians().cos()),
        "tand" => return f(x().to_radians().tan()),
        "asind" | "acosd" => {
            let v = x();
            if !(-1.0..=1.0).contains(&v) {
                return Err(out_of_range_input());
            }
            return f(if name == "asind" { v.asin() } else { v.acos() }.to_degrees());
        }
        "atand" => return f(x().atan().to_degrees()),
        "atan2d" => return f(x().atan2(arg_f64(args, 1)).to_degrees()),
        "sinh" => return f(x().sinh()),
        "cosh" => return f(x().cosh()),
        "tanh" => return f(x().tanh()),
        "asinh" => return f(x().asinh()),
        "acosh" => {
            if x() < 1.0 {
                return Err(out_of_range_input());
            }
            return f(x().acosh());
        }
        "atanh" => {
            if !(-1.0..=1.0).contains(&x()) {
                return Err(out_of_range_input());
            }
            return f(x().atanh());
        }
        "width_bucket" => {
            let (op, lo, hi, n) = (x(), arg_f64(args, 1), arg_f64(args, 2), arg_i64(args, 3));
            if n <= 0 {
                return Err(SqlError::new(
                    SqlState("2201G"),
                    "count must be greater than zero",
                ));
            }
            if lo == hi || !lo.is_finite() || !hi.is_finite() {
                return Err(SqlError::new(
                    SqlState("2201G"),
                    "lower bound cannot equal upper bound",
                ));
            }
            let b = if lo < hi {
                if op < lo {
                    0
                } else if op >= hi {
                    n + 1
                } else {
                    ((op - lo) / (hi - lo) * n as f64) as i64 + 1
                }
            } else if op > lo {
                0
            } else if op <= hi {
                n + 1
            } else {
                ((lo - op) / (lo - hi) * n as f64) as i64 + 1
            };
            Some(int_value(b as i128, &DataType::Int4)?)
        }
        _ => None,
    })
}
