//! The lint half of a formula check (kpis.md §6.4): compile with line/column diagnostics and
//! run the script's `@case` lines. Shared by `POST /api/kpi-scripts/{name}/check` (which adds
//! the back-test, `services::scripts`) and `kpi-ops scripts check [DIR]` (`check_dir`).
use super::cases::run_cases;
use super::script::{Diagnostic, Sandbox};
use super::{KPI_NAMES, float_keys};
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

/// One `@case` outcome as the editor shows it (api.md §8 `tests`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseReport {
    pub case: String,
    /// 1-based line of the `@case` comment.
    pub line: usize,
    pub expected: Option<f64>,
    /// The unrounded result; `null` for `()` or a failure.
    pub actual: Option<f64>,
    pub pass: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The script failed while running the case (the failure is also a diagnostic).
    #[serde(skip)]
    pub crashed: bool,
}

/// Compile diagnostics, malformed case lines and run-time failures of the cases (each with a
/// position), plus every case outcome.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Lint {
    pub diagnostics: Vec<Diagnostic>,
    pub tests: Vec<CaseReport>,
}

impl Lint {
    /// Compiles, has at least one case, and every case passes.
    pub fn ok(&self) -> bool {
        self.diagnostics.is_empty() && !self.tests.is_empty() && self.tests.iter().all(|t| t.pass)
    }
}

/// Compiles `source` as the script of KPI `name` and runs its cases.
///
/// A case that fails while running also gives a diagnostic at the failure's position (once per
/// position and message); a failure without a position (a result of the wrong type) is reported
/// at the case's own line, so every problem has a place in the file.
pub fn lint(sandbox: &Sandbox, name: &str, source: &str) -> Lint {
    let results = match run_cases(sandbox, name, source, float_keys(name)) {
        Ok(results) => results,
        Err(diagnostics) => {
            return Lint {
                diagnostics,
                tests: Vec::new(),
            };
        }
    };
    let mut diagnostics = Vec::new();
    let mut seen = BTreeSet::new();
    for r in &results {
        let Some(d) = &r.failure else { continue };
        let (line, column) = if d.line == 0 {
            (r.line, 1)
        } else {
            (d.line, d.column)
        };
        if seen.insert((line, column, d.message.clone())) {
            diagnostics.push(Diagnostic {
                line,
                column,
                message: format!("{} (case \"{}\")", d.message, r.name),
            });
        }
    }
    let tests = results
        .into_iter()
        .map(|r| CaseReport {
            case: r.name,
            line: r.line,
            expected: r.expected,
            actual: r.actual,
            pass: r.passed,
            message: r.message,
            crashed: r.failure.is_some(),
        })
        .collect();
    Lint { diagnostics, tests }
}

/// One problem of a formula file, printed as `file:line:column: message`.
#[derive(Debug, Clone, PartialEq)]
pub struct FileProblem {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line.max(1),
            self.column.max(1),
            self.message
        )
    }
}

/// The outcome of `kpi-ops scripts check [DIR]`.
#[derive(Debug, Default)]
pub struct DirReport {
    /// `.rhai` files looked at.
    pub files: usize,
    pub problems: Vec<FileProblem>,
}

/// Lints every `<kpi>.rhai` of `dir` (other files are ignored). A file whose name is not a
/// KPI name is an error: the importer would never load it. Missing KPI files are not errors
/// (the database keeps its current version).
pub fn check_dir(dir: &Path) -> std::io::Result<DirReport> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "rhai"))
        .collect();
    paths.sort();
    let sandbox = Sandbox::new();
    let mut report = DirReport::default();
    for path in paths {
        report.files += 1;
        let problem = |line: usize, column: usize, message: String| FileProblem {
            file: path.clone(),
            line,
            column,
            message,
        };
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let Some(name) = KPI_NAMES.iter().find(|n| **n == stem) else {
            report.problems.push(problem(
                1,
                1,
                format!(
                    "unknown KPI name `{stem}` (expected one of: {})",
                    KPI_NAMES.join(", ")
                ),
            ));
            continue;
        };
        let source = match std::fs::read_to_string(&path) {
            Ok(s) => s,
            Err(e) => {
                report
                    .problems
                    .push(problem(1, 1, format!("cannot read the file: {e}")));
                continue;
            }
        };
        let lint = lint(&sandbox, name, &source);
        for d in &lint.diagnostics {
            report
                .problems
                .push(problem(d.line, d.column, d.message.clone()));
        }
        // Cases that ran to a wrong result (a failure while running is a diagnostic above).
        for t in lint.tests.iter().filter(|t| !t.pass && !t.crashed) {
            report.problems.push(problem(
                t.line,
                1,
                format!(
                    "case \"{}\" failed: {}",
                    t.case,
                    t.message.as_deref().unwrap_or("wrong result")
                ),
            ));
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "// @case \"one\": x = 1.0 => 2.0\nx * 2.0\n";

    #[test]
    fn good_script_is_ok() {
        let l = lint(&Sandbox::new(), "oee", GOOD);
        assert!(l.ok(), "{l:?}");
        assert_eq!(l.tests.len(), 1);
        assert_eq!(l.tests[0].actual, Some(2.0));
    }

    #[test]
    fn compile_error_has_its_position_and_no_tests() {
        let l = lint(
            &Sandbox::new(),
            "oee",
            "// @case \"one\": x = 1.0 => 2.0\nlet y = x +;\ny",
        );
        assert!(!l.ok());
        assert_eq!((l.diagnostics[0].line, l.diagnostics[0].column), (2, 12));
        assert!(l.tests.is_empty());
    }

    #[test]
    fn runtime_failure_in_a_case_is_a_diagnostic_at_the_failure() {
        let l = lint(
            &Sandbox::new(),
            "oee",
            "// @case \"a\": x = 1.0 => 2.0\n// @case \"b\": x = 2.0 => 4.0\nlet v = x * 2.0;\nv + availabel",
        );
        assert!(!l.ok());
        assert_eq!(l.diagnostics.len(), 1, "deduplicated: {l:?}");
        assert_eq!((l.diagnostics[0].line, l.diagnostics[0].column), (4, 5));
        assert!(l.diagnostics[0].message.contains("availabel"), "{l:?}");
        assert!(l.tests.iter().all(|t| !t.pass));
    }

    #[test]
    fn wrong_type_points_at_the_case_line() {
        let l = lint(
            &Sandbox::new(),
            "oee",
            "// @case \"s\": x = 1 => 1.0\n\"text\"",
        );
        assert_eq!((l.diagnostics[0].line, l.diagnostics[0].column), (1, 1));
        assert!(
            l.diagnostics[0].message.contains("must return a number"),
            "{l:?}"
        );
    }

    #[test]
    fn dir_check_reports_file_line_column() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("oee.rhai"), GOOD).unwrap();
        std::fs::write(
            dir.path().join("ppm.rhai"),
            "// @case \"one\": x = 1 => 1.0\nlet y = x +;\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("fpy.rhai"),
            "// @case \"one\": x = 1 => 5.0\nx\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("nope.rhai"), GOOD).unwrap();
        std::fs::write(dir.path().join("README.md"), "not a script").unwrap();
        let report = check_dir(dir.path()).unwrap();
        assert_eq!(report.files, 4);
        let lines: Vec<String> = report
            .problems
            .iter()
            .map(|p| {
                format!(
                    "{}:{}:{}",
                    p.file.file_name().unwrap().to_string_lossy(),
                    p.line,
                    p.column
                )
            })
            .collect();
        assert_eq!(lines, ["fpy.rhai:1:1", "nope.rhai:1:1", "ppm.rhai:2:12"]);
        assert!(report.problems[0].message.contains("expected 5.00"));
        assert!(
            report.problems[1]
                .message
                .contains("unknown KPI name `nope`")
        );
    }

    #[test]
    fn default_scripts_dir_is_clean() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../kpi-scripts");
        let report = check_dir(Path::new(dir)).unwrap();
        assert_eq!(report.files, 15);
        let problems: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
