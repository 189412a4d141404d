//! The steady load (`l`): requests to B at a fixed rate, evenly spaced, until
//! stopped. Each send is scheduled at `start + n / rate`, so a late wake-up
//! sends what is due at once and the rate holds over time; each request runs
//! as its own task, so a slow B raises the number in flight, not the interval.

use std::time::Duration;

use reqwest::Url;
use time::OffsetDateTime;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::http::Client;
use crate::msg::{Answer, Event};

/// How often the number sent so far is reported.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// What to send.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    /// Requests per second.
    pub rate: u32,
    pub msg: String,
    pub b_url: Url,
    /// Prefix of the request ids: `<prefix>-<n>-<tag>`.
    pub id_prefix: String,
    /// Tags them.
    pub ids: crate::ids::RequestIds,
    /// How long each request waits for B, as the model says for B's policy now.
    pub wait: watch::Receiver<Duration>,
}

/// Sends until `stop` turns true, then waits for the requests in flight
/// (each bounded by the client's timeout). Returns how many were sent.
pub async fn run(client: Client, spec: LoadSpec, mut stop: watch::Receiver<bool>, events: mpsc::Sender<Event>) -> u64 {
    let period = Duration::from_secs(1) / spec.rate.max(1);
    let started = Instant::now();
    let mut in_flight = JoinSet::new();
    let mut sent: u64 = 0;
    let mut reported = Instant::now();
    while !*stop.borrow() {
        let due = started + period * u32::try_from(sent).unwrap_or(u32::MAX);
        tokio::select! {
            () = tokio::time::sleep_until(due) => {}
            _ = stop.changed() => break,
        }
        let id = spec.ids.sign(&format!("{}-{sent:06}", spec.id_prefix));
        sent += 1;
        let (client, answers, msg, b_url) = (client.clone(), events.clone(), spec.msg.clone(), spec.b_url.clone());
        let wait = *spec.wait.borrow();
        in_flight.spawn(async move {
            let sent_at = OffsetDateTime::now_utc();
            let outcome = client.call_echo_waiting(&b_url, &id, &msg, None, wait).await;
            let answer = Answer { id, sent_at, msg, delay_ms: None, burst: true, outcome };
            let _ = answers.send(Event::LoadAnswer(answer)).await;
        });
        while let Some(joined) = in_flight.try_join_next() {
            propagate_panic(joined);
        }
        if reported.elapsed() >= PROGRESS_EVERY {
            reported = Instant::now();
            if events.send(Event::LoadSent(sent)).await.is_err() {
                break;
            }
        }
    }
    let _ = events.send(Event::LoadSent(sent)).await;
    while let Some(joined) = in_flight.join_next().await {
        propagate_panic(joined);
    }
    sent
}

/// A panicked request task is a bug, not a failed request: let the runtime see it.
fn propagate_panic(joined: Result<(), tokio::task::JoinError>) {
    if let Err(error) = joined
        && error.is_panic()
    {
        std::panic::resume_unwind(error.into_panic());
    }
}
