//! What a child writes: its stdout read for its `event=listening` lines (its
//! address, and its admin listener's), its stderr kept in part (why a start
//! failed, why it exited). Both drained for the child's whole life: a full
//! pipe would block it.

use std::sync::{Arc, Mutex};

use contract::LogRecord;
use reqwest::Url;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::sync::{oneshot, watch};

/// The most of a child's stderr kept, at its start and at its end.
pub const STDERR_KEPT: usize = 2048;

/// Reads a child's stdout to its end; the address of its first
/// `event=listening` line goes to `found`, that of its admin listener (its
/// `listener=admin` line) to `admin`.
pub async fn find_listening_line(
    pipe: tokio::process::ChildStdout,
    found: oneshot::Sender<String>,
    admin: watch::Sender<Option<Url>>,
) {
    let mut lines = BufReader::new(pipe).lines();
    let mut found = Some(found);
    while let Ok(Some(line)) = lines.next_line().await {
        let Ok(record) = LogRecord::parse(&line) else { continue };
        if record.get("event") != Some("listening") {
            continue;
        }
        let Some(addr) = record.get("addr") else { continue };
        if record.get("listener") == Some("admin") {
            if let Ok(url) = Url::parse(&format!("http://{addr}")) {
                admin.send_replace(Some(url));
            }
        } else if let Some(found) = found.take() {
            let _ = found.send(addr.to_owned());
        }
    }
}

/// The first and the last [`STDERR_KEPT`] bytes of a child's stderr.
#[derive(Debug, Default)]
pub struct StderrKept {
    head: String,
    tail: String,
}

/// Which stderr line explains an exit.
#[derive(Debug, Clone, Copy)]
pub enum Which {
    First,
    Last,
}

impl StderrKept {
    pub fn add(&mut self, text: &str) {
        if self.head.len() < STDERR_KEPT {
            let room = STDERR_KEPT - self.head.len();
            let cut = (0..=room.min(text.len())).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
            self.head.push_str(&text[..cut]);
        }
        self.tail.push_str(text);
        let excess = self.tail.len().saturating_sub(STDERR_KEPT);
        if excess > 0 {
            let cut = (excess..self.tail.len()).find(|i| self.tail.is_char_boundary(*i)).unwrap_or(0);
            self.tail.drain(..cut);
        }
    }

    pub fn line(&self, which: Which) -> Option<String> {
        let meaningful = |line: &&str| !line.trim().is_empty();
        let line = match which {
            Which::First => self.head.lines().find(meaningful),
            Which::Last => self.tail.lines().rev().find(meaningful),
        };
        line.map(|line| line.trim().to_owned())
    }
}

/// Reads `pipe` to its end, keeping its beginning and end in `kept`.
pub async fn keep_stderr(mut pipe: tokio::process::ChildStderr, kept: Arc<Mutex<StderrKept>>) {
    let mut buffer = [0u8; 1024];
    while let Ok(n @ 1..) = pipe.read(&mut buffer).await {
        if let Ok(mut kept) = kept.lock() {
            kept.add(&String::from_utf8_lossy(&buffer[..n]));
        }
    }
}

/// Opens (creates) the log file a child started with `--a-cmd` writes its
/// console into, appending.
pub fn open_console_log(path: &std::path::Path) -> std::io::Result<tokio::fs::File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Never blocking on a FIFO planted under the name, never through one.
    Ok(tokio::fs::File::from_std(crate::platform::files::append_regular(path)?))
}

/// Copies what a child started with `--a-cmd` writes to one of its pipes
/// into its log file (`file`, appended, as it comes), keeping stderr's
/// beginning and end in `kept` too. Without a file, or once a write failed,
/// the pipe is still drained (a full pipe would block the child).
pub async fn console_to_log(
    mut pipe: impl tokio::io::AsyncRead + Unpin,
    mut file: Option<tokio::fs::File>,
    kept: Option<Arc<Mutex<StderrKept>>>,
) {
    use tokio::io::AsyncWriteExt as _;
    let mut buffer = vec![0u8; 16 * 1024];
    while let Ok(n @ 1..) = pipe.read(&mut buffer).await {
        let chunk = &buffer[..n];
        if let Some(kept) = &kept
            && let Ok(mut kept) = kept.lock()
        {
            kept.add(&String::from_utf8_lossy(chunk));
        }
        if let Some(open) = file.as_mut()
            && open.write_all(chunk).await.is_err()
        {
            file = None;
        }
    }
    if let Some(mut file) = file {
        let _ = file.flush().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_start_is_explained_by_the_first_line_and_a_later_exit_by_the_last() {
        let mut kept = StderrKept::default();
        kept.add("error: invalid value 'localhost:x' for '--addr <ADDR>': invalid port\n\n");
        kept.add("For more information, try '--help'.\n");
        assert_eq!(
            kept.line(Which::First).as_deref(),
            Some("error: invalid value 'localhost:x' for '--addr <ADDR>': invalid port")
        );
        assert_eq!(kept.line(Which::Last).as_deref(), Some("For more information, try '--help'."));
        kept.add(&"x".repeat(3 * STDERR_KEPT));
        assert!(kept.head.len() <= STDERR_KEPT && kept.tail.len() <= STDERR_KEPT);
        assert!(kept.line(Which::First).is_some_and(|line| line.starts_with("error: invalid value")));
    }
}
