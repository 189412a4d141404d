//! The services the dashboard runs itself: started as child processes of this
//! same binary (`tui serve-a ...`), stopped with SIGTERM (then SIGKILL after a
//! grace period), frozen with SIGSTOP and thawed with SIGCONT.
//!
//! No child outlives the dashboard: each gets its own process group (so the
//! terminal's signals are the dashboard's alone) and a parent-death signal, so
//! even a SIGKILLed dashboard takes its children with it.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use contract::Service;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use reqwest::Url;
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command as ProcessCommand};
use tokio::sync::{mpsc, oneshot};

use crate::event::{Control, Event, Health};
use crate::http::Client;

/// First argument that makes the `tui` binary run service A instead of the dashboard.
pub const SERVE_A: &str = "serve-a";
/// First argument that makes the `tui` binary run service B instead of the dashboard.
pub const SERVE_B: &str = "serve-b";

/// How long a child has to drain and exit after SIGTERM before it is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(5);
/// How long a started child has to answer its first health check.
pub const START_DEADLINE: Duration = Duration::from_secs(15);

/// What the supervisor needs to know.
#[derive(Debug, Clone)]
pub struct SupervisorConfig {
    /// The binary to run the services from (this one).
    pub exe: PathBuf,
    pub a_url: Url,
    pub b_url: Url,
    pub log_dir: PathBuf,
    pub timeout_ms: u64,
    /// Never start anything.
    pub attach: bool,
}

/// Requests from the app.
#[derive(Debug)]
pub enum Command {
    ToggleRunning(Service),
    ToggleFreeze,
    /// Stop every child, then answer.
    Shutdown(oneshot::Sender<()>),
}

/// A service process the dashboard started.
#[derive(Debug)]
struct ChildProcess {
    child: Child,
    pid: u32,
    frozen: bool,
    /// The end of what the child wrote to stderr (its reason, if it fails).
    stderr: Arc<Mutex<String>>,
}

/// Owns the children; runs as one task, so commands are handled one at a time.
pub struct Supervisor {
    config: SupervisorConfig,
    client: Client,
    events: mpsc::UnboundedSender<Event>,
    children: [Option<ChildProcess>; 2],
    controls: [Control; 2],
}

impl Supervisor {
    pub fn new(config: SupervisorConfig, client: Client, events: mpsc::UnboundedSender<Event>) -> Self {
        Self { config, client, events, children: [None, None], controls: [Control::Unknown, Control::Unknown] }
    }

    fn url(&self, service: Service) -> &Url {
        match service {
            Service::A => &self.config.a_url,
            Service::B => &self.config.b_url,
        }
    }

    fn set(&mut self, service: Service, control: Control) {
        self.controls[service.index()] = control.clone();
        let _ = self.events.send(Event::Control(service, control));
    }

    fn note(&self, text: impl Into<String>) {
        let _ = self.events.send(Event::Note(text.into()));
    }

    /// The state the supervisor last reported for `service`.
    pub fn control(&self, service: Service) -> &Control {
        &self.controls[service.index()]
    }

    /// At start: attach to what answers, start what does not (unless `--attach`).
    pub async fn start_missing(&mut self) {
        for service in Service::ALL {
            if matches!(self.client.health(self.url(service)).await, Health::Up { .. }) {
                self.set(service, Control::Attached);
            } else if self.config.attach {
                self.set(service, Control::Absent);
            } else {
                self.start(service).await;
            }
        }
    }

    /// Handles commands until shutdown (or until the app is gone).
    pub async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut watch_children = tokio::time::interval(Duration::from_millis(250));
        loop {
            tokio::select! {
                command = commands.recv() => match command {
                    Some(Command::ToggleRunning(service)) => self.toggle_running(service).await,
                    Some(Command::ToggleFreeze) => self.toggle_freeze(),
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
                _ = watch_children.tick() => self.reap_exited(),
            }
        }
    }

    async fn toggle_running(&mut self, service: Service) {
        let name = service.name();
        match self.control(service).clone() {
            Control::Attached if !self.config.attach && self.client.health(self.url(service)).await == Health::Down => {
                // The one we attached to has gone away: now the dashboard may run its own.
                self.start(service).await;
            }
            Control::Attached => self.note(format!(
                "{name} was already running when the dashboard started: stop it where you started it \
                 (the dashboard only stops what it started)"
            )),
            Control::Absent => {
                self.note(format!("--attach: the dashboard starts nothing; start {name} yourself"));
            }
            Control::Running { .. } | Control::Frozen { .. } | Control::Starting | Control::Stopping => {
                self.stop(service).await;
            }
            Control::Stopped | Control::Failed(_) | Control::Unknown => self.start(service).await,
        }
    }

    fn toggle_freeze(&mut self) {
        let service = Service::A;
        match self.control(service).clone() {
            Control::Running { pid } => {
                if signal(pid, Signal::SIGSTOP) {
                    if let Some(child) = &mut self.children[service.index()] {
                        child.frozen = true;
                    }
                    self.set(service, Control::Frozen { pid });
                }
            }
            Control::Frozen { pid } => {
                if signal(pid, Signal::SIGCONT) {
                    if let Some(child) = &mut self.children[service.index()] {
                        child.frozen = false;
                    }
                    self.set(service, Control::Running { pid });
                }
            }
            Control::Attached => self.note(
                "A was not started by the dashboard, so it cannot freeze it: try `kill -STOP <pid of A>` yourself",
            ),
            _ => self.note("A is not running: nothing to freeze (press a to start it)"),
        }
    }

    /// Starts `service` as a child and waits until it answers its health check.
    async fn start(&mut self, service: Service) {
        self.set(service, Control::Starting);
        let mut command = self.command(service);
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(error) => {
                self.set(service, Control::Failed(format!("cannot start: {error}")));
                return;
            }
        };
        let Some(pid) = child.id() else {
            self.set(service, Control::Failed("exited at once".into()));
            return;
        };
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(mut pipe) = child.stderr.take() {
            let sink = stderr.clone();
            // Drained for the child's whole life: a full pipe would block it.
            tokio::spawn(async move {
                let mut buffer = [0u8; 1024];
                while let Ok(n @ 1..) = pipe.read(&mut buffer).await {
                    if let Ok(mut text) = sink.lock() {
                        text.push_str(&String::from_utf8_lossy(&buffer[..n]));
                        let excess = text.len().saturating_sub(2048);
                        if excess > 0 {
                            let cut = (excess..text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(0);
                            text.drain(..cut);
                        }
                    }
                }
            });
        }
        self.children[service.index()] = Some(ChildProcess { child, pid, frozen: false, stderr });
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if matches!(self.client.health(self.url(service)).await, Health::Up { .. }) {
                self.set(service, Control::Running { pid });
                return;
            }
            if let Some(reason) = self.exit_reason(service) {
                self.children[service.index()] = None;
                self.set(service, Control::Failed(reason));
                return;
            }
            if Instant::now() > deadline {
                self.stop(service).await;
                self.set(service, Control::Failed(format!("no answer within {} s", START_DEADLINE.as_secs())));
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Why the child exited, if it has (its last stderr line, or its status).
    fn exit_reason(&mut self, service: Service) -> Option<String> {
        let child = self.children[service.index()].as_mut()?;
        let status = child.child.try_wait().ok()??;
        let stderr = child.stderr.lock().map(|text| text.clone()).unwrap_or_default();
        let last_line = stderr.lines().rev().find(|line| !line.trim().is_empty()).map(str::to_owned);
        Some(last_line.unwrap_or_else(|| format!("exited with {status}")))
    }

    /// Notices a child that exited on its own (killed from another terminal, say).
    fn reap_exited(&mut self) {
        for service in Service::ALL {
            if matches!(self.control(service), Control::Running { .. } | Control::Frozen { .. })
                && let Some(reason) = self.exit_reason(service)
            {
                self.children[service.index()] = None;
                self.set(service, Control::Stopped);
                self.note(format!("{} exited by itself: {reason}", service.name()));
            }
        }
    }

    /// SIGCONT if frozen (a stopped process never handles SIGTERM), SIGTERM,
    /// wait for the drain, SIGKILL after the grace period.
    async fn stop(&mut self, service: Service) {
        let Some(mut child) = self.children[service.index()].take() else {
            self.set(service, Control::Stopped);
            return;
        };
        self.set(service, Control::Stopping);
        if child.frozen {
            signal(child.pid, Signal::SIGCONT);
        }
        signal(child.pid, Signal::SIGTERM);
        if tokio::time::timeout(STOP_GRACE, child.child.wait()).await.is_err() {
            let _ = child.child.kill().await;
            self.note(format!(
                "{} did not exit within {} s of SIGTERM and was killed",
                service.name(),
                STOP_GRACE.as_secs()
            ));
        }
        self.set(service, Control::Stopped);
    }

    /// Stops every child the dashboard started (B first, so it does not log A's absence).
    pub async fn shutdown(&mut self) {
        for service in [Service::B, Service::A] {
            if self.children[service.index()].is_some() {
                self.stop(service).await;
            }
        }
    }

    fn command(&self, service: Service) -> ProcessCommand {
        let mut command = ProcessCommand::new(&self.config.exe);
        let addr = socket_addr(self.url(service));
        match service {
            Service::A => {
                command.args([SERVE_A, "--addr", &addr]);
            }
            Service::B => {
                command.args([SERVE_B, "--addr", &addr, "--service-a-url", self.config.a_url.as_str()]);
                command.args(["--timeout-ms", &self.config.timeout_ms.to_string()]);
            }
        }
        command
            .arg("--log-dir")
            .arg(&self.config.log_dir)
            // The console copy of the logs has nowhere to go: the files have them.
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        die_with_parent(&mut command);
        command
    }
}

/// `host:port` of a URL, for `--addr`.
fn socket_addr(url: &Url) -> String {
    let host = url.host_str().unwrap_or("127.0.0.1");
    let port = url.port_or_known_default().unwrap_or(80);
    if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") }
}

/// Sends `signal` to `pid`; false if the process is gone.
fn signal(pid: u32, signal: Signal) -> bool {
    i32::try_from(pid).is_ok_and(|pid| kill(Pid::from_raw(pid), signal).is_ok())
}

/// Linux: the child gets SIGKILL when the dashboard dies, however it dies.
/// SIGKILL rather than SIGTERM because a frozen child would never handle SIGTERM.
#[allow(unsafe_code)]
fn die_with_parent(command: &mut ProcessCommand) {
    #[cfg(target_os = "linux")]
    {
        let parent = nix::unistd::getpid();
        // SAFETY: runs in the forked child before exec; prctl and getppid are
        // async-signal-safe and nothing here allocates or takes a lock.
        unsafe {
            command.pre_exec(move || {
                nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)?;
                // The dashboard may have died before prctl took effect.
                if nix::unistd::getppid() != parent {
                    return Err(std::io::Error::other("the dashboard is gone"));
                }
                Ok(())
            });
        }
    }
}
