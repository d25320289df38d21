//! Dates and timestamps in the contract's formats: `YYYY-MM-DD`, `HH:MM`, RFC 3339 UTC.
use chrono::{NaiveDate, NaiveTime, SecondsFormat, Utc};

pub fn parse_day(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    // chrono accepts "2025-1-5"; the contract wants exactly YYYY-MM-DD.
    (raw.len() == 10)
        .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        .flatten()
}

pub fn parse_time(raw: &str) -> Option<NaiveTime> {
    let raw = raw.trim();
    (raw.len() == 5)
        .then(|| NaiveTime::parse_from_str(raw, "%H:%M").ok())
        .flatten()
}

/// Now as stored and returned: `2025-12-15T14:30:00Z`.
pub fn now_ts() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn today_utc() -> NaiveDate {
    Utc::now().date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn strict_formats() {
        assert!(parse_day("2025-12-15").is_some());
        assert!(parse_day("2025-1-5").is_none());
        assert!(parse_day("2025-02-30").is_none());
        assert!(parse_day("15/12/2025").is_none());
        assert!(parse_time("07:30").is_some());
        assert!(parse_time("24:00").is_none());
    }

    proptest! {
        #[test]
        fn parse_day_never_panics_and_round_trips(s in "\\PC*") {
            if let Some(d) = parse_day(&s) {
                prop_assert_eq!(d.format("%Y-%m-%d").to_string(), s.trim());
            }
        }
    }
}
