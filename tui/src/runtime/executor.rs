//! The executor of the model's effects: each effect carries all it needs,
//! and what comes of it returns to the model as an event. It never waits: the
//! loop that calls it is the one that empties the event queue.

use contract::Service;
use time::OffsetDateTime;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::io::burst::{self, BurstSpec};
use crate::io::http::Client;
use crate::io::link::Link;
use crate::io::load::{self, LoadSpec};
use crate::io::report;
use crate::io::supervisor::Command;
use crate::model::Model;
use crate::msg::{Action, Answer, Effect, Event};

/// Carries out the model's effects; results come back as events.
pub(super) struct Executor {
    pub(super) client: Client,
    /// Where A and B answer (the supervisor learns a started child's real port).
    pub(super) urls: watch::Receiver<[reqwest::Url; 2]>,
    pub(super) events: mpsc::Sender<Event>,
    pub(super) supervisor: mpsc::Sender<Command>,
    /// The link between B and A, whose toxics the `n` and fault keys set.
    pub(super) link: Link,
    /// What the faults' presets depend on.
    pub(super) fault_params: crate::faults::Params,
    /// How long to wait for B's answers, as the model last said
    /// ([`Effect::WaitForB`]); the requests of a load or a burst read it.
    pub(super) b_wait: watch::Sender<std::time::Duration>,
    /// Changes to B's call policy, sent in order by [`admin::run`].
    pub(super) policy_changes: mpsc::Sender<contract::policy::PolicyChange>,
    /// Changes to A's faults and dedup, sent in order by [`admin::run`].
    pub(super) a_changes: mpsc::Sender<crate::msg::AChange>,
    /// Tags the ids of a load's and a burst's requests, as the model does its own.
    pub(super) ids: crate::ids::RequestIds,
    pub(super) burst_cancel: Option<watch::Sender<bool>>,
    pub(super) load_stop: Option<watch::Sender<bool>>,
    /// Requests, bursts and reports in progress.
    pub(super) work: JoinSet<()>,
}

impl Executor {
    /// Applies `action` to the model and carries out what it asks for.
    pub(super) fn act(&mut self, model: &mut Model, action: Action) {
        if let Some(effect) = model.on_action(action, OffsetDateTime::now_utc()) {
            self.execute(effect, model);
        }
    }

    /// Carries out what the model asked for; results come back as events.
    /// `model` is only read (a report is written from a snapshot of it). Never
    /// waits: the loop that calls it is the one that empties the event queue.
    pub(super) fn execute(&mut self, effect: Effect, model: &Model) {
        match effect {
            Effect::Send { id, msg, delay_ms } => {
                let (client, events) = (self.client.clone(), self.events.clone());
                let (b_url, wait) = (self.b_url(), *self.b_wait.borrow());
                let sent_at = OffsetDateTime::now_utc();
                self.work.spawn(async move {
                    let outcome = client.call_echo_waiting(&b_url, &id, &msg, delay_ms, wait).await;
                    let answer = Answer { id, sent_at, msg, delay_ms, burst: false, outcome };
                    let _ = events.send(Event::Answer(answer)).await;
                });
            }
            Effect::ToggleRunning { service, b_policy } => {
                self.tell_supervisor(Command::ToggleRunning(service, b_policy));
            }
            Effect::WaitForB(wait) => {
                self.b_wait.send_replace(wait);
            }
            Effect::ToggleFreeze => self.tell_supervisor(Command::ToggleFreeze),
            Effect::StartBurst { requests, concurrency, msg, id_prefix } => {
                let (cancel_tx, cancel_rx) = watch::channel(false);
                self.burst_cancel = Some(cancel_tx);
                let wait = self.b_wait.subscribe();
                let ids = self.ids.clone();
                let spec = BurstSpec { requests, concurrency, msg, b_url: self.b_url(), id_prefix, ids, wait };
                let (client, events) = (self.client.clone(), self.events.clone());
                self.work.spawn(async move {
                    let cancelled = burst::run(client, spec, cancel_rx, events.clone()).await;
                    let _ = events.send(Event::BurstDone { cancelled }).await;
                });
            }
            Effect::StartLoad { rate, msg, id_prefix } => {
                let (stop_tx, stop_rx) = watch::channel(false);
                self.load_stop = Some(stop_tx);
                let wait = self.b_wait.subscribe();
                let ids = self.ids.clone();
                let spec = LoadSpec { rate, msg, b_url: self.b_url(), id_prefix, ids, wait };
                let (client, events) = (self.client.clone(), self.events.clone());
                self.work.spawn(async move {
                    load::run(client, spec, stop_rx, events.clone()).await;
                    let _ = events.send(Event::LoadDone).await;
                });
            }
            Effect::StopLoad => {
                if let Some(stop) = &self.load_stop {
                    let _ = stop.send(true);
                }
            }
            Effect::SetLink(fault) => {
                let toxics = fault.and_then(crate::faults::by_id);
                let result = match toxics {
                    None => self.link.set_toxics(&[]),
                    Some(fault) if matches!(fault.setting, crate::faults::Setting::LinkDown) => {
                        self.link.set_enabled(false);
                        Ok(())
                    }
                    Some(fault) => self.link.set_toxics(&fault.toxics(self.fault_params)),
                };
                if let Err(error) = result {
                    let _ = self.events.try_send(Event::Note(format!("the link refused the change: {error}")));
                }
            }
            Effect::ChangePolicy(change) => {
                if self.policy_changes.try_send(change).is_err() {
                    let _ = self.events.try_send(Event::Note("too many policy changes at once: try again".into()));
                }
            }
            Effect::Crash(service) => {
                let _ = self.supervisor.try_send(Command::Crash(service));
            }
            Effect::ResetAll { a_faults, thaw_a, b_policy } => {
                self.link.reset();
                if a_faults {
                    let _ = self.a_changes.try_send(crate::msg::AChange::Reset);
                }
                if let Some(change) = b_policy {
                    let _ = self.policy_changes.try_send(change);
                }
                if thaw_a {
                    let _ = self.supervisor.try_send(Command::ToggleFreeze);
                }
            }
            Effect::ChangeA(change) => {
                if self.a_changes.try_send(change).is_err() {
                    let _ = self.events.try_send(Event::Note("too many changes to A at once: try again".into()));
                }
            }
            Effect::CancelBurst => {
                if let Some(cancel) = &self.burst_cancel {
                    let _ = cancel.send(true);
                }
            }
            Effect::WriteReport => {
                let snapshot = model.clone();
                let events = self.events.clone();
                self.work.spawn_blocking(move || {
                    let written = report::write(&snapshot, OffsetDateTime::now_utc()).map_err(|error| {
                        format!("in {}: {}", snapshot.settings.log_dir.display(), crate::text::describe_io(&error))
                    });
                    let _ = events.blocking_send(Event::ReportWritten(written));
                });
            }
        }
    }

    fn b_url(&self) -> reqwest::Url {
        self.urls.borrow()[Service::B.index()].clone()
    }

    fn tell_supervisor(&self, command: Command) {
        if self.supervisor.try_send(command).is_err() {
            let _ = self.events.try_send(Event::Note("the supervisor is busy or gone: try again".into()));
        }
    }
}
