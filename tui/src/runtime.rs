//! The runtime: the terminal, the background tasks, the event loop and the
//! executor of the model's effects. The loop draws only when something changed
//! (at most every [`FRAME`]) and applies background events in batches, so a
//! burst of thousands of answers costs one frame.
//!
//! Every background task lives in a `JoinSet`: one that panics, or a
//! long-running one that ends early, ends the dashboard cleanly with the
//! terminal restored. Background tasks reach the model through one bounded
//! channel, so a flood of answers or log lines waits for the screen instead of
//! growing memory.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use contract::Service;
use futures_util::StreamExt;
use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{Event as TerminalEvent, EventStream};
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::{JoinError, JoinSet};
use tokio::time::Instant;

use crate::cli::{DashboardArgs, Settings};
use crate::io::admin::{self, AFaults, BPolicy};
use crate::io::http::Client;
use crate::io::link::{self, Limits, Link};
use crate::io::supervisor::{self, Command, Supervisor};
use crate::io::tail;
use crate::model::Model;
use crate::msg::{Action, Event, LogLine};
use crate::platform::signals::QuitSignals;
use crate::{keys, view};

mod executor;
use executor::Executor;

/// Shortest time between two frames.
pub const FRAME: Duration = Duration::from_millis(50);
/// How often the services' health is checked.
pub const HEALTH_INTERVAL: Duration = Duration::from_secs(1);
/// Most background events applied before the next frame.
const BATCH: usize = 8_192;
/// Background events waiting for the loop, at most.
const EVENT_QUEUE: usize = 4_096;
/// How long the end waits for background threads once the dashboard is done.
const SHUTDOWN_WAIT: Duration = Duration::from_millis(500);
/// How often the link's counters are shown anew (when they changed).
const LINK_COUNTERS_INTERVAL: Duration = Duration::from_millis(250);

/// Why the dashboard could not run.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    #[error("cannot create the log directory {0}: {1}")]
    LogDir(String, std::io::Error),
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("cannot start the link between B and A: {0}")]
    Link(std::io::Error),
    #[error("terminal: {0}")]
    Io(#[from] std::io::Error),
    #[error("a background task failed: {0}")]
    Task(String),
}

/// The dashboard program: run with `args`, restore the terminal, stop children.
pub fn main(args: DashboardArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("tui: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(Settings::from(args)));
    // The terminal is restored and the children are stopped: a background
    // thread stuck in the file system must not keep the process alive.
    runtime.shutdown_timeout(SHUTDOWN_WAIT);
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tui: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Restores the terminal however the loop ends.
struct TerminalGuard(DefaultTerminal);

impl TerminalGuard {
    /// The terminal in raw mode on the alternate screen, with bracketed
    /// paste: pasted text arrives as one event (typed into the message, or
    /// refused), never as keys that would each run a command.
    fn init() -> Self {
        let terminal = ratatui::init();
        let _ = ratatui::crossterm::execute!(std::io::stdout(), ratatui::crossterm::event::EnableBracketedPaste);
        Self(terminal)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = ratatui::crossterm::execute!(std::io::stdout(), ratatui::crossterm::event::DisableBracketedPaste);
        ratatui::restore();
    }
}

async fn run(settings: Settings) -> Result<(), DashboardError> {
    // The soft limit on open files is often 1024: raised to what the hard
    // limit allows, so the link's connections and the services' pipes fit.
    let _ = crate::platform::limits::raise_open_files();
    let log_dir = &settings.log_dir;
    std::fs::create_dir_all(log_dir).map_err(|e| DashboardError::LogDir(log_dir.display().to_string(), e))?;
    let client = Client::new(Duration::from_millis(settings.timeout_ms))?;
    let (events_tx, mut events) = mpsc::channel(EVENT_QUEUE);
    let (supervisor_tx, supervisor_rx) = mpsc::channel(64);
    let session = uuid::Uuid::new_v4().simple().to_string()[..4].to_owned();

    // Long-running tasks: each returns its name, and must not end before we do.
    let mut background: JoinSet<&'static str> = JoinSet::new();

    // The link: a B the dashboard starts calls A through it. It forwards to
    // wherever A answers now (a started A reports its real port).
    let (a_target_tx, a_target) = watch::channel(resolve(&settings.a_url).await.unwrap_or(LOOPBACK_ANY_PORT));
    let (link, run_link) = Link::bind(settings.link_addr, a_target, settings.seed, Limits::default())
        .await
        .map_err(DashboardError::Link)?;
    background.spawn(async move {
        run_link.await;
        "the link"
    });
    let b_calls_a = reqwest::Url::parse(&format!("http://{}", link.addr()))
        .map_err(|e| DashboardError::Link(std::io::Error::other(e)))?;
    let mut supervisor = Supervisor::new(
        settings.clone(),
        std::env::current_exe()?,
        client.clone(),
        events_tx.clone(),
        Some(b_calls_a),
    )?;
    let urls = supervisor.urls();
    let (policy_changes, changes_rx) = mpsc::channel(64);
    background.spawn(admin::run(BPolicy, client.clone(), supervisor.admin(Service::B), changes_rx, events_tx.clone()));
    let (a_changes, a_changes_rx) = mpsc::channel(64);
    background.spawn(admin::run(
        AFaults,
        client.clone(),
        supervisor.admin(Service::A),
        a_changes_rx,
        events_tx.clone(),
    ));
    background.spawn(follow_a(urls.clone(), a_target_tx));
    let (counters_of, to_screen) = (link.clone(), events_tx.clone());
    background.spawn(async move {
        counters_of.report(to_screen, LINK_COUNTERS_INTERVAL).await;
        "the link's counters"
    });
    match link::api::bind(settings.link_api).await {
        Ok(listener) => {
            let shown = listener.local_addr().map_or_else(|e| e.to_string(), |addr| addr.to_string());
            let _ = events_tx.try_send(Event::LinkApi(Ok(shown)));
            let api_link = link.clone();
            background.spawn(async move {
                // It serves until the dashboard ends; an error here is a dead listener.
                let _ = link::api::serve(listener, api_link).await;
                std::future::pending::<()>().await;
                "the link's API"
            });
        }
        Err(error) => {
            let _ = events_tx.try_send(Event::LinkApi(Err(format!("cannot listen on {}: {error}", settings.link_api))));
        }
    }
    background.spawn(async move {
        supervisor.start_missing().await;
        supervisor.run(supervisor_rx).await;
        "the supervisor"
    });
    background.spawn(check_health(client.clone(), urls.clone(), events_tx.clone()));
    let (dir, sender) = (settings.log_dir.clone(), events_tx.clone());
    background.spawn_blocking(move || {
        tail::follow(&dir, |batch| {
            if let Some(problems) = batch.problems
                && sender.blocking_send(Event::LogProblems(problems)).is_err()
            {
                return false;
            }
            if batch.lines.is_empty() {
                return !sender.is_closed();
            }
            let lines = batch.lines.iter().map(|(service, raw)| LogLine::parse(*service, raw)).collect();
            sender.blocking_send(Event::Logs(lines)).is_ok()
        });
        "the log follower"
    });

    let fault_params = settings.fault_params();
    let starting_budget_ms = settings.timeout_ms;
    // The key that makes request ids unguessable: 122 random bits of a v4 UUID.
    let mut model = Model::new(settings, session).with_id_key(uuid::Uuid::new_v4().as_u128());
    // Neither asks for anything: the loop carries out effects from here on.
    let _ = model.on_event(Event::SessionStarted, OffsetDateTime::now_utc());
    let _ = model.on_event(Event::LinkUp { addr: link.addr().to_string() }, OffsetDateTime::now_utc());
    let mut executor = Executor {
        client,
        urls,
        events: events_tx,
        supervisor: supervisor_tx,
        link,
        fault_params,
        b_wait: watch::Sender::new(crate::model::b_wait(starting_budget_ms)),
        policy_changes,
        a_changes,
        ids: model.ids().clone(),
        burst_cancel: None,
        load_stop: None,
        work: JoinSet::new(),
    };
    let mut signals = QuitSignals::listen()?;
    let mut terminal = TerminalGuard::init();
    let outcome =
        event_loop(&mut terminal.0, &mut model, &mut executor, &mut events, &mut background, &mut signals).await;

    // Leaving: cancel a burst, stop the children (thawing a frozen one first),
    // and keep showing what the supervisor reports while it does.
    for stop in executor.burst_cancel.iter().chain(&executor.load_stop) {
        let _ = stop.send(true);
    }
    let (done_tx, mut done_rx) = oneshot::channel();
    if executor.supervisor.send(Command::Shutdown(done_tx)).await.is_ok() {
        let deadline = Instant::now() + supervisor::STOP_GRACE * 2 + Duration::from_secs(1);
        loop {
            if outcome.is_ok() {
                let _ = terminal.0.draw(|frame| view::draw(frame, &model));
            }
            tokio::select! {
                _ = &mut done_rx => break,
                Some(event) = events.recv() => {
                    // Leaving: what the model asks for now is not carried out.
                    let _ = model.on_event(event, OffsetDateTime::now_utc());
                }
                () = tokio::time::sleep_until(deadline) => break,
            }
        }
    }
    drop(events);
    background.abort_all();
    executor.work.abort_all();
    drop(terminal);
    outcome
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    model: &mut Model,
    executor: &mut Executor,
    events: &mut mpsc::Receiver<Event>,
    background: &mut JoinSet<&'static str>,
    signals: &mut QuitSignals,
) -> Result<(), DashboardError> {
    let mut keys = EventStream::new();
    let mut dirty = true;
    let mut next_frame = Instant::now();
    let mut batch = Vec::with_capacity(BATCH);
    while !model.is_quitting() {
        if dirty && Instant::now() >= next_frame {
            terminal.draw(|frame| view::draw(frame, model))?;
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
                    if let Some(action) = keys::action_for(key, &model.mode) {
                        executor.act(model, action);
                        dirty = true;
                    }
                }
                Some(Ok(TerminalEvent::Paste(text))) => {
                    executor.act(model, Action::Paste(text));
                    dirty = true;
                }
                Some(Ok(TerminalEvent::Resize(..))) => dirty = true,
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error.into()),
                None => return Ok(()),
            },
            received = events.recv_many(&mut batch, BATCH) => {
                if received == 0 {
                    return Err(DashboardError::Task("every background task is gone".into()));
                }
                let now = OffsetDateTime::now_utc();
                for event in batch.drain(..) {
                    for effect in model.on_event(event, now) {
                        executor.execute(effect, model);
                    }
                }
                dirty = true;
            }
            Some(joined) = background.join_next() => {
                return Err(DashboardError::Task(match joined {
                    Ok(name) => format!("{name} stopped unexpectedly"),
                    Err(error) => describe_failure(&error),
                }));
            }
            Some(Err(error)) = executor.work.join_next(), if !executor.work.is_empty() => {
                return Err(DashboardError::Task(describe_failure(&error)));
            }
            name = signals.recv() => {
                executor.act(model, Action::Quit);
                let note = Event::Note(format!("{name}: stopping the services the dashboard started..."));
                let _ = model.on_event(note, OffsetDateTime::now_utc());
            }
            () = frame_due => {}
        }
    }
    Ok(())
}

fn describe_failure(error: &JoinError) -> String {
    if error.is_panic() { "a background task panicked (see the message above)".into() } else { error.to_string() }
}

/// Checks both services' `/health` every [`HEALTH_INTERVAL`], at the same time.
async fn check_health(
    client: Client,
    urls: watch::Receiver<[reqwest::Url; 2]>,
    events: mpsc::Sender<Event>,
) -> &'static str {
    let mut interval = tokio::time::interval(HEALTH_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let [a_url, b_url] = urls.borrow().clone();
        let (a, b) = tokio::join!(client.health(&a_url), client.health(&b_url));
        for (service, health) in [(Service::A, a), (Service::B, b)] {
            if events.send(Event::Health(service, health)).await.is_err() {
                return "the health checks";
            }
        }
    }
}

/// Where the link listens: a free port on loopback.
const LOOPBACK_ANY_PORT: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

/// The first address `url`'s host and port resolve to (`localhost`, `[::1]`).
async fn resolve(url: &reqwest::Url) -> Option<SocketAddr> {
    tokio::net::lookup_host(supervisor::socket_addr(url)).await.ok()?.next()
}

/// Points the link at A's address whenever it changes (a started A reports
/// its real port).
async fn follow_a(mut urls: watch::Receiver<[reqwest::Url; 2]>, target: watch::Sender<SocketAddr>) -> &'static str {
    loop {
        let a_url = urls.borrow_and_update()[Service::A.index()].clone();
        if let Some(addr) = resolve(&a_url).await {
            target.send_if_modified(|current| std::mem::replace(current, addr) != addr);
        }
        if urls.changed().await.is_err() {
            // The supervisor is gone: only at shutdown, which ends us too.
            std::future::pending::<()>().await;
        }
    }
}
