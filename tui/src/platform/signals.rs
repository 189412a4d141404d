//! Signals from outside that mean "quit": the dashboard handles each like `q`
//! (stop the children, restore the terminal). Unix: SIGTERM, SIGINT, SIGHUP,
//! SIGQUIT, SIGUSR1, SIGUSR2 and SIGALRM (every catchable signal whose default
//! is to end the process). Windows: Ctrl-C, Ctrl-Break, closing the console,
//! logoff and shutdown.

use futures_util::future::select_all;

pub use imp::Stream;

/// The quit signals, listened to from creation on.
pub struct QuitSignals {
    streams: Vec<(&'static str, Stream)>,
}

impl QuitSignals {
    /// Starts listening (needs a tokio runtime).
    pub fn listen() -> std::io::Result<Self> {
        Ok(Self { streams: imp::listen()? })
    }

    /// The name of the next quit signal that arrives.
    pub async fn recv(&mut self) -> &'static str {
        let waits = self.streams.iter_mut().map(|(name, stream)| {
            Box::pin(async move {
                stream.recv().await;
                *name
            })
        });
        select_all(waits).await.0
    }
}

#[cfg(unix)]
mod imp {
    use tokio::signal::unix::{Signal, SignalKind, signal};

    pub type Stream = Signal;

    pub fn listen() -> std::io::Result<Vec<(&'static str, Stream)>> {
        [
            ("SIGTERM", SignalKind::terminate()),
            ("SIGINT", SignalKind::interrupt()),
            ("SIGHUP", SignalKind::hangup()),
            ("SIGQUIT", SignalKind::quit()),
            ("SIGUSR1", SignalKind::user_defined1()),
            ("SIGUSR2", SignalKind::user_defined2()),
            ("SIGALRM", SignalKind::alarm()),
        ]
        .into_iter()
        .map(|(name, kind)| Ok((name, signal(kind)?)))
        .collect()
    }
}

#[cfg(windows)]
mod imp {
    use tokio::signal::windows::{self, CtrlBreak, CtrlC, CtrlClose, CtrlLogoff, CtrlShutdown};

    /// One of the console events that end a Windows console program.
    pub enum Stream {
        CtrlC(CtrlC),
        CtrlBreak(CtrlBreak),
        Close(CtrlClose),
        Logoff(CtrlLogoff),
        Shutdown(CtrlShutdown),
    }

    impl Stream {
        pub async fn recv(&mut self) -> Option<()> {
            match self {
                Stream::CtrlC(s) => s.recv().await,
                Stream::CtrlBreak(s) => s.recv().await,
                Stream::Close(s) => s.recv().await,
                Stream::Logoff(s) => s.recv().await,
                Stream::Shutdown(s) => s.recv().await,
            }
        }
    }

    pub fn listen() -> std::io::Result<Vec<(&'static str, Stream)>> {
        Ok(vec![
            ("Ctrl-C", Stream::CtrlC(windows::ctrl_c()?)),
            ("Ctrl-Break", Stream::CtrlBreak(windows::ctrl_break()?)),
            ("console closed", Stream::Close(windows::ctrl_close()?)),
            ("logoff", Stream::Logoff(windows::ctrl_logoff()?)),
            ("shutdown", Stream::Shutdown(windows::ctrl_shutdown()?)),
        ])
    }
}
