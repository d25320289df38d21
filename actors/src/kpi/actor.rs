//! The KPI actor: one `SyncArbiter` thread owns the Rhai sandbox and the compiled-script cache
//! (by client, KPI and version, so a new version never hits a stale entry). Rust gathers and
//! infers the inputs elsewhere; here the script only combines them.
use super::script::{EvalContext, Sandbox, ScriptFailure, ScriptOutput, ScriptValue};
use crate::error::EngineError;
use crate::metrics::EngineMetrics;
use actix::{Actor, Addr, Handler, Message, SyncArbiter, SyncContext};
use rhai::AST;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::sync::Semaphore;

const SLOTS: usize = 256;

pub struct Evaluate {
    pub kpi: String,
    pub client_id: String,
    pub version: i64,
    pub source: Arc<str>,
    pub ctx: EvalContext,
    pub input: BTreeMap<String, ScriptValue>,
}

impl Message for Evaluate {
    type Result = Result<ScriptOutput, ScriptFailure>;
}

struct KpiActor {
    sandbox: Sandbox,
    cache: HashMap<(String, String, i64), Arc<AST>>,
    metrics: EngineMetrics,
}

impl Actor for KpiActor {
    type Context = SyncContext<Self>;
}

impl Handler<Evaluate> for KpiActor {
    type Result = Result<ScriptOutput, ScriptFailure>;

    fn handle(&mut self, msg: Evaluate, _: &mut SyncContext<Self>) -> Self::Result {
        let key = (msg.client_id.clone(), msg.kpi.clone(), msg.version);
        let ast = match self.cache.get(&key) {
            Some(ast) => ast.clone(),
            None => {
                let ast = self.sandbox.compile(&msg.source)?;
                self.cache.insert(key, ast.clone());
                ast
            }
        };
        let result = self.sandbox.eval(&ast, &msg.ctx, &msg.input);
        if let Err(f) = &result {
            self.metrics
                .script_errors
                .with_label_values(&[msg.kpi.as_str(), f.kind.as_str()])
                .inc();
        }
        result
    }
}

/// Bounded handle: a caller facing a saturated actor gets `Busy` at once.
#[derive(Clone)]
pub struct KpiHandle {
    addr: Addr<KpiActor>,
    slots: Arc<Semaphore>,
}

impl KpiHandle {
    pub fn start(metrics: EngineMetrics) -> KpiHandle {
        // One thread is enough on two cores; Rhai evaluations take microseconds.
        let m = metrics.clone();
        let addr = SyncArbiter::start(1, move || KpiActor {
            sandbox: Sandbox::new(),
            cache: HashMap::new(),
            metrics: m.clone(),
        });
        KpiHandle {
            addr,
            slots: Arc::new(Semaphore::new(SLOTS)),
        }
    }

    pub fn depth(&self) -> i64 {
        (SLOTS - self.slots.available_permits()) as i64
    }

    pub async fn evaluate(
        &self,
        msg: Evaluate,
    ) -> Result<Result<ScriptOutput, ScriptFailure>, EngineError> {
        let _slot = self
            .slots
            .clone()
            .try_acquire_owned()
            .map_err(|_| EngineError::Busy)?;
        self.addr.send(msg).await.map_err(|_| EngineError::Busy)
    }
}
