//! The burst (`l`): N requests to B at concurrency C, each answer sent to the
//! app as it arrives (the app draws once per frame, not once per answer).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use time::OffsetDateTime;
use tokio::sync::{mpsc, watch};

use crate::event::{Answer, Event};
use crate::http::Client;

/// What to send.
#[derive(Debug, Clone)]
pub struct BurstSpec {
    pub requests: u64,
    pub concurrency: u64,
    pub msg: String,
    /// Prefix of the request ids: `<prefix>-<n>`.
    pub id_prefix: String,
}

/// Sends the burst; returns when every request is done or `cancel` turns true
/// (requests in flight still finish and are reported). Returns whether it was
/// cancelled.
pub async fn run(
    client: Client,
    spec: BurstSpec,
    cancel: watch::Receiver<bool>,
    events: mpsc::UnboundedSender<Event>,
) -> bool {
    let next = Arc::new(AtomicU64::new(0));
    let spec = Arc::new(spec);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..spec.concurrency.max(1) {
        let (client, spec, next, cancel, events) =
            (client.clone(), spec.clone(), next.clone(), cancel.clone(), events.clone());
        workers.spawn(async move {
            loop {
                if *cancel.borrow() {
                    return;
                }
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= spec.requests {
                    return;
                }
                let id = format!("{}-{n:06}", spec.id_prefix);
                let sent_at = OffsetDateTime::now_utc();
                let outcome = client.call_echo(&id, &spec.msg, None).await;
                let answer = Answer { id, sent_at, msg: spec.msg.clone(), delay_ms: None, burst: true, outcome };
                if events.send(Event::Answer(answer)).is_err() {
                    return;
                }
            }
        });
    }
    while workers.join_next().await.is_some() {}
    *cancel.borrow()
}
