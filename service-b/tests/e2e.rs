//! End-to-end: service B's binary and service A as separate processes on
//! ports they bound themselves (port 0, read from their `listening` line),
//! stopped, frozen and slowed the way a learner would, with assertions on what a
//! client and the log files see. Unix: the tests freeze A with SIGSTOP.

#![cfg(unix)]
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use contract::{LogRecord, Service};
use nix::sys::signal::Signal;
use serde_json::{Value, json};
use testkit::{Proc, Spawn, eventually, log_records, request_records};

/// Service A as a real process: this test binary started again as A (Cargo
/// only gives a test the binaries of its own package; see `testkit::child_main`).
#[test]
fn service_a_child() {
    testkit::child_main(Service::A, service_a::run_cli);
}

fn start_a(log_dir: &Path) -> Proc {
    Spawn::reexec("service_a_child", Service::A, log_dir).start()
}

fn start_b(log_dir: &Path, a_url: &str) -> Proc {
    Spawn::new(env!("CARGO_BIN_EXE_service-b"), Service::B, log_dir).args(["--service-a-url", a_url]).start()
}

fn start_pair(log_dir: &Path) -> (Proc, Proc) {
    let a = start_a(log_dir);
    let b = start_b(log_dir, &a.url());
    (a, b)
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
    })
    .await;
    let a_line = &request_records(logs.path(), Service::A)[0];
    let b_line = &request_records(logs.path(), Service::B)[0];
    let keys = |r: &LogRecord| r.fields.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    assert_eq!(keys(a_line), ["service", "endpoint", "status", "latency_ms", "request_id", "trace_id"]);
    assert_eq!(a_line.get("service"), Some("A"));
    assert_eq!(a_line.get("endpoint"), Some("/echo"));
    assert_eq!(b_line.get("endpoint"), Some("/call-echo"));
    assert_eq!(b_line.get("status"), Some("ok"));
    assert_eq!(a_line.get("request_id"), Some(answer.request_id.as_str()));
    assert_eq!(b_line.get("request_id"), Some(answer.request_id.as_str()));
    // stdout carries the same lines as the file.
    eventually("B's stdout has the line", || b.stdout_lines().iter().any(|l| l.contains(&answer.request_id))).await;
    assert!(a.stop().await.success());
    assert!(b.stop().await.success());
}

/// B calls A directly: a proxy variable in B's environment (pointing at a
/// port where nothing listens) does not capture the call.
#[tokio::test]
async fn a_proxy_variable_does_not_capture_the_call_to_a() {
    let logs = tempfile::tempdir().unwrap();
    let a = start_a(logs.path());
    let mut b =
        Spawn::new(env!("CARGO_BIN_EXE_service-b"), Service::B, logs.path()).args(["--service-a-url", &a.url()]);
    for key in ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"] {
        b = b.env(key, "http://127.0.0.1:9");
    }
    let b = b.start();
    let answer = get(&format!("{}/call-echo?msg=direct", b.url()), None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["service_a"]["echo"], "direct");
    assert!(a.stop().await.success());
    assert!(b.stop().await.success());
}

/// W3C `traceparent`: B joins the caller's trace (or starts one) and sends
/// it on to A with its own span; both lines say the same `trace_id`.
#[tokio::test]
async fn one_trace_id_in_both_logs_the_callers_or_a_fresh_one() {
    let logs = tempfile::tempdir().unwrap();
    let (a, b) = start_pair(logs.path());
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!("{}/call-echo?msg=traced", b.url());
    let caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    for (id, traceparent) in [("t-joined", Some(caller)), ("t-fresh", None), ("t-bad", Some("00-XYZ-1-01"))] {
        let mut request = client.get(&url).header("x-request-id", id);
        if let Some(value) = traceparent {
            request = request.header("traceparent", value);
        }
        assert_eq!(request.send().await.unwrap().status(), 200);
    }
    eventually("both services logged the three calls", || {
        request_records(logs.path(), Service::A).len() == 3 && request_records(logs.path(), Service::B).len() == 3
    })
    .await;
    let trace_of = |service: Service, id: &str| {
        let records = request_records(logs.path(), service);
        let record = records.iter().find(|r| r.get("request_id") == Some(id)).unwrap();
        record.get("trace_id").unwrap().to_owned()
    };
    assert_eq!(trace_of(Service::B, "t-joined"), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(trace_of(Service::A, "t-joined"), "4bf92f3577b34da6a3ce929d0e0e4736", "A joined B's trace");
    for id in ["t-fresh", "t-bad"] {
        let (in_b, in_a) = (trace_of(Service::B, id), trace_of(Service::A, id));
        assert_eq!(in_a, in_b, "one trace across both services");
        assert!(in_b.len() == 32 && in_b.bytes().all(|c| c.is_ascii_hexdigit()), "{in_b}");
        assert_ne!(in_b, "4bf92f3577b34da6a3ce929d0e0e4736");
    }
    assert_ne!(trace_of(Service::B, "t-fresh"), trace_of(Service::B, "t-bad"), "each fresh trace is new");
    assert!(a.stop().await.success());
    assert!(b.stop().await.success());
}

#[tokio::test]
async fn a_stopped_gives_503_connect_at_once() {
    let logs = tempfile::tempdir().unwrap();
    let (a, b) = start_pair(logs.path());
    assert!(a.stop().await.success());
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
    })
    .await;
    assert!(b.stop().await.success());
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
    assert!(a.stop().await.success());
    assert!(b.stop().await.success());
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
    })
    .await;
    assert!(a.stop().await.success());
    assert!(b.stop().await.success());
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
    let b_stdout = b.stdout();
    assert!(b.stop().await.success(), "B exits 0 on SIGTERM");
    assert!(a.stop().await.success(), "A exits 0 on SIGTERM");
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
    })
    .await;
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
    assert!(a.stop().await.success());
    assert!(b.stop().await.success());

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

#[test]
fn help_documents_every_flag_and_variable() {
    let output = Command::new(env!("CARGO_BIN_EXE_service-b")).arg("--help").output().unwrap();
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
        "--max-connections",
        "--header-timeout-ms",
        "--idle-timeout-ms",
        "--shutdown-grace-ms",
        "/metrics",
    ] {
        assert!(help.contains(word), "--help lacks {word}");
    }
    let bad = Command::new(env!("CARGO_BIN_EXE_service-b")).args(["--service-a-url", "ftp://x"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("must be an http:// URL"));
}

/// Issue 8: an in-flight call when SIGTERM comes is finished within the grace
/// or cut, with its line (`cut at shutdown`), and B exits 0 in time. Also: the
/// call to A is counted in `/metrics` by outcome.
#[tokio::test]
async fn an_in_flight_call_is_cut_at_the_end_of_the_grace_and_logged() {
    let logs = tempfile::tempdir().unwrap();
    // An "A" that accepts connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    let mut b = Spawn::new(env!("CARGO_BIN_EXE_service-b"), Service::B, logs.path())
        .args(["--service-a-url", &silent_url, "--timeout-ms", "60000", "--shutdown-grace-ms", "300"])
        .start();
    let url = format!("{}/call-echo?msg=stuck", b.url());
    let call = tokio::spawn(async move {
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        client.get(url).header("x-request-id", "stuck-1").send().await.map(|r| r.status().as_u16())
    });
    let (_held, _) = tokio::time::timeout(Duration::from_secs(5), silent.accept()).await.unwrap().unwrap();
    let stopping = Instant::now();
    b.request_stop();
    let status = b.exited_within(Duration::from_secs(3)).await.expect("B did not exit within the grace");
    assert!(status.success());
    assert!(stopping.elapsed() < Duration::from_millis(2500), "{:?}", stopping.elapsed());
    assert!(call.await.unwrap().is_err(), "the cut request gets no answer");
    let cut = request_records(logs.path(), Service::B);
    assert!(
        cut.iter().any(|r| r.get("request_id") == Some("stuck-1") && r.get("error") == Some("cut at shutdown")),
        "{cut:?}"
    );
}

#[tokio::test]
async fn calls_to_a_are_counted_by_outcome() {
    let logs = tempfile::tempdir().unwrap();
    let (a, b) = start_pair(logs.path());
    assert_eq!(get(&format!("{}/call-echo?msg=1", b.url()), None).await.status, 200);
    assert!(a.stop().await.success());
    assert_eq!(get(&format!("{}/call-echo?msg=2", b.url()), None).await.status, 503);
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let text = client.get(format!("{}/metrics", b.url())).send().await.unwrap().text().await.unwrap();
    for line in [
        r#"upstream_calls_total{outcome="ok"} 1"#,
        r#"upstream_calls_total{outcome="connect"} 1"#,
        r#"http_requests_total{endpoint="/call-echo",status="503"} 1"#,
        r#"http_request_duration_seconds_count{endpoint="/health"} 0"#,
    ] {
        assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
    }
    // B's metrics name B's paths only: A's `/echo` is not one of them.
    assert!(!text.contains(r#"endpoint="/echo""#), "B shows A's endpoint:\n{text}");
    assert!(b.stop().await.success());
}

/// B keeps its connections to A open between calls: after A is stopped and
/// started again on the same address, those connections are dead, and the
/// first call must still reach the new A (a request a dead connection could
/// not start is sent on a fresh one), not answer `connect`.
#[tokio::test]
async fn calls_reach_an_a_started_again_on_the_same_address() {
    let logs = tempfile::tempdir().unwrap();
    let a = start_a(logs.path());
    let addr = a.addr().to_string();
    let b = start_b(logs.path(), &a.url());
    for i in 0..3 {
        let answer = get(&format!("{}/call-echo?msg=before{i}", b.url()), None).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    assert!(a.stop().await.success());
    let again = Spawn::reexec("service_a_child", Service::A, logs.path()).addr(&addr).start();
    for i in 0..3 {
        let answer = get(&format!("{}/call-echo?msg=after{i}", b.url()), None).await;
        assert_eq!(answer.status, 200, "call {i} after the restart: {}", answer.body);
        assert_eq!(answer.body["service_a"]["echo"], format!("after{i}"));
    }
    assert!(again.stop().await.success());
    assert!(b.stop().await.success());
}
