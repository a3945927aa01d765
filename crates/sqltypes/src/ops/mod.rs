//! Operators with PostgreSQL's typing and semantics.

use crate::error::SqlError;
use crate::types::DataType;
use crate::value::{EvalContext, Value};

/// A binary operator as written in SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Concat,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    BitAnd,
    BitOr,
    BitXor,
    ShiftLeft,
    ShiftRight,
    /// `->` (jsonb field/element as jsonb)
    JsonGet,
    /// `->>` (jsonb field/element as text)
    JsonGetText,
    /// `@>` (jsonb containment)
    JsonContains,
    /// `?` (jsonb key exists)
    JsonExists,
}

/// A unary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Neg,
    Plus,
    BitNot,
}

/// The result type of `left op right`, and the types the operands must be
/// cast to first (PostgreSQL's operator resolution: `int4 + int8` runs as
/// `int8 + int8`; `'1' + 1` treats the unknown literal as integer). Errors
/// are 42883 `operator does not exist: integer + boolean`.
pub fn binary_op_type(
    op: BinaryOp,
    left: &DataType,
    right: &DataType,
) -> Result<BinaryOpSignature, SqlError> {
    let _ = (op, left, right);
    unimplemented!("ops::binary_op_type")
}

/// The resolved operand and result types of a binary operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinaryOpSignature {
    pub left: DataType,
    pub right: DataType,
    pub result: DataType,
}

/// Evaluates `left op right` on operands already cast to the signature's
/// types. NULL in, NULL out (comparisons included: three-valued logic is the
/// caller's AND/OR). Errors: 22012 division by zero, 22003 integer overflow.
pub fn binary_op(
    op: BinaryOp,
    left: &Value,
    right: &Value,
    signature: &BinaryOpSignature,
    ctx: &EvalContext,
) -> Result<Value, SqlError> {
    let _ = (op, left, right, signature, ctx);
    unimplemented!("ops::binary_op")
}

/// The result type of a unary operator.
pub fn unary_op_type(op: UnaryOp, operand: &DataType) -> Result<DataType, SqlError> {
    let _ = (op, operand);
    unimplemented!("ops::unary_op_type")
}

/// Evaluates a unary operator (22003 on `-(-2147483648)::int4`).
pub fn unary_op(op: UnaryOp, operand: &Value) -> Result<Value, SqlError> {
    let _ = op;
    let _ = operand;
    unimplemented!("ops::unary_op")
}

/// `LIKE` / `ILIKE` with `%`, `_` and backslash escapes.
pub fn like(text: &str, pattern: &str, case_insensitive: bool) -> Result<bool, SqlError> {
    let _ = (text, pattern, case_insensitive);
    unimplemented!("ops::like")
}
