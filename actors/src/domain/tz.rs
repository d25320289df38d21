//! A client's local day (domain.md §1: "today" is the date in the client's `timezone`). The
//! IANA database is compiled in (jiff's bundled tzdb), so the answer does not depend on the
//! host's /usr/share/zoneinfo and nothing is read at run time.
use chrono::NaiveDate;
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// Whether `name` is an IANA zone of the bundled database.
pub fn is_known(name: &str) -> bool {
    TimeZone::get(name).is_ok()
}

/// The date at instant `at` in zone `name`; an unknown name (never stored: creation and PATCH
/// validate it) falls back to UTC.
pub fn date_at(name: &str, at: Timestamp) -> NaiveDate {
    let tz = TimeZone::get(name).unwrap_or(TimeZone::UTC);
    let d = tz.to_datetime(at).date();
    NaiveDate::from_ymd_opt(i32::from(d.year()), d.month() as u32, d.day() as u32)
        .expect("a civil date is a valid date")
}

/// The wall-clock time at instant `at` in zone `name` (UTC for an unknown name).
pub fn local_at(name: &str, at: Timestamp) -> chrono::NaiveDateTime {
    let tz = TimeZone::get(name).unwrap_or(TimeZone::UTC);
    let dt = tz.to_datetime(at);
    let date = NaiveDate::from_ymd_opt(i32::from(dt.year()), dt.month() as u32, dt.day() as u32)
        .expect("a civil date is a valid date");
    date.and_hms_opt(dt.hour() as u32, dt.minute() as u32, dt.second() as u32)
        .expect("a civil time is a valid time")
}

/// Zone `name` of the bundled database (UTC for an unknown name).
pub fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap_or(TimeZone::UTC)
}

/// The instant day `date` starts in zone `name`, as RFC 3339 UTC with seconds (the format of
/// stored timestamps, so strings compare in time order). The end of a day is the start of the
/// next one. A day that starts in a DST gap starts at the first valid instant.
pub fn day_start_utc(name: &str, date: NaiveDate) -> String {
    day_start_in(&zone(name), date)
}

/// `day_start_utc` for a zone already looked up.
pub fn day_start_in(tz: &TimeZone, date: NaiveDate) -> String {
    use chrono::Datelike;
    let civil = jiff::civil::date(date.year() as i16, date.month() as i8, date.day() as i8);
    match civil.to_zoned_datetime(tz.clone()) {
        Ok(z) => z.timestamp().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Err(_) => format!("{date}T00:00:00Z"),
    }
}

/// Today in zone `name`.
pub fn today_in(name: &str) -> NaiveDate {
    date_at(name, Timestamp::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_day_differs_from_utc_far_from_greenwich() {
        // 2025-12-15 11:30 UTC: Kiritimati (UTC+14) is already on the 16th, Pago Pago (UTC−11)
        // still on the 15th, Mexico City (UTC−6) on the 15th.
        let at: Timestamp = "2025-12-15T11:30:00Z".parse().unwrap();
        let day = |tz| date_at(tz, at).to_string();
        assert_eq!(day("Pacific/Kiritimati"), "2025-12-16");
        assert_eq!(day("Pacific/Pago_Pago"), "2025-12-15");
        // 05:30 UTC is still the 14th in Mexico City.
        let early: Timestamp = "2025-12-15T05:30:00Z".parse().unwrap();
        assert_eq!(
            date_at("America/Mexico_City", early).to_string(),
            "2025-12-14"
        );
        assert_eq!(date_at("Not/AZone", early).to_string(), "2025-12-15", "UTC");
        assert!(is_known("America/Mexico_City") && !is_known("Mars/Olympus"));
    }

    #[test]
    fn a_local_day_starts_at_its_zone_midnight() {
        let d = NaiveDate::from_ymd_opt(2025, 12, 16).unwrap();
        // Mexico City has been UTC−6 all year since 2022.
        assert_eq!(
            day_start_utc("America/Mexico_City", d),
            "2025-12-16T06:00:00Z"
        );
        assert_eq!(
            day_start_utc("Pacific/Kiritimati", d),
            "2025-12-15T10:00:00Z"
        );
        assert_eq!(day_start_utc("UTC", d), "2025-12-16T00:00:00Z");
        assert_eq!(day_start_utc("Not/AZone", d), "2025-12-16T00:00:00Z");
        // Berlin in summer: UTC+2.
        let summer = NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
        assert_eq!(
            day_start_utc("Europe/Berlin", summer),
            "2025-06-30T22:00:00Z"
        );
    }
}
