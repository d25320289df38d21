//! The database's constraints are the safety net behind the declared checks (domain.md §9):
//! whatever they still refuse reaches the client as a 409 / 422 naming a field, never a 500.
use super::{Resource, Tenant};
use crate::error::EngineError;
use crate::store::StoreError;

/// The field of `res` that a constraint message names first (whole-word match).
fn field_in(res: &Resource, msg: &str) -> String {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    res.fields
        .iter()
        .filter_map(|f| {
            msg.match_indices(f.name)
                .find(|(i, _)| {
                    let before = msg[..*i].chars().next_back();
                    let after = msg[i + f.name.len()..].chars().next();
                    !before.is_some_and(is_word) && !after.is_some_and(is_word)
                })
                .map(|(i, _)| (i, f.name))
        })
        .min()
        .map_or_else(|| res.key.to_owned(), |(_, name)| name.to_owned())
}

/// The database's constraints are the safety net behind the checks: whatever they refuse
/// still reaches the client as a 409 / 422 naming a field, never as a 500.
pub fn write_error(res: &Resource, e: StoreError) -> EngineError {
    use rusqlite::ffi;
    let StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, msg)) = &e else {
        return e.into();
    };
    let msg = msg.clone().unwrap_or_default();
    match f.extended_code {
        ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
            let named = |field: &str, code, message: &str| {
                EngineError::conflict_on(code, field, message.to_owned())
            };
            if msg.contains("ux_hold_open") {
                named(
                    "work_order_id",
                    "hold_already_open",
                    "this work order / job already has an open hold",
                )
            } else if msg.contains("ux_coverage_floater_slot") {
                named(
                    "floating_employee_id",
                    "floater_double_booked",
                    "the floater already covers someone in this shift",
                )
            } else if msg.contains("ux_attendance_floater_cover") {
                named(
                    "covered_by_floating_employee_id",
                    "floater_double_booked",
                    "the floater already covers an absence in this shift",
                )
            } else {
                let what = match msg.split_once("index '") {
                    Some((_, index)) => match index.trim_end_matches('\'') {
                        "ux_production_natural" => {
                            "work_order_id, job_id, operation_id, shift_date and shift_type"
                        }
                        "ux_attendance_natural" => "employee_id, shift_date and shift_type",
                        "ux_quality_natural" => {
                            "work_order_id, job_id, operation_checked, shift_date and shift_type"
                        }
                        _ => "key",
                    }
                    .to_owned(),
                    None => msg
                        .split_once(": ")
                        .map(|(_, cols)| {
                            cols.split(", ")
                                .map(|c| c.rsplit('.').next().unwrap_or(c))
                                .collect::<Vec<_>>()
                                .join(", ")
                        })
                        .unwrap_or_else(|| res.key.to_owned()),
                };
                EngineError::conflict(
                    "duplicate_id",
                    format!(
                        "Duplicate entry detected: a {} record with the same {what} already exists \
                         (a deleted one is restored with PATCH is_active: true)",
                        res.name
                    ),
                )
            }
        }
        ffi::SQLITE_CONSTRAINT_CHECK => {
            EngineError::field(&field_in(res, &msg), format!("breaks a data rule ({msg})"))
        }
        ffi::SQLITE_CONSTRAINT_NOTNULL => EngineError::field(&field_in(res, &msg), "is required"),
        ffi::SQLITE_CONSTRAINT_FOREIGNKEY => {
            let field = res
                .fields
                .iter()
                .find(|f| {
                    f.refers.is_some()
                        || matches!(res.tenant, Tenant::Parent { field, .. } if field == f.name)
                })
                .map_or(res.key, |f| f.name);
            EngineError::field(field, "names a record that does not exist")
        }
        _ => e.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::defs;

    #[test]
    fn constraint_messages_name_a_field() {
        let res = defs::find("holds").unwrap();
        assert_eq!(
            field_in(res, "CHECK constraint failed: resume_date >= hold_date"),
            "resume_date"
        );
        assert_eq!(
            field_in(
                res,
                "CHECK constraint failed: (hold_status = 'ON_HOLD' AND x)"
            ),
            "hold_status"
        );
        assert_eq!(field_in(res, "nothing here"), "hold_entry_id");
    }
}
