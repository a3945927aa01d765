//! jsonb operators: `->`, `->>`, `@>`, `?` and `||`.

use serde_json::Value as Json;

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
