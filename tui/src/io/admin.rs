//! A service's admin listener, kept in view: asked for its state every
//! [`POLL_INTERVAL`] (B's breaker changes on its own), told of the learner's
//! changes one at a time and in order (so `+ +` ends at +500 ms whatever the
//! network does), and the model told what the service says when that changes.
//! One loop for both services; what differs is an [`Admin`].

use std::future::Future;
use std::time::Duration;

use contract::faults::{APolicy, APolicyChange, FAULTS_PATH, Faults, FaultsChange, POLICY_PATH};
use contract::policy::{PolicyChange, PolicyStatus};
use reqwest::Url;
use tokio::sync::{mpsc, watch};

use super::http::Client;
use crate::msg::{AChange, AFaultsState, Event};

/// Every fault of A off.
const NO_FAULTS: FaultsChange =
    FaultsChange { error_rate: Some(0.0), error_status: None, bad_body_rate: Some(0.0), trickle_ms: Some(0) };

/// How often a service's admin state is read.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// What one service's admin listener holds and how to read and change it.
pub trait Admin: Send + 'static {
    type State: Clone + PartialEq + Send + Sync + 'static;
    type Change: Send + Sync + 'static;
    /// The task's name, if it ends (only when the screen is gone).
    const NAME: &'static str;
    fn fetch(&self, client: &Client, url: &Url) -> impl Future<Output = Result<Self::State, String>> + Send;
    fn apply(
        &self,
        client: &Client,
        url: &Url,
        change: &Self::Change,
    ) -> impl Future<Output = Result<Self::State, String>> + Send;
    /// Where the listener answers, for the model.
    fn found(&self, url: String) -> Event;
    fn event(&self, seen: Result<Self::State, String>, answers_change: bool) -> Event;
    /// Why a change cannot be sent yet.
    fn not_known(&self) -> String;
}

/// Runs for ever: polls the listener wherever `url` says it is, and sends `changes`.
pub async fn run<A: Admin>(
    admin: A,
    client: Client,
    mut url: watch::Receiver<Option<Url>>,
    mut changes: mpsc::Receiver<A::Change>,
    events: mpsc::Sender<Event>,
) -> &'static str {
    let mut interval = tokio::time::interval(POLL_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = None;
    loop {
        let change = tokio::select! {
            _ = interval.tick() => None,
            changed = url.changed() => {
                if changed.is_err() {
                    // The supervisor is gone: only at shutdown, which ends us too.
                    std::future::pending::<()>().await;
                }
                let found = url.borrow_and_update().clone();
                if let Some(found) = found
                    && events.send(admin.found(found.as_str().trim_end_matches('/').to_owned())).await.is_err()
                {
                    return A::NAME;
                }
                None
            }
            change = changes.recv() => match change {
                Some(change) => Some(change),
                None => std::future::pending().await,
            },
        };
        let at = url.borrow().clone();
        let seen = match (&at, &change) {
            (None, None) => continue,
            (None, Some(_)) => Err(admin.not_known()),
            (Some(at), None) => admin.fetch(&client, at).await,
            (Some(at), Some(change)) => admin.apply(&client, at, change).await,
        };
        if change.is_some() || last.as_ref() != Some(&seen) {
            last = Some(seen.clone());
            if events.send(admin.event(seen, change.is_some())).await.is_err() {
                return A::NAME;
            }
        }
    }
}

/// B's call policy (`/policy`).
pub struct BPolicy;

impl Admin for BPolicy {
    type State = PolicyStatus;
    type Change = PolicyChange;
    const NAME: &'static str = "the policy watch";

    fn fetch(&self, client: &Client, url: &Url) -> impl Future<Output = Result<PolicyStatus, String>> + Send {
        client.policy(url)
    }

    fn apply(
        &self,
        client: &Client,
        url: &Url,
        change: &PolicyChange,
    ) -> impl Future<Output = Result<PolicyStatus, String>> + Send {
        client.change_policy(url, change)
    }

    fn found(&self, url: String) -> Event {
        Event::PolicyAdmin(url)
    }

    fn event(&self, seen: Result<PolicyStatus, String>, answers_change: bool) -> Event {
        Event::Policy { seen, answers_change }
    }

    fn not_known(&self) -> String {
        "B's admin listener is not known yet".into()
    }
}

/// A's faults (`/faults`) and its policy (`/policy`: dedup).
pub struct AFaults;

impl Admin for AFaults {
    type State = AFaultsState;
    type Change = AChange;
    const NAME: &'static str = "the faults watch";

    async fn fetch(&self, client: &Client, url: &Url) -> Result<AFaultsState, String> {
        let faults: Faults = client.admin_get(url, FAULTS_PATH.trim_start_matches('/')).await?;
        let policy: APolicy = client.admin_get(url, POLICY_PATH.trim_start_matches('/')).await?;
        Ok(AFaultsState { faults, policy })
    }

    async fn apply(&self, client: &Client, url: &Url, change: &AChange) -> Result<AFaultsState, String> {
        let faults_path = FAULTS_PATH.trim_start_matches('/');
        let policy_path = POLICY_PATH.trim_start_matches('/');
        let (faults, policy) = match change {
            AChange::Faults(change) => {
                let faults: Faults = client.admin_put(url, faults_path, change).await?;
                (faults, client.admin_get(url, policy_path).await?)
            }
            AChange::Policy(change) => {
                let policy: APolicy = client.admin_put(url, policy_path, change).await?;
                (client.admin_get(url, faults_path).await?, policy)
            }
            AChange::Reset => {
                let faults: Faults = client.admin_put(url, faults_path, &NO_FAULTS).await?;
                let policy: APolicy = client.admin_put(url, policy_path, &APolicyChange { dedup: Some(false) }).await?;
                (faults, policy)
            }
        };
        Ok(AFaultsState { faults, policy })
    }

    fn found(&self, url: String) -> Event {
        Event::AAdmin(url)
    }

    fn event(&self, seen: Result<AFaultsState, String>, answers_change: bool) -> Event {
        Event::AFaults { seen, answers_change }
    }

    fn not_known(&self) -> String {
        "A's admin listener is not known yet (an A started by hand needs --admin-addr, and the dashboard --a-admin-url)"
            .into()
    }
}
