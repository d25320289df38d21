//! Field parsing against a resource's declaration. Each failure names the field and says
//! what would be valid; all failures of a body are collected into one 422.
use super::{Default, Field, Kind, Req, Resource, STANDARD_COLUMNS};
use crate::domain::FieldError;
use crate::domain::ids::check_record_id;
use crate::domain::time::{now_ts, parse_day, parse_time};
use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Warning {
    pub field: String,
    pub code: String,
    pub message: String,
}

/// Parses one JSON value for `field`. Null / empty string = blank (None).
pub fn parse_value(field: &Field, raw: &Value) -> Result<Option<Value>, FieldError> {
    let name = field.name;
    if raw.is_null() || raw.as_str().is_some_and(|s| s.trim().is_empty()) {
        return Ok(None);
    }
    let err = |msg: String| FieldError::new(name, msg);
    let v = match field.kind {
        Kind::Text(max) | Kind::Notes(max) => {
            let s = raw
                .as_str()
                .ok_or_else(|| err("must be a string".into()))?
                .trim();
            if s.chars().count() > max {
                return Err(err(format!("must be at most {max} characters")));
            }
            let notes = matches!(field.kind, Kind::Notes(_));
            if s.chars()
                .any(|c| c.is_control() && !(notes && (c == '\n' || c == '\t')))
            {
                return Err(err("must not contain control characters".into()));
            }
            Value::String(s.to_owned())
        }
        Kind::Id(max) => {
            let s = raw
                .as_str()
                .ok_or_else(|| err("must be a string".into()))?
                .trim();
            check_record_id(name, s, max)?;
            Value::String(s.to_owned())
        }
        Kind::Int { min, max } => {
            let n = raw
                .as_i64()
                .or_else(|| {
                    raw.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                        .map(|f| f as i64)
                })
                .ok_or_else(|| err("must be a whole number".into()))?;
            if n < min || n > max {
                return Err(err(format!("must be between {min} and {max}")));
            }
            Value::from(n)
        }
        Kind::Dec {
            min,
            max,
            min_exclusive,
        } => {
            let x = raw
                .as_f64()
                .filter(|x| x.is_finite())
                .ok_or_else(|| err("must be a number".into()))?;
            let low_ok = if min_exclusive { x > min } else { x >= min };
            if !low_ok || x > max {
                let op = if min_exclusive { ">" } else { ">=" };
                return Err(err(format!("must be {op} {min} and <= {max}")));
            }
            raw.clone()
        }
        Kind::Bool => Value::Bool(
            raw.as_bool()
                .ok_or_else(|| err("must be true or false".into()))?,
        ),
        Kind::Date => {
            let s = raw
                .as_str()
                .ok_or_else(|| err("must be a date string".into()))?;
            parse_day(s).ok_or_else(|| err("Invalid date format (use YYYY-MM-DD)".into()))?;
            Value::String(s.trim().to_owned())
        }
        Kind::Time => {
            let s = raw
                .as_str()
                .ok_or_else(|| err("must be a time string".into()))?;
            parse_time(s).ok_or_else(|| err("Invalid time format (use HH:MM, 24 h)".into()))?;
            Value::String(s.trim().to_owned())
        }
        Kind::Enum(values) => {
            let s = raw
                .as_str()
                .ok_or_else(|| err("must be a string".into()))?
                .trim();
            let hit = values.iter().find(|v| v.eq_ignore_ascii_case(s));
            Value::String(
                hit.ok_or_else(|| err(format!("must be one of: {}", values.join(", "))))?
                    .to_string(),
            )
        }
    };
    Ok(Some(v))
}

/// Keys the body may carry without being a declared writable field: server-set fields are
/// ignored (so a GET body can be sent back), anything else is unknown → 422.
fn is_server_key(res: &Resource, key: &str) -> bool {
    key == res.key
        || key == "warnings"
        || STANDARD_COLUMNS.contains(&key)
        || (res.is_entry && matches!(key, "entry_method" | "import_id" | "amendment_reason"))
        || res.field(key).is_some_and(|f| f.req == Req::S)
}

/// Parsed writable fields and the warnings of the write.
pub type Parsed = (Map<String, Value>, Vec<Warning>);

/// Parses the writable fields present in `body`. `create` applies defaults and requires R fields.
pub fn parse_body(
    res: &Resource,
    body: &Map<String, Value>,
    create: bool,
    caller: &str,
) -> Result<Parsed, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut out = Map::new();
    let mut warnings = Vec::new();
    for key in body.keys() {
        if res.field(key).is_none() && !is_server_key(res, key) {
            errors.push(FieldError::new(key.as_str(), "unknown field"));
        }
    }
    for field in res.fields.iter().filter(|f| f.req != Req::S) {
        let raw = body.get(field.name);
        match raw.map(|r| parse_value(field, r)) {
            Some(Err(e)) => errors.push(e),
            Some(Ok(Some(v))) => {
                out.insert(field.name.into(), v);
            }
            Some(Ok(None)) | None => {
                if !create && raw.is_none() {
                    continue; // PATCH: absent = unchanged
                }
                match field.req {
                    Req::R if create || raw.is_some() => {
                        errors.push(FieldError::new(field.name, "is required"))
                    }
                    Req::D(d) if create => {
                        out.insert(field.name.into(), default_value(d, caller));
                    }
                    Req::I if create => warnings.push(Warning {
                        field: field.name.into(),
                        code: "will_be_inferred".into(),
                        message: format!("{} is blank and will be inferred", field.name),
                    }),
                    _ => {
                        if raw.is_some() {
                            out.insert(field.name.into(), Value::Null);
                        }
                    }
                }
            }
        }
    }
    if errors.is_empty() {
        Ok((out, warnings))
    } else {
        Err(errors)
    }
}

fn default_value(d: Default, caller: &str) -> Value {
    match d {
        Default::Json(s) => serde_json::from_str(s).expect("defaults in defs are valid JSON"),
        Default::Caller => Value::String(caller.to_owned()),
        Default::Now => Value::String(now_ts()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::defs;
    use proptest::prelude::*;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn create_requires_r_fields_and_warns_on_inferable_blanks() {
        let res = defs::find("production").unwrap();
        let err = parse_body(res, &body(json!({"client_id": "AAA"})), true, "USR-001").unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        assert!(
            fields.contains(&"work_order_id")
                && fields.contains(&"shift_date")
                && fields.contains(&"units_produced")
        );
        let ok = json!({"client_id": "AAA", "work_order_id": "WO-1", "shift_date": "2025-12-15",
                        "shift_type": "shift_1st", "units_produced": 120});
        let (parsed, warnings) = parse_body(res, &body(ok), true, "USR-001").unwrap();
        assert_eq!(
            parsed["shift_type"], "SHIFT_1ST",
            "enums are stored canonically"
        );
        assert_eq!(parsed["data_collector_id"], "USR-001", "D default = caller");
        assert!(
            warnings
                .iter()
                .any(|w| w.field == "run_time_hours" && w.code == "will_be_inferred")
        );
    }

    #[test]
    fn impossible_values_are_named() {
        let res = defs::find("production").unwrap();
        let bad = json!({"client_id": "AAA", "work_order_id": "WO-1", "shift_date": "2025-13-01",
                         "shift_type": "NIGHT", "units_produced": -1, "run_time_hours": 25.0, "bogus": 1});
        let err = parse_body(res, &body(bad), true, "USR-001").unwrap_err();
        let by = |f: &str| err.iter().find(|e| e.field == f).map(|e| e.message.clone());
        assert_eq!(
            by("shift_date").unwrap(),
            "Invalid date format (use YYYY-MM-DD)"
        );
        assert!(by("shift_type").unwrap().contains("SHIFT_1ST"));
        assert!(by("units_produced").is_some());
        assert!(by("run_time_hours").is_some());
        assert_eq!(by("bogus").unwrap(), "unknown field");
    }

    #[test]
    fn server_fields_are_ignored_not_rejected() {
        let res = defs::find("products").unwrap();
        let b = json!({"product_id": "P-1", "client_id": "AAA", "created_at": "x", "warnings": [], "is_active": true});
        assert!(parse_body(res, &body(b), true, "USR-001").is_ok());
    }

    proptest! {
        #[test]
        fn parse_value_never_panics(s in "\\PC*", n in proptest::num::f64::ANY) {
            for res in defs::ALL {
                for field in res.fields {
                    let _ = parse_value(field, &Value::String(s.clone()));
                    let _ = parse_value(field, &json!(n));
                }
            }
        }
    }
}
