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

use std::process::ExitCode;
use std::time::Duration;

use futures_util::StreamExt;
use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{Event as TerminalEvent, EventStream};
use tokio::time::Instant;

use crate::cli::{DashboardArgs, Settings};
use crate::msg::{Action, Event};
use crate::platform::signals::QuitSignals;
use crate::{keys, view};

mod executor;
mod world;
pub use world::{HEALTH_INTERVAL, World};

/// Shortest time between two frames.
pub const FRAME: Duration = Duration::from_millis(50);
/// How long the end waits for background threads once the dashboard is done.
pub const SHUTDOWN_WAIT: Duration = Duration::from_millis(500);

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
    #[error("cannot write the report or its JSON: {0}")]
    Report(String),
    #[error("a background task failed: {0}")]
    Task(String),
}

/// The dashboard program: run with `args`, restore the terminal, stop children.
pub fn main(args: DashboardArgs) -> ExitCode {
    let settings = Settings { local_offset: crate::cli::local_offset(), ..Settings::from(args) };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("tui: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(settings));
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
    let mut world = World::start(settings).await?;
    let mut signals = QuitSignals::listen()?;
    let mut terminal = TerminalGuard::init();
    let outcome = event_loop(&mut terminal.0, &mut world, &mut signals).await;
    let show = outcome.is_ok();
    world
        .shut_down(|model| {
            if show {
                let _ = terminal.0.draw(|frame| view::draw(frame, model));
            }
        })
        .await;
    drop(terminal);
    outcome
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    world: &mut World,
    signals: &mut QuitSignals,
) -> Result<(), DashboardError> {
    let mut keys = EventStream::new();
    let mut dirty = true;
    let mut next_frame = Instant::now();
    while !world.model.is_quitting() {
        if dirty && Instant::now() >= next_frame {
            terminal.draw(|frame| view::draw(frame, &world.model))?;
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
                    if let Some(action) = keys::action_for(key, &world.model.mode) {
                        world.act(action);
                        dirty = true;
                    }
                }
                Some(Ok(TerminalEvent::Paste(text))) => {
                    world.act(Action::Paste(text));
                    dirty = true;
                }
                Some(Ok(TerminalEvent::Resize(..))) => dirty = true,
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error.into()),
                None => return Ok(()),
            },
            applied = world.next(None) => {
                applied?;
                dirty = true;
            }
            name = signals.recv() => {
                world.act(Action::Quit);
                world.tell(Event::Note(format!("{name}: stopping the services the dashboard started...")));
            }
            () = frame_due => {}
        }
    }
    Ok(())
}
