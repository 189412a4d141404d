//! The services the dashboard runs itself: started as child processes of this
//! same binary (`tui serve-a ...`), stopped gracefully (then killed after a
//! grace period), frozen and thawed. How each is done on each platform, and
//! how no child outlives the dashboard, is [`crate::platform::process`]'s part.
//!
//! A child's address is read from its own `event=listening` line, so a URL with
//! port 0 (`http://127.0.0.1:0`) lets the service pick a free port; the
//! addresses in use are published on a `watch` channel for everyone who calls
//! the services.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use contract::Service;
use contract::policy::Policy;
use reqwest::Url;
use tokio::process::Child;
use tokio::sync::{mpsc, oneshot, watch};

mod child;
mod commands;
mod start;

use super::http::Client;
use crate::cli::Settings;
use crate::msg::{Event, Health, ProcessState};
use crate::platform::process::{self, Lifeline};
use child::{StderrKept, Which};

/// How long a child has to drain and exit after being asked to stop before it is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(5);
/// How long a started child has to answer its first health check.
pub const START_DEADLINE: Duration = Duration::from_secs(15);

/// Requests from the runtime.
#[derive(Debug)]
pub enum Command {
    /// Start the service if stopped (B with this policy, if known, so a B
    /// started again keeps what the learner set), stop it if running.
    ToggleRunning(Service, Option<Policy>),
    ToggleFreeze,
    /// Kill the child at once (SIGKILL): what it had in flight is lost.
    Crash(Service),
    /// Stop every child, then answer.
    Shutdown(oneshot::Sender<()>),
}

/// A service process the dashboard started.
#[derive(Debug)]
struct ChildProcess {
    child: Child,
    pid: u32,
    frozen: bool,
    /// What the child wrote to stderr: its beginning (why a start failed) and end.
    stderr: Arc<Mutex<StderrKept>>,
}

/// Owns the children; runs as one task, so commands are handled one at a time.
pub struct Supervisor {
    settings: Settings,
    /// The binary the services run from (this one).
    exe: PathBuf,
    lifeline: Lifeline,
    client: Client,
    events: mpsc::Sender<Event>,
    /// Where A and B answer now (a started child's real address).
    urls: watch::Sender<[Url; 2]>,
    children: [Option<ChildProcess>; 2],
    states: [ProcessState; 2],
    /// Where a B started here calls A: the link's URL, or (`None`) A's own.
    b_calls_a: Option<Url>,
    /// Where each service's admin listener answers: `--a-admin-url` /
    /// `--b-admin-url`, or what a service started here reports.
    admins: [watch::Sender<Option<Url>>; 2],
    /// Each service's URL names another host: never started here.
    remote: [bool; 2],
}

impl Supervisor {
    /// `b_calls_a`: where a B started here is told A is (the link), or `None`
    /// for A's own address.
    pub fn new(
        settings: Settings,
        exe: PathBuf,
        client: Client,
        events: mpsc::Sender<Event>,
        b_calls_a: Option<Url>,
    ) -> std::io::Result<Self> {
        let lifeline = Lifeline::new(&exe)?;
        let urls = watch::Sender::new([settings.a_url.clone(), settings.b_url.clone()]);
        let admins =
            [watch::Sender::new(settings.a_admin_url.clone()), watch::Sender::new(settings.b_admin_url.clone())];
        let states = [ProcessState::Unknown, ProcessState::Unknown];
        Ok(Self {
            settings,
            exe,
            lifeline,
            client,
            events,
            urls,
            children: [None, None],
            states,
            b_calls_a,
            admins,
            remote: [false; 2],
        })
    }

    /// Where B's admin listener answers, when known.
    pub fn admin(&self, service: Service) -> watch::Receiver<Option<Url>> {
        self.admins[service.index()].subscribe()
    }

    /// The services' addresses, updated when a child reports where it listens.
    pub fn urls(&self) -> watch::Receiver<[Url; 2]> {
        self.urls.subscribe()
    }

    fn url(&self, service: Service) -> Url {
        self.urls.borrow()[service.index()].clone()
    }

    async fn set(&mut self, service: Service, state: ProcessState) {
        self.states[service.index()] = state.clone();
        let _ = self.events.send(Event::Process(service, state)).await;
    }

    async fn note(&self, text: impl Into<String>) {
        let _ = self.events.send(Event::Note(text.into())).await;
    }

    fn state(&self, service: Service) -> &ProcessState {
        &self.states[service.index()]
    }

    async fn is_up(&self, service: Service) -> bool {
        matches!(self.client.health(&self.url(service)).await, Health::Up { .. })
    }

    /// At start: attach to what answers, start what does not (unless
    /// `--attach`, or it is on another host).
    pub async fn start_missing(&mut self) {
        for service in Service::ALL {
            let url = self.url(service);
            let here = crate::io::hosts::is_this_host(&url).await;
            if !here {
                self.remote[service.index()] = true;
                self.note(format!(
                    "{} at {url} is on another host: the dashboard uses it, but cannot start, stop, freeze or \
                     crash it",
                    service.name()
                ))
                .await;
            }
            if self.is_up(service).await {
                self.set(service, ProcessState::Attached).await;
            } else if self.settings.attach || !here {
                self.set(service, ProcessState::Absent).await;
            } else {
                self.start(service, None).await;
            }
        }
    }

    /// Handles commands until shutdown (or until the runtime is gone).
    pub async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let mut watch_children = tokio::time::interval(Duration::from_millis(250));
        loop {
            tokio::select! {
                command = commands.recv() => match command {
                    Some(Command::ToggleRunning(service, policy)) => self.toggle_running(service, policy).await,
                    Some(Command::ToggleFreeze) => self.toggle_freeze().await,
                    Some(Command::Crash(service)) => self.crash(service).await,
                    Some(Command::Shutdown(done)) => {
                        self.shutdown().await;
                        let _ = done.send(());
                        return;
                    }
                    None => {
                        self.shutdown().await;
                        return;
                    }
                },
                _ = watch_children.tick() => self.reap_exited().await,
            }
        }
    }

    async fn toggle_running(&mut self, service: Service, policy: Option<Policy>) {
        match self.state(service).clone() {
            // The model lets this through only for one we attached to that went away.
            ProcessState::Attached
                if !self.settings.attach && !self.remote[service.index()] && !self.is_up(service).await =>
            {
                self.start(service, policy).await;
            }
            ProcessState::Attached | ProcessState::Absent => {}
            ProcessState::Running { .. }
            | ProcessState::Frozen { .. }
            | ProcessState::Starting
            | ProcessState::Stopping => self.stop(service).await,
            ProcessState::Stopped | ProcessState::Failed(_) | ProcessState::Unknown => {
                self.start(service, policy).await
            }
        }
    }

    async fn toggle_freeze(&mut self) {
        let service = Service::A;
        let (result, next) = match self.state(service).clone() {
            ProcessState::Running { pid } => (process::freeze(pid), ProcessState::Frozen { pid }),
            ProcessState::Frozen { pid } => (process::thaw(pid), ProcessState::Running { pid }),
            _ => return,
        };
        match result {
            Ok(()) => {
                if let Some(child) = &mut self.children[service.index()] {
                    child.frozen = matches!(next, ProcessState::Frozen { .. });
                }
                self.set(service, next).await;
            }
            Err(why) => self.note(why).await,
        }
    }

    /// Why the child exited, if it has: its first stderr line (a start that
    /// failed: clap's `error: ...` comes first, its `--help` hint last), or its
    /// last (a service that stopped later), or else its exit status.
    fn exit_reason(&mut self, service: Service, which: Which) -> Option<String> {
        let child = self.children[service.index()].as_mut()?;
        let status = child.child.try_wait().ok()??;
        let line = child.stderr.lock().ok().and_then(|kept| kept.line(which));
        Some(line.unwrap_or_else(|| format!("exited with {status}")))
    }

    /// Notices a child that exited on its own (killed from another terminal, say).
    async fn reap_exited(&mut self) {
        for service in Service::ALL {
            if matches!(self.state(service), ProcessState::Running { .. } | ProcessState::Frozen { .. })
                && let Some(reason) = self.exit_reason(service, Which::Last)
            {
                self.children[service.index()] = None;
                if self.is_up(service).await {
                    // Something it left behind (a daemonized child) still answers.
                    self.set(service, ProcessState::Attached).await;
                    self.note(format!(
                        "{} exited by itself ({reason}), yet its port still answers: a process it left behind, \
                         which the dashboard cannot stop or freeze",
                        service.name()
                    ))
                    .await;
                } else {
                    // Not "stopped": nobody asked it to (the key starts it again).
                    self.set(service, ProcessState::Failed(format!("exited by itself ({reason})"))).await;
                }
            }
        }
    }

    /// Kills a child at once: no drain, no last log lines, its requests in
    /// flight cut (`Child::kill` is SIGKILL on Unix, TerminateProcess on Windows).
    async fn crash(&mut self, service: Service) {
        let Some(mut child) = self.children[service.index()].take() else { return };
        if let Err(error) = child.child.kill().await {
            self.note(format!("could not kill {}: {error}", service.name())).await;
        }
        self.set(service, ProcessState::Stopped).await;
        self.note(format!(
            "{} crashed (killed): press {} to start it again",
            service.name(),
            service.name().to_lowercase()
        ))
        .await;
    }

    /// Thaws a frozen child (a stopped process never handles a stop request),
    /// asks it to stop, waits for the drain, kills it after the grace period.
    async fn stop(&mut self, service: Service) {
        let Some(mut child) = self.children[service.index()].take() else {
            self.set(service, ProcessState::Stopped).await;
            return;
        };
        self.set(service, ProcessState::Stopping).await;
        if child.frozen {
            let _ = process::thaw(child.pid);
        }
        process::request_stop(child.pid);
        if tokio::time::timeout(STOP_GRACE, child.child.wait()).await.is_err() {
            let _ = child.child.kill().await;
            let grace = STOP_GRACE.as_secs();
            self.note(format!(
                "{} did not exit within {grace} s of being asked to stop and was killed",
                service.name()
            ))
            .await;
        }
        self.set(service, ProcessState::Stopped).await;
    }

    /// Stops every child the dashboard started (B first, so it does not log A's absence).
    pub async fn shutdown(&mut self) {
        for service in [Service::B, Service::A] {
            if self.children[service.index()].is_some() {
                self.stop(service).await;
            }
        }
    }
}

/// `host:port` of a URL, for `--addr` (`[::1]:8080` for IPv6).
pub fn socket_addr(url: &reqwest::Url) -> String {
    // `host_str` gives IPv6 addresses in their brackets already.
    let host = url.host_str().unwrap_or("127.0.0.1");
    let port = url.port_or_known_default().unwrap_or(80);
    format!("{host}:{port}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_for_the_children_keep_ipv6_brackets_and_names() {
        let addr = |url: &str| socket_addr(&url.parse().expect("a URL"));
        assert_eq!(addr("http://127.0.0.1:18090/"), "127.0.0.1:18090");
        assert_eq!(addr("http://[::1]:18090"), "[::1]:18090");
        assert_eq!(addr("http://localhost:18090"), "localhost:18090");
        assert_eq!(addr("http://localhost"), "localhost:80");
    }
}
