//! Where a service's log lines come from: its files in a directory the
//! dashboard can read ([`LogTail`]), or its admin listener's `GET /logs`
//! stream when it runs on another host ([`LogStream`]). One interface; the
//! follower does not know which it reads.

use std::path::PathBuf;

use contract::Service;
use reqwest::Url;

use super::{LogStream, LogTail, POLL_INTERVAL};
use crate::io::http::Client;

/// A source of one service's raw log lines, polled from a blocking thread.
pub trait LogSource: Send {
    fn service(&self) -> Service;
    /// The complete new lines since the last poll, oldest first (a bounded number).
    fn poll(&mut self) -> Vec<String>;
    /// The last poll left lines to read: poll again without waiting.
    fn is_behind(&self) -> bool;
    /// Why no lines can come now, if none can.
    fn problem(&self) -> Option<&str>;
}

impl LogSource for LogTail {
    fn service(&self) -> Service {
        LogTail::service(self)
    }

    fn poll(&mut self) -> Vec<String> {
        LogTail::poll(self)
    }

    fn is_behind(&self) -> bool {
        LogTail::is_behind(self)
    }

    fn problem(&self) -> Option<&str> {
        LogTail::problem(self)
    }
}

/// Where one service's log is read (`--a-logs`, `--b-logs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sources {
    /// Its files, `service-x.DATE.log`, in this directory.
    Files(PathBuf),
    /// Its admin listener's `GET /logs` (NDJSON, followed).
    Stream(Url),
}

impl Sources {
    /// Opens the source of `service`'s lines; a stream reads on `runtime`.
    pub fn open(&self, service: Service, client: &Client, runtime: &tokio::runtime::Handle) -> Box<dyn LogSource> {
        match self {
            Sources::Files(dir) => Box::new(LogTail::new(dir, service)),
            Sources::Stream(url) => Box::new(LogStream::open(service, url.clone(), client.clone(), runtime)),
        }
    }

    /// Where it reads, in words for the screen and the report.
    pub fn describe(&self) -> String {
        match self {
            Sources::Files(dir) => dir.display().to_string(),
            Sources::Stream(url) => url.to_string(),
        }
    }
}

/// What one poll of both sources brought.
#[derive(Debug, Default)]
pub struct Batch {
    /// New lines, in their source's order per service.
    pub lines: Vec<(Service, String)>,
    /// Why each service's source cannot give lines (A, B), when that
    /// changed since the last batch.
    pub problems: Option<[Option<String>; 2]>,
}

/// Follows both services' sources (A's, then B's), polling every
/// [`POLL_INTERVAL`] (at once while one is behind): each poll's new lines
/// and changed problems go to `deliver`. Blocking (a file source reads
/// files): run it on a thread of its own. Returns when `deliver` returns false.
pub fn follow(mut sources: [Box<dyn LogSource>; 2], mut deliver: impl FnMut(Batch) -> bool) {
    let mut problems: [Option<String>; 2] = [None, None];
    loop {
        let mut batch = Batch::default();
        let mut behind = false;
        for source in &mut sources {
            let service = source.service();
            batch.lines.extend(source.poll().into_iter().map(|line| (service, line)));
            behind |= source.is_behind();
        }
        let now = sources.each_ref().map(|source| source.problem().map(str::to_owned));
        if now != problems {
            problems.clone_from(&now);
            batch.problems = Some(now);
        }
        if !deliver(batch) {
            return;
        }
        if !behind {
            std::thread::sleep(POLL_INTERVAL);
        }
    }
}
