//! The shared harness of the workspace's process tests (a dev-dependency only).
//!
//! [`Spawn`] starts a service binary with `--addr 127.0.0.1:0`, learns the port
//! from its `event=listening` line (from stdout, or from the log file when the
//! test deliberately leaves stdout unread), and collects stdout and stderr on
//! threads of their own. [`Proc::terminate`] sends SIGTERM and waits for the exit
//! with a deadline; a forgotten [`Proc`] is killed on drop. [`log_records`] reads
//! a service's log files through the contract's parser, and [`eventually`] polls
//! a condition with a deadline instead of sleeping.
//!
//! A test binary can also *be* a service: [`child_main`] runs a service's
//! `run_cli` when the test binary is started again by [`Spawn::reexec`], so a
//! crate's tests can run another crate's service as a real process without
//! building its binary (Cargo only gives a test the binaries of its own package).

#![allow(clippy::unwrap_used)] // a harness: a failed unwrap is a failed test, with its message

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use contract::{LogRecord, Service, files};

/// How long a service may take to say `listening`.
pub const START_TIMEOUT: Duration = Duration::from_secs(20);

/// Lines a process wrote, collected as they come.
pub type Lines = Arc<Mutex<Vec<String>>>;

/// What happens to the child's stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdoutMode {
    /// Read and kept line by line (the usual case).
    Collect,
    /// A pipe nobody reads, like `service-a | sleep 300`: the address comes from
    /// the log file instead.
    NobodyReads,
}

/// How to start a service process.
pub struct Spawn {
    command: Command,
    /// `--addr`: `127.0.0.1:0` unless a test asks for another.
    addr: String,
    /// The service's arguments when this test binary is re-executed (else `None`).
    child_args: Option<Vec<OsString>>,
    log_dir: PathBuf,
    service: Service,
    stdout: StdoutMode,
}

impl Spawn {
    /// `program` with `--addr 127.0.0.1:0 --log-dir <log_dir>`; `RUST_LOG` unset.
    pub fn new(program: impl AsRef<Path>, service: Service, log_dir: &Path) -> Self {
        Self::subcommand(program, &[], service, log_dir)
    }

    /// `program` with `leading` arguments first (a subcommand such as the
    /// dashboard's `serve-a`), then the service's as in [`Spawn::new`].
    pub fn subcommand(program: impl AsRef<Path>, leading: &[&str], service: Service, log_dir: &Path) -> Self {
        let mut command = Command::new(program.as_ref());
        command.args(leading).arg("--log-dir").arg(log_dir).env_remove("RUST_LOG");
        Self {
            command,
            addr: "127.0.0.1:0".into(),
            child_args: None,
            log_dir: log_dir.to_path_buf(),
            service,
            stdout: StdoutMode::Collect,
        }
    }

    /// This test binary again, running the test `child_test` (which calls
    /// [`child_main`] for `service`), with the service's arguments passed along.
    pub fn reexec(child_test: &str, service: Service, log_dir: &Path) -> Self {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args([child_test, "--exact", "--nocapture", "--test-threads", "1"])
            .env(CHILD_ENV, files::prefix(service))
            .env_remove("RUST_LOG");
        let args = vec!["--log-dir".into(), log_dir.into()];
        Self {
            command,
            addr: "127.0.0.1:0".into(),
            child_args: Some(args),
            log_dir: log_dir.to_path_buf(),
            service,
            stdout: StdoutMode::Collect,
        }
    }

    /// More arguments for the service.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let args = args.into_iter().map(Into::into);
        match &mut self.child_args {
            Some(child_args) => child_args.extend(args),
            None => {
                self.command.args(args);
            }
        }
        self
    }

    /// Where the service listens (default `127.0.0.1:0`).
    pub fn addr(mut self, addr: &str) -> Self {
        addr.clone_into(&mut self.addr);
        self
    }

    /// An environment variable for the service (e.g. `RUST_LOG`).
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.command.env(key, value);
        self
    }

    /// What to do with stdout (default: collect it).
    pub fn stdout(mut self, mode: StdoutMode) -> Self {
        self.stdout = mode;
        self
    }

    /// Starts the process and waits (at most [`START_TIMEOUT`]) for its `listening` line.
    pub fn start(mut self) -> Proc {
        let addr = ["--addr".to_owned(), std::mem::take(&mut self.addr)];
        match &mut self.child_args {
            Some(args) => args.extend(addr.map(OsString::from)),
            None => {
                self.command.args(addr);
            }
        }
        if let Some(args) = &self.child_args {
            let text: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
            self.command.env(ARGS_ENV, text.join(&ARGS_SEPARATOR.to_string()));
        }
        let mut child =
            self.command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let stderr = collect(child.stderr.take().unwrap(), None);
        let stdout_pipe = child.stdout.take().unwrap();
        let (stdout, unread, addr) = match self.stdout {
            StdoutMode::Collect => {
                let (tx, rx) = mpsc::channel();
                let lines = collect(stdout_pipe, Some(tx));
                let addr = rx.recv_timeout(START_TIMEOUT).ok();
                (lines, None, addr)
            }
            StdoutMode::NobodyReads => {
                let addr = listening_in_file(&self.log_dir, self.service, &mut child);
                (Lines::default(), Some(stdout_pipe), addr)
            }
        };
        let mut proc = Proc { child, addr: "127.0.0.1:0".parse().unwrap(), stdout, stderr, _unread: unread };
        match addr {
            Some(addr) => proc.addr = addr,
            None => panic!(
                "the service did not log `listening` within {START_TIMEOUT:?}; stderr: {:?}",
                proc.stderr_lines()
            ),
        }
        proc
    }
}

/// Reads `pipe` line by line into the returned list; sends the address of the
/// first `event=listening` line to `listening`.
fn collect(pipe: impl Read + Send + 'static, listening: Option<mpsc::Sender<SocketAddr>>) -> Lines {
    let lines = Lines::default();
    let keep = lines.clone();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut raw = Vec::new();
        loop {
            raw.clear();
            match reader.read_until(b'\n', &mut raw) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let line = String::from_utf8_lossy(&raw).trim_end_matches(['\n', '\r']).to_owned();
            if let (Some(tx), Some(addr)) = (&listening, listening_addr(&line)) {
                let _ = tx.send(addr);
            }
            keep.lock().unwrap().push(line);
        }
    });
    lines
}

fn listening_addr(line: &str) -> Option<SocketAddr> {
    let record = LogRecord::parse(line).ok()?;
    (record.get("event") == Some("listening") && record.get("listener").is_none())
        .then(|| record.get("addr")?.parse().ok())?
}

/// Polls the log file for the `listening` line on a thread of its own (so an
/// async test never sleeps on its runtime), until found, the process exits, or
/// [`START_TIMEOUT`].
fn listening_in_file(log_dir: &Path, service: Service, child: &mut Child) -> Option<SocketAddr> {
    let (tx, rx) = mpsc::channel();
    let dir = log_dir.to_path_buf();
    std::thread::spawn(move || {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(addr) = log_lines(&dir, service).iter().rev().find_map(|line| listening_addr(line)) {
                let _ = tx.send(addr);
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    let deadline = Instant::now() + START_TIMEOUT;
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(addr) => return Some(addr),
            Err(mpsc::RecvTimeoutError::Disconnected) => return None,
            Err(mpsc::RecvTimeoutError::Timeout) if child.try_wait().ok().flatten().is_some() => return None,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
    None
}

/// A running service process, killed if a test forgets it.
pub struct Proc {
    child: Child,
    addr: SocketAddr,
    stdout: Lines,
    stderr: Lines,
    /// Held open, never read (see [`StdoutMode::NobodyReads`]).
    _unread: Option<ChildStdout>,
}

impl Proc {
    /// Where the service listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stdout so far, line by line (shared: it keeps growing).
    pub fn stdout(&self) -> Lines {
        self.stdout.clone()
    }

    /// Starts reading a stdout that was left unread ([`StdoutMode::NobodyReads`]),
    /// as if the stalled reader woke up; its lines go to [`Proc::stdout`].
    pub fn start_reading_stdout(&mut self) {
        if let Some(pipe) = self._unread.take() {
            self.stdout = collect(pipe, None);
        }
    }

    /// A copy of stdout's lines so far.
    pub fn stdout_lines(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    /// A copy of stderr's lines so far.
    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends `signal` (Unix).
    #[cfg(unix)]
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.child.id()).unwrap());
        nix::sys::signal::kill(pid, signal).unwrap();
    }

    /// Asks the service to stop (SIGTERM; on Windows, kills it) without waiting.
    pub fn request_stop(&mut self) {
        #[cfg(unix)]
        self.signal(nix::sys::signal::Signal::SIGTERM);
        #[cfg(not(unix))]
        let _ = self.child.kill();
    }

    /// Waits for the exit, at most `limit`; `None` if the process is still running.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for the exit without blocking the runtime, at most `limit`.
    pub async fn exited_within(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// SIGTERM, then the exit status, without blocking the runtime; panics if
    /// it takes over 10 s. For async tests.
    pub async fn stop(mut self) -> ExitStatus {
        self.request_stop();
        self.exited_within(Duration::from_secs(10)).await.expect("the service did not exit within 10 s of SIGTERM")
    }

    /// SIGTERM, then the exit status; panics if it takes over 10 s. For plain tests.
    pub fn terminate(mut self) -> ExitStatus {
        self.request_stop();
        self.wait_exit(Duration::from_secs(10)).expect("the service did not exit within 10 s of SIGTERM")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The environment variable that tells a re-executed test binary which service to be.
pub const CHILD_ENV: &str = "TESTKIT_CHILD_SERVICE";
const ARGS_ENV: &str = "TESTKIT_CHILD_ARGS";
const ARGS_SEPARATOR: char = '\u{1f}';

/// Call this from a test named as in [`Spawn::reexec`]: when the test binary
/// was started to be `service`, runs `run_cli` with the passed arguments and
/// exits with its code; otherwise returns at once (the test passes).
pub fn child_main(service: Service, run_cli: impl FnOnce(Vec<OsString>) -> std::process::ExitCode) {
    if std::env::var(CHILD_ENV).ok().as_deref() != Some(files::prefix(service)) {
        return;
    }
    let args = std::env::var(ARGS_ENV).unwrap_or_default();
    let argv: Vec<OsString> = std::iter::once(files::prefix(service).to_owned())
        .chain(args.split(ARGS_SEPARATOR).filter(|a| !a.is_empty()).map(str::to_owned))
        .map(OsString::from)
        .collect();
    // libtest has written `test NAME ... ` without a newline: end that line, so
    // the service's first line is a line of its own.
    println!();
    let code = run_cli(argv);
    std::process::exit(if code == std::process::ExitCode::SUCCESS { 0 } else { 1 });
}

mod logs;
mod wait;

pub use logs::{log_lines, log_records, request_records};
pub use wait::{eventually, is_gone, process_state, wait_until};
