//! The Rhai formula sandbox (spec kpis.md §6, style §2.11).
//!
//! Rust gathers and infers the inputs; a script only combines them into a value, warnings and details.
//! Scripts are written by admins, so they are treated as untrusted: the engine is built from
//! [`Engine::new_raw`] with only the pure packages (no time, no `sleep`, no file module resolver), every
//! limit of §6.5 is set, and a thread-local wall-clock deadline is checked from the progress callback.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rhai::packages::{
    ArithmeticPackage, BasicArrayPackage, BasicFnPackage, BasicIteratorPackage, BasicMapPackage,
    BasicMathPackage, BasicStringPackage, BitFieldPackage, LogicPackage, MoreStringPackage,
    Package,
};
use rhai::{AST, Dynamic, Engine, EvalAltResult, Map, Position, Scope};
use serde::Serialize;

/// Operations allowed per evaluation.
pub const MAX_OPERATIONS: u64 = 1_000_000;
/// Wall-clock budget per evaluation.
pub const TIME_LIMIT: Duration = Duration::from_millis(100);
/// Nesting of function calls.
pub const MAX_CALL_LEVELS: usize = 16;
/// Expression depth at top level and inside functions.
pub const MAX_EXPR_DEPTHS: (usize, usize) = (64, 32);
/// Bytes of string per value. Rhai's size check adds up every string inside an array or map,
/// so this bounds a whole input such as `orders` (≈ 25 bytes per work-order id), not one
/// string: at 4 KiB (kpis.md §6.5) ≈ 200 ids already failed as soon as a script called a
/// method on the array. 1 MiB admits ≈ 40 000 ids and still stops a runaway string
/// (a doubling loop hits it after ~18 steps) with a few MiB of memory at most.
pub const MAX_STRING_SIZE: usize = 1 << 20;
/// Items in one array.
pub const MAX_ARRAY_SIZE: usize = 100_000;
/// Keys in one map.
pub const MAX_MAP_SIZE: usize = 1_000;
/// Variables in scope.
pub const MAX_VARIABLES: usize = 256;
/// Functions defined by one script.
pub const MAX_FUNCTIONS: usize = 64;

/// How often (in operations) the progress callback looks at the clock. Not ~1 000: one native call on a
/// 100 000-item array (`a.contains(x)`, `a == b`) takes ~15 ms, so 1 000 operations of them ran for ~5 s
/// past the deadline. Every 8th operation bounds the overrun to a few such calls and costs a few ns/op.
const DEADLINE_CHECK_EVERY: u64 = 8;
/// Token the progress callback terminates a script with when the deadline has passed.
const DEADLINE_TOKEN: &str = "deadline";
/// Deepest nesting accepted when converting `details` to JSON.
const MAX_DETAILS_DEPTH: usize = 32;
const BAD_RETURN: &str = "script must return a number, () or a result map";

thread_local! {
    /// Deadline of the evaluation running on this thread, if any.
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

fn deadline_passed() -> bool {
    DEADLINE.with(|deadline| deadline.get().is_some_and(|at| Instant::now() >= at))
}

/// Sets this thread's deadline for one evaluation and restores the previous one on drop (also on panic).
struct DeadlineGuard(Option<Instant>);

impl DeadlineGuard {
    fn set(at: Instant) -> Self {
        Self(DEADLINE.with(|deadline| deadline.replace(Some(at))))
    }
}

impl Drop for DeadlineGuard {
    fn drop(&mut self) {
        DEADLINE.with(|deadline| deadline.set(self.0));
    }
}

/// A position in a script, 1-based; `line` and `column` are 0 when the problem has no position
/// (for example a result of the wrong type).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Diagnostic {
    pub(crate) fn at(position: Position, message: impl Into<String>) -> Self {
        Self {
            line: position.line().unwrap_or(0),
            column: position.position().unwrap_or(0),
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "{}:{}: {}", self.line, self.column, self.message)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScriptFailureKind {
    /// The source does not parse (also: expression too deep, too many functions, disabled symbols).
    Compile,
    /// The script failed while running or returned something outside the contract (§6.2).
    Runtime,
    /// A sandbox limit was breached: operations, call depth, string/array/map size, variables, modules.
    Limit,
    /// The wall-clock deadline passed.
    Timeout,
}

impl ScriptFailureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Compile => "compile",
            Self::Runtime => "runtime",
            Self::Limit => "limit",
            Self::Timeout => "timeout",
        }
    }
}

impl fmt::Display for ScriptFailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A compile or evaluation failure; its `Display` is `"<kind> error at <line>:<column>: <message>"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScriptFailure {
    pub kind: ScriptFailureKind,
    pub diagnostic: Diagnostic,
}

impl ScriptFailure {
    fn runtime(message: impl Into<String>) -> Self {
        Self {
            kind: ScriptFailureKind::Runtime,
            diagnostic: Diagnostic {
                line: 0,
                column: 0,
                message: message.into(),
            },
        }
    }
}

impl fmt::Display for ScriptFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.diagnostic;
        if d.line == 0 {
            write!(f, "{} error: {}", self.kind, d.message)
        } else {
            write!(
                f,
                "{} error at {}:{}: {}",
                self.kind, d.line, d.column, d.message
            )
        }
    }
}

impl std::error::Error for ScriptFailure {}

/// A plausibility warning produced by a script (`priority` is `low`, `normal` or `high`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScriptWarning {
    pub code: String,
    pub priority: String,
    pub message: String,
}

/// What a script returned, checked against the contract (§6.2). `value` is finite when present.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ScriptOutput {
    pub value: Option<f64>,
    pub warnings: Vec<ScriptWarning>,
    pub details: serde_json::Map<String, serde_json::Value>,
}

/// Input values passed to a script (converted to Rhai: Int -> INT, Float -> FLOAT, Map/Array recursively,
/// Unit -> ()).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ScriptValue {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    Unit,
    Array(Vec<ScriptValue>),
    Map(BTreeMap<String, ScriptValue>),
}

impl ScriptValue {
    /// The Rhai value the script sees.
    pub fn to_dynamic(&self) -> Dynamic {
        match self {
            Self::Int(i) => Dynamic::from_int(*i),
            Self::Float(x) => Dynamic::from_float(*x),
            Self::Bool(b) => Dynamic::from_bool(*b),
            Self::Str(s) => Dynamic::from(s.clone()),
            Self::Unit => Dynamic::UNIT,
            Self::Array(items) => Dynamic::from_array(items.iter().map(Self::to_dynamic).collect()),
            Self::Map(map) => Dynamic::from_map(
                map.iter()
                    .map(|(k, v)| (k.as_str().into(), v.to_dynamic()))
                    .collect::<Map>(),
            ),
        }
    }

    /// Converts plain data (unit, bool, INT, FLOAT, string, char, array, map) back; `None` for other types.
    pub fn from_dynamic(value: &Dynamic) -> Option<Self> {
        let value = value.flatten_clone();
        if value.is_unit() {
            Some(Self::Unit)
        } else if let Ok(b) = value.as_bool() {
            Some(Self::Bool(b))
        } else if let Ok(i) = value.as_int() {
            Some(Self::Int(i))
        } else if let Ok(x) = value.as_float() {
            Some(Self::Float(x))
        } else if let Ok(c) = value.as_char() {
            Some(Self::Str(c.to_string()))
        } else if value.is_string() {
            value.into_string().ok().map(Self::Str)
        } else if value.is_array() {
            let items = value.into_array().ok()?;
            items
                .iter()
                .map(Self::from_dynamic)
                .collect::<Option<Vec<_>>>()
                .map(Self::Array)
        } else if value.is_map() {
            let map = value.try_cast::<Map>()?;
            map.iter()
                .map(|(k, v)| Some((k.to_string(), Self::from_dynamic(v)?)))
                .collect::<Option<BTreeMap<_, _>>>()
                .map(Self::Map)
        } else {
            None
        }
    }
}

impl From<i64> for ScriptValue {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

impl From<f64> for ScriptValue {
    fn from(value: f64) -> Self {
        Self::Float(value)
    }
}

impl From<bool> for ScriptValue {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

impl From<&str> for ScriptValue {
    fn from(value: &str) -> Self {
        Self::Str(value.to_owned())
    }
}

impl From<String> for ScriptValue {
    fn from(value: String) -> Self {
        Self::Str(value)
    }
}

impl<T: Into<ScriptValue>> From<Option<T>> for ScriptValue {
    fn from(value: Option<T>) -> Self {
        value.map_or(Self::Unit, Into::into)
    }
}

/// Everything in a script's scope besides its inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalContext {
    pub kpi: String,
    pub client_id: String,
    pub from: String,
    pub to: String,
    /// The client's effective settings (a JSON object; `Null` gives the script an empty map).
    pub settings: serde_json::Value,
}

/// A Rhai engine fenced per spec §6.5. Cheap to share (`Send + Sync`); one per KPI actor is enough.
#[derive(Debug)]
pub struct Sandbox {
    engine: Engine,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    pub fn new() -> Self {
        // `Engine::new()` would add a file module resolver, stdout print/debug, `timestamp()` (time
        // package) and `sleep()` (language core package). Start raw and add only pure packages.
        let mut engine = Engine::new_raw();
        for module in [
            ArithmeticPackage::new().as_shared_module(),
            LogicPackage::new().as_shared_module(),
            BasicMathPackage::new().as_shared_module(),
            BitFieldPackage::new().as_shared_module(),
            BasicStringPackage::new().as_shared_module(),
            MoreStringPackage::new().as_shared_module(),
            BasicArrayPackage::new().as_shared_module(),
            BasicMapPackage::new().as_shared_module(),
            BasicIteratorPackage::new().as_shared_module(),
            BasicFnPackage::new().as_shared_module(),
        ] {
            engine.register_global_module(module);
        }
        engine
            .set_max_operations(MAX_OPERATIONS)
            .set_max_call_levels(MAX_CALL_LEVELS)
            .set_max_expr_depths(MAX_EXPR_DEPTHS.0, MAX_EXPR_DEPTHS.1)
            .set_max_string_size(MAX_STRING_SIZE)
            .set_max_array_size(MAX_ARRAY_SIZE)
            .set_max_map_size(MAX_MAP_SIZE)
            .set_max_variables(MAX_VARIABLES)
            .set_max_functions(MAX_FUNCTIONS)
            .set_max_modules(0);
        // Refused at compile time, so the editor shows where.
        engine.disable_symbol("eval").disable_symbol("import");
        engine.on_progress(|ops| {
            (ops % DEADLINE_CHECK_EVERY == 0 && deadline_passed())
                .then(|| Dynamic::from(DEADLINE_TOKEN))
        });
        engine.on_print(|text| tracing::debug!(target: "kpi_script", "print: {text}"));
        engine.on_debug(|text, _source, position| {
            tracing::debug!(target: "kpi_script", line = position.line().unwrap_or(0), "debug: {text}");
        });
        Self { engine }
    }

    /// Compiles a script; errors carry the line and column. Cache the `Arc<AST>` by (client, KPI, version).
    pub fn compile(&self, source: &str) -> Result<Arc<AST>, ScriptFailure> {
        self.engine
            .compile(source)
            .map(Arc::new)
            .map_err(|err| ScriptFailure {
                kind: ScriptFailureKind::Compile,
                diagnostic: Diagnostic::at(err.1, err.0.to_string()),
            })
    }

    /// Evaluate: every key of `input` as a constant of the same name, the whole map as `input`, plus
    /// `settings` (map), `kpi` (string), `client_id` (string), `period` (`#{from, to}`).
    pub fn eval(
        &self,
        ast: &AST,
        ctx: &EvalContext,
        input: &BTreeMap<String, ScriptValue>,
    ) -> Result<ScriptOutput, ScriptFailure> {
        let mut scope = Scope::new();
        let mut input_map = Map::new();
        for (name, value) in input {
            let value = value.to_dynamic();
            scope.push_constant_dynamic(name.clone(), value.clone());
            input_map.insert(name.as_str().into(), value);
        }
        let settings = match &ctx.settings {
            serde_json::Value::Null => Dynamic::from_map(Map::new()),
            other => json_to_dynamic(other),
        };
        let mut period = Map::new();
        period.insert("from".into(), Dynamic::from(ctx.from.clone()));
        period.insert("to".into(), Dynamic::from(ctx.to.clone()));
        // Pushed last, so these names win over an input key of the same name.
        scope
            .push_constant("input", input_map)
            .push_constant_dynamic("settings", settings)
            .push_constant("kpi", ctx.kpi.clone())
            .push_constant("client_id", ctx.client_id.clone())
            .push_constant("period", period);

        let result = {
            let _deadline = DeadlineGuard::set(Instant::now() + TIME_LIMIT);
            self.engine.eval_ast_with_scope::<Dynamic>(&mut scope, ast)
        };
        match result {
            Ok(value) => output_from_dynamic(value),
            Err(err) => Err(eval_failure(&err)),
        }
    }
}

/// Classifies an evaluation error, looking through function-call wrappers to the cause.
fn eval_failure(err: &EvalAltResult) -> ScriptFailure {
    let mut cause = err;
    let mut calls = Vec::new();
    loop {
        match cause {
            EvalAltResult::ErrorInFunctionCall(name, _, inner, _) => {
                calls.push(if name.starts_with("anon$") {
                    "closure".to_owned()
                } else {
                    format!("function '{name}'")
                });
                cause = inner;
            }
            EvalAltResult::ErrorInModule(_, inner, _) => cause = inner,
            _ => break,
        }
    }
    let position = if cause.position().is_none() {
        err.position()
    } else {
        cause.position()
    };
    let (kind, mut message) = match cause {
        EvalAltResult::ErrorTerminated(token, _)
            if token
                .clone()
                .into_string()
                .is_ok_and(|t| t == DEADLINE_TOKEN) =>
        {
            (
                ScriptFailureKind::Timeout,
                format!(
                    "script exceeded the {} ms time limit",
                    TIME_LIMIT.as_millis()
                ),
            )
        }
        EvalAltResult::ErrorTooManyOperations(_) => (
            ScriptFailureKind::Limit,
            format!("script exceeded {MAX_OPERATIONS} operations"),
        ),
        EvalAltResult::ErrorTerminated(..)
        | EvalAltResult::ErrorTooManyVariables(_)
        | EvalAltResult::ErrorTooManyModules(_) => {
            (ScriptFailureKind::Limit, message_without_position(cause))
        }
        // Rhai says only "Stack overflow" / "Length of string too large": name the limit too.
        EvalAltResult::ErrorStackOverflow(_) => (
            ScriptFailureKind::Limit,
            format!("stack overflow: function calls nested deeper than {MAX_CALL_LEVELS} levels"),
        ),
        EvalAltResult::ErrorDataTooLarge(what, _) => {
            let limit = match what.as_str() {
                w if w.contains("string") => {
                    format!("{MAX_STRING_SIZE} bytes of strings per value")
                }
                w if w.contains("array") => format!("{MAX_ARRAY_SIZE} items per array"),
                w if w.contains("map") => format!("{MAX_MAP_SIZE} keys per map"),
                _ => "the sandbox's size limits".to_owned(),
            };
            (
                ScriptFailureKind::Limit,
                format!("{} (limit: {limit})", message_without_position(cause)),
            )
        }
        _ => (ScriptFailureKind::Runtime, message_without_position(cause)),
    };
    if let Some(innermost) = calls.last() {
        message.push_str(&format!(" (in {innermost})"));
    }
    ScriptFailure {
        kind,
        diagnostic: Diagnostic::at(position, message),
    }
}

/// The error's text without the ` (line l, position c)` suffix Rhai appends (the diagnostic has those).
pub(crate) fn message_without_position(err: &EvalAltResult) -> String {
    let text = err.to_string();
    let position = err.position();
    if position.is_none() {
        return text;
    }
    let suffix = format!(" ({position})");
    text.strip_suffix(&suffix)
        .map_or_else(|| text.clone(), str::to_owned)
}

/// Checks a script's return value against the contract (§6.2).
fn output_from_dynamic(value: Dynamic) -> Result<ScriptOutput, ScriptFailure> {
    let value = value.flatten();
    if value.is_map() {
        let map = value
            .try_cast::<Map>()
            .ok_or_else(|| ScriptFailure::runtime(BAD_RETURN))?;
        return output_from_map(&map);
    }
    Ok(ScriptOutput {
        value: number_or_unit(&value, BAD_RETURN)?,
        ..ScriptOutput::default()
    })
}

/// A finite number, or `()` as `None`; anything else fails with `what`.
fn number_or_unit(value: &Dynamic, what: &str) -> Result<Option<f64>, ScriptFailure> {
    let value = value.flatten_clone();
    let number = if value.is_unit() {
        return Ok(None);
    } else if let Ok(i) = value.as_int() {
        i as f64
    } else if let Ok(x) = value.as_float() {
        x
    } else {
        return Err(ScriptFailure::runtime(format!(
            "{what} (got {})",
            value.type_name()
        )));
    };
    if number.is_finite() {
        Ok(Some(number))
    } else {
        Err(ScriptFailure::runtime(format!("{what} (got {number})")))
    }
}

fn output_from_map(map: &Map) -> Result<ScriptOutput, ScriptFailure> {
    if let Some(key) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "value" | "warnings" | "details"))
    {
        return Err(ScriptFailure::runtime(format!(
            "result map has an unknown key `{key}` (allowed: value, warnings, details)"
        )));
    }
    let value = map
        .get("value")
        .ok_or_else(|| ScriptFailure::runtime("result map must have a `value` (a number or ())"))?;
    let value = number_or_unit(value, "result `value` must be a finite number or ()")?;

    let warnings = match map.get("warnings").map(Dynamic::flatten_clone) {
        None => Vec::new(),
        Some(list) if list.is_unit() => Vec::new(),
        Some(list) => {
            let list = list.into_array().map_err(|got| {
                ScriptFailure::runtime(format!("result `warnings` must be an array (got {got})"))
            })?;
            list.iter()
                .enumerate()
                .map(|(i, item)| warning_from_dynamic(i, item))
                .collect::<Result<_, _>>()?
        }
    };

    let details = match map.get("details").map(Dynamic::flatten_clone) {
        None => serde_json::Map::new(),
        Some(details) if details.is_unit() => serde_json::Map::new(),
        Some(details) => match dynamic_to_json(&details, 0) {
            Ok(serde_json::Value::Object(object)) => object,
            Ok(_) => {
                return Err(ScriptFailure::runtime(format!(
                    "result `details` must be a map (got {})",
                    details.type_name()
                )));
            }
            Err(message) => {
                return Err(ScriptFailure::runtime(format!(
                    "result `details`: {message}"
                )));
            }
        },
    };
    Ok(ScriptOutput {
        value,
        warnings,
        details,
    })
}

fn warning_from_dynamic(index: usize, item: &Dynamic) -> Result<ScriptWarning, ScriptFailure> {
    let fail = |message: String| ScriptFailure::runtime(format!("warnings[{index}]: {message}"));
    let item = item.flatten_clone();
    let type_name = item.type_name();
    let map = item.try_cast::<Map>().ok_or_else(|| {
        fail(format!(
            "must be a map #{{code, priority, message}} (got {type_name})"
        ))
    })?;
    if let Some(key) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "code" | "priority" | "message"))
    {
        return Err(fail(format!(
            "unknown key `{key}` (allowed: code, priority, message)"
        )));
    }
    let text = |key: &str| -> Result<Option<String>, ScriptFailure> {
        match map.get(key).map(Dynamic::flatten_clone) {
            None => Ok(None),
            Some(v) if v.is_unit() => Ok(None),
            Some(v) => v
                .into_string()
                .map(Some)
                .map_err(|got| fail(format!("`{key}` must be a string (got {got})"))),
        }
    };
    let code = text("code")?.ok_or_else(|| fail("`code` is required".to_owned()))?;
    if !is_snake_case(&code) {
        return Err(fail(format!(
            "`code` must be lower snake_case (got \"{code}\")"
        )));
    }
    let priority = text("priority")?.unwrap_or_else(|| "normal".to_owned());
    if !matches!(priority.as_str(), "low" | "normal" | "high") {
        return Err(fail(format!(
            "`priority` must be low, normal or high (got \"{priority}\")"
        )));
    }
    let message = text("message")?.unwrap_or_else(|| code.clone());
    Ok(ScriptWarning {
        code,
        priority,
        message,
    })
}

pub(crate) fn is_snake_case(code: &str) -> bool {
    code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Converts plain Rhai data to JSON: () -> null, bool, INT, FLOAT (non-finite -> null), string, char,
/// array, map. Other types (function pointers, custom types) are an error.
pub(crate) fn dynamic_to_json(value: &Dynamic, depth: usize) -> Result<serde_json::Value, String> {
    use serde_json::Value;
    if depth > MAX_DETAILS_DEPTH {
        return Err(format!("nested deeper than {MAX_DETAILS_DEPTH} levels"));
    }
    let value = value.flatten_clone();
    Ok(if value.is_unit() {
        Value::Null
    } else if let Ok(b) = value.as_bool() {
        Value::Bool(b)
    } else if let Ok(i) = value.as_int() {
        Value::from(i)
    } else if let Ok(x) = value.as_float() {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    } else if let Ok(c) = value.as_char() {
        Value::String(c.to_string())
    } else if value.is_string() {
        Value::String(value.into_string().unwrap_or_default())
    } else if value.is_array() {
        let items = value.into_array().unwrap_or_default();
        Value::Array(
            items
                .iter()
                .map(|item| dynamic_to_json(item, depth + 1))
                .collect::<Result<_, _>>()?,
        )
    } else if value.is_map() {
        let map = value.try_cast::<Map>().unwrap_or_default();
        let mut object = serde_json::Map::new();
        for (key, item) in &map {
            let item = dynamic_to_json(item, depth + 1).map_err(|e| format!("{key}: {e}"))?;
            object.insert(key.to_string(), item);
        }
        Value::Object(object)
    } else {
        return Err(format!("unsupported value of type {}", value.type_name()));
    })
}

/// Converts JSON to Rhai: null -> (), integers -> INT, other numbers -> FLOAT, objects -> maps.
pub(crate) fn json_to_dynamic(value: &serde_json::Value) -> Dynamic {
    use serde_json::Value;
    match value {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => Dynamic::from_bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Dynamic::from_int(i),
            None => Dynamic::from_float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Dynamic::from(s.clone()),
        Value::Array(items) => Dynamic::from_array(items.iter().map(json_to_dynamic).collect()),
        Value::Object(object) => Dynamic::from_map(
            object
                .iter()
                .map(|(k, v)| (k.as_str().into(), json_to_dynamic(v)))
                .collect::<Map>(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> EvalContext {
        EvalContext {
            kpi: "efficiency".into(),
            client_id: "BOOT".into(),
            from: "2025-12-01".into(),
            to: "2025-12-31".into(),
            settings: serde_json::Value::Null,
        }
    }

    fn run(source: &str) -> Result<ScriptOutput, ScriptFailure> {
        let sandbox = Sandbox::new();
        let ast = sandbox.compile(source)?;
        sandbox.eval(&ast, &ctx(), &BTreeMap::new())
    }

    fn run_err(source: &str) -> ScriptFailure {
        run(source).expect_err("the script should fail")
    }

    #[test]
    fn sandbox_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Sandbox>();
    }

    #[test]
    fn numbers_and_unit_are_values() {
        assert_eq!(run("40 + 2").unwrap().value, Some(42.0));
        assert_eq!(run("1.5 * 2.0").unwrap().value, Some(3.0));
        assert_eq!(run("()").unwrap().value, None);
        assert_eq!(run("if true { return (); } 1").unwrap().value, None);
    }

    #[test]
    fn inputs_scope_and_context_are_visible() {
        let sandbox = Sandbox::new();
        let ast = sandbox
            .compile(
                r#"
                if kpi != "efficiency" || client_id != "BOOT" || period.from != "2025-12-01" || period.to != "2025-12-31" { throw "ctx"; }
                if input.hours != hours || type_of(count) != "i64" || type_of(hours) != "f64" { throw "input"; }
                if nested.list[1].x != 7 || maybe != () { throw "nested"; }
                hours * count + settings.bonus
            "#,
            )
            .unwrap();
        let input = BTreeMap::from([
            ("hours".to_owned(), ScriptValue::Float(2.5)),
            ("count".to_owned(), ScriptValue::Int(4)),
            ("maybe".to_owned(), ScriptValue::Unit),
            (
                "nested".to_owned(),
                ScriptValue::Map(BTreeMap::from([(
                    "list".to_owned(),
                    ScriptValue::Array(vec![
                        ScriptValue::Bool(true),
                        ScriptValue::Map(BTreeMap::from([("x".to_owned(), ScriptValue::Int(7))])),
                    ]),
                )])),
            ),
        ]);
        let ctx = EvalContext {
            settings: json!({"bonus": 0.5}),
            ..ctx()
        };
        assert_eq!(sandbox.eval(&ast, &ctx, &input).unwrap().value, Some(10.5));
    }

    #[test]
    fn inputs_are_constants() {
        let sandbox = Sandbox::new();
        let ast = sandbox.compile("hours = 1.0; hours").unwrap();
        let input = BTreeMap::from([("hours".to_owned(), ScriptValue::Float(2.5))]);
        let failure = sandbox.eval(&ast, &ctx(), &input).unwrap_err();
        assert_eq!(failure.kind, ScriptFailureKind::Runtime);
    }

    #[test]
    fn compile_error_has_line_and_column() {
        let failure = run_err("let x = 1;\nlet y = x +;\n");
        assert_eq!(failure.kind, ScriptFailureKind::Compile);
        assert_eq!(
            (failure.diagnostic.line, failure.diagnostic.column),
            (2, 12),
            "{failure}"
        );
        assert!(
            failure.to_string().starts_with("compile error at 2:12: "),
            "{failure}"
        );
    }

    #[test]
    fn runtime_error_has_line_and_column() {
        let failure = run_err("let x = 1;\nlet y = missing + 1;\ny");
        assert_eq!(failure.kind, ScriptFailureKind::Runtime);
        assert_eq!(
            (failure.diagnostic.line, failure.diagnostic.column),
            (2, 9),
            "{failure}"
        );
        assert!(failure.diagnostic.message.contains("missing"), "{failure}");
    }

    #[test]
    fn error_inside_a_function_points_at_the_cause() {
        let failure = run_err("fn f(x) {\n  x / 0\n}\nf(1)");
        assert_eq!(failure.kind, ScriptFailureKind::Runtime);
        assert_eq!(failure.diagnostic.line, 2, "{failure}");
        assert!(
            failure.diagnostic.message.ends_with("(in function 'f')"),
            "{failure}"
        );
    }

    #[test]
    fn infinite_loop_is_stopped() {
        let started = Instant::now();
        let failure = run_err("let x = 0;\nloop { x += 1; }");
        assert!(
            matches!(
                failure.kind,
                ScriptFailureKind::Limit | ScriptFailureKind::Timeout
            ),
            "{failure}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "took {:?}",
            started.elapsed()
        );
    }

    #[test]
    fn deadline_terminates_as_timeout() {
        // Simulate a deadline that already passed: the first check (at 1 000 operations) fires.
        let sandbox = Sandbox::new();
        let ast = sandbox.compile("loop {}").unwrap();
        let outer = DeadlineGuard::set(Instant::now());
        let mut scope = Scope::new();
        let err = sandbox
            .engine
            .eval_ast_with_scope::<Dynamic>(&mut scope, &ast)
            .unwrap_err();
        drop(outer);
        let failure = eval_failure(&err);
        assert_eq!(failure.kind, ScriptFailureKind::Timeout, "{failure}");
        assert!(
            DEADLINE.with(Cell::get).is_none(),
            "guard restores the previous deadline"
        );
    }

    #[test]
    fn slow_native_calls_hit_the_deadline() {
        // Few operations, each a scan of a 100 000-item array: the operation limit is far away.
        let started = Instant::now();
        let failure = run_err("let a = [];\na.pad(100000, 0);\nloop { a.contains(1); }");
        assert_eq!(failure.kind, ScriptFailureKind::Timeout, "{failure}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "took {:?}",
            started.elapsed()
        );
        assert_eq!(failure.diagnostic.line, 3, "{failure}");
    }

    #[test]
    fn deep_recursion_is_a_limit() {
        let failure = run_err("fn f(n) { f(n + 1) }\nf(0)");
        assert_eq!(failure.kind, ScriptFailureKind::Limit, "{failure}");
    }

    #[test]
    fn huge_string_is_a_limit() {
        let failure = run_err(r#"let s = "abcdefgh"; loop { s += s; }"#);
        assert_eq!(failure.kind, ScriptFailureKind::Limit, "{failure}");
        assert!(
            failure
                .to_string()
                .contains("1048576 bytes of strings per value"),
            "{failure}"
        );
    }

    #[test]
    fn hundreds_of_work_order_ids_fit() {
        // 300 ids of 21 bytes = 6 300 bytes of strings in one array: over the old 4 KiB,
        // which Rhai applies to the sum of an array's strings.
        let orders: Vec<ScriptValue> = (0..300)
            .map(|i| {
                ScriptValue::Map(BTreeMap::from([(
                    "work_order_id".to_owned(),
                    ScriptValue::Str(format!("2025-12-15-ROPER-{i:04}")),
                )]))
            })
            .collect();
        let input = BTreeMap::from([("orders".to_owned(), ScriptValue::Array(orders))]);
        let sandbox = Sandbox::new();
        let ast = sandbox
            .compile("let late = []; for o in orders { late.push(o.work_order_id); } late.len() + orders.len()")
            .unwrap();
        let out = sandbox.eval(&ast, &ctx(), &input).expect("ids fit");
        assert_eq!(out.value, Some(600.0));
    }

    #[test]
    fn huge_array_is_a_limit() {
        let failure = run_err("let a = [1, 2, 3, 4]; loop { a += a; }");
        assert_eq!(failure.kind, ScriptFailureKind::Limit, "{failure}");
        let failure = run_err("let a = []; a.pad(200000, 0); a.len()");
        assert_eq!(failure.kind, ScriptFailureKind::Limit, "{failure}");
    }

    #[test]
    fn huge_map_is_a_limit() {
        let failure = run_err("let m = #{}; for i in 0..2000 { m[`k${i}`] = i; } m.len()");
        assert_eq!(failure.kind, ScriptFailureKind::Limit, "{failure}");
    }

    #[test]
    fn too_many_variables_is_a_limit() {
        let mut source = String::new();
        for i in 0..300 {
            source.push_str(&format!("let v{i} = {i};\n"));
        }
        source.push_str("v0");
        let failure = run_err(&source);
        assert_eq!(failure.kind, ScriptFailureKind::Limit, "{failure}");
    }

    #[test]
    fn too_deep_expression_is_refused() {
        let source = format!("{}1{}", "(".repeat(100), ")".repeat(100));
        assert_eq!(run_err(&source).kind, ScriptFailureKind::Compile);
    }

    #[test]
    fn too_many_functions_are_refused() {
        let source: String = (0..70).map(|i| format!("fn f{i}() {{ {i} }}\n")).collect();
        assert_eq!(
            run_err(&format!("{source}1")).kind,
            ScriptFailureKind::Compile
        );
    }

    #[test]
    fn import_is_refused() {
        let failure = run_err("import \"x\" as x;\n1");
        assert_eq!(failure.kind, ScriptFailureKind::Compile, "{failure}");
        assert_eq!(failure.diagnostic.line, 1);
        assert!(run("import \"x\";\n1").is_err());
    }

    #[test]
    fn eval_is_refused() {
        let failure = run_err("eval(\"1\")");
        assert_eq!(failure.kind, ScriptFailureKind::Compile, "{failure}");
        assert!(run(r#"let f = Fn("eval"); f.call("1")"#).is_err());
        assert!(run(r#"call(Fn("eval"), "1")"#).is_err());
    }

    #[test]
    fn no_time_sleep_or_io_functions() {
        for source in [
            "sleep(1)",
            "sleep(0.5)",
            "timestamp()",
            "let t = timestamp(); t.elapsed",
            "exit(1)",
            "parse_json(`{}`)",
            "open_file(\"/etc/passwd\")",
            "rand()",
        ] {
            let failure = run_err(source);
            assert_eq!(
                failure.kind,
                ScriptFailureKind::Runtime,
                "{source}: {failure}"
            );
            assert!(
                failure.diagnostic.message.contains("not found"),
                "{source}: {failure}"
            );
        }
    }

    #[test]
    fn print_and_debug_do_not_fail() {
        assert_eq!(
            run("print(\"hello\"); debug(42); 1").unwrap().value,
            Some(1.0)
        );
    }

    #[test]
    fn everyday_functions_are_available() {
        let source = r#"
            let xs = [3.0, 1.0, 2.0];
            xs.sort();
            let total = 0.0;
            for x in xs { total += x; }
            let m = #{ a: 1 };
            m.b = 2;
            let s = `n=${xs.len()}`;
            if s != "n=3" || !m.contains("b") || "abc".len() != 3 { throw "broken"; }
            let f = |x| x * 2.0;
            f.call(total).round() + abs(-1) + max(1, 2) + (10.0).sqrt().floor() + 2 ** 3
        "#;
        // 12 + 1 + 2 + 3 + 8
        assert_eq!(run(source).unwrap().value, Some(26.0));
    }

    #[test]
    fn string_result_is_a_runtime_failure() {
        let failure = run_err("\"23.15\"");
        assert_eq!(failure.kind, ScriptFailureKind::Runtime);
        assert!(
            failure.diagnostic.message.starts_with(BAD_RETURN),
            "{failure}"
        );
        for source in ["true", "[1.0]", "|| 1", "'c'"] {
            assert_eq!(run_err(source).kind, ScriptFailureKind::Runtime, "{source}");
        }
    }

    #[test]
    fn nan_and_infinity_are_rejected() {
        for source in [
            "0.0 / 0.0",
            "1.0 / 0.0",
            "-1.0 / 0.0",
            "#{ value: 0.0 / 0.0 }",
            "(-1.0).sqrt()",
        ] {
            let failure = run_err(source);
            assert_eq!(
                failure.kind,
                ScriptFailureKind::Runtime,
                "{source}: {failure}"
            );
        }
    }

    #[test]
    fn map_result_with_warnings_and_details_is_parsed() {
        let output = run(r#"
            let warnings = [];
            warnings.push(#{ code: "exceeds_theoretical_maximum", priority: "normal", message: "Above 100 %" });
            warnings.push(#{ code: "below_plausible_minimum", priority: "high" });
            #{ value: 120, warnings: warnings,
               details: #{ n: 3, share: 0.5, ok: true, name: "x", none: (), list: [1, 2.5], inner: #{ c: 'c' } } }
        "#)
        .unwrap();
        assert_eq!(output.value, Some(120.0));
        assert_eq!(
            output.warnings,
            vec![
                ScriptWarning {
                    code: "exceeds_theoretical_maximum".into(),
                    priority: "normal".into(),
                    message: "Above 100 %".into(),
                },
                ScriptWarning {
                    code: "below_plausible_minimum".into(),
                    priority: "high".into(),
                    message: "below_plausible_minimum".into(),
                },
            ]
        );
        assert_eq!(
            serde_json::Value::Object(output.details),
            json!({"n": 3, "share": 0.5, "ok": true, "name": "x", "none": null, "list": [1, 2.5], "inner": {"c": "c"}})
        );
        assert_eq!(run("#{ value: () }").unwrap(), ScriptOutput::default());
    }

    #[test]
    fn malformed_result_maps_are_runtime_failures() {
        for source in [
            "#{ warnings: [] }",
            "#{ value: 1, warning: [] }",
            "#{ value: \"1\" }",
            "#{ value: 1, warnings: \"x\" }",
            "#{ value: 1, warnings: [\"x\"] }",
            "#{ value: 1, warnings: [#{ priority: \"high\" }] }",
            "#{ value: 1, warnings: [#{ code: \"Bad Code\" }] }",
            "#{ value: 1, warnings: [#{ code: \"x\", priority: \"urgent\" }] }",
            "#{ value: 1, details: [1] }",
            "#{ value: 1, details: #{ f: Fn(\"abs\") } }",
        ] {
            assert_eq!(run_err(source).kind, ScriptFailureKind::Runtime, "{source}");
        }
    }

    #[test]
    fn failure_kind_strings() {
        let kinds = [
            ScriptFailureKind::Compile,
            ScriptFailureKind::Runtime,
            ScriptFailureKind::Limit,
            ScriptFailureKind::Timeout,
        ];
        let names: Vec<_> = kinds.iter().map(|k| k.as_str()).collect();
        assert_eq!(names, ["compile", "runtime", "limit", "timeout"]);
        assert_eq!(serde_json::to_value(kinds).unwrap(), json!(names));
    }

    #[test]
    fn script_values_round_trip_through_rhai() {
        let value = ScriptValue::Map(BTreeMap::from([
            ("a".to_owned(), ScriptValue::Int(1)),
            ("b".to_owned(), ScriptValue::Float(0.5)),
            (
                "c".to_owned(),
                ScriptValue::Array(vec![ScriptValue::Unit, ScriptValue::from("s"), true.into()]),
            ),
        ]));
        assert_eq!(ScriptValue::from_dynamic(&value.to_dynamic()), Some(value));
        assert_eq!(ScriptValue::from(None::<f64>), ScriptValue::Unit);
    }
}
