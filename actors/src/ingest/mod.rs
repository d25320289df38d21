//! Ingestion (ingest.md): batch JSON and CSV rows → the same `prepare_create` /
//! `insert_prepared` as a single create, one writer job per import.
//!
//! Who owns what: `csv` and `convert` are pure parsing (property-tested, fuzzed); this module
//! turns a file or a batch into one JSON body per row (`RawRow`) and parses each against the
//! resource declaration (`ParsedRow`); `actor` runs that off the async threads behind a
//! bounded handle; `commit` runs rows inside a writer transaction (a savepoint per row);
//! `readback` words the two-phase confirmation. The services in `services/ingest.rs` tie them
//! to the writer, the import log, preview tokens and idempotency keys.
pub mod actor;
pub mod commit;
pub mod convert;
pub mod csv;
pub mod readback;

use crate::domain::{Caller, FieldError, TenantScope};
use crate::error::EngineError;
use crate::resources::{AMENDMENT_REASON, Field, Req, Resource, STANDARD_COLUMNS};
use crate::services::records::{Prepared, prepare_create};
use crate::store::StoreError;
use csv::{FileError, FileWarning};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The two ways rows arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Batch,
    Csv,
}

impl ImportKind {
    /// IMPORT_LOG.import_type.
    pub fn import_type(self) -> &'static str {
        match self {
            ImportKind::Batch => "batch_import",
            ImportKind::Csv => "csv_upload",
        }
    }
    /// IMPORT_PREVIEW.kind.
    pub fn preview_kind(self) -> &'static str {
        match self {
            ImportKind::Batch => "batch",
            ImportKind::Csv => "csv",
        }
    }
    pub fn from_preview_kind(kind: &str) -> ImportKind {
        if kind == "csv" {
            ImportKind::Csv
        } else {
            ImportKind::Batch
        }
    }
    /// entry_method of rows committed through the read-back (domain.md §2).
    pub fn confirmed_entry_method(self) -> &'static str {
        match self {
            ImportKind::Batch => "MANUAL_ENTRY",
            ImportKind::Csv => "CSV_UPLOAD",
        }
    }
}

/// One row problem as the API reports it (`field` null for row-level rules).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowError {
    pub line: u64,
    pub field: Option<String>,
    pub code: String,
    pub message: String,
}

impl RowError {
    pub fn new(line: u64, field: Option<&str>, code: &str, message: impl Into<String>) -> Self {
        RowError {
            line,
            field: field.map(str::to_owned),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// A row before parsing: the JSON body it became (CSV cells converted, client filled in) and
/// the problems found on the way (format errors, `client_mismatch`, `too_many_fields`).
#[derive(Debug, Clone)]
pub struct RawRow {
    pub line: u64,
    pub body: Map<String, Value>,
    pub errors: Vec<RowError>,
}

/// A row parsed against its resource: ready for the writer, or its errors.
pub struct ParsedRow {
    pub line: u64,
    /// The body it was parsed from (stored with a preview, re-parsed at confirm).
    pub body: Map<String, Value>,
    pub outcome: Result<Prepared, Vec<RowError>>,
}

/// What parsing an upload yields.
pub struct Parsed {
    pub rows: Vec<ParsedRow>,
    pub file_warnings: Vec<FileWarning>,
}

impl From<FileError> for EngineError {
    fn from(e: FileError) -> Self {
        EngineError::Invalid {
            code: e.code,
            message: e.message.clone(),
            details: vec![FieldError::new("file", e.message)],
        }
    }
}

/// The field that names the row's client, when the caller sends it (`client_id`).
fn client_field(res: &Resource) -> Option<&'static str> {
    res.field("client_id")
        .filter(|f| f.req != Req::S)
        .map(|f| f.name)
}

/// The caller's only writable client, used when neither the row nor the upload names one.
pub fn only_client(scope: &TenantScope) -> Option<String> {
    match scope {
        TenantScope::Assigned(set) if set.len() == 1 => {
            set.iter().next().map(|c| c.as_str().to_owned())
        }
        _ => None,
    }
}

/// Row client = its cell, else the upload's `client_id`, else the caller's only client
/// (ingest.md §5). A cell that differs from the upload's client → `client_mismatch`.
fn fill_client(res: &Resource, row: &mut RawRow, upload_client: Option<&str>, only: Option<&str>) {
    let Some(name) = client_field(res) else {
        return;
    };
    let cell = match row.body.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(v) if !v.is_null() && !v.is_string() => return, // a type error parse reports
        _ => None,
    };
    match (cell, upload_client) {
        (Some(c), Some(u)) if c != u => row.errors.push(RowError::new(
            row.line,
            Some(name),
            "client_mismatch",
            format!("client_id {c} differs from the upload's client_id {u}"),
        )),
        (Some(_), _) => {}
        (None, _) => {
            if let Some(c) = upload_client.or(only) {
                row.body.insert(name.into(), Value::String(c.to_owned()));
            }
        }
    }
}

/// How a header column is used.
#[derive(Debug, Clone, Copy)]
enum Column {
    Field(&'static Field),
    /// Server-set or system columns (an export re-uploads cleanly).
    Skip,
}

fn column_for(res: &'static Resource, raw: &str) -> Option<Column> {
    let name = raw
        .trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_lowercase();
    let lookup = |n: &str| res.fields.iter().find(|f| f.name == n);
    if let Some(f) = lookup(&name).or_else(|| name.strip_suffix("_fk").and_then(lookup)) {
        // The key goes through parsing so a server-assigned one warns `id_ignored`.
        return Some(if f.req == Req::S && f.name != res.key {
            Column::Skip
        } else {
            Column::Field(f)
        });
    }
    if res.is_entry && name == AMENDMENT_REASON.name {
        return Some(Column::Field(&AMENDMENT_REASON));
    }
    let system = STANDARD_COLUMNS.contains(&name.as_str())
        || matches!(name.as_str(), "entry_method" | "import_id" | "warnings");
    system.then_some(Column::Skip)
}

/// A CSV file → one JSON body per data row. File-level problems are 422s: `invalid_file`,
/// `duplicate_columns`, `missing_columns`.
pub fn csv_rows(
    res: &'static Resource,
    bytes: &[u8],
    upload_client: Option<&str>,
    only: Option<&str>,
) -> Result<(Vec<RawRow>, Vec<FileWarning>), EngineError> {
    let table = csv::parse(bytes)?;
    let mut warnings = table.warnings.clone();
    let columns: Vec<Option<Column>> = table.header.iter().map(|h| column_for(res, h)).collect();
    let mut seen: Vec<&str> = Vec::new();
    let mut duplicates: Vec<&str> = Vec::new();
    for c in columns.iter().flatten() {
        if let Column::Field(f) = c {
            if seen.contains(&f.name) {
                duplicates.push(f.name);
            }
            seen.push(f.name);
        }
    }
    if !duplicates.is_empty() {
        let message = format!("Duplicate columns: {}", duplicates.join(", "));
        return Err(EngineError::Invalid {
            code: "duplicate_columns",
            message: message.clone(),
            details: vec![FieldError::new("file", message)],
        });
    }
    let missing: Vec<&str> = res
        .fields
        .iter()
        .filter(|f| f.req == Req::R && f.name != "client_id" && !seen.contains(&f.name))
        .map(|f| f.name)
        .collect();
    if !missing.is_empty() {
        let message = format!("Missing required columns: {}", missing.join(", "));
        return Err(EngineError::Invalid {
            code: "missing_columns",
            message: message.clone(),
            details: vec![FieldError::new("file", message)],
        });
    }
    let ignored: Vec<&str> = table
        .header
        .iter()
        .zip(&columns)
        .filter(|(h, c)| c.is_none() && !h.trim().is_empty())
        .map(|(h, _)| h.trim())
        .collect();
    if !ignored.is_empty() {
        warnings.push(FileWarning {
            code: "ignored_columns".into(),
            message: format!("Unknown columns ignored: {}", ignored.join(", ")),
        });
    }
    let decimal_comma = table.delimiter == b';';
    let rows = table
        .records
        .iter()
        .map(|rec| {
            let mut row = RawRow {
                line: rec.line,
                body: Map::new(),
                errors: Vec::new(),
            };
            let extra = rec.cells.iter().skip(columns.len());
            if extra.clone().any(|c| !c.trim().is_empty()) {
                row.errors.push(RowError::new(
                    rec.line,
                    None,
                    "too_many_fields",
                    format!(
                        "The row has {} fields; the header has {}",
                        rec.cells.len(),
                        columns.len()
                    ),
                ));
            }
            for (cell, column) in rec.cells.iter().zip(&columns) {
                let Some(Column::Field(field)) = column else {
                    continue;
                };
                match convert::cell(field, cell, decimal_comma) {
                    Ok(Value::Null) => {}
                    Ok(v) => {
                        row.body.insert(field.name.into(), v);
                    }
                    Err(e) => row.errors.push(RowError::new(
                        rec.line,
                        Some(field.name),
                        e.code,
                        e.message,
                    )),
                }
            }
            fill_client(res, &mut row, upload_client, only);
            row
        })
        .collect();
    Ok((rows, warnings))
}

/// Batch entries → one body per entry; `line` = 1-based position in `entries`.
pub fn batch_rows(
    res: &'static Resource,
    entries: Vec<Value>,
    upload_client: Option<&str>,
    only: Option<&str>,
) -> Vec<RawRow> {
    entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let line = i as u64 + 1;
            let mut row = RawRow {
                line,
                body: Map::new(),
                errors: Vec::new(),
            };
            match entry {
                Value::Object(body) => {
                    row.body = body;
                    fill_client(res, &mut row, upload_client, only);
                }
                _ => row.errors.push(RowError::new(
                    line,
                    None,
                    "invalid_value",
                    "Each entry must be a JSON object",
                )),
            }
            row
        })
        .collect()
}

/// Parses each body against the resource (no I/O). Errors found earlier (formats) are kept,
/// and the parser's complaint about the same field is then dropped (one error per cause).
pub fn prepare_rows(caller: &Caller, res: &'static Resource, raws: Vec<RawRow>) -> Vec<ParsedRow> {
    raws.into_iter()
        .map(|raw| {
            let line = raw.line;
            let parsed = prepare_create(caller, res, &raw.body);
            let outcome = match parsed {
                Ok(p) if raw.errors.is_empty() => Ok(p),
                Ok(_) => Err(raw.errors),
                Err(e) => {
                    let mut errors = raw.errors;
                    let later = row_errors(line, None, e).unwrap_or_else(|e| {
                        vec![RowError::new(line, None, "invalid_value", e.to_string())]
                    });
                    for err in later {
                        let dup = errors
                            .iter()
                            .any(|x| x.field.is_some() && x.field == err.field);
                        if !dup {
                            errors.push(err);
                        }
                    }
                    Err(errors)
                }
            };
            ParsedRow {
                line,
                body: raw.body,
                outcome,
            }
        })
        .collect()
}

/// The error code of a field message from `resources::validate` or a resource check.
/// Validation messages name the problem in words; the codes of ingest.md §4 are derived
/// from them here, so the row errors carry stable codes.
pub fn field_code(message: &str) -> &'static str {
    let m = message.to_ascii_lowercase();
    let has = |s: &str| m.contains(s);
    if has("is required") || has("missing required") {
        "missing_required"
    } else if has("invalid date") || has("must be a date") {
        "invalid_date"
    } else if has("invalid time") || has("must be a time") {
        "invalid_time"
    } else if has("timestamp") && has("invalid") {
        "invalid_timestamp"
    } else if has("whole number") || has("must be a number") {
        "invalid_number"
    } else if has("true or false") {
        "invalid_boolean"
    } else if has("must be one of") || has("expected one of") {
        "invalid_enum"
    } else if has("in the future") {
        "future_date"
    } else if has("characters") && (has("at most") || has("longer than")) {
        "too_long"
    } else if has("unknown field") {
        "unknown_field"
    } else if has("unknown ") || has("not a floater") {
        "unknown_reference"
    } else if has("between") || has("must be >") || has("must be <") || has("at least") {
        "out_of_range"
    } else if has("must not exceed")
        || has("exceeds")
        || has("must be on or after")
        || has("before")
        || has("after")
    {
        "inconsistent"
    } else {
        "invalid_value"
    }
}

/// A row's write failure → its row errors; `Err` for failures that are not the row's fault
/// (the writer is gone, the disk is full: the whole import fails).
pub fn row_errors(
    line: u64,
    client: Option<&str>,
    e: EngineError,
) -> Result<Vec<RowError>, EngineError> {
    Ok(match e {
        EngineError::Invalid {
            code,
            details,
            message,
        } => {
            if details.is_empty() {
                vec![RowError::new(line, None, code, message)]
            } else {
                details
                    .into_iter()
                    .map(|d| {
                        let code = if code == "validation_failed" {
                            field_code(&d.message)
                        } else {
                            code
                        };
                        let message = if code == "missing_required" {
                            format!("Missing required field: {}", d.field)
                        } else {
                            d.message
                        };
                        RowError::new(line, Some(&d.field), code, message)
                    })
                    .collect()
            }
        }
        // Unknown and invisible clients read the same (no leak).
        EngineError::Forbidden { .. } | EngineError::NotFound(_) => {
            vec![forbidden_row(line, client.unwrap_or_default())]
        }
        EngineError::Conflict { code, message } => {
            let (code, message) = match code {
                "duplicate_id" => (
                    "duplicate",
                    format!(
                        "Duplicate entry detected ({message}, or an earlier row of this import)"
                    ),
                ),
                other => (other, message),
            };
            vec![RowError::new(line, None, code, message)]
        }
        // A conflict tied to a field (floater_double_booked, hold_already_open,
        // employee_limit_reached ...) is this row's error, not the whole import's.
        EngineError::ConflictOn {
            code,
            message,
            details,
        } => {
            let field = details.first().map(|d| d.field.as_str());
            vec![RowError::new(line, field, code, message)]
        }
        EngineError::Store(StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, msg)))
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            vec![RowError::new(
                line,
                None,
                "inconsistent",
                format!(
                    "The row breaks a data rule ({})",
                    msg.unwrap_or_else(|| "constraint".into())
                ),
            )]
        }
        other => return Err(other),
    })
}

/// `client_forbidden` for a row whose client the caller may not write (or that does not exist).
pub fn forbidden_row(line: u64, client: &str) -> RowError {
    RowError::new(
        line,
        Some("client_id"),
        "client_forbidden",
        format!("Access denied - client_id mismatch ({client})"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::defs;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn csv_rows_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            for res in defs::ALL {
                let _ = csv_rows(res, &bytes, Some("AAA-1"), None);
            }
        }

        #[test]
        fn every_row_of_a_valid_header_is_parsed_or_reported(body in "[ -~\n\r]{0,300}") {
            let res = defs::find("production").unwrap();
            let file = format!("client_id,work_order_id,shift_date,shift_type,units_produced,run_time_hours\n{body}");
            if let Ok((rows, _)) = csv_rows(res, file.as_bytes(), None, Some("AAA-1")) {
                let caller = Caller::system();
                for row in prepare_rows(&caller, res, rows) {
                    prop_assert!(row.line >= 2);
                    if let Err(errors) = row.outcome {
                        prop_assert!(!errors.is_empty() && errors.iter().all(|e| e.line == row.line));
                    }
                }
            }
        }
    }

    #[test]
    fn codes_follow_the_messages_of_validation() {
        assert_eq!(field_code("is required"), "missing_required");
        assert_eq!(
            field_code("Invalid date format (use YYYY-MM-DD)"),
            "invalid_date"
        );
        assert_eq!(field_code("must be a whole number"), "invalid_number");
        assert_eq!(field_code("must be one of: A, B"), "invalid_enum");
        assert_eq!(field_code("must be at most 50 characters"), "too_long");
        assert_eq!(field_code("must be between 0 and 24"), "out_of_range");
        assert_eq!(field_code("must not exceed units_produced"), "inconsistent");
        assert_eq!(
            field_code("unknown work_order_id for client A"),
            "unknown_reference"
        );
        assert_eq!(field_code("must not be in the future"), "future_date");
    }

    #[test]
    fn csv_header_rules() {
        let res = defs::find("production").unwrap();
        let e = csv_rows(res, b"client_id,shift_date\nA,2025-01-01\n", None, None).unwrap_err();
        assert!(
            matches!(e, EngineError::Invalid { code: "missing_columns", ref message, .. }
            if message.starts_with("Missing required columns: work_order_id"))
        );
        let e = csv_rows(
            res,
            b"work_order_id,WORK_ORDER_ID_FK,shift_date,shift_type,units_produced\n",
            None,
            None,
        )
        .unwrap_err();
        assert!(matches!(
            e,
            EngineError::Invalid {
                code: "duplicate_columns",
                ..
            }
        ));
        let (rows, warnings) = csv_rows(
            res,
            b"Work_Order_ID ,shift_date,shift_type,units_produced,colour,created_at\nWO-1,2025-01-01,shift_1st,12,red,x\n",
            Some("AAA-1"),
            None,
        )
        .unwrap();
        assert_eq!(warnings[0].code, "ignored_columns");
        assert!(
            warnings[0].message.contains("colour") && !warnings[0].message.contains("created_at")
        );
        assert_eq!(rows[0].body["client_id"], "AAA-1");
        assert_eq!(rows[0].body["units_produced"], 12);
    }

    #[test]
    fn client_cells_must_match_the_upload() {
        let res = defs::find("production").unwrap();
        let (rows, _) = csv_rows(
            res,
            b"client_id,work_order_id,shift_date,shift_type,units_produced\nBBB-1,WO-1,2025-01-01,SHIFT_1ST,1\n,WO-1,2025-01-01,SHIFT_1ST,1\n",
            Some("AAA-1"),
            None,
        )
        .unwrap();
        assert_eq!(rows[0].errors[0].code, "client_mismatch");
        assert_eq!(rows[1].body["client_id"], "AAA-1");
        let rows = batch_rows(
            res,
            vec![serde_json::json!({"units_produced": 1}), Value::Null],
            None,
            Some("ONLY-1"),
        );
        assert_eq!(rows[0].body["client_id"], "ONLY-1");
        assert_eq!(
            (rows[1].line, rows[1].errors[0].code.as_str()),
            (2, "invalid_value")
        );
    }
}
