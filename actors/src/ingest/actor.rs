//! The ingest actor: `SyncArbiter` threads that decode, split and parse uploads, so a 10 MB
//! file never runs on an HTTP worker. The handle holds the bound (style §2.10): a `Slot` is
//! taken before parsing and kept by the service until the import's writer job has answered,
//! so at most `SLOTS` imports (their parsed rows in memory) exist at once; one more → `Busy`.
use super::{Parsed, RawRow, batch_rows, csv_rows, only_client, prepare_rows};
use crate::domain::Caller;
use crate::error::EngineError;
use crate::resources::Resource;
use actix::{Actor, Addr, Handler, Message, SyncArbiter, SyncContext};
use serde_json::{Map, Value};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Imports in flight at once (parsing or waiting for their commit). Each holds its parsed
/// rows in memory (about 1 KB per row), so this bounds memory as well as queueing.
const SLOTS: usize = 4;
/// Parser threads: uploads for different clients parse concurrently (two cores).
const THREADS: usize = 2;

/// What to parse.
pub enum Input {
    /// A CSV file and the upload's `client_id` form field.
    Csv {
        bytes: Vec<u8>,
        upload_client: Option<String>,
    },
    /// Batch entries (already JSON; the edge answers 400 for malformed JSON).
    Batch {
        entries: Vec<Value>,
        upload_client: Option<String>,
    },
    /// The bodies a preview stored, parsed again at confirm: (line, body).
    Stored {
        rows: Vec<(u64, Map<String, Value>)>,
    },
}

pub struct ParseUpload {
    pub caller: Caller,
    pub res: &'static Resource,
    pub input: Input,
}

impl Message for ParseUpload {
    type Result = Result<Parsed, EngineError>;
}

/// The pure work of the actor; also what tests and the fuzz target call.
pub fn parse_upload(msg: ParseUpload) -> Result<Parsed, EngineError> {
    let ParseUpload { caller, res, input } = msg;
    let only = only_client(&caller.scope);
    let (raws, file_warnings) = match input {
        Input::Csv {
            bytes,
            upload_client,
        } => csv_rows(res, &bytes, upload_client.as_deref(), only.as_deref())?,
        Input::Batch {
            entries,
            upload_client,
        } => (
            batch_rows(res, entries, upload_client.as_deref(), only.as_deref()),
            Vec::new(),
        ),
        Input::Stored { rows } => (
            rows.into_iter()
                .map(|(line, body)| RawRow {
                    line,
                    body,
                    errors: Vec::new(),
                })
                .collect(),
            Vec::new(),
        ),
    };
    Ok(Parsed {
        rows: prepare_rows(&caller, res, raws),
        file_warnings,
    })
}

struct IngestActor;

impl Actor for IngestActor {
    type Context = SyncContext<Self>;
}

impl Handler<ParseUpload> for IngestActor {
    type Result = Result<Parsed, EngineError>;

    fn handle(&mut self, msg: ParseUpload, _: &mut SyncContext<Self>) -> Self::Result {
        parse_upload(msg)
    }
}

/// Permission to run one import; released when dropped.
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

#[derive(Clone)]
pub struct IngestHandle {
    addr: Addr<IngestActor>,
    slots: Arc<Semaphore>,
}

impl IngestHandle {
    /// Must run inside an actix `System`.
    pub fn start() -> IngestHandle {
        IngestHandle {
            addr: SyncArbiter::start(THREADS, || IngestActor),
            slots: Arc::new(Semaphore::new(SLOTS)),
        }
    }

    /// Imports in flight (the `ingest` mailbox-depth gauge).
    pub fn depth(&self) -> i64 {
        (SLOTS - self.slots.available_permits()) as i64
    }

    /// A slot for one import, or `Busy` (→ 503 with Retry-After) at once.
    pub fn slot(&self) -> Result<Slot, EngineError> {
        let permit = self
            .slots
            .clone()
            .try_acquire_owned()
            .map_err(|_| EngineError::Busy)?;
        Ok(Slot { _permit: permit })
    }

    /// Parses on the actor's threads. The slot proves the caller was admitted.
    pub async fn parse(&self, _slot: &Slot, msg: ParseUpload) -> Result<Parsed, EngineError> {
        self.addr.send(msg).await.map_err(|_| EngineError::Busy)?
    }
}
