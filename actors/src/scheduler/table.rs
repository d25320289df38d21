//! The job table: pure scheduling logic, driven by the actor's clock. `run_due(now)` says which
//! jobs to start and moves each one's next time on, so tests never wait for a wall clock.
use super::Schedule;
use chrono::{DateTime, Utc};

pub struct Entry<J> {
    pub name: String,
    pub schedule: Schedule,
    pub next: Option<DateTime<Utc>>,
    pub job: J,
}

pub struct JobTable<J> {
    entries: Vec<Entry<J>>,
}

impl<J> Default for JobTable<J> {
    fn default() -> Self {
        JobTable {
            entries: Vec::new(),
        }
    }
}

impl<J> JobTable<J> {
    /// Adds (or replaces, by name) a job. `last_run`: when it last ran, if known. A cron job
    /// whose most recent time passed since then (the service was down at 02:00) is due at
    /// once — one catch-up run, never one per missed day. `None` means "never ran": due at once
    /// as well (the first start takes a backup). Interval jobs first run one interval from now.
    pub fn add(
        &mut self,
        name: &str,
        schedule: Schedule,
        last_run: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        job: J,
    ) {
        let missed = match (&schedule, last_run) {
            (Schedule::Every(_), _) => false,
            (_, None) => true,
            (s, Some(last)) => s.previous_at_or_before(now).is_some_and(|p| p > last),
        };
        let next = if missed {
            Some(now)
        } else {
            schedule.next_after(now)
        };
        self.entries.retain(|e| e.name != name);
        self.entries.push(Entry {
            name: name.to_owned(),
            schedule,
            next,
            job,
        });
    }

    /// The jobs due at `now`; each one's next time moves past `now`.
    pub fn run_due(&mut self, now: DateTime<Utc>) -> Vec<&J> {
        let mut due = Vec::new();
        for e in &mut self.entries {
            if e.next.is_some_and(|n| n <= now) {
                e.next = e.schedule.next_after(now);
                due.push(&e.job);
            }
        }
        due
    }

    pub fn names(&self) -> Vec<&str> {
        self.entries.iter().map(|e| e.name.as_str()).collect()
    }

    pub fn next_of(&self, name: &str) -> Option<DateTime<Utc>> {
        self.entries.iter().find(|e| e.name == name)?.next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Local, TimeZone};
    use std::time::Duration;

    /// Local wall-clock time (BACKUP_SCHEDULE is server local time, like crontab).
    fn local(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Local
            .with_ymd_and_hms(2026, 1, d, h, m, 0)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn daily_backup(last_run: Option<DateTime<Utc>>, now: DateTime<Utc>) -> JobTable<&'static str> {
        let mut t = JobTable::default();
        t.add(
            "backup",
            Schedule::cron("0 2 * * *").unwrap(),
            last_run,
            now,
            "backup",
        );
        t
    }

    #[test]
    fn daily_backup_runs_at_two_and_once_a_day() {
        let now = local(10, 12, 0);
        let mut t = daily_backup(Some(local(10, 2, 0)), now);
        assert_eq!(t.next_of("backup"), Some(local(11, 2, 0)));
        assert!(t.run_due(local(11, 1, 59)).is_empty());
        assert_eq!(t.run_due(local(11, 2, 0)), [&"backup"]);
        assert!(t.run_due(local(11, 2, 0)).is_empty(), "not twice");
        assert!(t.run_due(local(11, 23, 0)).is_empty());
        assert_eq!(t.next_of("backup"), Some(local(12, 2, 0)));
        // A late tick (the machine was busy) still runs it, once.
        assert_eq!(t.run_due(local(12, 2, 7)), [&"backup"]);
        assert_eq!(t.next_of("backup"), Some(local(13, 2, 0)));
    }

    #[test]
    fn a_run_missed_while_down_runs_once_after_restart() {
        // Last backup on the 8th; the service comes back on the 10th at 09:00.
        let now = local(10, 9, 0);
        let mut t = daily_backup(Some(local(8, 2, 0)), now);
        assert_eq!(t.run_due(now), [&"backup"]);
        assert!(
            t.run_due(local(10, 9, 1)).is_empty(),
            "one catch-up run only"
        );
        assert_eq!(t.next_of("backup"), Some(local(11, 2, 0)));
    }

    #[test]
    fn the_first_start_runs_a_job_that_never_ran() {
        let now = local(10, 9, 0);
        let mut t = daily_backup(None, now);
        assert_eq!(t.run_due(now), [&"backup"]);
    }

    #[test]
    fn interval_jobs_run_every_period() {
        let now = local(10, 9, 0);
        let mut t: JobTable<&str> = JobTable::default();
        t.add(
            "checkpoint",
            Schedule::every(Duration::from_secs(15 * 60)),
            None,
            now,
            "checkpoint",
        );
        assert!(t.run_due(now).is_empty(), "first run one interval later");
        assert!(t.run_due(local(10, 9, 14)).is_empty());
        assert_eq!(t.run_due(local(10, 9, 15)), [&"checkpoint"]);
        assert_eq!(t.next_of("checkpoint"), Some(local(10, 9, 30)));
    }

    #[test]
    fn replacing_a_job_by_name_keeps_one_entry() {
        let now = local(10, 9, 0);
        let mut t = daily_backup(Some(now), now);
        t.add(
            "backup",
            Schedule::cron("0 3 * * *").unwrap(),
            Some(now),
            now,
            "backup",
        );
        assert_eq!(t.names(), ["backup"]);
        assert_eq!(t.next_of("backup"), Some(local(11, 3, 0)));
    }

    #[test]
    fn cron_parsing_refuses_six_fields_and_garbage() {
        assert!(Schedule::cron("0 0 2 * * *").is_err());
        assert!(Schedule::cron("61 2 * * *").is_err());
        assert!(Schedule::cron("0 2 * * mon-fri").is_ok());
        let daily = Schedule::cron("0 2 * * *").unwrap();
        assert_eq!(
            daily.interval_after(local(10, 12, 0)),
            Some(chrono::Duration::hours(24))
        );
    }
}
