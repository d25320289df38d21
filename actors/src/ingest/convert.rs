//! CSV cells are strings: each is converted to the JSON value its declared `Kind` expects
//! (ingest.md §3) before the row goes through the same `prepare_create` as a JSON body. Only
//! the formats differ from JSON; ranges, enums and lengths stay with `resources::validate`.
use crate::domain::time::parse_day;
use crate::resources::{Field, Kind};
use serde_json::Value;

/// A cell that cannot become a value of its field's kind.
#[derive(Debug, Clone, PartialEq)]
pub struct CellError {
    pub code: &'static str,
    pub message: String,
}

fn err(code: &'static str, message: String) -> CellError {
    CellError { code, message }
}

/// Converts one trimmed-or-not CSV cell. Blank → `Null`. `decimal_comma`: the file is
/// `;`-delimited, so a single `,` may be the decimal separator.
pub fn cell(field: &Field, raw: &str, decimal_comma: bool) -> Result<Value, CellError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(Value::Null);
    }
    let name = field.name;
    Ok(match field.kind {
        Kind::Text(_) | Kind::Notes(_) => Value::String(unescape_formula(s).to_owned()),
        Kind::Id(_) | Kind::Time | Kind::Enum(_) => Value::String(s.to_owned()),
        Kind::Date => Value::String(
            date(s)
                .ok_or_else(|| {
                    err(
                        "invalid_date",
                        "Invalid date format (use YYYY-MM-DD)".into(),
                    )
                })?
                .to_owned(),
        ),
        Kind::Int { .. } => Value::from(
            int(s)
                .ok_or_else(|| err("invalid_number", format!("{name} must be a whole number")))?,
        ),
        Kind::Dec { .. } => {
            let x = decimal(s, decimal_comma)
                .ok_or_else(|| err("invalid_number", format!("{name} must be a number")))?;
            serde_json::Number::from_f64(x)
                .map(Value::Number)
                .ok_or_else(|| err("invalid_number", format!("{name} must be a number")))?
        }
        Kind::Bool => Value::Bool(
            boolean(s)
                .ok_or_else(|| err("invalid_boolean", format!("{name} must be true or false")))?,
        ),
    })
}

/// Exports prefix `= + - @` cells with `'` (formula injection); the upload removes it again.
fn unescape_formula(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => s,
    }
}

/// `YYYY-MM-DD`, a real date in 2000–2100; a midnight suffix (` 00:00[:00]`, `T00:00[:00]`)
/// is tolerated because spreadsheets add it.
pub fn date(s: &str) -> Option<&str> {
    let day = ["T00:00:00", " 00:00:00", "T00:00", " 00:00"]
        .iter()
        .find_map(|suffix| s.strip_suffix(suffix))
        .unwrap_or(s);
    let d = parse_day(day)?;
    (2000..=2100)
        .contains(&chrono::Datelike::year(&d))
        .then_some(day)
}

/// `[+-]digits`, optionally with a zero fraction (`100.0`). No separators, no exponent.
pub fn int(s: &str) -> Option<i64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if !frac.bytes().all(|b| b == b'0') || (s.contains('.') && frac.is_empty()) {
        return None;
    }
    let digits = whole.strip_prefix(['+', '-']).unwrap_or(whole);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    whole.parse().ok()
}

/// `[+-]digits[.digits]` or `[+-].digits`; with `decimal_comma` a single `,` stands for `.`.
/// No thousands separators, exponents, NaN or infinities.
pub fn decimal(s: &str, decimal_comma: bool) -> Option<f64> {
    let owned;
    let s = if decimal_comma && !s.contains('.') && s.matches(',').count() == 1 {
        owned = s.replace(',', ".");
        owned.as_str()
    } else {
        s
    };
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
    let ok = !(whole.is_empty() && frac.is_empty())
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| s.parse::<f64>().ok())
        .flatten()
        .filter(|x| x.is_finite())
}

/// true/false, 1/0, yes/no, y/n, t/f in any case.
pub fn boolean(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "t" => Some(true),
        "false" | "0" | "no" | "n" | "f" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{Req, f};
    use proptest::prelude::*;

    #[test]
    fn formats_of_ingest_md_section_3() {
        assert_eq!(int("+12"), Some(12));
        assert_eq!(int("100.0"), Some(100));
        assert_eq!(int("-7"), Some(-7));
        for bad in ["100.5", "1,000", "1e3", "", "+", "1.", "0x10", " 1"] {
            assert_eq!(int(bad), None, "{bad}");
        }
        assert_eq!(decimal("1.5", false), Some(1.5));
        assert_eq!(decimal(".5", false), Some(0.5));
        assert_eq!(decimal("1,5", true), Some(1.5));
        for bad in ["1,5", "1,000.5", "1e3", "NaN", "inf", ".", "-", "1.2.3"] {
            assert_eq!(decimal(bad, false), None, "{bad}");
        }
        assert_eq!(decimal("1,000,5", true), None);
        assert_eq!(boolean("Yes"), Some(true));
        assert_eq!(boolean("F"), Some(false));
        assert_eq!(boolean("maybe"), None);
        assert_eq!(date("2025-12-15"), Some("2025-12-15"));
        assert_eq!(date("2025-12-15 00:00"), Some("2025-12-15"));
        assert_eq!(date("2025-12-15T00:00:00"), Some("2025-12-15"));
        for bad in [
            "12/15/2025",
            "15.12.2025",
            "45000",
            "1999-12-31",
            "2025-02-30",
        ] {
            assert_eq!(date(bad), None, "{bad}");
        }
    }

    #[test]
    fn cells_become_json_of_their_kind() {
        let text = f("notes", Kind::Notes(100), Req::O);
        assert_eq!(cell(&text, "'=SUM(A1)", false).unwrap(), "=SUM(A1)");
        assert_eq!(cell(&text, "'quoted", false).unwrap(), "'quoted");
        assert_eq!(cell(&text, "   ", false).unwrap(), Value::Null);
        let n = f("units", Kind::Int { min: 0, max: 9 }, Req::R);
        assert_eq!(cell(&n, " 12 ", false).unwrap(), 12);
        let e = cell(&n, "1,000", false).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            ("invalid_number", "units must be a whole number")
        );
        let b = f("flag", Kind::Bool, Req::O);
        assert_eq!(cell(&b, "no", false).unwrap(), false);
        assert_eq!(
            cell(&b, "maybe", false).unwrap_err().code,
            "invalid_boolean"
        );
    }

    proptest! {
        #[test]
        fn integers_round_trip(n in any::<i64>()) {
            prop_assert_eq!(int(&n.to_string()), Some(n));
            prop_assert_eq!(int(&format!("{n}.00")), Some(n));
        }

        #[test]
        fn decimals_round_trip(x in proptest::num::f64::NORMAL | proptest::num::f64::ZERO) {
            // Rust prints floats without exponent and with the shortest round-tripping digits.
            prop_assert_eq!(decimal(&x.to_string(), false), Some(x));
            prop_assert_eq!(decimal(&x.to_string().replace('.', ","), true), Some(x));
        }

        #[test]
        fn dates_round_trip(days in 0i64..36_890) {
            let d = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Days::new(days as u64);
            let s = d.format("%Y-%m-%d").to_string();
            prop_assert_eq!(date(&s), Some(s.as_str()));
            let midnight = format!("{s} 00:00:00");
            prop_assert_eq!(date(&midnight), Some(s.as_str()));
        }

        #[test]
        fn conversions_never_panic(s in "\\PC*") {
            let _ = (int(&s), decimal(&s, true), decimal(&s, false), boolean(&s), date(&s));
        }
    }
}
