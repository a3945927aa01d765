//! COPY FROM STDIN / TO STDOUT in PostgreSQL's text and CSV formats.

use rangedb_sqltypes::session::CopyFormat;
use rangedb_sqltypes::{EvalContext, Row, SqlError, SqlState, Value};
use sqlparser::ast;

use crate::catalog::TableDesc;
use crate::plan::binder::{ident_name, object_name, Binder};
use crate::plan::Plan;

/// What a COPY statement asks for.
pub enum CopySpec {
    In(CopyIn),
    Out {
        plan: Box<Plan>,
        format: CopyFormat,
        /// The output columns' names, for a HEADER line.
        names: Vec<String>,
    },
}

/// A running COPY FROM STDIN: data accumulates until CopyDone.
pub struct CopyIn {
    pub table: String,
    pub columns: Vec<String>,
    pub format: CopyFormat,
    width: usize,
    buffer: Vec<u8>,
}

impl CopyIn {
    /// Number of columns per line.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Appends one CopyData payload.
    pub fn push(&mut self, data: &[u8]) -> Result<(), SqlError> {
        self.buffer.extend_from_slice(data);
        Ok(())
    }

    /// Parses the whole payload into fields (`None` = NULL).
    pub fn finish(&mut self) -> Result<Vec<Vec<Option<String>>>, SqlError> {
        let text = String::from_utf8(std::mem::take(&mut self.buffer)).map_err(|_| {
            SqlError::new(
                SqlState("22021"),
                "invalid byte sequence for encoding \"UTF8\" in COPY data",
            )
        })?;
        match &self.format {
            CopyFormat::Text {
                delimiter,
                null,
                header,
            } => {
                let mut rows = parse_text(&text, *delimiter, null)?;
                if *header && !rows.is_empty() {
                    rows.remove(0);
                }
                Ok(rows)
            }
            CopyFormat::Csv {
                delimiter,
                null,
                quote,
                escape,
                header,
            } => parse_csv(&text, *delimiter, null, *quote, *escape, *header),
        }
    }
}

/// Positions of the named COPY columns (all visible columns when none).
pub fn column_positions(table: &TableDesc, columns: &[String]) -> Result<Vec<usize>, SqlError> {
    if columns.is_empty() {
        return Ok(table.visible_columns().map(|(i, _)| i).collect());
    }
    columns
        .iter()
        .map(|c| {
            table
                .columns
                .iter()
                .position(|col| &col.name == c && !col.hidden)
                .ok_or_else(|| {
                    SqlError::new(
                        SqlState::UNDEFINED_COLUMN,
                        format!(
                            "column \"{c}\" of relation \"{}\" does not exist",
                            table.name
                        ),
                    )
                })
        })
        .collect()
}

fn format_from(
    options: &[ast::CopyOption],
    legacy: &[ast::CopyLegacyOption],
) -> Result<CopyFormat, SqlError> {
    let mut csv = false;
    let mut delimiter = None;
    let mut null = None;
    let mut header = false;
    let mut quote = '"';
    let mut escape = None;
    for o in options {
        match o {
            ast::CopyOption::Format(f) => match f.value.to_lowercase().as_str() {
                "csv" => csv = true,
                "text" => csv = false,
                other => {
                    return Err(SqlError::unsupported(format!(
                        "COPY format \"{other}\" is not supported"
                    )))
                }
            },
            ast::CopyOption::Delimiter(d) => delimiter = Some(*d),
            ast::CopyOption::Null(n) => null = Some(n.clone()),
            ast::CopyOption::Header(h) => header = *h,
            ast::CopyOption::Quote(q) => quote = *q,
            ast::CopyOption::Escape(e) => escape = Some(*e),
            ast::CopyOption::Freeze(_) | ast::CopyOption::Encoding(_) => {}
            other => {
                return Err(SqlError::unsupported(format!(
                    "COPY option {other} is not supported"
                )))
            }
        }
    }
    for o in legacy {
        match o {
            ast::CopyLegacyOption::Csv(csv_options) => {
                csv = true;
                for c in csv_options {
                    match c {
                        ast::CopyLegacyCsvOption::Header => header = true,
                        ast::CopyLegacyCsvOption::Quote(q) => quote = *q,
                        ast::CopyLegacyCsvOption::Escape(e) => escape = Some(*e),
                        other => {
                            return Err(SqlError::unsupported(format!(
                                "COPY option {other:?} is not supported"
                            )))
                        }
                    }
                }
            }
            ast::CopyLegacyOption::Delimiter(d) => delimiter = Some(*d),
            ast::CopyLegacyOption::Null(n) => null = Some(n.clone()),
            ast::CopyLegacyOption::Header => header = true,
            ast::CopyLegacyOption::Binary => {
                return Err(SqlError::unsupported("COPY BINARY is not supported"))
            }
            other => {
                return Err(SqlError::unsupported(format!(
                    "COPY option {other:?} is not supported"
                )))
            }
        }
    }
    Ok(if csv {
        CopyFormat::Csv {
            delimiter: delimiter.unwrap_or(','),
            null: null.unwrap_or_default(),
            quote,
            escape: escape.unwrap_or(quote),
            header,
        }
    } else {
        CopyFormat::Text {
            delimiter: delimiter.unwrap_or('\t'),
            null: null.unwrap_or_else(|| "\\N".into()),
            header,
        }
    })
}

impl CopySpec {
    /// Interprets a COPY statement.
    pub fn from_ast(
        binder: &mut Binder<'_>,
        source: &ast::CopySource,
        to: bool,
        target: &ast::CopyTarget,
        options: &[ast::CopyOption],
        legacy: &[ast::CopyLegacyOption],
    ) -> Result<CopySpec, SqlError> {
        let format = format_from(options, legacy)?;
        match (to, target) {
            (false, ast::CopyTarget::Stdin) => {
                let ast::CopySource::Table {
                    table_name,
                    columns,
                } = source
                else {
                    return Err(SqlError::syntax("COPY FROM needs a table"));
                };
                let (_, name) = object_name(table_name)?;
                let table = binder
                    .catalog
                    .table(&name)
                    .cloned()
                    .ok_or_else(|| crate::plan::binder::undefined_table(&name))?;
                let columns: Vec<String> = columns.iter().map(ident_name).collect();
                let width = column_positions(&table, &columns)?.len();
                Ok(CopySpec::In(CopyIn {
                    table: name,
                    columns,
                    format,
                    width,
                    buffer: Vec::new(),
                }))
            }
            (true, ast::CopyTarget::Stdout) => {
                let (plan, names) = match source {
                    ast::CopySource::Table {
                        table_name,
                        columns,
                    } => {
                        let (schema, name) = object_name(table_name)?;
                        let (plan, scope) = binder.bind_relation(schema.as_deref(), &name)?;
                        if columns.is_empty() {
                            let keep: Vec<usize> = scope
                                .columns
                                .iter()
                                .enumerate()
                                .filter(|(_, c)| !c.hidden)
                                .map(|(i, _)| i)
                                .collect();
                            let exprs = keep
                                .iter()
                                .map(|i| {
                                    crate::plan::Expr::column(*i, scope.columns[*i].name.clone())
                                })
                                .collect();
                            let names = keep
                                .iter()
                                .map(|i| scope.columns[*i].name.clone())
                                .collect();
                            (
                                Plan::Project {
                                    input: Box::new(plan),
                                    exprs,
                                    slots: vec![],
                                },
                                names,
                            )
                        } else {
                            let mut exprs = Vec::new();
                            let mut names = Vec::new();
                            for c in columns {
                                let n = ident_name(c);
                                let i = scope
                                    .resolve(None, &n)?
                                    .ok_or_else(|| crate::plan::binder::undefined_column(&n))?;
                                exprs.push(crate::plan::Expr::column(i, n.clone()));
                                names.push(n);
                            }
                            (
                                Plan::Project {
                                    input: Box::new(plan),
                                    exprs,
                                    slots: vec![],
                                },
                                names,
                            )
                        }
                    }
                    ast::CopySource::Query(q) => {
                        let (plan, scope) = binder.bind_query(q)?;
                        (plan, scope.columns.iter().map(|c| c.name.clone()).collect())
                    }
                };
                Ok(CopySpec::Out {
                    plan: Box::new(plan),
                    format,
                    names,
                })
            }
            _ => Err(SqlError::new(
                SqlState::INSUFFICIENT_PRIVILEGE,
                "COPY to or from a file is not allowed; use STDIN/STDOUT",
            )),
        }
    }
}

fn unescape_text(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('v') => out.push('\u{b}'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn parse_text(
    text: &str,
    delimiter: char,
    null: &str,
) -> Result<Vec<Vec<Option<String>>>, SqlError> {
    let mut rows = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line == "\\." {
            break;
        }
        if line.is_empty() {
            continue;
        }
        let fields = split_unescaped(line, delimiter);
        rows.push(
            fields
                .into_iter()
                .map(|f| {
                    if f == null {
                        None
                    } else {
                        Some(unescape_text(&f))
                    }
                })
                .collect(),
        );
    }
    Ok(rows)
}

/// Splits on delimiters that are not escaped by a backslash.
fn split_unescaped(line: &str, delimiter: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            cur.push(c);
            if let Some(n) = chars.next() {
                cur.push(n);
            }
        } else if c == delimiter {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out
}

fn parse_csv(
    text: &str,
    delimiter: char,
    null: &str,
    quote: char,
    escape: char,
    header: bool,
) -> Result<Vec<Vec<Option<String>>>, SqlError> {
    let mut rows = Vec::new();
    let mut row: Vec<Option<String>> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    let mut chars = text.chars().peekable();
    let finish_field =
        |row: &mut Vec<Option<String>>, field: &mut String, was_quoted: &mut bool| {
            let f = std::mem::take(field);
            row.push(if !*was_quoted && f == null {
                None
            } else {
                Some(f)
            });
            *was_quoted = false;
        };
    while let Some(c) = chars.next() {
        if quoted {
            if c == escape && chars.peek() == Some(&quote) && escape != quote {
                field.push(quote);
                chars.next();
            } else if c == quote {
                if chars.peek() == Some(&quote) && escape == quote {
                    field.push(quote);
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else if c == quote {
            quoted = true;
            was_quoted = true;
        } else if c == delimiter {
            finish_field(&mut row, &mut field, &mut was_quoted);
        } else if c == '\n' || c == '\r' {
            if c == '\r' && chars.peek() == Some(&'\n') {
                chars.next();
            }
            if field == "\\." && row.is_empty() {
                break;
            }
            finish_field(&mut row, &mut field, &mut was_quoted);
            rows.push(std::mem::take(&mut row));
        } else {
            field.push(c);
        }
    }
    if quoted {
        return Err(SqlError::new(
            SqlState::BAD_COPY_FILE_FORMAT,
            "unterminated CSV quoted field",
        ));
    }
    let pending = !field.is_empty() || !row.is_empty() || was_quoted;
    let end_marker = field == "\\." && row.is_empty();
    if pending && !end_marker {
        finish_field(&mut row, &mut field, &mut was_quoted);
        rows.push(row);
    }
    if header && !rows.is_empty() {
        rows.remove(0);
    }
    Ok(rows)
}

fn escape_text(s: &str, delimiter: char) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == delimiter => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// The HEADER line of COPY TO, when the format asks for one: the column
/// names, quoted and escaped as data would be.
pub fn header_line(names: &[String], format: &CopyFormat) -> Option<Vec<u8>> {
    let wanted = match format {
        CopyFormat::Text { header, .. } | CopyFormat::Csv { header, .. } => *header,
    };
    if !wanted {
        return None;
    }
    let row: Row = names.iter().map(|n| Value::Text(n.clone())).collect();
    let lines = encode_rows(&[row], format, &EvalContext::default()).ok()?;
    lines.into_iter().next()
}

/// Encodes rows as COPY data lines.
pub fn encode_rows(
    rows: &[Row],
    format: &CopyFormat,
    ctx: &EvalContext,
) -> Result<Vec<Vec<u8>>, SqlError> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let fields: Vec<String> = row
            .iter()
            .map(|v| match (v, format) {
                (Value::Null, CopyFormat::Text { null, .. })
                | (Value::Null, CopyFormat::Csv { null, .. }) => null.clone(),
                (v, CopyFormat::Text { delimiter, .. }) => escape_text(
                    &rangedb_sqltypes::text::format(v, &v.natural_type(), ctx),
                    *delimiter,
                ),
                (
                    v,
                    CopyFormat::Csv {
                        delimiter,
                        quote,
                        null,
                        ..
                    },
                ) => {
                    let s = rangedb_sqltypes::text::format(v, &v.natural_type(), ctx);
                    if s.contains(*delimiter)
                        || s.contains(*quote)
                        || s.contains('\n')
                        || s.contains('\r')
                        || s.is_empty()
                        || s == *null
                    {
                        let doubled = s.replace(*quote, &format!("{quote}{quote}"));
                        format!("{quote}{doubled}{quote}")
                    } else {
                        s
                    }
                }
            })
            .collect();
        let delimiter = match format {
            CopyFormat::Text { delimiter, .. } | CopyFormat::Csv { delimiter, .. } => *delimiter,
        };
        let mut line = fields.join(&delimiter.to_string());
        line.push('\n');
        out.push(line.into_bytes());
    }
    Ok(out)
}
