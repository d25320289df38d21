//! The request id of the work in progress, so AUDIT_LOG rows name the request that caused them
//! (ingest.md §10). The edge sets `REQUEST_ID` for each request's task; `Engine::write` carries
//! it into the writer thread, where it is current for the duration of that one job.
use std::cell::RefCell;

tokio::task_local! {
    /// The request id of the request being served (set by the edge's request-id middleware).
    pub static REQUEST_ID: String;
}

thread_local! {
    /// The request id of the writer job running on this thread.
    static JOB_REQUEST_ID: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The current request id: the task's, else the running writer job's.
pub fn current() -> Option<String> {
    REQUEST_ID
        .try_with(Clone::clone)
        .ok()
        .or_else(|| JOB_REQUEST_ID.with(|r| r.borrow().clone()))
        .filter(|s| !s.is_empty())
}

/// Runs `f` (a writer job) with `id` as the current request id of this thread.
pub(crate) fn in_job<R>(id: Option<String>, f: impl FnOnce() -> R) -> R {
    let previous = JOB_REQUEST_ID.with(|r| r.replace(id));
    let out = f();
    JOB_REQUEST_ID.with(|r| *r.borrow_mut() = previous);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_sees_its_request_id_and_restores_the_previous() {
        assert_eq!(current(), None);
        let seen = in_job(Some("req-1".into()), || {
            in_job(Some("req-2".into()), current);
            current()
        });
        assert_eq!(seen.as_deref(), Some("req-1"));
        assert_eq!(current(), None);
    }

    #[tokio::test]
    async fn the_task_local_wins() {
        let seen = REQUEST_ID
            .scope("task-7".into(), async {
                in_job(Some("job".into()), current)
            })
            .await;
        assert_eq!(seen.as_deref(), Some("task-7"));
    }
}
