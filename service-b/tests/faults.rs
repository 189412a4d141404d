//! End to end: A's own faults, set through A's admin listener while A and B run
//! as processes, seen the way a learner sees them: in B's answers
//! (`error_kind` `status` and `body`) and in A's log line (`fault=...`), and
//! A's idempotency memory (`dedup=hit`).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::net::SocketAddr;
use std::path::Path;

use contract::{LogRecord, Service};
use serde_json::Value;
use testkit::{Proc, Spawn, eventually, log_records, request_records};

/// Service A as a real process (see `testkit::child_main`).
#[test]
fn service_a_child() {
    testkit::child_main(Service::A, service_a::run_cli);
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// A with an admin listener and a fixed seed, and B calling it.
async fn start(log_dir: &Path) -> (Proc, Proc, String) {
    let a = Spawn::reexec("service_a_child", Service::A, log_dir)
        .args(["--admin-addr", "127.0.0.1:0", "--seed", "7"])
        .start();
    let b =
        Spawn::new(env!("CARGO_BIN_EXE_service-b"), Service::B, log_dir).args(["--service-a-url", &a.url()]).start();
    let mut admin = None;
    eventually("A logged its admin listener", || {
        admin = log_records(log_dir, Service::A)
            .into_iter()
            .find(|r| r.get("event") == Some("listening") && r.get("listener") == Some("admin"))
            .and_then(|r| r.get("addr")?.parse::<SocketAddr>().ok());
        admin.is_some()
    })
    .await;
    (a, b, format!("http://{}", admin.unwrap()))
}

async fn put(url: &str, body: &'static str) -> Value {
    let answer = client().put(url).header("content-type", "application/json").body(body).send().await.unwrap();
    assert_eq!(answer.status(), 200, "PUT {url} {body}");
    answer.json().await.unwrap()
}

async fn call_b(b: &Proc, id: &str) -> (u16, Value) {
    let answer = client().get(format!("{}/call-echo?msg=hi", b.url())).header("x-request-id", id).send().await.unwrap();
    (answer.status().as_u16(), answer.json().await.unwrap())
}

/// A's request lines with request id `id`, once there are `count` of them.
async fn a_lines(log_dir: &Path, id: &str, count: usize) -> Vec<LogRecord> {
    let lines = || -> Vec<LogRecord> {
        request_records(log_dir, Service::A).into_iter().filter(|r| r.get("request_id") == Some(id)).collect()
    };
    eventually(&format!("A logged {count} line(s) of {id}"), || lines().len() >= count).await;
    lines()
}

#[tokio::test]
async fn a_faults_show_in_b_answers_as_status_and_body_and_in_a_line() {
    let logs = tempfile::tempdir().unwrap();
    let (a, b, admin) = start(logs.path()).await;
    let faults = format!("{admin}/faults");

    let (status, body) = call_b(&b, "no-fault").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(a_lines(logs.path(), "no-fault", 1).await[0].get("fault"), None);

    let now = put(&faults, r#"{"error_rate": 1.0, "error_status": 502}"#).await;
    assert_eq!(now["error_status"], 502);
    let (status, body) = call_b(&b, "injected-error").await;
    assert_eq!((status, body["error_kind"].as_str()), (503, Some("status")), "{body}");
    assert!(body["error"].as_str().unwrap().contains("502"), "{body}");
    let line = &a_lines(logs.path(), "injected-error", 1).await[0];
    assert_eq!(line.get("fault"), Some("error_status"));
    assert_eq!((line.get("status"), line.get("error")), (Some("error"), Some("injected fault")));

    put(&faults, r#"{"error_rate": 0.0, "bad_body_rate": 1.0}"#).await;
    let (status, body) = call_b(&b, "injected-page").await;
    assert_eq!((status, body["error_kind"].as_str()), (503, Some("body")), "{body}");
    let line = &a_lines(logs.path(), "injected-page", 1).await[0];
    assert_eq!((line.get("fault"), line.get("status")), (Some("bad_body"), Some("ok")));

    // Each change was one lifecycle line, after the one at start.
    let changes: Vec<(String, String)> = log_records(logs.path(), Service::A)
        .into_iter()
        .filter(|r| r.get("event") == Some("faults"))
        .map(|r| (r.get("why").unwrap().to_owned(), r.get("bad_body_rate").unwrap().to_owned()))
        .collect();
    let expected = [("start", "0.0"), ("changed", "0.0"), ("changed", "1.0")].map(|(w, r)| (w.into(), r.into()));
    assert_eq!(changes, expected);
    assert!(
        log_records(logs.path(), Service::A)
            .iter()
            .any(|r| r.get("event") == Some("config") && r.get("seed") == Some("7"))
    );
    assert!(a.stop().await.success());
    assert!(b.stop().await.success());
}

#[tokio::test]
async fn with_dedup_on_a_repeated_request_id_is_answered_from_memory() {
    let logs = tempfile::tempdir().unwrap();
    let (a, b, admin) = start(logs.path()).await;
    assert_eq!(put(&format!("{admin}/policy"), r#"{"dedup": true}"#).await, serde_json::json!({"dedup": true}));
    for _ in 0..2 {
        let answer = client()
            .get(format!("{}/echo?msg=once&delay_ms=50", a.url()))
            .header("x-request-id", "same-id")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.text().await.unwrap(), r#"{"echo":"once"}"#);
    }
    let lines = a_lines(logs.path(), "same-id", 2).await;
    assert_eq!(lines[0].get("dedup"), None, "the first did the work");
    assert_eq!(lines[1].get("dedup"), Some("hit"));
    assert!(
        log_records(logs.path(), Service::A).iter().any(|r| r.get("event") == Some("policy")
            && r.get("why") == Some("changed")
            && r.get("dedup") == Some("on"))
    );
    assert!(a.stop().await.success());
    assert!(b.stop().await.success());
}
