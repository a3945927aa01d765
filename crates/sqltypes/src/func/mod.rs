//! Scalar functions by name, resolved against argument types.

use crate::error::SqlError;
use crate::types::DataType;
use crate::value::{EvalContext, Value};

/// A resolved scalar function: what to cast the arguments to and what it
/// returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSignature {
    /// Lower-case function name.
    pub name: String,
    pub args: Vec<DataType>,
    pub result: DataType,
    /// Whether NULL in any argument means NULL out without calling it.
    pub strict: bool,
    /// Whether the result depends only on the arguments (constant folding).
    pub immutable: bool,
}

/// Resolves `name(args...)` (lower-case name, no schema) to a signature;
/// 42883 `function foo(integer) does not exist` when nothing matches.
pub fn resolve(name: &str, args: &[DataType]) -> Result<FunctionSignature, SqlError> {
    let _ = (name, args);
    unimplemented!("func::resolve")
}

/// Calls a resolved function on arguments already cast to its signature.
pub fn call(
    signature: &FunctionSignature,
    args: &[Value],
    ctx: &EvalContext,
) -> Result<Value, SqlError> {
    let _ = (signature, args, ctx);
    unimplemented!("func::call")
}
