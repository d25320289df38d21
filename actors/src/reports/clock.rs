//! Client-local dates: a report's default day and the subscription's send time follow the
//! client's IANA time zone (domain.md §5.1, default America/Mexico_City).
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

pub const DEFAULT_TIMEZONE: &str = "America/Mexico_City";

/// The zone of a stored name; an unknown or empty name falls back to the default.
pub fn zone(name: &str) -> Tz {
    name.parse()
        .unwrap_or_else(|_| DEFAULT_TIMEZONE.parse().expect("default zone exists"))
}

/// The client's local date and time at `now`.
pub fn local(name: &str, now: DateTime<Utc>) -> chrono::NaiveDateTime {
    now.with_timezone(&zone(name)).naive_local()
}

/// "Yesterday" for the client at `now` (api.md §9: the daily report's default date).
pub fn yesterday(name: &str, now: DateTime<Utc>) -> NaiveDate {
    local(name, now).date() - chrono::Days::new(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yesterday_follows_the_client_zone() {
        let now: DateTime<Utc> = "2026-01-02T03:00:00Z".parse().unwrap();
        // 21:00 on Jan 1 in Mexico City: yesterday is Dec 31; in Berlin it is already Jan 2.
        assert_eq!(
            yesterday("America/Mexico_City", now).to_string(),
            "2025-12-31"
        );
        assert_eq!(yesterday("Europe/Berlin", now).to_string(), "2026-01-01");
        assert_eq!(yesterday("No/Such_Zone", now).to_string(), "2025-12-31");
    }
}
