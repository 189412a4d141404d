//! The faults menu, a fault's key and the undo-everything key: one
//! registered fault ([`crate::faults`]) caused or undone, and what the
//! learner broke put right.

use contract::Service;
use contract::faults::APolicyChange;
use contract::policy::{Policy, PolicyChange};
use time::OffsetDateTime;

use super::Model;
use crate::faults::{self, Fault, Setting};
use crate::keys;
use crate::msg::{AChange, Effect, InputMode, ProcessState};

impl Model {
    /// A fault from the menu or its own key: caused, or undone when it is on.
    pub(super) fn toggle_fault(&mut self, id: &str, now: OffsetDateTime) -> Option<Effect> {
        if self.mode == InputMode::Faults {
            self.mode = InputMode::Normal;
        }
        let fault = faults::by_id(id)?;
        match fault.setting {
            Setting::Toxics(_) | Setting::LinkDown => self.set_link(fault, now),
            Setting::AFault { on, off, .. } => {
                let was_on = self.a_faults.is_on(fault);
                self.a_change(fault, now, if was_on { AChange::Faults(off) } else { AChange::Faults(on) }, was_on)
            }
            Setting::ADedup => {
                let was_on = self.a_faults.is_on(fault);
                self.a_change(fault, now, AChange::Policy(APolicyChange { dedup: Some(!was_on) }), was_on)
            }
            Setting::CrashA => self.crash(Service::A, now),
        }
    }

    /// The link in this fault, or healthy again if it is in it already.
    fn set_link(&mut self, fault: &'static Fault, now: OffsetDateTime) -> Option<Effect> {
        if self.link.addr.is_none() {
            self.say(now, "the link is not up yet");
            return None;
        }
        let next = if self.link.fault().is_some_and(|current| current.id == fault.id) { None } else { Some(fault) };
        self.link.expect(next);
        self.mark(now, format!("link: {}", self.link.detail()));
        if let Some(fault) = next {
            self.say(now, format!("{}: {}", fault.name, fault.shows));
        }
        Some(Effect::SetLink(next.map(|fault| fault.id)))
    }

    /// One of A's faults (or dedup) through A's admin listener.
    fn a_change(&mut self, fault: &Fault, now: OffsetDateTime, change: AChange, was_on: bool) -> Option<Effect> {
        if self.a_faults.admin.is_none() {
            let how = if self.is_foreign(contract::Service::A) {
                "your A (--a-cmd) has no admin API like this project's A, so its own faults cannot be set from \
                 here; the link's faults (n, and the link's keys in x) still work"
            } else {
                "A has no admin listener, so its faults cannot be set from here: start A with \
                 --admin-addr 127.0.0.1:8090 and the dashboard with --a-admin-url http://127.0.0.1:8090"
            };
            self.say(now, how);
            return None;
        }
        let state = if was_on { "off" } else { "on" };
        self.mark(now, format!("{} {state}", fault.name));
        if !was_on {
            self.say(now, format!("{}: {}", fault.name, fault.shows));
        }
        Some(Effect::ChangeA(change))
    }

    /// SIGKILL for a service the dashboard started.
    fn crash(&mut self, service: Service, now: OffsetDateTime) -> Option<Effect> {
        match &self.service(service).process {
            ProcessState::Running { .. } | ProcessState::Frozen { .. } => {
                self.mark(now, format!("{} crashed (SIGKILL): what it had in flight is lost", service.name()));
                self.services[service.index()].crashed = true;
                Some(Effect::Crash(service))
            }
            ProcessState::Attached => {
                self.say(now, format!("{} was not started by the dashboard, so it cannot crash it", service.name()));
                None
            }
            _ => {
                let start = keys::label(if service == Service::A { "a" } else { "b" });
                self.say(
                    now,
                    format!("{} is not running: nothing to crash (press {start} to start it)", service.name()),
                );
                None
            }
        }
    }

    /// `0`: the link healthy, A's faults and dedup off, A thawed, B's policy the lab's.
    pub(super) fn reset_all(&mut self, now: OffsetDateTime) -> Option<Effect> {
        if self.mode == InputMode::Faults {
            self.mode = InputMode::Normal;
        }
        let thaw_a = matches!(self.service(Service::A).process, ProcessState::Frozen { .. });
        let lab = Policy { timeout_ms: self.settings.timeout_ms, ..Policy::default() };
        let b_policy = self.policy.policy().filter(|policy| *policy != lab).map(|_| PolicyChange {
            timeout_ms: Some(lab.timeout_ms),
            retries: Some(lab.retries),
            breaker: Some(lab.breaker),
            deadline: Some(lab.deadline),
        });
        if b_policy.is_some() {
            self.policy.sent(lab);
        }
        self.link.expect(None);
        // Only what this A and B let the dashboard undo is said undone.
        let mut undone = vec!["link ok"];
        if self.a_faults.state.is_some() {
            undone.push("A's faults off");
        }
        if thaw_a {
            undone.push("A thawed");
        }
        if self.policy.status.is_some() {
            undone.push("B's policy the lab's");
        }
        self.mark(now, format!("everything undone: {}", undone.join(", ")));
        // A stopped has no faults to undo (a new A starts without them).
        let a_faults = self.a_faults.any_on()
            && matches!(
                self.service(Service::A).process,
                ProcessState::Running { .. } | ProcessState::Frozen { .. } | ProcessState::Attached
            );
        Some(Effect::ResetAll { a_faults, thaw_a, b_policy })
    }
}
