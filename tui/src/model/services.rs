//! What the dashboard knows of each service: its URL, its last health check and
//! its process, and how a change of process state reads as a mark; what B's
//! answers say of A; and the link between them.

use contract::Service;
use time::OffsetDateTime;

use crate::faults::{self, Fault, ToxicSpec};
use crate::msg::{Health, LinkCondition, LinkCounters, LinkReport, ProcessState};

/// What the dashboard shows of one service.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceView {
    pub url: String,
    pub health: Health,
    pub process: ProcessState,
    /// Killed by the dashboard (SIGKILL), not started again since.
    pub crashed: bool,
}

impl ServiceView {
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), health: Health::Unknown, process: ProcessState::Unknown, crashed: false }
    }

    /// Replaces the process state; returns the mark the change deserves, if any.
    pub fn set_process(&mut self, service: Service, process: ProcessState) -> Option<String> {
        let before = std::mem::replace(&mut self.process, process);
        if matches!(self.process, ProcessState::Starting | ProcessState::Running { .. }) {
            self.crashed = false;
        }
        if matches!(self.process, ProcessState::Running { .. }) && before == ProcessState::Starting {
            // The last health check is from before the start: ask again.
            self.health = Health::Unknown;
        }
        let name = service.name();
        match (&before, &self.process) {
            (ProcessState::Running { .. }, ProcessState::Frozen { .. }) => Some(format!("{name} frozen (SIGSTOP)")),
            (ProcessState::Frozen { .. }, ProcessState::Running { .. }) => Some(format!("{name} thawed (SIGCONT)")),
            (ProcessState::Starting, ProcessState::Running { pid }) => Some(format!("{name} started (pid {pid})")),
            (_, ProcessState::Stopped) if self.crashed => None,
            (_, ProcessState::Stopped) if before != ProcessState::Stopped => Some(format!("{name} stopped")),
            (ProcessState::Running { .. } | ProcessState::Frozen { .. }, ProcessState::Failed(why)) => {
                Some(format!("{name} {why}"))
            }
            (_, ProcessState::Failed(why)) => Some(format!("{name} failed to start: {why}")),
            _ => None,
        }
    }

    /// Why a stop/start key cannot act on this service, if it cannot.
    pub fn why_not_toggled(&self, service: Service, attach_only: bool) -> Option<String> {
        let name = service.name();
        match (&self.process, self.health) {
            (ProcessState::Absent, _) => Some(format!("--attach: the dashboard starts nothing; start {name} yourself")),
            // One we attached to that has gone away may be replaced by our own.
            (ProcessState::Attached, Health::Down) if !attach_only => None,
            (ProcessState::Attached, _) => Some(format!(
                "{name} was already running when the dashboard started: stop it where you started it \
                 (the dashboard only stops what it started)"
            )),
            _ => None,
        }
    }

    /// Why `f` cannot freeze or thaw this service, if it cannot.
    pub fn why_not_frozen(&self, service: Service) -> Option<String> {
        let name = service.name();
        match &self.process {
            ProcessState::Running { .. } | ProcessState::Frozen { .. } => None,
            ProcessState::Attached => {
                // The process that listens on its port, not any process of that name.
                let port = self.url.trim_end_matches('/').rsplit(':').next().unwrap_or("PORT");
                Some(format!(
                    "{name} was not started by the dashboard, so it cannot freeze it: freeze what listens on \
                     its port yourself: kill -STOP $(lsof -t -sTCP:LISTEN -i :{port})"
                ))
            }
            _ => Some(crate::keys::fill(&format!(
                "{name} is not running: nothing to freeze (press {{key:{}}} to start it)",
                name.to_lowercase()
            ))),
        }
    }
}

/// The link as the dashboard knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkView {
    /// Where it listens, once it does.
    pub addr: Option<String>,
    /// Where its toxiproxy API answers, or why it does not.
    pub api: Option<Result<String, String>>,
    pub counters: LinkCounters,
    /// Whether it listens (toxiproxy's `enabled`).
    pub enabled: bool,
    /// Its toxics, as the link last reported them (also those set through its API).
    pub toxics: Vec<ToxicSpec>,
    /// What its faults depend on (the `delay` preset's delay).
    pub params: faults::Params,
    /// What an external link (`--link-api URL`) last confirmed it holds.
    pub mirrored: Option<(bool, Vec<ToxicSpec>)>,
    /// It is refusing connections over its cap, or failing to accept (said once each time it begins).
    refusing: bool,
    accept_failing: bool,
    closing_quiet: bool,
}

impl LinkView {
    pub fn new(params: faults::Params) -> Self {
        Self {
            addr: None,
            api: None,
            counters: LinkCounters::default(),
            enabled: true,
            toxics: Vec::new(),
            params,
            mirrored: None,
            refusing: false,
            accept_failing: false,
            closing_quiet: false,
        }
    }

    /// The registered fault the link is in, if it is one.
    pub fn fault(&self) -> Option<&'static Fault> {
        faults::recognise(self.enabled, &self.toxics, self.params)
    }

    /// `ok`, a fault's name, or the toxics set through the API.
    pub fn label(&self) -> String {
        faults::describe(self.enabled, &self.toxics, self.params)
    }

    /// The label and, for a fault, its toxics: `partition (timeout↑ + timeout↓)`.
    pub fn detail(&self) -> String {
        let label = self.label();
        match self.fault() {
            Some(fault) if !self.toxics.is_empty() => {
                let toxics: Vec<String> = self.toxics.iter().map(ToxicSpec::short).collect();
                format!("{} ({})", fault.name, toxics.join(" + "))
            }
            _ => label,
        }
    }

    pub fn condition(&self) -> LinkCondition {
        match self.fault() {
            Some(fault) => LinkCondition::Fault(fault.id),
            None if self.enabled && self.toxics.is_empty() => LinkCondition::Healthy,
            None => LinkCondition::Other,
        }
    }

    /// Shows what the link reports; answers whether its state changed, and
    /// what to say of a limit it hit since the last report (once per
    /// episode: a flood of refusals is one mark, not hundreds).
    pub fn update(&mut self, report: LinkReport) -> (bool, Vec<String>) {
        let changed = self.enabled != report.enabled || self.toxics != report.toxics;
        let (before, now) = (self.counters, report.counters);
        let mut said = Vec::new();
        let refusing = now.refused > before.refused;
        if refusing && !self.refusing {
            said.push(format!(
                "link at its cap of {} open connections: new ones are refused (reset) until some close",
                now.limits.max_open
            ));
        }
        self.refusing = refusing || (self.refusing && now.open >= now.limits.max_open);
        let failing = now.accept_failed > before.accept_failed;
        if failing && !self.accept_failing {
            let why = now.accept_error.map_or_else(
                || "an error".to_owned(),
                |code| crate::text::describe_io(&std::io::Error::from_raw_os_error(code)),
            );
            said.push(format!("the link cannot accept B's connections: {why}"));
        }
        self.accept_failing = failing;
        let closing = now.idle_closed > before.idle_closed;
        if closing && !self.closing_quiet {
            said.push(format!(
                "link closing quiet connections: nothing sent within {} s of opening, or nothing carried for {} s \
                 (as a NAT forgets a quiet flow)",
                now.limits.first_byte.as_secs(),
                now.limits.idle.as_secs()
            ));
        }
        self.closing_quiet = closing;
        self.counters = report.counters;
        self.enabled = report.enabled;
        self.toxics = report.toxics;
        (changed, said)
    }

    /// Shows at once what the dashboard asked of it (the link confirms within a quarter second).
    pub fn expect(&mut self, fault: Option<&'static Fault>) {
        match fault {
            None => (self.enabled, self.toxics) = (true, Vec::new()),
            Some(fault) => {
                self.enabled = !matches!(fault.setting, faults::Setting::LinkDown);
                self.toxics = fault.toxics(self.params);
            }
        }
    }
}

/// What B's last answer said of A, and when: the second observer of A, beside
/// the dashboard's own health check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BSeesA {
    /// `None`: B reached A; else why it could not.
    pub failure: Option<contract::ErrorKind>,
    pub at: OffsetDateTime,
}
