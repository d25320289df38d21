//! One generic mechanism for data-entry resources: each resource declares its fields,
//! validation and filters once (`defs`), and `validate` / `repo` do the rest. Rows travel as
//! JSON objects keyed by the contract's field names (= column names).
pub mod defs;
pub mod repo;
pub mod validate;

use crate::domain::{FieldError, Role};
use rusqlite::Connection;
use serde_json::{Map, Value};

/// How a field's value is parsed and checked.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// UTF-8, trimmed, at most n characters, no control characters.
    Text(usize),
    /// Like Text but newlines and tabs allowed (`notes`).
    Notes(usize),
    /// User-assigned id: 1..=n of `[A-Za-z0-9_.-]`.
    Id(usize),
    Int {
        min: i64,
        max: i64,
    },
    /// Decimal; `min_exclusive` for "> 0" rules.
    Dec {
        min: f64,
        max: f64,
        min_exclusive: bool,
    },
    Bool,
    Date,
    Time,
    Enum(&'static [&'static str]),
}

/// The Req column of domain.md.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Req {
    /// Required on create.
    R,
    /// Inferable: may be blank, filled at calculation time (warning `will_be_inferred`).
    I,
    /// Optional.
    O,
    /// Optional with a default applied on create.
    D(Default),
    /// Set by the server; ignored when sent.
    S,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Default {
    Json(&'static str),
    /// The caller's user id.
    Caller,
    /// The current timestamp.
    Now,
}

/// A reference to a row of another table of the same client.
#[derive(Debug, Clone, Copy)]
pub struct Ref {
    pub table: &'static str,
    pub key: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub req: Req,
    pub refers: Option<Ref>,
}

pub const fn f(name: &'static str, kind: Kind, req: Req) -> Field {
    Field {
        name,
        kind,
        req,
        refers: None,
    }
}

pub const fn fk(
    name: &'static str,
    kind: Kind,
    req: Req,
    table: &'static str,
    key: &'static str,
) -> Field {
    Field {
        name,
        kind,
        req,
        refers: Some(Ref { table, key }),
    }
}

/// How the record key is assigned.
#[derive(Debug, Clone, Copy)]
pub enum KeyRule {
    /// The user sends it (`work_order_id`, `product_id`).
    User,
    /// `<client_id>.<field>` (`shift_id`).
    ClientDot(&'static str),
    /// `YYYYMMDD-<TAG>-NNNN` from the date field, sequence per (table, date).
    DatedSequence {
        date_field: &'static str,
        tag: &'static str,
    },
}

/// Context for cross-field checks.
pub struct CheckCtx<'a> {
    pub conn: &'a Connection,
    pub max_employees: i64,
    pub today: chrono::NaiveDate,
    /// The stored row on PATCH, None on create.
    pub before: Option<&'a Map<String, Value>>,
}

pub struct Resource {
    /// Path segment: `/api/{name}`.
    pub name: &'static str,
    /// Entity name for audit rows.
    pub entity: &'static str,
    pub table: &'static str,
    pub key: &'static str,
    pub key_rule: KeyRule,
    pub date_key: Option<&'static str>,
    pub fields: &'static [Field],
    /// Query parameters that filter by equality on a field of the same name.
    pub filters: &'static [&'static str],
    /// Who may create/edit (besides the tenant check).
    pub may_write: fn(Role) -> bool,
    /// Data-entry tables carry entry_method/import_id and verification.
    pub is_entry: bool,
    /// Cross-field rules; run after per-field parsing on the merged record.
    pub check: fn(&mut Map<String, Value>, &CheckCtx) -> Vec<FieldError>,
}

impl Resource {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Columns returned as JSON booleans.
    pub fn bool_columns(&self) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = self
            .fields
            .iter()
            .filter(|f| matches!(f.kind, Kind::Bool))
            .map(|f| f.name)
            .collect();
        v.push("is_active");
        v
    }
}

/// Server-maintained columns present on every business table.
pub const STANDARD_COLUMNS: [&str; 7] = [
    "created_by",
    "created_at",
    "updated_by",
    "updated_at",
    "is_active",
    "deleted_at",
    "deleted_by",
];
