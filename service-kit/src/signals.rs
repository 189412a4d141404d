//! The one place that knows how each platform asks a process to stop: SIGINT
//! and SIGTERM on Unix; Ctrl-C, Ctrl-Break, closing the console window, logoff
//! and system shutdown on Windows. Everything else calls [`shutdown_requested`].

/// Resolves when the platform asks the process to stop.
pub async fn shutdown_requested() {
    platform::shutdown_requested().await;
}

#[cfg(unix)]
mod platform {
    use tokio::signal::unix::{SignalKind, signal};

    pub async fn shutdown_requested() {
        let (Ok(mut interrupt), Ok(mut terminate)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate()))
        else {
            // No signal handling (it cannot fail on a normal Unix): fall back to Ctrl-C.
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    }
}

#[cfg(windows)]
mod platform {
    use tokio::signal::windows::{ctrl_break, ctrl_c, ctrl_close, ctrl_logoff, ctrl_shutdown};

    pub async fn shutdown_requested() {
        let (Ok(mut c), Ok(mut brk), Ok(mut close), Ok(mut logoff), Ok(mut shutdown)) =
            (ctrl_c(), ctrl_break(), ctrl_close(), ctrl_logoff(), ctrl_shutdown())
        else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = c.recv() => {}
            _ = brk.recv() => {}
            _ = close.recv() => {}
            _ = logoff.recv() => {}
            _ = shutdown.recv() => {}
        }
    }
}

#[cfg(not(any(unix, windows)))]
mod platform {
    pub async fn shutdown_requested() {
        let _ = tokio::signal::ctrl_c().await;
    }
}
