//! The burst (`L`): N requests to B at concurrency C, each answer sent to the
//! model as it arrives (the runtime draws once per frame, not once per answer);
//! the channel is bounded, so a burst waits for the screen rather than piling up.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use time::OffsetDateTime;
use tokio::sync::{mpsc, watch};

use super::http::Client;
use crate::msg::{Answer, Event};

/// What to send.
#[derive(Debug, Clone)]
pub struct BurstSpec {
    pub requests: u64,
    pub concurrency: u64,
    pub msg: String,
    /// B's base URL.
    pub b_url: reqwest::Url,
    /// Prefix of the request ids: `<prefix>-<n>-<tag>`.
    pub id_prefix: String,
    /// Tags them.
    pub ids: crate::ids::RequestIds,
    /// How long each request waits for B, as the model says for B's policy now.
    pub wait: tokio::sync::watch::Receiver<std::time::Duration>,
}

/// Sends the burst; returns when every request is done or `cancel` turns true
/// (requests in flight still finish and are reported). Returns whether it was
/// cancelled.
pub async fn run(client: Client, spec: BurstSpec, cancel: watch::Receiver<bool>, events: mpsc::Sender<Event>) -> bool {
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
                let id = spec.ids.sign(&format!("{}-{n:06}", spec.id_prefix));
                let sent_at = OffsetDateTime::now_utc();
                let wait = *spec.wait.borrow();
                let outcome = client.call_echo_waiting(&spec.b_url, &id, &spec.msg, None, wait).await;
                let answer = Answer { id, sent_at, msg: spec.msg.clone(), delay_ms: None, burst: true, outcome };
                if events.send(Event::Answer(answer)).await.is_err() {
                    return;
                }
            }
        });
    }
    while let Some(joined) = workers.join_next().await {
        if let Err(error) = joined
            && error.is_panic()
        {
            // A bug, not a failed request: let the runtime see it.
            std::panic::resume_unwind(error.into_panic());
        }
    }
    *cancel.borrow()
}
