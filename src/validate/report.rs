//! The validation report: one line per check (`PASS`, `FAIL` or `SKIP`), then a summary per
//! suite. Only a `FAIL` makes the run fail; a `SKIP` says what was not checkable and why.
use super::Suite;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    Skip,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::Skip => "SKIP",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Check {
    pub suite: Suite,
    pub outcome: Outcome,
    pub what: String,
}

#[derive(Debug, Default)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    pub fn record(&mut self, suite: Suite, outcome: Outcome, what: impl Into<String>) {
        self.checks.push(Check {
            suite,
            outcome,
            what: what.into(),
        });
    }

    /// PASS when `ok`, else FAIL, with the same description.
    pub fn expect(&mut self, suite: Suite, ok: bool, what: impl Into<String>) {
        let outcome = if ok { Outcome::Pass } else { Outcome::Fail };
        self.record(suite, outcome, what);
    }

    pub fn failures(&self) -> usize {
        self.count(None, Outcome::Fail)
    }

    fn count(&self, suite: Option<Suite>, outcome: Outcome) -> usize {
        self.checks
            .iter()
            .filter(|c| c.outcome == outcome && suite.is_none_or(|s| c.suite == s))
            .count()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.checks {
            writeln!(
                f,
                "{}  {:<12} {}",
                c.outcome.label(),
                c.suite.name(),
                c.what
            )?;
        }
        writeln!(f)?;
        let mut suites: Vec<Suite> = Vec::new();
        for c in &self.checks {
            if !suites.contains(&c.suite) {
                suites.push(c.suite);
            }
        }
        for s in suites {
            writeln!(
                f,
                "{:<12} {} passed, {} failed, {} skipped",
                s.name(),
                self.count(Some(s), Outcome::Pass),
                self.count(Some(s), Outcome::Fail),
                self.count(Some(s), Outcome::Skip),
            )?;
        }
        let failed = self.failures();
        if failed == 0 {
            write!(f, "RESULT: PASS ({} checks)", self.checks.len())
        } else {
            write!(
                f,
                "RESULT: FAIL ({failed} of {} checks failed)",
                self.checks.len()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_failure_fails_the_report_and_skips_do_not() {
        let mut r = Report::default();
        r.expect(Suite::Schema, true, "table clients");
        r.record(Suite::Security, Outcome::Skip, "HTTP to HTTPS: URL is http");
        assert_eq!(r.failures(), 0);
        assert!(r.to_string().ends_with("RESULT: PASS (2 checks)"));
        r.expect(
            Suite::Api,
            false,
            "GET /api/users without token: 200, expected 401",
        );
        let text = r.to_string();
        assert!(text.contains("FAIL  api          GET /api/users"), "{text}");
        assert!(
            text.contains("api          0 passed, 1 failed, 0 skipped"),
            "{text}"
        );
        assert!(
            text.ends_with("RESULT: FAIL (1 of 3 checks failed)"),
            "{text}"
        );
    }
}
