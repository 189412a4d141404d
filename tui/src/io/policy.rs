//! B's call policy, kept in view: asks B's admin listener for it every
//! [`POLL_INTERVAL`] (the breaker's state changes on its own), reports what it
//! says when that changes, and sends the learner's changes.

use std::time::Duration;

use contract::policy::{Policy, PolicyChange};
use reqwest::Url;
use tokio::sync::{mpsc, watch};

use super::http::Client;
use crate::msg::Event;

/// How often B's policy and breaker state are read.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Polls B's admin listener (wherever `admin` says it is) for ever and sends
/// the learner's `changes` to it, one at a time and in order (so `+ +` ends at
/// +500 ms whatever the network does). Tells the model what B says when that
/// changes, publishes the policy on `policy` (for a B started again) and B's
/// budget to `client`.
pub async fn run(
    client: Client,
    mut admin: watch::Receiver<Option<Url>>,
    policy: watch::Sender<Option<Policy>>,
    mut changes: mpsc::Receiver<PolicyChange>,
    events: mpsc::Sender<Event>,
) -> &'static str {
    let mut interval = tokio::time::interval(POLL_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = None;
    loop {
        let change = tokio::select! {
            _ = interval.tick() => None,
            changed = admin.changed() => {
                if changed.is_err() {
                    // The supervisor is gone: only at shutdown, which ends us too.
                    std::future::pending::<()>().await;
                }
                let url = admin.borrow_and_update().clone();
                if let Some(url) = url
                    && events.send(Event::PolicyAdmin(url.as_str().trim_end_matches('/').to_owned())).await.is_err()
                {
                    return "the policy watch";
                }
                None
            }
            change = changes.recv() => match change {
                Some(change) => Some(change),
                None => std::future::pending().await,
            },
        };
        let url = admin.borrow().clone();
        let seen = match (&url, &change) {
            (None, None) => continue,
            (None, Some(_)) => Err("B's admin listener is not known yet".to_owned()),
            (Some(url), None) => client.policy(url).await,
            (Some(url), Some(change)) => client.change_policy(url, change).await,
        };
        if let Ok(status) = &seen {
            client.set_b_budget(status.policy.timeout_ms);
            policy.send_if_modified(|known| known.replace(status.policy) != Some(status.policy));
        }
        if change.is_some() || last.as_ref() != Some(&seen) {
            last = Some(seen.clone());
            let event = Event::Policy { seen, answers_change: change.is_some() };
            if events.send(event).await.is_err() {
                return "the policy watch";
            }
        }
    }
}
