//! What an experiment does with the lab: press a key, send a request and
//! wait for its answer, find its lines in a log, wait for the link or a
//! process to be as asked, and skip what the implementation cannot do.

use std::time::Duration;

use contract::Service;
use tokio::time::Instant;

use super::checks::{self, Joined};
use super::{ADMIN_WAIT, LINES_WAIT, Lab, Not, SETTLE};
use crate::model::Model;
use crate::model::requests::SentRequest;
use crate::msg::{Action, LogLine, ProcessState};
use crate::runtime::DashboardError;

impl Lab {
    pub(super) fn model(&self) -> &Model {
        self.world.model()
    }

    pub(super) fn act(&mut self, action: Action) {
        self.world.act(action);
    }

    /// Sends one request (slow: with B's budget and 300 ms as `delay_ms`)
    /// and waits for its answer, or for the dashboard to stop waiting.
    pub(super) async fn send(&mut self, slow: bool) -> Result<SentRequest, Not> {
        self.act(if slow { Action::SendSlow } else { Action::Send });
        let Some(id) = self.model().session_log.manual.back().map(|request| request.id.clone()) else {
            return Err(Not::Fail("the dashboard did not send the request".into()));
        };
        self.ids.push(id.clone());
        let deadline = Instant::now() + crate::model::b_wait(self.model().timeout_ms()) + Duration::from_secs(2);
        let answered = |model: &Model| by_hand(model, &id).is_some_and(|request| request.outcome.is_some());
        self.world.until(deadline, answered).await?;
        by_hand(self.model(), &id).cloned().ok_or_else(|| Not::Fail(format!("request {id} was forgotten")))
    }

    /// Puts the link in fault `id` (the key a learner presses) and waits
    /// until it holds it.
    pub(super) async fn link_fault(&mut self, id: &'static str) -> Result<(), Not> {
        self.act(Action::Fault(id));
        self.link_settled().await
    }

    /// An external link (`--link-api URL`) takes a change a moment later:
    /// waits until it says it holds what the keys set (at once for the
    /// dashboard's own link).
    pub(super) async fn link_settled(&mut self) -> Result<(), Not> {
        let crate::cli::LinkApi::Drive(api) = &self.model().settings.link_api else { return Ok(()) };
        let api = api.clone();
        let link = self.world.link();
        let (enabled, toxics) = (link.enabled(), link.toxics());
        let holds = |model: &Model| {
            model.link.mirrored.as_ref().is_some_and(|(on, held)| {
                *on == enabled && held.len() == toxics.len() && held.iter().zip(&toxics).all(|(a, b)| a.same_effect(b))
            })
        };
        if self.world.until(Instant::now() + ADMIN_WAIT, holds).await? {
            return Ok(());
        }
        Err(Not::Fail(format!("the external link at {api} did not take the change within {} s", ADMIN_WAIT.as_secs())))
    }

    /// Waits for A's process to be as `wanted` says; `false` when it was not in time.
    pub(super) async fn until_a(&mut self, wanted: impl Fn(&ProcessState) -> bool) -> Result<bool, DashboardError> {
        let deadline = Instant::now() + SETTLE;
        self.world.until(deadline, |model| wanted(&model.service(Service::A).process)).await
    }

    /// Waits for `service`'s lines of `request` (those with its id; in a
    /// log without ids, those written while it was in flight) until `enough`
    /// says they show what is awaited, or [`LINES_WAIT`] passes.
    pub(super) async fn lines(
        &mut self,
        request: &SentRequest,
        service: Service,
        enough: impl Fn(&[&LogLine]) -> bool,
    ) -> Result<(Vec<LogLine>, Joined), DashboardError> {
        let deadline = Instant::now() + LINES_WAIT;
        let known = self.joined[service.index()];
        let find = |model: &Model, joined: Joined| -> Vec<LogLine> {
            checks::lines_of(request, model.logs.visible(None), service, joined).into_iter().cloned().collect()
        };
        let tries: Vec<Joined> = known.map_or(vec![Joined::ById, Joined::ByTime], |joined| vec![joined]);
        self.world
            .until(deadline, |model| {
                tries.iter().any(|&joined| {
                    let found = find(model, joined);
                    enough(&found.iter().collect::<Vec<_>>())
                })
            })
            .await?;
        for joined in tries {
            let found = find(self.model(), joined);
            if !found.is_empty() {
                self.joined[service.index()] = Some(joined);
                return Ok((found, joined));
            }
        }
        Ok((Vec::new(), known.unwrap_or(Joined::ById)))
    }

    /// Waits for `service`'s line of `request`; how it was found, or a
    /// failure that says which log was read and how.
    pub(super) async fn logged(&mut self, request: &SentRequest, service: Service) -> Result<Joined, Not> {
        let (lines, how) = self.lines(request, service, |lines| !lines.is_empty()).await?;
        if !lines.is_empty() {
            return Ok(how);
        }
        Err(Not::Fail(format!(
            "expected a line in {name}'s log for request {id} (one line per request); none came within {wait} s, \
             neither with its request_id nor written while it was in flight (the lab reads {from})",
            name = service.name(),
            id = request.id,
            wait = LINES_WAIT.as_secs(),
            from = match &self.model().settings.logs[service.index()] {
                crate::io::tail::Sources::Files(dir) =>
                    format!("{}/service-{}.*.log", dir.display(), service.name().to_lowercase()),
                stream => stream.describe(),
            },
        )))
    }

    /// Skips unless the lab started A (it cannot stop or freeze an A it did not start).
    pub(super) fn a_ours(&self) -> Result<(), Not> {
        let view = self.model().service(Service::A);
        match view.process {
            ProcessState::Attached | ProcessState::Absent
                if reqwest::Url::parse(&view.url).is_ok_and(|url| !crate::io::hosts::is_loopback(&url)) =>
            {
                Err(Not::Skip(format!(
                    "A at {} is on another host: the lab can send to it and read its log, but cannot stop, \
                     freeze or crash it",
                    view.url
                )))
            }
            ProcessState::Attached | ProcessState::Absent | ProcessState::Unknown => Err(Not::Skip(format!(
                "A at {} was already running, so the lab did not start it and cannot stop, freeze or crash it \
                 (stop it, or give its command with --a-cmd)",
                view.url
            ))),
            _ => Ok(()),
        }
    }

    /// Skips unless B has this project's admin API (its policy can be changed).
    pub(super) fn b_admin(&self) -> Result<(), Not> {
        if self.model().policy.status.is_some() {
            return Ok(());
        }
        Err(Not::Skip(if self.model().is_foreign(Service::B) {
            "your B has no admin API (GET/PUT /policy) to set its retries or breaker: an extra of this project's \
             B that the lab does not ask of yours"
                .into()
        } else {
            "B's admin listener did not answer (start B with --admin-addr, or give --b-admin-url)".into()
        }))
    }

    /// Skips unless A has this project's admin API (its own faults can be set).
    pub(super) fn a_admin(&self) -> Result<(), Not> {
        if self.model().a_faults.state.is_some() {
            return Ok(());
        }
        Err(Not::Skip(if self.model().is_foreign(Service::A) {
            "your A has no admin API (PUT /faults) to make it fail on purpose: an extra of this project's A that \
             the lab does not ask of yours"
                .into()
        } else {
            "A's admin listener did not answer (start A with --admin-addr, or give --a-admin-url)".into()
        }))
    }
}

/// The request sent by hand with this id.
fn by_hand<'a>(model: &'a Model, id: &str) -> Option<&'a SentRequest> {
    model.session_log.manual.iter().rev().find(|request| request.id == id)
}
