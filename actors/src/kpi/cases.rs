//! `@case` test lines in a script's header (spec kpis.md §6.3) and the half-up rounding of §1.
//!
//! ```text
//! // @case "<name>": key = literal, key = literal => expected [warns code, code]
//! // @case "<name>": #{ key: literal, settings: #{ … } } => expected
//! ```
//! Literals are read by a bare Rhai engine (no functions registered, tight limits), so they follow Rhai
//! syntax: `90`, `90.0`, `1_000`, `"text"`, `true`, `()`, arrays and maps in the second form.

use std::collections::{BTreeMap, BTreeSet};

use rhai::{Dynamic, Engine};
use serde::Serialize;

use super::script::{
    Diagnostic, EvalContext, Sandbox, ScriptValue, dynamic_to_json, is_snake_case,
    message_without_position,
};

/// One `@case` line.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptCase {
    pub name: String,
    /// 1-based line of the `@case` comment.
    pub line: usize,
    pub input: BTreeMap<String, ScriptValue>,
    /// The `settings` map of the `#{…}` form, `Null` if none.
    pub settings: serde_json::Value,
    /// `None` = `()` expected.
    pub expected: Option<f64>,
    /// Decimals the result is rounded to before comparing: as written in `expected`, at least 2.
    pub expected_decimals: u32,
    /// Warning codes the script must produce (others may be produced too).
    pub warns: Vec<String>,
}

/// The outcome of one case; `message` says why it failed (`None` when it passed).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseResult {
    pub name: String,
    pub line: usize,
    pub passed: bool,
    pub expected: Option<f64>,
    /// The unrounded result (`None` for `()` or a failure).
    pub actual: Option<f64>,
    pub message: Option<String>,
    /// Where the script failed while running this case (`None` when it ran to a result).
    #[serde(skip)]
    pub failure: Option<Diagnostic>,
}

/// Rounds half-up (away from zero) as values leave the product (spec §1 Numbers): first to 10 decimals
/// to drop binary noise, then to `decimals`, so 2.675 (stored as 2.67499…) gives 2.68. Values too large
/// for 10 decimals are rounded directly; non-finite values and `decimals` > 15 come back unchanged.
pub fn round_half_up(value: f64, decimals: u32) -> f64 {
    /// Largest magnitude at which every integer is exact in an f64.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if !value.is_finite() || decimals > 15 {
        return value;
    }
    let scale = 10f64.powi(decimals as i32);
    let tens = value * 1e10;
    if decimals < 10 && tens.abs() < EXACT {
        // An exact integer count of 1e-10 units; the second step is integer arithmetic, so no new noise.
        let units = tens.round().abs() as i64;
        let step = 10i64.pow(10 - decimals);
        let rounded = (units + step / 2) / step;
        if rounded == 0 {
            return 0.0;
        }
        return (rounded as f64 / scale).copysign(value);
    }
    let scaled = value * scale;
    if !scaled.is_finite() || scaled.abs() >= EXACT {
        return value; // already coarser than the requested decimals
    }
    let rounded = scaled.round() / scale;
    if rounded == 0.0 { 0.0 } else { rounded }
}

/// Reads every `// @case` line of `source`. A malformed one gives a diagnostic with its line and column.
pub fn parse_cases(source: &str) -> Result<Vec<ScriptCase>, Diagnostic> {
    let literals = literal_engine();
    let mut cases: Vec<ScriptCase> = Vec::new();
    for (index, line) in source.lines().enumerate() {
        let line_no = index + 1;
        let Some(body) = case_body(line) else {
            continue;
        };
        let offset = line.len() - body.len();
        let case = CaseLine {
            text: line,
            line: line_no,
            literals: &literals,
        }
        .parse(offset)?;
        if let Some(first) = cases.iter().find(|c| c.name == case.name) {
            return Err(Diagnostic {
                line: line_no,
                column: 1,
                message: format!(
                    "duplicate case name \"{}\" (first on line {})",
                    case.name, first.line
                ),
            });
        }
        cases.push(case);
    }
    Ok(cases)
}

/// Compiles `source`, reads its cases and runs each. `Err` when the script does not compile, a case line
/// is malformed or there is no case at all; a case that fails to evaluate is a failed [`CaseResult`].
/// `float_keys` are the input keys that are FLOAT for this KPI (at any depth), so `90` becomes `90.0`.
pub fn run_cases(
    sandbox: &Sandbox,
    kpi: &str,
    source: &str,
    float_keys: &[&str],
) -> Result<Vec<CaseResult>, Vec<Diagnostic>> {
    let compiled = sandbox.compile(source);
    let cases = parse_cases(source);
    let (ast, cases) = match (compiled, cases) {
        (Ok(ast), Ok(cases)) => (ast, cases),
        (compiled, cases) => {
            let mut diagnostics: Vec<Diagnostic> =
                compiled.err().map(|f| f.diagnostic).into_iter().collect();
            diagnostics.extend(cases.err());
            return Err(diagnostics);
        }
    };
    if cases.is_empty() {
        return Err(vec![Diagnostic {
            line: 1,
            column: 1,
            message: "no `// @case` line: every script needs at least one case".to_owned(),
        }]);
    }
    Ok(cases
        .iter()
        .map(|case| run_case(sandbox, &ast, kpi, case, float_keys))
        .collect())
}

fn run_case(
    sandbox: &Sandbox,
    ast: &rhai::AST,
    kpi: &str,
    case: &ScriptCase,
    float_keys: &[&str],
) -> CaseResult {
    let input = case
        .input
        .iter()
        .map(|(key, value)| (key.clone(), floats_for(key, value, float_keys)))
        .collect();
    let ctx = EvalContext {
        kpi: kpi.to_owned(),
        client_id: String::new(),
        from: String::new(),
        to: String::new(),
        settings: case.settings.clone(),
    };
    let mut result = CaseResult {
        name: case.name.clone(),
        line: case.line,
        passed: false,
        expected: case.expected,
        actual: None,
        message: None,
        failure: None,
    };
    let output = match sandbox.eval(ast, &ctx, &input) {
        Ok(output) => output,
        Err(failure) => {
            result.message = Some(failure.to_string());
            result.failure = Some(failure.diagnostic);
            return result;
        }
    };
    result.actual = output.value;

    let decimals = case.expected_decimals;
    let show = |value: Option<f64>| {
        value.map_or_else(
            || "()".to_owned(),
            |v| format!("{:.*}", decimals as usize, v),
        )
    };
    let mut problems = Vec::new();
    let value_matches = match (case.expected, output.value) {
        (None, None) => true,
        (Some(expected), Some(actual)) => {
            let scale = 10f64.powi(decimals as i32);
            (round_half_up(actual, decimals) * scale).round() == (expected * scale).round()
        }
        _ => false,
    };
    if !value_matches {
        let got = output.value.map(|v| round_half_up(v, decimals));
        let mut problem = format!("expected {}, got {}", show(case.expected), show(got));
        if let Some(actual) = output.value {
            problem.push_str(&format!(" (unrounded {actual})"));
        }
        problems.push(problem);
    }
    let produced: BTreeSet<&str> = output.warnings.iter().map(|w| w.code.as_str()).collect();
    let missing: Vec<&str> = case
        .warns
        .iter()
        .map(String::as_str)
        .filter(|code| !produced.contains(code))
        .collect();
    if !missing.is_empty() {
        let produced = if produced.is_empty() {
            "none".to_owned()
        } else {
            produced.into_iter().collect::<Vec<_>>().join(", ")
        };
        problems.push(format!(
            "missing warnings: {} (produced: {produced})",
            missing.join(", ")
        ));
    }
    result.passed = problems.is_empty();
    if !result.passed {
        result.message = Some(problems.join("; "));
    }
    result
}

/// Converts INT literals to FLOAT for the KPI's FLOAT keys, also inside arrays and maps.
fn floats_for(key: &str, value: &ScriptValue, float_keys: &[&str]) -> ScriptValue {
    match value {
        ScriptValue::Int(i) if float_keys.contains(&key) => ScriptValue::Float(*i as f64),
        ScriptValue::Array(items) => ScriptValue::Array(
            items
                .iter()
                .map(|v| floats_for(key, v, float_keys))
                .collect(),
        ),
        ScriptValue::Map(map) => ScriptValue::Map(
            map.iter()
                .map(|(k, v)| (k.clone(), floats_for(k, v, float_keys)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The text after `@case` when `line` is a `// @case` comment line.
fn case_body(line: &str) -> Option<&str> {
    let comment = line.trim_start().strip_prefix("//")?.trim_start();
    let body = comment.strip_prefix("@case")?;
    body.starts_with(|c: char| c.is_whitespace() || c == '"')
        .then_some(body)
}

/// Evaluates literals only: no functions are registered, and the limits are tight.
fn literal_engine() -> Engine {
    let mut engine = Engine::new_raw();
    engine
        .set_max_operations(10_000)
        .set_max_call_levels(4)
        .set_max_expr_depths(32, 32)
        .set_max_string_size(4_096)
        .set_max_array_size(10_000)
        .set_max_map_size(1_000)
        .set_max_variables(16)
        .set_max_functions(4)
        .set_max_modules(0);
    engine.disable_symbol("eval").disable_symbol("import");
    engine
}

struct CaseLine<'a> {
    text: &'a str,
    line: usize,
    literals: &'a Engine,
}

impl CaseLine<'_> {
    /// A diagnostic at byte offset `at` of the line (reported as a 1-based character column).
    fn error(&self, at: usize, message: impl Into<String>) -> Diagnostic {
        let at = at.min(self.text.len());
        let column = self
            .text
            .get(..at)
            .map_or(at, |prefix| prefix.chars().count())
            + 1;
        Diagnostic {
            line: self.line,
            column,
            message: message.into(),
        }
    }

    fn skip_ws(&self, at: usize) -> usize {
        at + self.text[at..].len() - self.text[at..].trim_start().len()
    }

    fn parse(&self, start: usize) -> Result<ScriptCase, Diagnostic> {
        const SHAPE: &str = "expected `@case \"name\": inputs => expected [warns code, …]`";
        let text = self.text;

        // "name"
        let at = self.skip_ws(start);
        if !text[at..].starts_with('"') {
            return Err(self.error(
                at,
                format!("{SHAPE}: the case name must be in double quotes"),
            ));
        }
        let close = string_end(text, at).ok_or_else(|| self.error(at, "unterminated case name"))?;
        let name = text[at + 1..close]
            .replace("\\\"", "\"")
            .replace("\\\\", "\\");
        if name.trim().is_empty() {
            return Err(self.error(at, "empty case name"));
        }

        // :
        let at = self.skip_ws(close + 1);
        if !text[at..].starts_with(':') {
            return Err(self.error(at, format!("{SHAPE}: `:` after the case name")));
        }
        let inputs_start = at + 1;

        // inputs => expected
        let arrow = top_level(text, inputs_start, "=>")
            .last()
            .copied()
            .ok_or_else(|| self.error(text.len(), format!("{SHAPE}: missing `=>`")))?;
        let (input, settings) = self.parse_inputs(inputs_start, arrow)?;
        let (expected, expected_decimals, warns) = self.parse_expected(arrow + 2)?;
        Ok(ScriptCase {
            name,
            line: self.line,
            input,
            settings,
            expected,
            expected_decimals,
            warns,
        })
    }

    fn parse_inputs(
        &self,
        start: usize,
        end: usize,
    ) -> Result<(BTreeMap<String, ScriptValue>, serde_json::Value), Diagnostic> {
        let at = self.skip_ws(start);
        let text = &self.text[at..end];
        if text.trim().is_empty() {
            return Ok((BTreeMap::new(), serde_json::Value::Null));
        }
        if text.starts_with("#{") {
            return self.parse_map_inputs(at, end);
        }
        let mut input = BTreeMap::new();
        let mut item_start = at;
        let separators = top_level(self.text, at, ",")
            .into_iter()
            .filter(|&i| i < end);
        for item_end in separators.chain(std::iter::once(end)) {
            let item = &self.text[item_start..item_end];
            let key_at = self.skip_ws(item_start);
            let Some(eq) = item.find('=') else {
                return Err(self.error(key_at, "expected `key = literal` (or a `#{ … }` map)"));
            };
            let key = item[..eq].trim();
            if !is_identifier(key) {
                return Err(self.error(key_at, format!("`{key}` is not a valid input name")));
            }
            if key == "settings" {
                return Err(self.error(key_at, "settings need the `#{ …, settings: #{ … } }` form"));
            }
            let literal_at = self.skip_ws(item_start + eq + 1);
            let value = self.literal(literal_at, item_end)?;
            if matches!(value, ScriptValue::Array(_) | ScriptValue::Map(_)) {
                return Err(self.error(literal_at, "arrays and maps need the `#{ … }` form"));
            }
            if input.insert(key.to_owned(), value).is_some() {
                return Err(self.error(key_at, format!("input `{key}` given twice")));
            }
            item_start = item_end + 1;
        }
        Ok((input, serde_json::Value::Null))
    }

    fn parse_map_inputs(
        &self,
        start: usize,
        end: usize,
    ) -> Result<(BTreeMap<String, ScriptValue>, serde_json::Value), Diagnostic> {
        let ScriptValue::Map(mut input) = self.literal(start, end)? else {
            return Err(self.error(start, "expected a map `#{ … }`"));
        };
        let settings = match input.remove("settings") {
            None | Some(ScriptValue::Unit) => serde_json::Value::Null,
            Some(settings @ ScriptValue::Map(_)) => dynamic_to_json(&settings.to_dynamic(), 0)
                .map_err(|e| self.error(start, format!("settings: {e}")))?,
            Some(_) => return Err(self.error(start, "`settings` must be a map")),
        };
        Ok((input, settings))
    }

    /// Evaluates the literal at `start..end` of the line.
    fn literal(&self, start: usize, end: usize) -> Result<ScriptValue, Diagnostic> {
        let source = self.text[start..end].trim_end();
        if source.is_empty() {
            return Err(self.error(start, "missing literal"));
        }
        let value = self
            .literals
            .eval_expression::<Dynamic>(source)
            .map_err(|err| {
                let column = err.position().position().map_or(0, |c| c.saturating_sub(1));
                let offset = source.char_indices().nth(column).map_or(0, |(i, _)| i);
                self.error(
                    start + offset,
                    format!("bad literal `{source}`: {}", message_without_position(&err)),
                )
            })?;
        ScriptValue::from_dynamic(&value)
            .ok_or_else(|| self.error(start, format!("`{source}` is not a literal")))
    }

    fn parse_expected(&self, start: usize) -> Result<(Option<f64>, u32, Vec<String>), Diagnostic> {
        let text = self.text;
        let at = self.skip_ws(start);
        let rest = text[at..].trim_end();
        let (value_text, warns) = match rest.find('[') {
            None => (rest, Vec::new()),
            Some(open) => (rest[..open].trim_end(), self.parse_warns(at + open)?),
        };
        if value_text.is_empty() {
            return Err(self.error(at, "missing expected value after `=>` (a number or `()`)"));
        }
        if value_text == "()" {
            return Ok((None, 2, warns));
        }
        let digits = value_text.strip_prefix(['-', '+']).unwrap_or(value_text);
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let valid = !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && fraction.bytes().all(|b| b.is_ascii_digit())
            && !(digits.contains('.') && fraction.is_empty());
        let value = valid
            .then(|| value_text.parse::<f64>().ok())
            .flatten()
            .filter(|v| v.is_finite());
        let Some(value) = value else {
            return Err(self.error(
                at,
                format!("expected value `{value_text}` must be a decimal number or `()`"),
            ));
        };
        let decimals = u32::try_from(fraction.len())
            .unwrap_or(u32::MAX)
            .clamp(2, 15);
        Ok((Some(value), decimals, warns))
    }

    /// `[warns code, code]` starting at byte `open` (the `[`), which must end the line.
    fn parse_warns(&self, open: usize) -> Result<Vec<String>, Diagnostic> {
        let rest = self.text[open..].trim_end();
        let Some(inner) = rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')) else {
            return Err(self.error(open, "expected `[warns code, …]` at the end of the line"));
        };
        let Some(codes) = inner
            .trim_start()
            .strip_prefix("warns")
            .filter(|c| c.is_empty() || c.starts_with(' '))
        else {
            return Err(self.error(open + 1, "expected `warns` after `[`"));
        };
        let codes: Vec<String> = codes
            .split(',')
            .map(|code| code.trim().to_owned())
            .collect();
        if let Some(bad) = codes.iter().find(|code| !is_snake_case(code)) {
            let message = if bad.is_empty() {
                "expected warning codes after `warns`, separated by commas".to_owned()
            } else {
                format!("warning code `{bad}` must be lower snake_case")
            };
            return Err(self.error(open + 1, message));
        }
        Ok(codes)
    }
}

/// Byte offset of the `"` closing the string that opens at `open`.
fn string_end(text: &str, open: usize) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text[open + 1..].char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(open + 1 + i),
            _ => {}
        }
    }
    None
}

/// Byte offsets of `needle` in `text[start..]` outside strings, characters and brackets.
fn top_level(text: &str, start: usize, needle: &str) -> Vec<usize> {
    let mut found = Vec::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text[start..].char_indices() {
        let at = start + i;
        if let Some(q) = quote {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                _ if c == q => quote = None,
                _ => {}
            }
            continue;
        }
        match c {
            '"' | '\'' | '`' => quote = Some(c),
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ if depth == 0 && text[at..].starts_with(needle) => found.push(at),
            _ => {}
        }
    }
    found
}

fn is_identifier(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EFFICIENCY: &str = include_str!("../../../kpi-scripts/efficiency.rhai");
    const PERFORMANCE: &str = include_str!("../../../kpi-scripts/performance.rhai");
    const EFFICIENCY_FLOATS: &[&str] = &[
        "standard_hours_produced",
        "entry_person_hours",
        "idle_floater_hours",
        "uncovered_absence_hours",
    ];
    const PERFORMANCE_FLOATS: &[&str] = &["ideal_run_hours", "run_time_hours"];

    fn assert_all_pass(kpi: &str, source: &str, float_keys: &[&str], at_least: usize) {
        let results = run_cases(&Sandbox::new(), kpi, source, float_keys).expect("script checks");
        assert!(
            results.len() >= at_least,
            "{kpi}: only {} cases",
            results.len()
        );
        for result in &results {
            assert!(
                result.passed,
                "{kpi} case \"{}\" (line {}): {:?}",
                result.name, result.line, result.message
            );
        }
    }

    #[test]
    fn default_efficiency_script_passes_its_cases() {
        assert_all_pass("efficiency", EFFICIENCY, EFFICIENCY_FLOATS, 3);
    }

    #[test]
    fn default_performance_script_passes_its_cases() {
        assert_all_pass("performance", PERFORMANCE, PERFORMANCE_FLOATS, 4);
    }

    #[test]
    fn worked_examples_are_cases() {
        let efficiency = parse_cases(EFFICIENCY).unwrap();
        assert!(efficiency.iter().any(|c| c.expected == Some(23.15)));
        let performance = parse_cases(PERFORMANCE).unwrap();
        assert!(performance.iter().any(|c| c.expected == Some(113.64)));
        assert!(
            performance
                .iter()
                .any(|c| c.warns == ["exceeds_plausible_maximum"])
        );
    }

    #[test]
    fn scalar_case_is_parsed() {
        let source = "// Intro\n// @case \"typical shift\": a = 0.9, n = 90, s = \"x, y\", b = true, u = () => 84.645 [warns some_code, other]\n1";
        let cases = parse_cases(source).unwrap();
        assert_eq!(
            cases,
            vec![ScriptCase {
                name: "typical shift".into(),
                line: 2,
                input: BTreeMap::from([
                    ("a".to_owned(), ScriptValue::Float(0.9)),
                    ("n".to_owned(), ScriptValue::Int(90)),
                    ("s".to_owned(), ScriptValue::Str("x, y".into())),
                    ("b".to_owned(), ScriptValue::Bool(true)),
                    ("u".to_owned(), ScriptValue::Unit),
                ]),
                settings: serde_json::Value::Null,
                expected: Some(84.645),
                expected_decimals: 3,
                warns: vec!["some_code".into(), "other".into()],
            }]
        );
    }

    #[test]
    fn map_case_with_settings_is_parsed() {
        let source = r#"// @case "stages": #{ stages: [#{ stage: "cut", units_passed: 9, units_inspected: 10 }], settings: #{ target: 90, name: "x" } } => -5"#;
        let case = parse_cases(source).unwrap().remove(0);
        assert_eq!(case.expected, Some(-5.0));
        assert_eq!(case.expected_decimals, 2);
        assert_eq!(
            case.settings,
            serde_json::json!({"target": 90, "name": "x"})
        );
        let ScriptValue::Array(stages) = &case.input["stages"] else {
            panic!("{case:?}")
        };
        assert_eq!(stages.len(), 1);
        assert!(!case.input.contains_key("settings"));
    }

    #[test]
    fn malformed_case_reports_its_line() {
        for (bad, column) in [
            ("// @case no quotes: a = 1 => 1", 10),
            ("// @case \"x\" a = 1 => 1", 14),
            ("// @case \"x\": a = 1", 20),
            ("// @case \"x\": a = 1 =>", 23),
            ("// @case \"x\": a = 1 => 1e3", 24),
            ("// @case \"x\": a = 1 => abc", 24),
            ("// @case \"x\": a = 1 => 1 [warn x]", 27),
            ("// @case \"x\": a = 1 => 1 [warns Bad]", 27),
            ("// @case \"x\": a = 1 => 1 [warns a,]", 27),
            ("// @case \"x\": a = 1 => 1 [warns a", 26),
            ("// @case \"x\": a 1 => 1", 15),
            ("// @case \"x\": 1a = 1 => 1", 15),
            ("// @case \"x\": a = => 1", 19),
            ("// @case \"x\": a = [1] => 1", 19),
            ("// @case \"x\": a = 1, a = 2 => 1", 22),
            ("// @case \"x\": #{ a: } => 1", 21),
            ("// @case \"x\": #{ a: 1, settings: 3 } => 1", 15),
        ] {
            let source = format!("// header\n// @case \"ok\": a = 1 => 1\n{bad}\n1");
            let diagnostic = parse_cases(&source).expect_err(bad);
            assert_eq!(diagnostic.line, 3, "{bad}: {diagnostic}");
            assert_eq!(diagnostic.column, column, "{bad}: {diagnostic}");
        }
        let sneaky = "// @case \"x\": a = (|| { loop {} }).call() => 1";
        assert_eq!(parse_cases(sneaky).unwrap_err().line, 1);
        let duplicate = "// @case \"x\": => 1\n// @case \"x\": => 2";
        assert_eq!(parse_cases(duplicate).unwrap_err().line, 2);
    }

    #[test]
    fn other_comments_are_ignored() {
        assert!(
            parse_cases("// @cases below\n// case \"x\": => 1\nlet x = \"// @case\";")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn failing_cases_say_why() {
        let source = "// @case \"wrong value\": x = 1 => 2.5\n\
                      // @case \"wrong unit\": x = 1 => ()\n\
                      // @case \"missing warning\": x = 1 => 1.0 [warns zero_production]\n\
                      // @case \"error\": => 1\n\
                      // @case \"float key\": x = 2 => 1.00\n\
                      if type_of(x) == \"f64\" { return 1.0; }\n\
                      x * 1.004999";
        let results = run_cases(&Sandbox::new(), "t", source, &[]).unwrap();
        let by_name: BTreeMap<_, _> = results.iter().map(|r| (r.name.as_str(), r)).collect();
        let message = |name: &str| by_name[name].message.clone().unwrap_or_default();
        assert!(!by_name["wrong value"].passed);
        assert_eq!(
            message("wrong value"),
            "expected 2.50, got 1.00 (unrounded 1.004999)"
        );
        assert_eq!(
            message("wrong unit"),
            "expected (), got 1.00 (unrounded 1.004999)"
        );
        assert_eq!(
            message("missing warning"),
            "missing warnings: zero_production (produced: none)"
        );
        assert!(
            message("error").starts_with("runtime error at"),
            "{}",
            message("error")
        );
        assert!(
            !by_name["float key"].passed,
            "x = 2 stays INT without float_keys"
        );

        let results = run_cases(&Sandbox::new(), "t", source, &["x"]).unwrap();
        assert!(
            results
                .iter()
                .find(|r| r.name == "float key")
                .unwrap()
                .passed
        );
    }

    #[test]
    fn rounding_uses_the_written_decimals() {
        let source = "// @case \"two\": => 1.01\n// @case \"three\": => 1.005\n// @case \"int\": => 1\n1.005";
        let results = run_cases(&Sandbox::new(), "t", source, &[]).unwrap();
        let passed: Vec<_> = results.iter().map(|r| r.passed).collect();
        assert_eq!(passed, [true, true, false]);
    }

    #[test]
    fn script_without_cases_or_compiling_is_refused() {
        let sandbox = Sandbox::new();
        let diagnostics = run_cases(&sandbox, "t", "1 + 1", &[]).unwrap_err();
        assert_eq!(diagnostics.len(), 1);
        let diagnostics = run_cases(
            &sandbox,
            "t",
            "// @case \"x\": => 1\nlet = ;\n// @case bad",
            &[],
        )
        .unwrap_err();
        let lines: Vec<_> = diagnostics.iter().map(|d| d.line).collect();
        assert_eq!(lines, [2, 3]);
    }

    #[test]
    fn round_half_up_examples() {
        assert_eq!(round_half_up(2.675, 2), 2.68);
        assert_eq!(round_half_up(1.005, 2), 1.01);
        assert_eq!(round_half_up(-2.675, 2), -2.68);
        assert_eq!(round_half_up(113.636_363_636, 2), 113.64);
        assert_eq!(round_half_up(25.0 / 108.0 * 100.0, 2), 23.15);
        assert_eq!(round_half_up(84.645, 3), 84.645);
        assert_eq!(round_half_up(2.5, 0), 3.0);
        assert_eq!(round_half_up(-0.001, 2), 0.0);
        assert!(round_half_up(-0.001, 2).is_sign_positive());
        assert_eq!(round_half_up(1e300, 2), 1e300);
        assert_eq!(round_half_up(1_234_567.125, 2), 1_234_567.13);
        assert!(round_half_up(f64::NAN, 2).is_nan());
        assert_eq!(round_half_up(f64::INFINITY, 2), f64::INFINITY);
    }

    proptest! {
        #[test]
        fn round_half_up_is_close(x in -1e9..1e9f64, decimals in 0u32..=20) {
            let rounded = round_half_up(x, decimals);
            let tolerance = 0.5 * 10f64.powi(-(decimals.min(15) as i32)) + 4.0 * f64::EPSILON * x.abs();
            prop_assert!((rounded - x).abs() <= tolerance.max(0.0), "{x} -> {rounded}");
            if decimals >= 2 {
                prop_assert!((rounded - x).abs() <= 0.005 + 4.0 * f64::EPSILON * x.abs());
            }
        }

        #[test]
        fn round_half_up_never_panics(x in any::<f64>(), decimals in any::<u32>()) {
            let _ = round_half_up(x, decimals);
        }

        #[test]
        fn parse_cases_never_panics(line in "\\PC*") {
            let _ = parse_cases(&format!("// @case {line}"));
        }
    }
}
