//! CSV out (ingest.md §11): `GET /api/{res}/export.csv` and `GET /api/{res}/csv-template`.
//! UTF-8 with BOM, comma, CRLF, RFC 4180 quoting (the `csv` writer), so the file opens cleanly
//! in Excel and re-uploads as the same rows. Exports page through `Engine::list_records` (same
//! filters, same tenant scope in SQL), 1 000 rows at a time: memory stays bounded whatever the
//! table size. Text cells that a spreadsheet would run as a formula are neutralised (OWASP
//! "CSV injection"): a leading `'`, which the importer strips again.
use crate::domain::Caller;
use crate::engine::Engine;
use crate::error::EngineError;
use crate::resources::repo::Record;
use crate::resources::{Kind, Req, Resource};
use crate::services::records::ListParams;
use serde_json::Value;
use std::borrow::Cow;

/// Excel reads a BOM as "this is UTF-8"; without it, accents turn into mojibake.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";
/// Rows per read: one page of `list_records` (its maximum).
const PAGE: usize = 1000;
/// Server-maintained columns exported after the declared fields, when the table has them.
const SYSTEM_COLUMNS: [&str; 5] = [
    "entry_method",
    "created_by",
    "created_at",
    "updated_by",
    "updated_at",
];

/// True for a plain decimal number: `[+-]digits[.digits]` (or `.digits`). Such a cell is
/// harmless in a spreadsheet (a number, not a formula) and must stay numeric, e.g. `-5`.
pub fn is_plain_number(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    match frac {
        None => !int.is_empty() && digits(int),
        Some(f) => (!int.is_empty() || !f.is_empty()) && digits(int) && digits(f),
    }
}

/// OWASP CSV-injection rule: a cell starting with `=`, `+`, `-`, `@`, tab or CR gets a
/// leading `'`, unless it is a plain number.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !is_plain_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// One stored value as a CSV cell: numbers, booleans and dates plain, text neutralised.
pub fn cell(v: Option<&Value>) -> Cow<'_, str> {
    match v {
        None | Some(Value::Null) => Cow::Borrowed(""),
        Some(Value::Bool(b)) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Some(Value::Number(n)) => Cow::Owned(n.to_string()),
        Some(Value::String(s)) => neutralise(s),
        Some(other) => Cow::Owned(neutralise(&other.to_string()).into_owned()),
    }
}

fn writer(buf: Vec<u8>) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(buf)
}

fn finish(w: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, EngineError> {
    w.into_inner()
        .map_err(|e| crate::store::StoreError::Other(format!("csv buffer: {e}")).into())
}

fn csv_err(e: csv::Error) -> EngineError {
    crate::store::StoreError::Other(format!("csv: {e}")).into()
}

/// The template's columns: the writable fields (not server-set) in declaration order,
/// `client_id` included.
pub fn template_columns(res: &Resource) -> Vec<&'static str> {
    res.fields
        .iter()
        .filter(|f| f.req != Req::S)
        .map(|f| f.name)
        .collect()
}

/// An example value per kind. One value per kind keeps cross-field rules satisfied
/// (`units_defective <= units_produced`, `run_time_hours <= shift_hours_scheduled`, dates in
/// order), and the date is in the past (no `future_date`).
pub fn example(kind: Kind) -> String {
    match kind {
        Kind::Text(n) => "example".chars().take(n).collect(),
        Kind::Notes(n) => "free text".chars().take(n).collect(),
        Kind::Id(n) => "EXAMPLE-1".chars().take(n).collect(),
        Kind::Int { min, max } => 10.clamp(min, max).to_string(),
        Kind::Dec {
            min,
            max,
            min_exclusive,
        } => {
            let v = 1.5f64.clamp(min, max);
            let v = if min_exclusive && v <= min {
                (min + max) / 2.0
            } else {
                v
            };
            serde_json::Number::from_f64(v).map_or_else(|| "1".to_owned(), |n| n.to_string())
        }
        Kind::Bool => "false".into(),
        Kind::Date => "2025-12-15".into(),
        Kind::Time => "07:00".into(),
        Kind::Enum(values) => values.first().copied().unwrap_or_default().to_owned(),
    }
}

/// `GET /api/{res}/csv-template`: BOM, header, one example row.
pub fn csv_template(res: &Resource) -> Result<Vec<u8>, EngineError> {
    let mut w = writer(BOM.to_vec());
    let columns = template_columns(res);
    w.write_record(&columns).map_err(csv_err)?;
    let row: Vec<String> = res
        .fields
        .iter()
        .filter(|f| f.req != Req::S)
        .map(|f| example(f.kind))
        .collect();
    w.write_record(&row).map_err(csv_err)?;
    finish(w)
}

/// Export columns: the key, the declared fields in order, then the system columns the table
/// has (`is_active` too when deleted rows were asked for, or they could not be told apart).
pub(crate) fn export_columns(
    res: &Resource,
    present: &[String],
    include_deleted: bool,
) -> Vec<String> {
    let mut cols: Vec<String> = vec![res.key.to_owned()];
    for f in res.fields {
        if !cols.iter().any(|c| c == f.name) {
            cols.push(f.name.to_owned());
        }
    }
    let extra = SYSTEM_COLUMNS
        .iter()
        .chain(include_deleted.then_some(&"is_active"));
    for c in extra {
        if present.iter().any(|p| p == c) && !cols.iter().any(|x| x == c) {
            cols.push((*c).to_owned());
        }
    }
    cols
}

fn rows_csv(buf: Vec<u8>, columns: &[String], rows: &[Record]) -> Result<Vec<u8>, EngineError> {
    let mut w = writer(buf);
    for row in rows {
        w.write_record(columns.iter().map(|c| cell(row.get(c)).into_owned()))
            .map_err(csv_err)?;
    }
    finish(w)
}

/// Filters of one export, copied into each page's `ListParams`.
struct ExportQuery {
    client_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    include_deleted: bool,
    filters: Vec<(String, String)>,
}

impl ExportQuery {
    fn page(&self, cursor: Option<String>) -> ListParams {
        ListParams {
            client_id: self.client_id.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            limit: Some(PAGE.to_string()),
            cursor,
            include_deleted: self.include_deleted,
            filters: self.filters.clone(),
        }
    }
}

/// A running export: yields the CSV in chunks of one page each. The first page was read
/// before the response started, so bad filters and foreign clients still get their 4xx.
pub struct CsvExport {
    engine: Engine,
    caller: Caller,
    res: &'static Resource,
    query: ExportQuery,
    columns: Vec<String>,
    first: Option<Vec<u8>>,
    cursor: Option<String>,
}

impl CsvExport {
    /// The next chunk of the file, None at the end.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, EngineError> {
        if let Some(first) = self.first.take() {
            return Ok(Some(first));
        }
        let Some(cursor) = self.cursor.take() else {
            return Ok(None);
        };
        let page = self
            .engine
            .list_records(&self.caller, self.res, self.query.page(Some(cursor)))
            .await?;
        self.cursor = page.next_cursor;
        Ok(Some(rows_csv(Vec::new(), &self.columns, &page.items)?))
    }

    pub fn columns(&self) -> &[String] {
        &self.columns
    }
}

impl Engine {
    /// Starts `GET /api/{res}/export.csv`: checks the parameters and the tenant rules by
    /// reading the first page (`limit`/`cursor` of `p` are ignored).
    pub async fn export_csv(
        &self,
        caller: &Caller,
        res: &'static Resource,
        p: ListParams,
    ) -> Result<CsvExport, EngineError> {
        let query = ExportQuery {
            client_id: p.client_id,
            from: p.from,
            to: p.to,
            include_deleted: p.include_deleted,
            filters: p.filters,
        };
        let first = self.list_records(caller, res, query.page(None)).await?;
        let table = res.table;
        let present: Vec<String> = self
            .read(move |c| {
                let mut stmt = c.prepare("SELECT name FROM pragma_table_info(?1)")?;
                let names = stmt
                    .query_map([table], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(names)
            })
            .await?;
        let deleted = query.include_deleted && caller.role == crate::domain::Role::Admin;
        let columns = export_columns(res, &present, deleted);
        let mut w = writer(BOM.to_vec());
        w.write_record(&columns).map_err(csv_err)?;
        let head = finish(w)?;
        let chunk = rows_csv(head, &columns, &first.items)?;
        Ok(CsvExport {
            engine: self.clone(),
            caller: caller.clone(),
            res,
            query,
            columns,
            first: Some(chunk),
            cursor: first.next_cursor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::defs;
    use proptest::prelude::*;

    #[test]
    fn formulas_are_neutralised_numbers_are_not() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("-1+1"), "'-1+1");
        assert_eq!(neutralise("+SUM(A1)"), "'+SUM(A1)");
        assert_eq!(neutralise("@cmd"), "'@cmd");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("\rx"), "'\rx");
        for n in ["-5", "+5", "-1.25", "-.5", "12", "-0."] {
            assert_eq!(neutralise(n), n, "{n}");
        }
        for s in ["-", "+", "-.", "-1e5", "--1", "- 1"] {
            assert!(neutralise(s).starts_with('\''), "{s}");
        }
        assert_eq!(neutralise("plain text"), "plain text");
        assert_eq!(cell(Some(&serde_json::json!(-5))), "-5");
        assert_eq!(cell(Some(&serde_json::json!(true))), "true");
        assert_eq!(cell(None), "");
    }

    #[test]
    fn template_has_writable_columns_and_a_row_that_parses() {
        for res in defs::ALL {
            let bytes = csv_template(res).unwrap();
            assert!(bytes.starts_with(BOM));
            let text = std::str::from_utf8(&bytes[BOM.len()..]).unwrap();
            assert!(text.ends_with("\r\n"));
            let mut r = csv::Reader::from_reader(text.as_bytes());
            let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
            assert_eq!(header, template_columns(res));
            // client_id is a column wherever the caller enters it (not derived from a parent).
            if matches!(res.tenant, crate::resources::Tenant::Entered) {
                assert!(header.contains(&"client_id".to_owned()), "{}", res.name);
            }
            let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
            assert_eq!(rows.len(), 1);
            // Every example value passes its field's own parser (numbers and booleans as the
            // CSV importer types them).
            for (name, value) in header.iter().zip(rows[0].iter()) {
                let field = res.field(name).unwrap();
                let raw = serde_json::from_str::<Value>(value)
                    .ok()
                    .filter(|v| v.is_number() || v.is_boolean())
                    .unwrap_or_else(|| Value::String(value.to_owned()));
                let parsed = crate::resources::validate::parse_value(field, &raw);
                assert!(parsed.is_ok(), "{}.{name} = {value}", res.name);
            }
        }
    }

    #[test]
    fn export_columns_follow_the_declaration() {
        let present: Vec<String> = ["created_by", "created_at", "entry_method", "is_active"]
            .map(String::from)
            .to_vec();
        let cols = export_columns(&defs::PRODUCTION, &present, false);
        assert_eq!(cols[0], "production_entry_id");
        assert_eq!(
            &cols[cols.len() - 3..],
            ["entry_method", "created_by", "created_at"]
        );
        assert!(!cols.contains(&"is_active".to_owned()));
        assert!(export_columns(&defs::PRODUCTION, &present, true).contains(&"is_active".into()));
    }

    fn round_trip(cells: &[String]) -> Vec<String> {
        let mut w = writer(Vec::new());
        w.write_record(cells).unwrap();
        let bytes = w.into_inner().unwrap();
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes.as_slice());
        let rec = r.records().next().unwrap().unwrap();
        rec.iter().map(str::to_owned).collect()
    }

    proptest! {
        #[test]
        fn neutralised_cells_never_start_a_formula(s in "\\PC*|[=+@\\t\\r-][\\PC\\r\\n\"',;]*|[+-]?[0-9]{0,4}(\\.[0-9]{0,3})?") {
            let n = neutralise(&s);
            if n.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                prop_assert!(is_plain_number(&n), "{:?}", n);
                prop_assert_eq!(n.as_ref(), s.as_str());
            }
            // Nothing but the one quote is ever added.
            let quoted = format!("'{s}");
            prop_assert!(n == s || *n == quoted);
        }

        #[test]
        fn neutralised_cells_round_trip_through_csv(
            cells in proptest::collection::vec("[\\PC\\r\\n\",;']{0,12}", 1..5)
        ) {
            let out: Vec<String> = cells.iter().map(|c| neutralise(c).into_owned()).collect();
            prop_assert_eq!(round_trip(&out), out);
        }
    }
}
