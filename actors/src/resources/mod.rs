//! One generic mechanism for data-entry resources: each resource declares its fields,
//! validation and filters once (`defs`), and `validate` / `repo` do the rest. Rows travel as
//! JSON objects keyed by the contract's field names (= column names).
pub mod constraints;
pub mod defs;
pub mod repo;
pub mod validate;

use crate::domain::{FieldError, Role, RowWrite};
use crate::error::EngineError;
use rusqlite::Connection;
use serde_json::{Map, Value};
use std::cell::RefCell;
use validate::Warning;

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

/// How a reference is checked. Another client's row always reads as unknown (domain.md §7).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RefRule {
    /// An active row of the table whose `client_id` is the record's client.
    SameClient,
    /// An active employee of the record's client, or a floater (floaters serve every client).
    Employee,
    /// An active floating-pool employee (any client); anyone else → "is not a floater".
    Floater,
    /// An active job of the record's `work_order_id` (so also of its client).
    JobOfWorkOrder,
    /// An existing user (columns that are foreign keys to USER).
    User,
}

/// A reference to a row of another table.
#[derive(Debug, Clone, Copy)]
pub struct Ref {
    pub table: &'static str,
    pub key: &'static str,
    pub rule: RefRule,
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

/// A field naming a row of `table` of the same client.
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
        refers: Some(Ref {
            table,
            key,
            rule: RefRule::SameClient,
        }),
    }
}

/// A field naming an employee, a floater, a job of the work order or a user.
pub const fn fr(name: &'static str, kind: Kind, req: Req, rule: RefRule) -> Field {
    let (table, key) = match rule {
        RefRule::Employee | RefRule::Floater => ("employees", "employee_id"),
        RefRule::JobOfWorkOrder => ("jobs", "job_id"),
        RefRule::User => ("users", "user_id"),
        RefRule::SameClient => ("", ""),
    };
    Field {
        name,
        kind,
        req,
        refers: Some(Ref { table, key, rule }),
    }
}

/// How the record key is assigned (domain.md §1).
#[derive(Debug, Clone, Copy)]
pub enum KeyRule {
    /// The user sends it (`work_order_id`, `product_id`, `employee_id`).
    User,
    /// The user may send it; blank → `<parent>-L<n>` with the smallest unused n (jobs). The
    /// resource's check derives it, so it can answer 422 when the result would be too long.
    UserOrLine { parent: &'static str },
    /// `<client_id>.<field>` (`shift_id`, `part_opportunity_id`); the field is then immutable.
    ClientDot(&'static str),
    /// `YYYYMMDD-<TAG>-NNNN` from the date field (blank: the creation date), sequence per
    /// (table, date).
    DatedSequence {
        date_field: &'static str,
        tag: &'static str,
    },
    /// `YYYYMMDD-<employee_id>-NN`, sequence per (table, date) (attendance).
    DatedEmployee {
        date_field: &'static str,
        employee_field: &'static str,
    },
    /// `<parent id>-<TAG>-NN`, sequence per parent (defects).
    ParentSequence {
        parent: &'static str,
        tag: &'static str,
    },
    /// `<employee_id>-YYYYMMDD-HHMMSS` (creation time, UTC); `-2`, `-3` … on a same-second
    /// collision (floating pool).
    EmployeeStamp { employee_field: &'static str },
}

impl KeyRule {
    /// Whether the server always assigns the key (a sent one is ignored: `id_ignored`).
    pub fn server_assigned(&self) -> bool {
        !matches!(self, KeyRule::User | KeyRule::UserOrLine { .. })
    }
}

/// Where a row's tenant comes from (domain.md §1, §4, §5.6, §5.7).
#[derive(Debug, Clone, Copy)]
pub enum Tenant {
    /// `client_id` is sent with the record (required) and never changes.
    Entered,
    /// `client_id` is copied from the parent row named by `field` at write time (jobs from the
    /// work order, defects from the quality entry); `field` is then immutable.
    Parent {
        field: &'static str,
        table: &'static str,
        key: &'static str,
    },
    /// The tenant is `column`; NULL = a shared row every user may read (floaters, AVAILABLE
    /// pool rows), written only by roles passing `may_write_shared`. `strict`: touching a
    /// shared row at all (before or after the write) needs that role (employees: floaters are
    /// ADMIN-only); otherwise a write that names a client on either side only needs a permit
    /// for that client (floating pool: a LEADER ends or claims assignments of their clients).
    Shared {
        column: &'static str,
        may_write_shared: fn(Role) -> bool,
        strict: bool,
    },
}

/// How `from` / `to` select rows (api.md §6 "date key").
#[derive(Debug, Clone, Copy)]
pub enum DateRule {
    /// The `date_key` column of the row.
    Own,
    /// The period `date_key` ..= `end` (NULL end = open) overlaps the window.
    Overlap { end: &'static str },
    /// The `date_key` column of the parent row (`fk` → `table.key`).
    Parent {
        fk: &'static str,
        table: &'static str,
        key: &'static str,
    },
}

/// Second-person verification columns (ingest.md §10).
#[derive(Debug, Clone, Copy)]
pub struct Verify {
    /// Column holding the verifier's user id (coverage has none: the audit row names them).
    pub by: Option<&'static str>,
    pub at: Option<&'static str>,
    /// Boolean column set to true (coverage: `verified`).
    pub flag: Option<&'static str>,
    /// Columns naming who entered the row, besides `created_by`; a verifier differs from all.
    pub entered_by: &'static [&'static str],
}

impl Verify {
    pub fn is_verified(&self, row: &Map<String, Value>) -> bool {
        match (self.by, self.flag) {
            (Some(by), _) => row.get(by).is_some_and(|v| !v.is_null()),
            (None, Some(flag)) => row.get(flag).and_then(Value::as_bool) == Some(true),
            (None, None) => false,
        }
    }

    /// Column values of a verification by `user` at `now`.
    pub fn set(&self, user: &str, now: &str) -> Map<String, Value> {
        let mut m = Map::new();
        if let Some(by) = self.by {
            m.insert(by.into(), Value::String(user.to_owned()));
        }
        if let Some(at) = self.at {
            m.insert(at.into(), Value::String(now.to_owned()));
        }
        if let Some(flag) = self.flag {
            m.insert(flag.into(), Value::Bool(true));
        }
        m
    }

    /// Column values of an unverified row (an edit by a LEADER/ADMIN clears verification).
    pub fn cleared(&self) -> Map<String, Value> {
        let mut m = Map::new();
        for c in [self.by, self.at].into_iter().flatten() {
            m.insert(c.into(), Value::Null);
        }
        if let Some(flag) = self.flag {
            m.insert(flag.into(), Value::Bool(false));
        }
        m
    }
}

/// Rows of `res` whose `column` names this resource's key depend on it (soft delete answers
/// 409 `has_dependents` unless `cascade=true`).
#[derive(Clone, Copy)]
pub struct Dependent {
    pub res: &'static Resource,
    pub column: &'static str,
}

/// Context for cross-field checks.
pub struct CheckCtx<'a> {
    pub conn: &'a Connection,
    pub max_employees: i64,
    pub today: chrono::NaiveDate,
    /// The stored row on PATCH, None on create.
    pub before: Option<&'a Map<String, Value>>,
    /// The PATCH body as sent (None on create): tells which fields the caller named.
    pub sent: Option<&'a Map<String, Value>>,
    /// The caller's user id (defaults such as `resume_approved_by_user_id`).
    pub user: &'a str,
    /// Warnings the checks raise; they never block.
    pub warnings: RefCell<Vec<Warning>>,
}

impl CheckCtx<'_> {
    pub fn warn(&self, field: &str, code: &str, message: impl Into<String>) {
        self.warnings.borrow_mut().push(Warning {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        });
    }

    /// Whether the record is being created, restored, or otherwise was not active before.
    pub fn is_new_or_restored(&self) -> bool {
        self.before
            .is_none_or(|b| b.get("is_active").and_then(Value::as_bool) != Some(true))
    }
}

/// What an `after_write` hook sees: the stored row, the row before (None on create), and the
/// permit of the write.
pub struct AfterWrite<'a> {
    pub row: &'a Map<String, Value>,
    pub before: Option<&'a Map<String, Value>>,
    pub write: &'a RowWrite,
    pub user: &'a str,
}

/// Cross-field rules; run after per-field parsing on the merged record. `Ok(errors)` → one 422
/// naming each field; `Err` → that error at once (a 409 conflict, a 422 with its own code).
pub type CheckFn = fn(&mut Map<String, Value>, &CheckCtx) -> Result<Vec<FieldError>, EngineError>;

pub struct Resource {
    /// Path segment: `/api/{name}`.
    pub name: &'static str,
    /// Entity name for audit rows.
    pub entity: &'static str,
    pub table: &'static str,
    pub key: &'static str,
    pub key_rule: KeyRule,
    /// Column that `from` / `to` filter and lists order by (see `date_rule`).
    pub date_key: Option<&'static str>,
    pub date_rule: DateRule,
    pub tenant: Tenant,
    pub fields: &'static [Field],
    /// Query parameters that filter by equality on a field of the same name (plus `verified`
    /// and `entry_method` on entry resources).
    pub filters: &'static [&'static str],
    /// Who may create/edit (besides the tenant check).
    pub may_write: fn(Role) -> bool,
    /// Data-entry tables carry entry_method/import_id and verification.
    pub is_entry: bool,
    pub verify: Option<Verify>,
    /// Rows that depend on this one (soft delete).
    pub dependents: &'static [Dependent],
    /// Further fields that a PATCH may not change (ids derive from them, or they tie the row
    /// to its parent).
    pub immutable: &'static [&'static str],
    /// Server-set (S) columns the check may derive and PATCH then writes (`closed_at`).
    pub derived: &'static [&'static str],
    /// Fields an OPERATOR reads as null (`hourly_rate`).
    pub hidden_from_operators: &'static [&'static str],
    pub check: CheckFn,
    /// Runs in the write transaction after an insert, update, delete or restore
    /// (holds maintain their work order's ON_HOLD status).
    pub after_write: fn(&Connection, &AfterWrite) -> Result<(), EngineError>,
    /// Values computed on read (`impact_on_wip_hours`, `is_stale`).
    pub present: fn(&Connection, &mut Map<String, Value>) -> rusqlite::Result<()>,
}

fn no_check(_: &mut Map<String, Value>, _: &CheckCtx) -> Result<Vec<FieldError>, EngineError> {
    Ok(Vec::new())
}

fn no_after_write(_: &Connection, _: &AfterWrite) -> Result<(), EngineError> {
    Ok(())
}

fn no_present(_: &Connection, _: &mut Map<String, Value>) -> rusqlite::Result<()> {
    Ok(())
}

impl Resource {
    /// Defaults for the optional parts of a declaration (`..Resource::BASE`).
    pub const BASE: Resource = Resource {
        name: "",
        entity: "",
        table: "",
        key: "",
        key_rule: KeyRule::User,
        date_key: None,
        date_rule: DateRule::Own,
        tenant: Tenant::Entered,
        fields: &[],
        filters: &[],
        may_write: Role::may_edit_master_data,
        is_entry: false,
        verify: None,
        dependents: &[],
        immutable: &[],
        derived: &[],
        hidden_from_operators: &[],
        check: no_check,
        after_write: no_after_write,
        present: no_present,
    };

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The column holding the row's client (`client_id`, `client_id_assigned`,
    /// `assigned_to_client`).
    pub fn tenant_column(&self) -> &'static str {
        match self.tenant {
            Tenant::Shared { column, .. } => column,
            _ => "client_id",
        }
    }

    pub fn is_shared(&self) -> bool {
        matches!(self.tenant, Tenant::Shared { .. })
    }

    /// The row's client; None for a shared row.
    pub fn client_of<'r>(&self, row: &'r Map<String, Value>) -> Option<&'r str> {
        row.get(self.tenant_column()).and_then(Value::as_str)
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
/// Not a stored field: the reason a LEADER/ADMIN gives for changing an entry of a closed
/// line-shift (ingest.md §10), accepted in JSON bodies and as a CSV column of entry resources,
/// and written to AUDIT_LOG as an AMEND row.
pub static AMENDMENT_REASON: Field = f("amendment_reason", Kind::Notes(500), Req::O);

pub const STANDARD_COLUMNS: [&str; 7] = [
    "created_by",
    "created_at",
    "updated_by",
    "updated_at",
    "is_active",
    "deleted_at",
    "deleted_by",
];
