//! When a job runs: a 5-field cron expression (croner; server local time, like crontab) or a
//! fixed interval.
use chrono::{DateTime, Local, Utc};
use croner::Cron;
use std::str::FromStr as _;
use std::time::Duration;

#[derive(Debug, Clone)]
pub enum Schedule {
    Cron(Box<Cron>),
    Every(Duration),
}

impl Schedule {
    /// Parses a 5-field cron expression (`0 2 * * *`); seconds fields are refused so a typo
    /// like `0 0 2 * * *` never means "every day at 00:02:00 on day 2".
    pub fn cron(expr: &str) -> Result<Schedule, String> {
        if expr.split_whitespace().count() != 5 {
            return Err(format!(
                "{expr:?} must have 5 fields (minute hour day month weekday)"
            ));
        }
        Cron::from_str(expr)
            .map(|c| Schedule::Cron(Box::new(c)))
            .map_err(|e| format!("{expr:?}: {e}"))
    }

    pub fn every(d: Duration) -> Schedule {
        Schedule::Every(d)
    }

    /// The first run strictly after `t`. When the clocks go back, a wall-clock time that comes
    /// round a second time (02:30 twice) is not a new run: a daily job never runs twice a day.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Schedule::Cron(c) => {
                let wall = t.with_timezone(&Local).naive_local();
                let mut from = t.with_timezone(&Local);
                loop {
                    let n = c.find_next_occurrence(&from, false).ok()?;
                    if n.naive_local() > wall {
                        return Some(n.with_timezone(&Utc));
                    }
                    from = n;
                }
            }
            Schedule::Every(d) => chrono::Duration::from_std(*d).ok().map(|d| t + d),
        }
    }

    /// The last run at or before `t` (cron only: an interval has no fixed phase).
    pub fn previous_at_or_before(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Schedule::Cron(c) => c
                .find_previous_occurrence(&t.with_timezone(&Local), true)
                .ok()
                .map(|n| n.with_timezone(&Utc)),
            Schedule::Every(_) => None,
        }
    }

    /// The gap between two runs after `t` (a daily schedule: 24 h). /health calls a backup
    /// stale after this plus 2 hours.
    pub fn interval_after(&self, t: DateTime<Utc>) -> Option<chrono::Duration> {
        let first = self.next_after(t)?;
        Some(self.next_after(first)? - first)
    }
}
