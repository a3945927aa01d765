//! PostgreSQL's binary format (the `send`/`recv` functions) for every
//! supported type, used by drivers that ask for binary parameters or results.

use crate::error::SqlError;
use crate::types::DataType;
use crate::value::Value;

/// Encodes a non-NULL value of type `ty` in PostgreSQL's binary format.
pub fn encode(value: &Value, ty: &DataType) -> Result<Vec<u8>, SqlError> {
    let _ = (value, ty);
    unimplemented!("binary::encode")
}

/// Decodes a binary-format parameter of type `ty`; malformed input is
/// 22P03 (invalid binary representation).
pub fn decode(bytes: &[u8], ty: &DataType) -> Result<Value, SqlError> {
    let _ = (bytes, ty);
    unimplemented!("binary::decode")
}
