//! The runtime: terminal, background tasks and the event loop. The loop draws
//! only when something changed (at most every [`FRAME`]), and drains background
//! events in batches, so a burst of thousands of answers costs one frame.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::Parser;
use contract::Service;
use futures_util::StreamExt;
use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{Event as TerminalEvent, EventStream};
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use crate::app::{App, Effect, Settings};
use crate::burst::{self, BurstSpec};
use crate::cli::Cli;
use crate::event::{Answer, Event};
use crate::http::Client;
use crate::supervisor::{self, Command, Supervisor, SupervisorConfig};
use crate::{keys, logtail, report, ui};

/// Shortest time between two frames.
pub const FRAME: Duration = Duration::from_millis(50);
/// How often the services' health is checked.
pub const HEALTH_INTERVAL: Duration = Duration::from_secs(1);
/// Most background events applied before the next frame.
const BATCH: usize = 8_192;

/// Set by the panic hook: a panic anywhere (also in a background task) ends the
/// dashboard, because the hook has already restored the terminal.
static PANICKED: AtomicBool = AtomicBool::new(false);

/// Why the dashboard could not run.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    #[error("cannot create the log directory {0}: {1}")]
    LogDir(String, std::io::Error),
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("terminal: {0}")]
    Io(#[from] std::io::Error),
    #[error("a background task panicked (see the message above)")]
    Panicked,
}

/// The dashboard program: parse flags, run, restore the terminal, stop children.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("tui: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tui: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Restores the terminal however the loop ends.
struct TerminalGuard(DefaultTerminal);

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// What the loop needs to carry out effects.
struct Runtime {
    client: Client,
    events: mpsc::UnboundedSender<Event>,
    supervisor: mpsc::UnboundedSender<Command>,
    burst_cancel: Option<watch::Sender<bool>>,
}

async fn run(cli: Cli) -> Result<(), DashboardError> {
    std::fs::create_dir_all(&cli.log_dir).map_err(|e| DashboardError::LogDir(cli.log_dir.display().to_string(), e))?;
    let timeout = Duration::from_millis(cli.timeout_ms);
    let client = Client::new(&cli.b_url, timeout)?;
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let session = uuid::Uuid::new_v4().simple().to_string()[..4].to_owned();
    let mut app = App::new(
        Settings {
            a_url: cli.a_url.as_str().trim_end_matches('/').to_owned(),
            b_url: cli.b_url.as_str().trim_end_matches('/').to_owned(),
            log_dir: cli.log_dir.clone(),
            timeout_ms: cli.timeout_ms,
            slow_delay_ms: cli.slow_delay_ms(),
            burst_requests: cli.burst_requests,
            burst_concurrency: cli.burst_concurrency,
        },
        session,
    );

    let (supervisor_tx, supervisor_rx) = mpsc::unbounded_channel();
    let config = SupervisorConfig {
        exe: std::env::current_exe()?,
        a_url: cli.a_url.clone(),
        b_url: cli.b_url.clone(),
        log_dir: cli.log_dir.clone(),
        timeout_ms: cli.timeout_ms,
        attach: cli.attach,
    };
    let mut supervisor = Supervisor::new(config, client.clone(), events_tx.clone());
    let supervisor_task = tokio::spawn(async move {
        supervisor.start_missing().await;
        supervisor.run(supervisor_rx).await;
    });
    spawn_health_checks(client.clone(), [cli.a_url.clone(), cli.b_url.clone()], events_tx.clone());
    logtail::spawn_followers(cli.log_dir.clone(), events_tx.clone())?;

    let mut terminal = TerminalGuard(ratatui::init());
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICKED.store(true, Ordering::SeqCst);
        previous_hook(info);
    }));
    let mut runtime = Runtime { client, events: events_tx, supervisor: supervisor_tx, burst_cancel: None };
    let outcome = event_loop(&mut terminal.0, &mut app, &mut runtime, &mut events).await;

    // Leaving: cancel a burst, stop the children (thawing a frozen one first).
    if let Some(cancel) = &runtime.burst_cancel {
        let _ = cancel.send(true);
    }
    if !PANICKED.load(Ordering::SeqCst) {
        app.note = Some("stopping the services the dashboard started...".into());
        let _ = terminal.0.draw(|frame| ui::draw(frame, &app));
    }
    let (done_tx, done_rx) = oneshot::channel();
    if runtime.supervisor.send(Command::Shutdown(done_tx)).is_ok() {
        let _ = tokio::time::timeout(supervisor::STOP_GRACE * 2 + Duration::from_secs(1), done_rx).await;
    }
    supervisor_task.abort();
    drop(terminal);
    outcome
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    runtime: &mut Runtime,
    events: &mut mpsc::UnboundedReceiver<Event>,
) -> Result<(), DashboardError> {
    let mut keys = EventStream::new();
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut panic_check = tokio::time::interval(Duration::from_millis(250));
    let mut dirty = true;
    let mut next_frame = Instant::now();
    loop {
        if PANICKED.load(Ordering::SeqCst) {
            return Err(DashboardError::Panicked);
        }
        if app.quitting {
            return Ok(());
        }
        if dirty && Instant::now() >= next_frame {
            terminal.draw(|frame| ui::draw(frame, app))?;
            dirty = false;
            next_frame = Instant::now() + FRAME;
        }
        let frame_due = async {
            if dirty {
                tokio::time::sleep_until(next_frame).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            input = keys.next() => match input {
                Some(Ok(TerminalEvent::Key(key))) => {
                    if let Some(action) = keys::action_for(key, &app.mode) {
                        if let Some(effect) = app.on_action(action, OffsetDateTime::now_utc()) {
                            runtime.execute(effect, app);
                        }
                        dirty = true;
                    }
                }
                Some(Ok(TerminalEvent::Resize(..))) => dirty = true,
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error.into()),
                None => return Ok(()),
            },
            Some(event) = events.recv() => {
                let now = OffsetDateTime::now_utc();
                runtime.observe(&event);
                app.on_event(event, now);
                for _ in 0..BATCH {
                    let Ok(event) = events.try_recv() else { break };
                    runtime.observe(&event);
                    app.on_event(event, now);
                }
                dirty = true;
            }
            () = frame_due => {}
            _ = terminate.recv() => return Ok(()),
            _ = hangup.recv() => return Ok(()),
            _ = panic_check.tick() => {}
        }
    }
}

impl Runtime {
    /// Carries out what the app asked for; results come back as events.
    fn execute(&mut self, effect: Effect, app: &mut App) {
        match effect {
            Effect::Send { id, msg, delay_ms } => {
                let (client, events) = (self.client.clone(), self.events.clone());
                let sent_at = OffsetDateTime::now_utc();
                tokio::spawn(async move {
                    let outcome = client.call_echo(&id, &msg, delay_ms).await;
                    let _ = events.send(Event::Answer(Answer { id, sent_at, msg, delay_ms, burst: false, outcome }));
                });
            }
            Effect::ToggleRunning(service) => self.tell_supervisor(Command::ToggleRunning(service)),
            Effect::ToggleFreeze => self.tell_supervisor(Command::ToggleFreeze),
            Effect::StartBurst { requests, concurrency, msg } => {
                let (cancel_tx, cancel_rx) = watch::channel(false);
                self.burst_cancel = Some(cancel_tx);
                let id_prefix = app.new_burst_prefix();
                let spec = BurstSpec { requests, concurrency, msg, id_prefix };
                let (client, events) = (self.client.clone(), self.events.clone());
                tokio::spawn(async move {
                    let cancelled = burst::run(client, spec, cancel_rx, events.clone()).await;
                    let _ = events.send(Event::BurstDone { cancelled });
                });
            }
            Effect::CancelBurst => {
                if let Some(cancel) = &self.burst_cancel {
                    let _ = cancel.send(true);
                }
            }
            Effect::WriteReport => {
                let snapshot = app.clone();
                let events = self.events.clone();
                tokio::task::spawn_blocking(move || {
                    let written = report::write(&snapshot, OffsetDateTime::now_utc()).map_err(|e| e.to_string());
                    let _ = events.send(Event::ReportWritten(written));
                });
            }
            Effect::Quit => {}
        }
    }

    fn tell_supervisor(&self, command: Command) {
        if self.supervisor.send(command).is_err() {
            let _ = self.events.send(Event::Note("the supervisor has stopped".into()));
        }
    }

    /// Bookkeeping that belongs to the runtime, not the app.
    fn observe(&mut self, event: &Event) {
        if matches!(event, Event::BurstDone { .. }) {
            self.burst_cancel = None;
        }
    }
}

/// Checks both services' `/health` every [`HEALTH_INTERVAL`], at the same time.
fn spawn_health_checks(client: Client, urls: [reqwest::Url; 2], events: mpsc::UnboundedSender<Event>) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(HEALTH_INTERVAL);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            let (a, b) = tokio::join!(client.health(&urls[0]), client.health(&urls[1]));
            if events.send(Event::Health(Service::A, a)).is_err() || events.send(Event::Health(Service::B, b)).is_err()
            {
                return;
            }
        }
    });
}
