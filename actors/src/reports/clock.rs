//! Client-local dates: a report's default day and the subscription's send time follow the
//! client's IANA time zone (domain.md §5.1, default America/Mexico_City).
use crate::domain::tz;
use chrono::{DateTime, NaiveDate, Utc};

pub const DEFAULT_TIMEZONE: &str = "America/Mexico_City";

/// The client's local date and time at `now`; an unknown or empty zone name falls back to the
/// default zone (the bundled tz database of `domain::tz`).
pub fn local(name: &str, now: DateTime<Utc>) -> chrono::NaiveDateTime {
    let zone = if tz::is_known(name) {
        name
    } else {
        DEFAULT_TIMEZONE
    };
    let at = jiff::Timestamp::from_second(now.timestamp()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    tz::local_at(zone, at)
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
