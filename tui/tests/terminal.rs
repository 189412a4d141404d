//! End-to-end: the real dashboard in a pseudo-terminal, with its own children
//! on ports they pick (port 0), ended from outside the way a user's system
//! ends programs. A quit signal must restore the terminal and stop the
//! children gracefully; SIGKILL must still leave no child behind, even a
//! frozen one.

#![cfg(target_os = "linux")] // pseudo-terminals here; process states from /proc
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use contract::Service;
use nix::pty::{Winsize, openpty};
use nix::sys::signal::{Signal, kill};
use nix::sys::termios::{LocalFlags, tcgetattr};
use nix::unistd::Pid;
use testkit::{is_gone, process_state};

/// Polls `check` (through the shared harness) until it returns something, for at most `limit`.
fn wait_for<T>(limit: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let mut found = None;
    testkit::wait_until(limit, what, || {
        found = check();
        found.is_some()
    });
    found.expect("wait_until returns once found")
}

/// A dashboard running in a pseudo-terminal of 160x45.
struct Dashboard {
    child: Child,
    /// Everything the dashboard wrote to its terminal.
    screen: Arc<Mutex<Vec<u8>>>,
    master: File,
    slave: File,
}

/// What a started service's `listening` line says.
struct Listening {
    addr: SocketAddr,
    pid: u32,
}

impl Dashboard {
    fn start(logs: &Path) -> Self {
        let size = Winsize { ws_row: 45, ws_col: 160, ws_xpixel: 0, ws_ypixel: 0 };
        let pty = openpty(&size, None).unwrap();
        let (master, slave) = (File::from(pty.master), File::from(pty.slave));
        let child = Command::new(env!("CARGO_BIN_EXE_tui"))
            .args(["--a-url", "http://127.0.0.1:0", "--b-url", "http://127.0.0.1:0", "--log-dir"])
            .arg(logs)
            .env("TERM", "xterm-256color")
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave.try_clone().unwrap()))
            .spawn()
            .unwrap();
        let screen = Arc::new(Mutex::new(Vec::new()));
        let (mut reader, sink) = (master.try_clone().unwrap(), screen.clone());
        // Drained for the dashboard's whole life: a full terminal would block it.
        std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(n @ 1..) = reader.read(&mut buffer) {
                sink.lock().unwrap().extend_from_slice(&buffer[..n]);
            }
        });
        Self { child, screen, master, slave }
    }

    fn pid(&self) -> Pid {
        Pid::from_raw(i32::try_from(self.child.id()).unwrap())
    }

    fn screen_text(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned()
    }

    fn press(&mut self, keys: &str) {
        self.master.write_all(keys.as_bytes()).unwrap();
    }

    /// Presses `key` until `done` holds, at most 5 times, 5 s apart. A key the
    /// dashboard could not act on yet (in its first moments, before it knows
    /// B's address, policy or a running A) changes nothing, and says so on
    /// screen: press again. The screen is drawn as differences, so its bytes
    /// cannot say reliably what it shows.
    fn press_until(&mut self, key: &str, what: &str, done: impl Fn() -> bool) {
        for _ in 0..5 {
            self.press(key);
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if done() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("{what}: nothing after 5 presses of {key:?}");
    }

    /// Waits until both services answer; returns where and as which process.
    fn until_services_up(&self, logs: &Path) -> [Listening; 2] {
        Service::ALL.map(|service| {
            let listening = wait_for(Duration::from_secs(30), "the listening line", || listening_line(logs, service));
            wait_for(Duration::from_secs(10), "the service to accept", || {
                TcpStream::connect_timeout(&listening.addr, Duration::from_millis(200)).ok()
            });
            listening
        })
    }

    fn wait_exit(&mut self, limit: Duration) -> std::process::ExitStatus {
        wait_for(limit, "the dashboard to exit", || self.child.try_wait().unwrap())
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn listening_line(logs: &Path, service: Service) -> Option<Listening> {
    let record =
        testkit::log_records(logs, service).into_iter().find(|record| record.get("event") == Some("listening"))?;
    Some(Listening { addr: record.get("addr")?.parse().ok()?, pid: record.get("pid")?.parse().ok()? })
}

fn refuses(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err()
}

#[test]
fn quit_signals_from_outside_restore_the_terminal_and_stop_the_children_gracefully() {
    for signal in [Signal::SIGINT, Signal::SIGQUIT, Signal::SIGUSR1] {
        let logs = tempfile::tempdir().unwrap();
        let mut dashboard = Dashboard::start(logs.path());
        let services = dashboard.until_services_up(logs.path());
        wait_for(Duration::from_secs(10), "the first frame", || {
            dashboard.screen_text().contains("first distributed system").then_some(())
        });
        kill(dashboard.pid(), signal).unwrap();
        let status = dashboard.wait_exit(Duration::from_secs(20));
        assert!(status.success(), "{signal}: the dashboard exited with {status}");
        let screen = dashboard.screen_text();
        assert!(screen.contains("\u{1b}[?1049l"), "{signal}: the alternate screen was never left");
        let flags = tcgetattr(&dashboard.slave).unwrap().local_flags;
        assert!(flags.contains(LocalFlags::ECHO | LocalFlags::ICANON), "{signal}: raw mode left on: {flags:?}");
        for (service, listening) in Service::ALL.into_iter().zip(&services) {
            assert!(is_gone(listening.pid), "{signal}: {} outlived the dashboard", service.name());
            let lines = testkit::log_lines(logs.path(), service);
            let last = lines.last().map(String::as_str).unwrap_or_default();
            assert!(last.contains("event=shutdown phase=done"), "{signal}: {} was not drained: {last}", service.name());
        }
    }
}

/// A FIFO named like a newer log file of B: B's lines still arrive, the
/// screen says what the FIFO is, and `q` ends the dashboard (it used to block
/// for ever in open(2), ignoring every signal after the terminal came back).
#[test]
fn a_fifo_in_the_log_directory_is_skipped_said_and_q_still_ends_the_dashboard() {
    let logs = tempfile::tempdir().unwrap();
    let fifo = logs.path().join("service-b.2099-01-01.log");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let mut dashboard = Dashboard::start(logs.path());
    dashboard.until_services_up(logs.path());
    wait_for(Duration::from_secs(10), "the FIFO said on screen", || {
        dashboard.screen_text().contains("is a FIFO, not a log file").then_some(())
    });
    dashboard.press("q");
    let status = dashboard.wait_exit(Duration::from_secs(15));
    assert!(status.success(), "the dashboard exited with {status}");
}

#[test]
fn a_killed_dashboard_leaves_no_child_even_a_frozen_one() {
    let logs = tempfile::tempdir().unwrap();
    let mut dashboard = Dashboard::start(logs.path());
    let [a, b] = dashboard.until_services_up(logs.path());
    // `f` acts on a running A; under load A can answer before the dashboard
    // has seen it run, and then `f` only says so.
    dashboard.press_until("f", "A frozen", || process_state(a.pid) == Some('T'));
    kill(dashboard.pid(), Signal::SIGKILL).unwrap();
    let killed = Instant::now();
    wait_for(Duration::from_secs(3), "both children to be gone", || {
        (is_gone(a.pid) && is_gone(b.pid) && refuses(a.addr) && refuses(b.addr)).then_some(())
    });
    assert!(killed.elapsed() < Duration::from_secs(2), "took {:?}", killed.elapsed());
}

/// The guard alone (what macOS relies on, with no parent-death signal): when the
/// pipe from its parent closes, every process of its group dies, a stopped one too.
#[test]
fn the_guard_ends_its_group_when_the_pipe_closes() {
    use std::os::unix::process::CommandExt;

    let mut guard = Command::new(env!("CARGO_BIN_EXE_tui"))
        .arg(tui::platform::process::GUARD_SUBCOMMAND)
        .stdin(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    let group = i32::try_from(guard.id()).unwrap();
    let mut member = Command::new("sleep").arg("60").process_group(group).spawn().unwrap();
    kill(Pid::from_raw(i32::try_from(member.id()).unwrap()), Signal::SIGSTOP).unwrap();
    wait_for(Duration::from_secs(5), "sleep to stop", || (process_state(member.id()) == Some('T')).then_some(()));
    drop(guard.stdin.take());
    let status = wait_for(Duration::from_secs(3), "the stopped member to die", || member.try_wait().unwrap());
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(Signal::SIGKILL as i32));
    guard.wait().unwrap();
}

#[test]
fn the_guard_refuses_to_run_outside_its_own_group() {
    let output = Command::new(env!("CARGO_BIN_EXE_tui"))
        .arg(tui::platform::process::GUARD_SUBCOMMAND)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a process group leader"));
}

/// Issue 12 end to end: `+` twice gives B 500 ms more through its admin
/// listener, so the slow request (A waits 1300 ms) now gets a 200.
#[test]
fn two_presses_of_plus_give_b_500_ms_more_and_the_slow_request_gets_through() {
    let logs = tempfile::tempdir().unwrap();
    let mut dashboard = Dashboard::start(logs.path());
    dashboard.until_services_up(logs.path());
    let changes = || {
        testkit::log_records(logs.path(), Service::B)
            .into_iter()
            .filter(|r| r.get("event") == Some("policy") && r.get("why") == Some("changed"))
            .filter_map(|r| r.get("timeout_ms").map(str::to_owned))
            .collect::<Vec<_>>()
    };
    // Each press is acted on once the dashboard knows B's policy.
    dashboard.press_until("+", "B's first policy change", || !changes().is_empty());
    dashboard.press_until("+", "B's second policy change", || changes().len() >= 2);
    assert_eq!(changes(), ["1250", "1500"]);
    let slow_line = || {
        testkit::request_records(logs.path(), Service::B).into_iter().find(|r| r.get("endpoint") == Some("/call-echo"))
    };
    dashboard.press_until("s", "the slow request in B's log", || slow_line().is_some());
    let line = slow_line().unwrap();
    assert_eq!(line.get("status"), Some("ok"), "{line:?}");
    let latency: u64 = line.get("latency_ms").unwrap().parse().unwrap();
    assert!((1300..1500).contains(&latency), "A waited 1300 ms and B waited for it: {latency} ms");
}
