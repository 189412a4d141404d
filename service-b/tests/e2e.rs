//! End-to-end: the real `service-a` and `service-b` binaries as separate
//! processes on spare ports, stopped, frozen and slowed the way a learner would,
//! with assertions on what a client and the log files see.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use contract::{LogRecord, Service, files};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::{Value, json};

/// A running service binary, killed if a test forgets it.
struct Proc {
    child: Child,
    addr: SocketAddr,
    stdout: Arc<Mutex<Vec<String>>>,
}

impl Proc {
    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn signal(&self, signal: Signal) {
        kill(Pid::from_raw(i32::try_from(self.child.id()).unwrap()), signal).unwrap();
    }

    /// SIGTERM, then the exit status (within 10 s).
    fn terminate(mut self) -> ExitStatus {
        self.signal(Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "service did not exit within 10 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary(name: &str) -> PathBuf {
    let b = PathBuf::from(env!("CARGO_BIN_EXE_service-b"));
    let path = b.with_file_name(name);
    if !path.exists() {
        // `cargo test -p service-b` alone does not build A's binary; build it once.
        let status = Command::new(env!("CARGO")).args(["build", "-p", name, "--bin", name]).status().unwrap();
        assert!(status.success(), "could not build {name}");
    }
    path
}

/// Starts `name` on `127.0.0.1:0` and waits for its `event=listening` line to learn the port.
fn start(name: &str, log_dir: &Path, args: &[&str]) -> Proc {
    start_with_rust_log(name, log_dir, args, None)
}

fn start_with_rust_log(name: &str, log_dir: &Path, args: &[&str], rust_log: Option<&str>) -> Proc {
    let mut command = Command::new(binary(name));
    match rust_log {
        Some(filter) => command.env("RUST_LOG", filter),
        None => command.env_remove("RUST_LOG"),
    };
    let mut child = command
        .args(["--addr", "127.0.0.1:0", "--log-dir"])
        .arg(log_dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = Arc::new(Mutex::new(Vec::new()));
    let (listening_tx, listening_rx) = mpsc::channel();
    let reader = BufReader::new(child.stdout.take().unwrap());
    let lines = stdout.clone();
    // Drain stdout for the life of the process: the logs are lossless, so an
    // unread pipe would eventually block the service.
    std::thread::spawn(move || {
        for line in reader.lines().map_while(Result::ok) {
            if let Ok(record) = LogRecord::parse(&line)
                && record.get("event") == Some("listening")
            {
                let _ = listening_tx.send(record.get("addr").unwrap_or_default().to_owned());
            }
            lines.lock().unwrap().push(line);
        }
    });
    let addr = listening_rx.recv_timeout(Duration::from_secs(20)).expect("service did not log `listening`");
    Proc { child, addr: addr.parse().unwrap(), stdout }
}

fn start_pair(log_dir: &Path) -> (Proc, Proc) {
    let a = start("service-a", log_dir, &[]);
    let b = start("service-b", log_dir, &["--service-a-url", &a.url()]);
    (a, b)
}

/// Every parsed line of `service`'s log files, oldest file first.
fn log_records(log_dir: &Path, service: Service) -> Vec<LogRecord> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(log_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| files::is_log_file_of(service, &path.file_name().unwrap().to_string_lossy()))
        .collect();
    paths.sort();
    paths
        .iter()
        .flat_map(|path| std::fs::read_to_string(path).unwrap().lines().map(str::to_owned).collect::<Vec<_>>())
        .map(|line| LogRecord::parse(&line).unwrap_or_else(|e| panic!("unparseable log line ({e}): {line:?}")))
        .collect()
}

/// The request lines (not lifecycle lines) of `service`.
fn request_records(log_dir: &Path, service: Service) -> Vec<LogRecord> {
    log_records(log_dir, service).into_iter().filter(|r| r.get("endpoint").is_some()).collect()
}

/// Polls `check` until it holds, for at most 10 s.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

struct Answer {
    status: u16,
    request_id: String,
    body: Value,
    took: Duration,
}

async fn get(url: &str, request_id: Option<&str>) -> Answer {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut request = client.get(url);
    if let Some(id) = request_id {
        request = request.header("x-request-id", id);
    }
    let started = Instant::now();
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let request_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body = response.json().await.unwrap();
    Answer { status, request_id, body, took: started.elapsed() }
}

#[tokio::test]
async fn success_and_one_request_id_in_both_log_files() {
    let logs = tempfile::tempdir().unwrap();
    let (a, b) = start_pair(logs.path());
    let answer = get(&format!("{}/call-echo?msg=hello+world", b.url()), None).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, json!({"service_a": {"echo": "hello world"}, "service_b": "ok"}));

    eventually("both services logged the call", || {
        request_records(logs.path(), Service::A).len() == 1 && request_records(logs.path(), Service::B).len() == 1
    });
    let a_line = &request_records(logs.path(), Service::A)[0];
    let b_line = &request_records(logs.path(), Service::B)[0];
    let keys = |r: &LogRecord| r.fields.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    assert_eq!(keys(a_line), ["service", "endpoint", "status", "latency_ms", "request_id"]);
    assert_eq!(a_line.get("service"), Some("A"));
    assert_eq!(a_line.get("endpoint"), Some("/echo"));
    assert_eq!(b_line.get("endpoint"), Some("/call-echo"));
    assert_eq!(b_line.get("status"), Some("ok"));
    assert_eq!(a_line.get("request_id"), Some(answer.request_id.as_str()));
    assert_eq!(b_line.get("request_id"), Some(answer.request_id.as_str()));
    // stdout carries the same lines as the file.
    eventually("B's stdout has the line", || b.stdout.lock().unwrap().iter().any(|l| l.contains(&answer.request_id)));
    assert!(a.terminate().success());
    assert!(b.terminate().success());
}

#[tokio::test]
async fn a_stopped_gives_503_connect_at_once() {
    let logs = tempfile::tempdir().unwrap();
    let (a, b) = start_pair(logs.path());
    assert!(a.terminate().success());
    let answer = get(&format!("{}/call-echo?msg=anyone", b.url()), Some("stopped-1")).await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.body["error_kind"], "connect");
    assert_eq!(answer.body["service_a"], "unavailable");
    assert_eq!(answer.body["service_b"], "ok");
    assert!(answer.took < Duration::from_millis(900), "a refused connection is not a timeout: {:?}", answer.took);
    eventually("B logged the failure", || {
        request_records(logs.path(), Service::B).iter().any(|r| {
            r.get("request_id") == Some("stopped-1")
                && r.get("status") == Some("error")
                && r.get("error_kind") == Some("connect")
                && r.get("error").is_some_and(|e| e.contains("connection refused"))
        })
    });
    assert!(b.terminate().success());
}

#[tokio::test]
async fn a_frozen_gives_503_timeout_after_the_timeout() {
    let logs = tempfile::tempdir().unwrap();
    let (a, b) = start_pair(logs.path());
    a.signal(Signal::SIGSTOP);
    let answer = get(&format!("{}/call-echo?msg=hello", b.url()), Some("frozen-1")).await;
    a.signal(Signal::SIGCONT);
    assert_eq!(answer.status, 503);
    assert_eq!(answer.body["error_kind"], "timeout");
    assert_eq!(answer.body["error"], "service A did not answer within 1000 ms");
    assert!(
        answer.took >= Duration::from_millis(1000) && answer.took < Duration::from_millis(2500),
        "B must answer at its 1 s timeout, not hang: {:?}",
        answer.took
    );
    // Thawed, A answers again: the failure was A's alone, and B never went down.
    let again = get(&format!("{}/call-echo?msg=back", b.url()), None).await;
    assert_eq!((again.status, &again.body["service_a"]["echo"]), (200, &json!("back")));
    assert!(a.terminate().success());
    assert!(b.terminate().success());
}

#[tokio::test]
async fn a_slow_gives_503_timeout_and_a_logs_the_abandoned_call() {
    let logs = tempfile::tempdir().unwrap();
    let (a, b) = start_pair(logs.path());
    let answer = get(&format!("{}/call-echo?msg=slow&delay_ms=3000", b.url()), Some("slow-1")).await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.body["error_kind"], "timeout");
    assert!(answer.took < Duration::from_millis(2500), "{:?}", answer.took);
    eventually("A logged the call B gave up on", || {
        request_records(logs.path(), Service::A).iter().any(|r| {
            r.get("request_id") == Some("slow-1")
                && r.get("status") == Some("error")
                && r.get("error").is_some_and(|e| e.contains("client closed"))
        })
    });
    assert!(a.terminate().success());
    assert!(b.terminate().success());
}

#[tokio::test]
async fn every_request_is_logged_once_even_when_sigterm_follows_at_once() {
    let logs = tempfile::tempdir().unwrap();
    let (a, b) = start_pair(logs.path());
    const N: usize = 300;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!("{}/call-echo?msg=n", b.url());
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..10 {
        let (client, url) = (client.clone(), url.clone());
        tasks.spawn(async move {
            for i in (worker..N).step_by(10) {
                let response = client.get(&url).header("x-request-id", format!("n-{i}")).send().await.unwrap();
                assert_eq!(response.status(), 200);
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    // No waiting for the files: SIGTERM right away must still flush every line.
    let b_stdout = b.stdout.clone();
    assert!(b.terminate().success(), "B exits 0 on SIGTERM");
    assert!(a.terminate().success(), "A exits 0 on SIGTERM");
    for service in Service::ALL {
        let records = request_records(logs.path(), service);
        assert_eq!(records.len(), N, "service {}", service.name());
        let mut ids: Vec<&str> = records.iter().filter_map(|r| r.get("request_id")).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), N, "each request exactly once in {}", service.name());
        let last = log_records(logs.path(), service).pop().unwrap();
        assert_eq!((last.get("event"), last.get("phase")), (Some("shutdown"), Some("done")));
    }
    eventually("B's stdout has every line", || {
        b_stdout.lock().unwrap().iter().filter(|line| line.contains("endpoint=/call-echo")).count() == N
    });
}

#[tokio::test]
async fn hostile_input_cannot_forge_or_break_log_lines() {
    let logs = tempfile::tempdir().unwrap();
    let (a, b) = start_pair(logs.path());
    let forged = "2026-01-01 00:00:00,000 service=A endpoint=/echo status=ok";
    let hostile_ids = ["id with space", "quote\"d", "k=v status=ok"];
    for id in hostile_ids {
        let answer = get(&format!("{}/call-echo?msg=x", b.url()), Some(id)).await;
        assert_eq!(answer.request_id, id);
    }
    // A tab is not printable ASCII: the id is replaced (SPEC), never logged.
    let replaced = get(&format!("{}/call-echo?msg=x", b.url()), Some("tab\there")).await;
    assert_ne!(replaced.request_id, "tab\there");
    let msg = format!("line%0A{}%1B%5B31m", forged.replace(' ', "+"));
    assert_eq!(get(&format!("{}/call-echo?msg={msg}", b.url()), Some("msg-1")).await.status, 200);
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let path = client.get(format!("{}/x%0A{}", b.url(), forged.replace(' ', "%20"))).send().await.unwrap();
    assert_eq!(path.status(), 404);
    assert!(a.terminate().success());
    assert!(b.terminate().success());

    for service in Service::ALL {
        // Every line parses (log_records panics otherwise) and none is forged.
        let records = request_records(logs.path(), service);
        assert_eq!(records.len(), if service == Service::A { 5 } else { 6 }, "service {}", service.name());
        assert!(records.iter().all(|r| r.get("service") == Some(service.name())));
        assert!(records.iter().all(|r| r.timestamp.year() != 2026 || r.timestamp.month() != time::Month::January));
        for id in hostile_ids {
            assert!(records.iter().any(|r| r.get("request_id") == Some(id)), "{id:?} round-trips");
        }
    }
}

#[tokio::test]
async fn json_log_format_writes_one_object_per_line() {
    let logs = tempfile::tempdir().unwrap();
    let a = start("service-a", logs.path(), &["--log-format", "json"]);
    assert_eq!(get(&format!("{}/echo?msg=j", a.url()), Some("json-1")).await.status, 200);
    assert!(a.terminate().success());
    let file = std::fs::read_dir(logs.path()).unwrap().next().unwrap().unwrap().path();
    let text = std::fs::read_to_string(file).unwrap();
    let objects: Vec<Value> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let request = objects.iter().find(|o| o["request_id"] == "json-1").unwrap();
    assert_eq!(request["endpoint"], "/echo");
    assert_eq!(request["status"], "ok");
    assert!(request["latency_ms"].is_u64());
    assert!(request["timestamp"].is_string());
}

#[tokio::test]
async fn rust_log_filters_the_console_but_never_the_file() {
    let logs = tempfile::tempdir().unwrap();
    // The `listening` line must still reach stdout (the test reads the port from it).
    let a = start_with_rust_log("service-a", logs.path(), &[], Some("info,access=off"));
    assert_eq!(get(&format!("{}/echo?msg=quiet", a.url()), Some("quiet-1")).await.status, 200);
    let stdout = a.stdout.clone();
    assert!(a.terminate().success());
    let records = request_records(logs.path(), Service::A);
    assert_eq!(records.len(), 1, "the file has the request line");
    // One format pass: the console gets the file's lifecycle lines byte for byte.
    let file_lifecycle: Vec<String> = log_records(logs.path(), Service::A)
        .into_iter()
        .filter(|r| r.get("event").is_some())
        .map(|r| r.to_text())
        .collect();
    eventually("stdout has every lifecycle line", || stdout.lock().unwrap().len() >= file_lifecycle.len());
    let console = stdout.lock().unwrap().clone();
    assert!(console.iter().all(|line| !line.contains("quiet-1")), "{console:?}");
    assert_eq!(console, file_lifecycle);
}

#[test]
fn a_taken_port_is_a_clear_error_and_exit_1() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let logs = tempfile::tempdir().unwrap();
    let output = Command::new(binary("service-a"))
        .args(["--addr", &taken.local_addr().unwrap().to_string(), "--log-dir"])
        .arg(logs.path())
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot listen on") && stderr.contains("in use"), "{stderr}");
}

#[test]
fn help_documents_every_flag_and_variable() {
    let output = Command::new(binary("service-b")).arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for word in [
        "--addr",
        "SERVICE_B_ADDR",
        "--service-a-url",
        "SERVICE_A_URL",
        "--timeout-ms",
        "SERVICE_A_TIMEOUT_MS",
        "--log-dir",
        "LOG_DIR",
        "--log-format",
        "LOG_FORMAT",
        "--log-rotation",
        "LOG_ROTATION",
        "--log-max-files",
        "LOG_MAX_FILES",
        "RUST_LOG",
    ] {
        assert!(help.contains(word), "--help lacks {word}");
    }
    let bad = Command::new(binary("service-b")).args(["--service-a-url", "ftp://x"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("must be an http:// URL"));
}
