//! Session parameters (SET / SHOW / RESET) that psql and drivers touch.

use std::collections::BTreeMap;
use std::collections::HashMap;

use rangedb_sqltypes::{SqlError, SqlState};
use rangedb_txn::Isolation;
use sqlparser::ast;

/// Parameters reported to the client (ParameterStatus) when they change.
const REPORTED: &[&str] = &[
    "application_name",
    "client_encoding",
    "datestyle",
    "integer_datetimes",
    "intervalstyle",
    "is_superuser",
    "server_encoding",
    "server_version",
    "session_authorization",
    "standard_conforming_strings",
    "timezone",
];

fn display_name(name: &str) -> &str {
    match name {
        "datestyle" => "DateStyle",
        "timezone" => "TimeZone",
        "intervalstyle" => "IntervalStyle",
        other => other,
    }
}

fn defaults() -> BTreeMap<String, String> {
    [
        ("application_name", ""),
        ("client_encoding", "UTF8"),
        ("datestyle", "ISO, MDY"),
        ("default_transaction_isolation", "serializable"),
        ("extra_float_digits", "1"),
        ("integer_datetimes", "on"),
        ("intervalstyle", "postgres"),
        ("is_superuser", "on"),
        ("search_path", "\"$user\", public"),
        ("server_encoding", "UTF8"),
        ("server_version", super::SERVER_VERSION),
        ("session_authorization", "root"),
        ("standard_conforming_strings", "on"),
        ("statement_timeout", "0"),
        ("lock_timeout", "0"),
        ("idle_in_transaction_session_timeout", "0"),
        ("client_min_messages", "notice"),
        ("timezone", "UTC"),
        ("transaction_isolation", "serializable"),
        ("max_identifier_length", "63"),
        ("synchronous_commit", "on"),
        ("bytea_output", "hex"),
        ("row_security", "on"),
        ("jit", "off"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// The session's parameters.
#[derive(Debug, Clone)]
pub struct Settings {
    values: BTreeMap<String, String>,
    changes: Vec<(String, String)>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            values: defaults(),
            changes: Vec::new(),
        }
    }
}

/// The text of a SET value list (`SET search_path = a, b`).
pub fn value_text(values: &[ast::Expr]) -> Result<String, SqlError> {
    let parts: Vec<String> = values
        .iter()
        .map(|v| match v {
            ast::Expr::Value(v) => match &v.value {
                ast::Value::SingleQuotedString(s) | ast::Value::DoubleQuotedString(s) => s.clone(),
                other => other.to_string(),
            },
            ast::Expr::Identifier(id) if id.quote_style == Some('"') => format!("\"{}\"", id.value),
            ast::Expr::Identifier(id) => id.value.clone(),
            other => other.to_string(),
        })
        .collect();
    Ok(parts.join(", "))
}

/// The key a parameter is stored under (`TimeZone`, `time zone` ->
/// `timezone`).
pub fn canonical_name(name: &str) -> String {
    let name = name.to_lowercase();
    if name == "time zone" {
        "timezone".to_string()
    } else {
        name
    }
}

/// The isolation level names `default_transaction_isolation` accepts.
const ISOLATION_LEVELS: &[&str] = &[
    "serializable",
    "repeatable read",
    "read committed",
    "read uncommitted",
];

/// A duration setting in milliseconds: a bare number, or a number with
/// PostgreSQL's units (`us`, `ms`, `s`, `min`, `h`, `d`).
fn parse_milliseconds(name: &str, value: &str) -> Result<u64, SqlError> {
    let invalid = || {
        SqlError::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("invalid value for parameter \"{name}\": \"{value}\""),
        )
        .with_hint(
            "Valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", and \"d\".",
        )
    };
    let v = value.trim();
    let split = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .unwrap_or(v.len());
    let (number, unit) = v.split_at(split);
    let number: f64 = number.trim().parse().map_err(|_| invalid())?;
    let factor = match unit.trim() {
        "" | "ms" => 1.0,
        "us" => 0.001,
        "s" => 1_000.0,
        "min" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        _ => return Err(invalid()),
    };
    let ms = (number * factor).round();
    if !(0.0..=i32::MAX as f64).contains(&ms) {
        return Err(SqlError::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!(
                "{} ms is outside the valid range for parameter \"{name}\" (0 .. {})",
                ms,
                i32::MAX
            ),
        ));
    }
    Ok(ms as u64)
}

/// A duration the way PostgreSQL shows it: in the largest unit that holds
/// it exactly (`5s`, `1min`, `250ms`), `0` for none.
fn format_milliseconds(ms: u64) -> String {
    if ms == 0 {
        return "0".to_string();
    }
    let units = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "min"),
        (1_000, "s"),
    ];
    for (size, unit) in units {
        if ms.is_multiple_of(size) {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

impl Settings {
    /// Sets a parameter, validating the values rangedb interprets.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), SqlError> {
        let name = canonical_name(name);
        let value = if value.eq_ignore_ascii_case("default") {
            match defaults().get(&name) {
                Some(d) => d.clone(),
                None => String::new(),
            }
        } else {
            value.to_string()
        };
        if !self.values.contains_key(&name) && !name.contains('.') {
            return Err(SqlError::new(
                SqlState::UNDEFINED_OBJECT,
                format!("unrecognized configuration parameter \"{name}\""),
            ));
        }
        let value = match name.as_str() {
            "timezone" => {
                let tz = if value.eq_ignore_ascii_case("local") {
                    "UTC".to_string()
                } else {
                    value.clone()
                };
                parse_timezone(&tz).map_err(|_| {
                    SqlError::new(
                        SqlState::INVALID_PARAMETER_VALUE,
                        format!("invalid value for parameter \"TimeZone\": \"{value}\""),
                    )
                })?;
                tz
            }
            "client_encoding" => {
                let v = value.to_uppercase().replace(['-', '_'], "");
                if v != "UTF8" && v != "UNICODE" && v != "SQLASCII" {
                    return Err(SqlError::new(
                        SqlState::FEATURE_NOT_SUPPORTED,
                        format!("encoding \"{value}\" is not supported"),
                    ));
                }
                "UTF8".to_string()
            }
            "extra_float_digits" => {
                let n: i32 = value.trim().parse().map_err(|_| {
                    SqlError::new(
                        SqlState::INVALID_PARAMETER_VALUE,
                        format!("invalid value for parameter \"extra_float_digits\": \"{value}\""),
                    )
                })?;
                if !(-15..=3).contains(&n) {
                    return Err(SqlError::new(SqlState::INVALID_PARAMETER_VALUE, format!("{n} is outside the valid range for parameter \"extra_float_digits\" (-15 .. 3)")));
                }
                n.to_string()
            }
            "standard_conforming_strings" => match value.to_lowercase().as_str() {
                "on" | "true" | "1" => "on".into(),
                _ => {
                    return Err(SqlError::new(
                        SqlState::INVALID_PARAMETER_VALUE,
                        "non-standard string literals are not supported",
                    ))
                }
            },
            "default_transaction_isolation" | "transaction_isolation" => {
                let v = value.trim().to_lowercase();
                if !ISOLATION_LEVELS.contains(&v.as_str()) {
                    return Err(SqlError::new(
                        SqlState::INVALID_PARAMETER_VALUE,
                        format!("invalid value for parameter \"{name}\": \"{value}\""),
                    )
                    .with_hint(
                        "Available values: serializable, repeatable read, read committed, read uncommitted.",
                    ));
                }
                v
            }
            "statement_timeout" | "lock_timeout" | "idle_in_transaction_session_timeout" => {
                format_milliseconds(parse_milliseconds(&name, &value)?)
            }
            "datestyle" => {
                let upper = value.to_uppercase();
                // Refused rather than ignored: a DMY user would otherwise
                // have 01/02 read as January 2nd without a word.
                if !upper.contains("ISO") || upper.contains("DMY") || upper.contains("YMD") {
                    return Err(SqlError::new(
                        SqlState::INVALID_PARAMETER_VALUE,
                        format!("DateStyle \"{value}\" is not supported; only ISO, MDY"),
                    ));
                }
                "ISO, MDY".into()
            }
            // Only the default output formats exist; other values are
            // refused, invalid ones as PostgreSQL refuses them.
            "bytea_output" | "intervalstyle" => {
                let (supported, valid): (&str, &[&str]) = if name == "bytea_output" {
                    ("hex", &["hex", "escape"])
                } else {
                    (
                        "postgres",
                        &["postgres", "postgres_verbose", "sql_standard", "iso_8601"],
                    )
                };
                let v = value.trim().to_lowercase();
                if !valid.contains(&v.as_str()) {
                    return Err(SqlError::new(
                        SqlState::INVALID_PARAMETER_VALUE,
                        format!("invalid value for parameter \"{name}\": \"{value}\""),
                    ));
                }
                if v != supported {
                    return Err(SqlError::unsupported(format!(
                        "{name} \"{value}\" is not supported; only \"{supported}\""
                    )));
                }
                v
            }
            "server_version" | "server_encoding" | "integer_datetimes" | "is_superuser" => {
                return Err(SqlError::new(
                    SqlState("55P02"),
                    format!("parameter \"{name}\" cannot be changed"),
                ));
            }
            _ => value,
        };
        if REPORTED.contains(&name.as_str()) && self.values.get(&name) != Some(&value) {
            self.changes
                .push((display_name(&name).to_string(), value.clone()));
        }
        self.values.insert(name, value);
        Ok(())
    }

    /// RESET of one parameter.
    pub fn reset(&mut self, name: &str) -> Result<(), SqlError> {
        let d = defaults().get(name).cloned().unwrap_or_default();
        if name == "all" {
            *self = Settings::default();
            return Ok(());
        }
        self.set(name, &d)
    }

    /// SHOW: (column name, value); 42704 for unknown parameters.
    pub fn show(&self, name: &str) -> Result<(String, String), SqlError> {
        let key = if name == "time zone" {
            "timezone"
        } else {
            name
        };
        match self.values.get(key) {
            Some(v) => Ok((key.to_string(), v.clone())),
            None => Err(SqlError::new(
                SqlState::UNDEFINED_OBJECT,
                format!("unrecognized configuration parameter \"{name}\""),
            )),
        }
    }

    /// All parameters.
    pub fn values(&self) -> HashMap<String, String> {
        self.values
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The ParameterStatus set sent at startup.
    pub fn reported(&self) -> Vec<(String, String)> {
        REPORTED
            .iter()
            .map(|k| {
                (
                    display_name(k).to_string(),
                    self.values.get(*k).cloned().unwrap_or_default(),
                )
            })
            .collect()
    }

    /// Puts every parameter back as it was in `before` (a rolled-back
    /// block's SETs), reporting the reported ones that change.
    pub fn restore(&mut self, before: &Settings) {
        for name in REPORTED {
            if let Some(value) = before.values.get(*name) {
                if self.values.get(*name) != Some(value) {
                    self.changes
                        .push((display_name(name).to_string(), value.clone()));
                }
            }
        }
        self.values = before.values.clone();
    }

    /// statement_timeout, if one is set (0 means none).
    pub fn statement_timeout(&self) -> Option<std::time::Duration> {
        self.values
            .get("statement_timeout")
            .and_then(|v| parse_milliseconds("statement_timeout", v).ok())
            .filter(|ms| *ms > 0)
            .map(std::time::Duration::from_millis)
    }

    /// Changes of reported parameters since the last call.
    pub fn take_changes(&mut self) -> Vec<(String, String)> {
        std::mem::take(&mut self.changes)
    }

    /// The session time zone.
    pub fn timezone(&self) -> chrono_tz::Tz {
        self.values
            .get("timezone")
            .and_then(|v| parse_timezone(v).ok())
            .unwrap_or(chrono_tz::Tz::UTC)
    }

    /// extra_float_digits.
    pub fn extra_float_digits(&self) -> i32 {
        self.values
            .get("extra_float_digits")
            .and_then(|v| v.parse().ok())
            .unwrap_or(1)
    }

    /// The isolation of transactions that do not name one.
    pub fn default_isolation(&self) -> Isolation {
        match self
            .values
            .get("default_transaction_isolation")
            .map(String::as_str)
        {
            Some("serializable") | None => Isolation::Serializable,
            _ => Isolation::RepeatableRead,
        }
    }
}

fn parse_timezone(name: &str) -> Result<chrono_tz::Tz, ()> {
    let n = name.trim();
    if n.eq_ignore_ascii_case("utc") || n.eq_ignore_ascii_case("gmt") || n == "Z" {
        return Ok(chrono_tz::Tz::UTC);
    }
    n.parse::<chrono_tz::Tz>().map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_units_and_show_in_the_largest_exact_one() {
        let ms = |v: &str| parse_milliseconds("statement_timeout", v);
        assert_eq!(ms("5000").ok(), Some(5_000));
        assert_eq!(ms("2s").ok(), Some(2_000));
        assert_eq!(ms(" 1 min ").ok(), Some(60_000));
        assert_eq!(ms("1500us").ok(), Some(2));
        assert!(ms("soon").is_err());
        assert!(ms("5 fortnights").is_err());
        assert!(ms("-1").is_err());
        assert_eq!(format_milliseconds(0), "0");
        assert_eq!(format_milliseconds(250), "250ms");
        assert_eq!(format_milliseconds(5_000), "5s");
        assert_eq!(format_milliseconds(120_000), "2min");
        assert_eq!(format_milliseconds(86_400_000), "1d");
    }
}
