//! The `report` settings section (domain.md §6): {enabled, recipients, time "HH:MM" client time,
//! formats ["pdf", "xlsx"]}. Validated on PUT settings; read by the daily tick.
use crate::domain::FieldError;
use crate::domain::time::parse_time;
use chrono::NaiveTime;
use serde_json::Value;

/// At most this many recipients per message (api.md §9).
pub const MAX_RECIPIENTS: usize = 50;

#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub enabled: bool,
    pub recipients: Vec<String>,
    pub time: NaiveTime,
    pub xlsx: bool,
}

/// A deliverable address: lettre's parser (no display names, no line breaks).
pub fn is_address(s: &str) -> bool {
    s.parse::<lettre::Address>().is_ok()
}

/// 1–50 addresses; each bad one is named by its index.
pub fn validate_recipients(field: &str, v: &Value) -> Vec<FieldError> {
    let Some(list) = v.as_array() else {
        return vec![FieldError::new(field, "must be a list of e-mail addresses")];
    };
    let mut errors = Vec::new();
    if list.len() > MAX_RECIPIENTS {
        errors.push(FieldError::new(field, "at most 50 recipients"));
    }
    for (i, r) in list.iter().enumerate() {
        if !r.as_str().is_some_and(is_address) {
            errors.push(FieldError::new(
                format!("{field}[{i}]"),
                "must be an e-mail address",
            ));
        }
    }
    errors
}

/// Value checks of a PUT's `report` section (unknown keys are refused by the caller).
pub fn validate(section: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let p = "settings.report";
    if let Some(v) = section.get("enabled").filter(|v| !v.is_boolean()) {
        errors.push(FieldError::new(
            format!("{p}.enabled"),
            format!("must be true or false, got {v}"),
        ));
    }
    if let Some(v) = section.get("recipients") {
        errors.extend(validate_recipients(&format!("{p}.recipients"), v));
    }
    if let Some(v) = section
        .get("time")
        .filter(|v| v.as_str().is_none_or(|s| parse_time(s).is_none()))
    {
        errors.push(FieldError::new(
            format!("{p}.time"),
            format!("must be HH:MM, got {v}"),
        ));
    }
    if let Some(v) = section.get("formats") {
        let ok = v
            .as_array()
            .is_some_and(|a| a.iter().all(|f| matches!(f.as_str(), Some("pdf" | "xlsx"))));
        if !ok {
            errors.push(FieldError::new(
                format!("{p}.formats"),
                "must be a list of pdf, xlsx",
            ));
        }
    }
    errors
}

/// The section as stored (validated on write; anything odd reads as "not subscribed").
pub fn parse(settings: &Value) -> Subscription {
    let s = &settings["report"];
    Subscription {
        enabled: s["enabled"].as_bool().unwrap_or(false),
        recipients: s["recipients"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        time: s["time"]
            .as_str()
            .and_then(parse_time)
            .unwrap_or(NaiveTime::from_hms_opt(8, 0, 0).expect("valid time")),
        xlsx: s["formats"]
            .as_array()
            .is_some_and(|a| a.iter().any(|f| f == "xlsx")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn report_section_values_are_checked() {
        assert!(validate(&json!({"enabled": true, "recipients": ["a@example.com"], "time": "07:30", "formats": ["pdf", "xlsx"]})).is_empty());
        let e = validate(
            &json!({"enabled": "yes", "recipients": ["a@example.com", "nope", "x@y\r\nBcc: z@z"], "time": "7:30", "formats": ["doc"]}),
        );
        let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "settings.report.enabled",
                "settings.report.recipients[1]",
                "settings.report.recipients[2]",
                "settings.report.time",
                "settings.report.formats"
            ]
        );
        let many: Vec<String> = (0..51).map(|i| format!("u{i}@example.com")).collect();
        assert_eq!(validate(&json!({"recipients": many})).len(), 1);
    }

    #[test]
    fn parse_reads_defaults_as_not_subscribed() {
        let s = parse(&crate::store::settings::defaults());
        assert!(!s.enabled && s.recipients.is_empty() && !s.xlsx);
        assert_eq!(s.time.to_string(), "08:00:00");
    }
}
