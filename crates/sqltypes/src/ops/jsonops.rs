//! jsonb operators: `->`, `->>`, `#>`, `#>>`, `@>`, `<@`, `?`, `?|`, `?&`,
//! `||`, `-` and `#-`.

use serde_json::Value as Json;

use crate::error::{SqlError, SqlState};

/// `jsonb -> text` on objects (NULL for anything else or a missing key).
pub fn get_key(j: &Json, key: &str) -> Option<Json> {
    match j {
        Json::Object(m) => m.get(key).cloned(),
        _ => None,
    }
}

/// `jsonb -> int` on arrays; negative indexes count from the end.
pub fn get_index(j: &Json, i: i64) -> Option<Json> {
    match j {
        Json::Array(items) => {
            let len = items.len() as i64;
            let idx = if i < 0 { len + i } else { i };
            if (0..len).contains(&idx) {
                items.get(idx as usize).cloned()
            } else {
                None
            }
        }
        _ => None,
    }
}

/// `jsonb ? text`: an object key, or a string element of an array, or the
/// string scalar itself.
pub fn exists(j: &Json, key: &str) -> bool {
    match j {
        Json::Object(m) => m.contains_key(key),
        Json::Array(items) => items.iter().any(|v| v.as_str() == Some(key)),
        Json::String(s) => s == key,
        _ => false,
    }
}

/// `jsonb @> jsonb` (PostgreSQL's `JsonbDeepContains`); at the top level an
/// array also contains a bare scalar it holds.
pub fn contains(a: &Json, b: &Json, top: bool) -> bool {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => y
            .iter()
            .all(|(k, bv)| x.get(k).is_some_and(|av| contains(av, bv, false))),
        (Json::Array(x), Json::Array(y)) => y.iter().all(|bv| {
            x.iter().any(|av| match (av, bv) {
                (Json::Array(_), Json::Array(_)) | (Json::Object(_), Json::Object(_)) => {
                    contains(av, bv, false)
                }
                _ => av == bv,
            })
        }),
        (Json::Array(x), s) if top && !s.is_array() && !s.is_object() => x.iter().any(|v| v == s),
        (Json::Array(_), _) | (Json::Object(_), _) | (_, Json::Array(_)) | (_, Json::Object(_)) => {
            false
        }
        (x, y) => x == y,
    }
}

/// `jsonb || jsonb`: objects merge (right wins), anything else concatenates
/// as arrays.
pub fn concat(a: &Json, b: &Json) -> Json {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            let mut m = x.clone();
            for (k, v) in y {
                m.insert(k.clone(), v.clone());
            }
            Json::Object(m)
        }
        _ => {
            let mut out = match a {
                Json::Array(x) => x.clone(),
                other => vec![other.clone()],
            };
            match b {
                Json::Array(y) => out.extend(y.iter().cloned()),
                other => out.push(other.clone()),
            }
            Json::Array(out)
        }
    }
}

/// One step of a `#>` path: an object key, or an array index written as
/// text (negative counts from the end); anything else finds nothing.
fn step(j: &Json, key: &str) -> Option<Json> {
    match j {
        Json::Object(m) => m.get(key).cloned(),
        Json::Array(_) => get_index(j, key.trim().parse().ok()?),
        _ => None,
    }
}

/// `jsonb #> text[]`: the value at a path; `None` when any step is missing
/// or a path element is NULL (PostgreSQL's NULL).
pub fn get_path(j: &Json, path: &[Option<String>]) -> Option<Json> {
    let mut at = j.clone();
    for key in path {
        at = step(&at, key.as_deref()?)?;
    }
    Some(at)
}

fn invalid(message: &str) -> SqlError {
    SqlError::new(SqlState::INVALID_PARAMETER_VALUE, message)
}

/// `jsonb - text`: an object without the key, an array without its string
/// elements equal to it.
pub fn delete_key(j: &Json, key: &str) -> Result<Json, SqlError> {
    match j {
        Json::Object(m) => {
            let mut m = m.clone();
            m.remove(key);
            Ok(Json::Object(m))
        }
        Json::Array(items) => Ok(Json::Array(
            items
                .iter()
                .filter(|v| v.as_str() != Some(key))
                .cloned()
                .collect(),
        )),
        _ => Err(invalid("cannot delete from scalar")),
    }
}

/// `jsonb - int`: an array without one element (negative counts from the
/// end; out of range leaves it as it is).
pub fn delete_index(j: &Json, i: i64) -> Result<Json, SqlError> {
    match j {
        Json::Array(items) => {
            let len = items.len() as i64;
            let idx = if i < 0 { len + i } else { i };
            let mut items = items.clone();
            if (0..len).contains(&idx) {
                items.remove(idx as usize);
            }
            Ok(Json::Array(items))
        }
        Json::Object(_) => Err(invalid("cannot delete from object using integer index")),
        _ => Err(invalid("cannot delete from scalar")),
    }
}

/// `jsonb #- text[]`: the value without the element at the path (unchanged
/// when the path leads nowhere).
pub fn delete_path(j: &Json, path: &[Option<String>]) -> Result<Json, SqlError> {
    if !matches!(j, Json::Object(_) | Json::Array(_)) {
        return Err(invalid("cannot delete path in scalar"));
    }
    let Some((last, parents)) = path.split_last() else {
        return Ok(j.clone());
    };
    let mut out = j.clone();
    let mut at = &mut out;
    for key in parents {
        let Some(key) = key.as_deref() else {
            return Err(SqlError::new(
                SqlState::NULL_VALUE_NOT_ALLOWED,
                "path element must not be null",
            ));
        };
        let next = match at {
            Json::Object(m) => m.get_mut(key),
            Json::Array(items) => {
                let len = items.len() as i64;
                match key.trim().parse::<i64>() {
                    Ok(i) => {
                        let idx = if i < 0 { len + i } else { i };
                        usize::try_from(idx).ok().and_then(|i| items.get_mut(i))
                    }
                    Err(_) => None,
                }
            }
            _ => None,
        };
        match next {
            Some(n) => at = n,
            None => return Ok(out),
        }
    }
    let Some(last) = last.as_deref() else {
        return Err(SqlError::new(
            SqlState::NULL_VALUE_NOT_ALLOWED,
            "path element must not be null",
        ));
    };
    match at {
        Json::Object(m) => {
            m.remove(last);
        }
        Json::Array(_) => {
            if let Ok(i) = last.trim().parse::<i64>() {
                *at = delete_index(at, i)?;
            }
        }
        _ => {}
    }
    Ok(out)
}
