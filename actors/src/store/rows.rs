//! Rows as JSON objects, so the API returns columns under their contract names (domain.md
//! field name = column name = JSON key). Booleans are stored as 0/1 and named by the caller.
use rusqlite::types::ValueRef;
use rusqlite::{Row, Statement};
use serde_json::{Map, Value};

pub fn row_to_json(
    stmt_columns: &[String],
    row: &Row,
    bool_columns: &[&str],
) -> rusqlite::Result<Map<String, Value>> {
    let mut map = Map::with_capacity(stmt_columns.len());
    for (i, name) in stmt_columns.iter().enumerate() {
        let value = match row.get_ref(i)? {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(n) if bool_columns.contains(&name.as_str()) => Value::Bool(n != 0),
            ValueRef::Integer(n) => Value::from(n),
            ValueRef::Real(f) => serde_json::Number::from_f64(f)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(_) => Value::Null,
        };
        map.insert(name.clone(), value);
    }
    Ok(map)
}

pub fn column_names(stmt: &Statement) -> Vec<String> {
    stmt.column_names().into_iter().map(str::to_owned).collect()
}
