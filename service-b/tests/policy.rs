//! B's call policy end to end: B's binary against stub As that fail on
//! purpose (in this test process), and against the real A for deadlines; the
//! admin listener's answers to good and bad changes. Issue 12.

#![cfg(unix)]
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use contract::{LogRecord, Service};
use serde_json::{Value, json};
use testkit::{Proc, Spawn, eventually, log_records, request_records};

/// Service A as a real process (see `testkit::child_main`).
#[test]
fn service_a_child() {
    testkit::child_main(Service::A, service_a::run_cli);
}

/// A stub A: fails its first `failures` calls with `failure` (forever with
/// `u32::MAX`; never answers them with `None`, as a request lost on the
/// network), then echoes; counts every call.
struct Stub {
    calls: AtomicU32,
    failures: AtomicU32,
    failure: Option<StatusCode>,
}

impl Stub {
    async fn start(failures: u32, failure: impl Into<Option<StatusCode>>) -> (Arc<Stub>, String) {
        let failure = failure.into();
        let stub = Arc::new(Stub { calls: AtomicU32::new(0), failures: AtomicU32::new(failures), failure });
        let app = Router::new().route("/echo", get(stub_echo)).with_state(stub.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (stub, url)
    }

    fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }

    fn heal(&self) {
        self.failures.store(0, Ordering::SeqCst);
    }
}

async fn stub_echo(State(stub): State<Arc<Stub>>) -> axum::response::Response {
    let call = stub.calls.fetch_add(1, Ordering::SeqCst);
    if call < stub.failures.load(Ordering::SeqCst) {
        match stub.failure {
            Some(status) => return (status, "stub failure").into_response(),
            None => std::future::pending::<()>().await,
        }
    }
    ([("content-type", "application/json")], r#"{"echo":"hi"}"#).into_response()
}

fn start_b(log_dir: &Path, a_url: &str, policy: &[&str]) -> Proc {
    Spawn::new(env!("CARGO_BIN_EXE_service-b"), Service::B, log_dir)
        .args(["--service-a-url", a_url, "--admin-addr", "127.0.0.1:0"])
        .args(policy.iter().copied())
        .start()
}

struct Answer {
    status: u16,
    body: Value,
    took: Duration,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// `PUT url` with a JSON body, as the admin API asks (`content-type: application/json`).
fn put_json(url: &str, body: &'static str) -> reqwest::RequestBuilder {
    client().put(url).header("content-type", "application/json").body(body)
}

async fn call(b: &Proc, id: &str) -> Answer {
    let started = Instant::now();
    let response =
        client().get(format!("{}/call-echo?msg=hi", b.url())).header("x-request-id", id).send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.json().await.unwrap();
    Answer { status, body, took: started.elapsed() }
}

fn line_of(log_dir: &Path, service: Service, id: &str) -> Option<LogRecord> {
    request_records(log_dir, service).into_iter().find(|r| r.get("request_id") == Some(id))
}

/// B's admin address, from its `event=listening listener=admin` line.
async fn admin_url(log_dir: &Path) -> String {
    let mut found = None;
    eventually("B logged its admin listener", || {
        found = log_records(log_dir, Service::B)
            .into_iter()
            .find(|r| r.get("event") == Some("listening") && r.get("listener") == Some("admin"))
            .and_then(|r| r.get("addr")?.parse::<SocketAddr>().ok());
        found.is_some()
    })
    .await;
    format!("http://{}", found.unwrap())
}

async fn metrics(b: &Proc) -> String {
    client().get(format!("{}/metrics", b.url())).send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn a_retry_turns_one_failure_into_a_200_and_the_line_says_tries_2() {
    let logs = tempfile::tempdir().unwrap();
    let (stub, a_url) = Stub::start(1, StatusCode::SERVICE_UNAVAILABLE).await;
    let b = start_b(logs.path(), &a_url, &["--retries", "2"]);
    let answer = call(&b, "retry-1").await;
    assert_eq!((answer.status, &answer.body), (200, &json!({"service_a": {"echo": "hi"}, "service_b": "ok"})));
    assert_eq!(stub.calls(), 2, "one failed try, one good one");
    eventually("B logged the call", || line_of(logs.path(), Service::B, "retry-1").is_some()).await;
    let line = line_of(logs.path(), Service::B, "retry-1").unwrap();
    assert_eq!((line.get("status"), line.get("tries")), (Some("ok"), Some("2")), "{line:?}");
    let text = metrics(&b).await;
    for expected in [r#"upstream_tries_total{outcome="status"} 1"#, r#"upstream_tries_total{outcome="ok"} 1"#] {
        assert!(text.lines().any(|l| l == expected), "{expected} not in\n{text}");
    }
    // A one-try call says nothing about tries.
    call(&b, "retry-2").await;
    eventually("B logged the second call", || line_of(logs.path(), Service::B, "retry-2").is_some()).await;
    assert_eq!(line_of(logs.path(), Service::B, "retry-2").unwrap().get("tries"), None);
    assert!(b.stop().await.success());
}

#[tokio::test]
async fn a_lost_try_leaves_time_for_a_retry_because_each_try_gets_a_share_of_the_budget() {
    let logs = tempfile::tempdir().unwrap();
    let (stub, a_url) = Stub::start(1, None).await;
    let b = start_b(logs.path(), &a_url, &["--retries", "1"]);
    let answer = call(&b, "lost-1").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.took >= Duration::from_millis(450), "the first try waited its half: {:?}", answer.took);
    assert!(answer.took < Duration::from_millis(1000), "inside the budget: {:?}", answer.took);
    assert_eq!(stub.calls(), 2);
    eventually("B logged the call", || line_of(logs.path(), Service::B, "lost-1").is_some()).await;
    assert_eq!(line_of(logs.path(), Service::B, "lost-1").unwrap().get("tries"), Some("2"));
    assert!(b.stop().await.success());
}

#[tokio::test]
async fn a_4xx_is_not_retried_and_retries_stay_inside_the_budget() {
    let logs = tempfile::tempdir().unwrap();
    let (stub, a_url) = Stub::start(u32::MAX, StatusCode::NOT_FOUND).await;
    let b = start_b(logs.path(), &a_url, &["--retries", "3"]);
    let answer = call(&b, "four-oh-four").await;
    assert_eq!((answer.status, answer.body["error_kind"].as_str()), (503, Some("status")));
    assert_eq!(stub.calls(), 1, "a 404 would fail the same way again");

    // An A that accepts and never answers: 3 retries still end at the budget.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    let slow_b = start_b(logs.path(), &silent_url, &["--retries", "3", "--timeout-ms", "400"]);
    let answer = call(&slow_b, "budget-1").await;
    assert_eq!((answer.status, answer.body["error_kind"].as_str()), (503, Some("timeout")));
    // At least the first try's share (100 ms); the tries use the budget,
    // never more.
    assert!(answer.took >= Duration::from_millis(100), "{:?}", answer.took);
    assert!(answer.took < Duration::from_millis(900), "the budget covers every try: {:?}", answer.took);
    // The message says how long the last try waited and the call in all.
    let error = answer.body["error"].as_str().unwrap();
    assert!(error.contains("did not answer within") && error.contains("(after 4 tries, "), "{error}");
    assert!(!error.contains("within 400 ms"), "no try had the whole budget: {error}");
    held.abort();
    assert!(b.stop().await.success());
    assert!(slow_b.stop().await.success());
}

#[tokio::test]
async fn the_breaker_opens_after_five_failures_answers_at_once_and_lets_one_trial_through() {
    let logs = tempfile::tempdir().unwrap();
    let (stub, a_url) = Stub::start(u32::MAX, StatusCode::INTERNAL_SERVER_ERROR).await;
    let b = start_b(logs.path(), &a_url, &["--breaker"]);
    for i in 0..5 {
        let answer = call(&b, &format!("fail-{i}")).await;
        assert_eq!(answer.body["error_kind"], "status", "call {i}");
    }
    let opened = Instant::now();
    assert_eq!(stub.calls(), 5);
    let refused = call(&b, "refused-1").await;
    assert_eq!(refused.status, 503);
    assert_eq!(refused.body["error_kind"], "circuit_open");
    assert!(refused.body["error"].as_str().unwrap().contains("after 5 failures in a row"), "{}", refused.body);
    eventually("B logged the refusal", || line_of(logs.path(), Service::B, "refused-1").is_some()).await;
    let line = line_of(logs.path(), Service::B, "refused-1").unwrap();
    assert_eq!(line.get("error_kind"), Some("circuit_open"));
    let latency: u64 = line.get("latency_ms").unwrap().parse().unwrap();
    assert!(latency < 5, "an open breaker answers at once: {latency} ms");
    assert_eq!(stub.calls(), 5, "A is not called while the breaker is open");

    // A heals; after 5 s, one trial call goes through and closes the breaker.
    stub.heal();
    let mut polls = 0;
    loop {
        polls += 1;
        assert!(polls < 200, "no trial call within 10 s");
        let answer = call(&b, &format!("poll-{polls}")).await;
        if answer.status == 200 {
            break;
        }
        assert_eq!(answer.body["error_kind"], "circuit_open");
        assert_eq!(stub.calls(), 5, "no call to A while open");
        tokio::time::sleep(Duration::from_millis(50)).await; // pacing the polls, not waiting for an event
    }
    assert!(opened.elapsed() >= Duration::from_millis(4900), "trial after {:?}", opened.elapsed());
    assert_eq!(stub.calls(), 6, "exactly one trial");
    let states = |log_dir: &Path| {
        log_records(log_dir, Service::B)
            .into_iter()
            .filter(|r| r.get("event") == Some("breaker"))
            .filter_map(|r| r.get("state").map(str::to_owned))
            .collect::<Vec<_>>()
    };
    eventually("B logged the breaker's changes", || states(logs.path()).len() == 3).await;
    assert_eq!(states(logs.path()), ["open", "half_open", "closed"]);
    let text = metrics(&b).await;
    assert!(text.lines().any(|l| l == r#"breaker_changes_total{state="open"} 1"#), "{text}");
    assert!(text.lines().any(|l| l == r#"upstream_calls_total{outcome="circuit_open"} 1"#) || polls > 1);
    assert!(b.stop().await.success());
}

#[tokio::test]
async fn with_deadline_propagation_a_stops_at_the_deadline_not_after_its_delay() {
    let logs = tempfile::tempdir().unwrap();
    let a = Spawn::reexec("service_a_child", Service::A, logs.path()).start();
    let b = start_b(logs.path(), &a.url(), &["--deadline", "--timeout-ms", "500"]);
    let started = Instant::now();
    let response = client()
        .get(format!("{}/call-echo?msg=slow&delay_ms=3000", b.url()))
        .header("x-request-id", "deadline-1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error_kind"], "timeout");
    assert!(started.elapsed() < Duration::from_millis(900), "{:?}", started.elapsed());
    eventually("A logged the call", || line_of(logs.path(), Service::A, "deadline-1").is_some()).await;
    let line = line_of(logs.path(), Service::A, "deadline-1").unwrap();
    assert_eq!((line.get("status"), line.get("error")), (Some("error"), Some("deadline passed")), "{line:?}");
    let worked: u64 = line.get("latency_ms").unwrap().parse().unwrap();
    assert!((400..=700).contains(&worked), "A stopped at the deadline, not after 3000 ms: {worked} ms");
    // A caller's bad deadline is a 400, and A does no work.
    let bad = client().get(format!("{}/echo?msg=x", a.url())).header("x-deadline-ms", "soon").send().await.unwrap();
    assert_eq!(bad.status(), 400);
    let twice = client()
        .get(format!("{}/echo?msg=x", a.url()))
        .header("x-deadline-ms", "5000")
        .header("x-deadline-ms", "100")
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status(), 400, "two deadlines are no deadline");
    let bad: Value = bad.json().await.unwrap();
    assert_eq!(bad["error"], "x-deadline-ms must be a whole number of milliseconds");
    assert!(a.stop().await.success());
    assert!(b.stop().await.success());
}

#[tokio::test]
async fn the_admin_listener_changes_the_policy_and_refuses_bad_changes_the_public_port_has_no_policy() {
    let logs = tempfile::tempdir().unwrap();
    let (_stub, a_url) = Stub::start(0, StatusCode::OK).await;
    let b = start_b(logs.path(), &a_url, &[]);
    let admin = admin_url(logs.path()).await;
    let policy = format!("{admin}/policy");
    let shown: Value = client().get(&policy).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        shown,
        json!({"timeout_ms": 1000, "retries": 0, "breaker": false, "deadline": false,
               "breaker_state": "off", "breaker_failures": 0})
    );

    let changed = put_json(&policy, r#"{"retries": 2, "breaker": true}"#).send().await.unwrap();
    assert_eq!(changed.status(), 200);
    let changed: Value = changed.json().await.unwrap();
    assert_eq!((changed["retries"].as_u64(), changed["breaker_state"].as_str()), (Some(2), Some("closed")));

    for (body, why) in [
        ("{not json", "not a policy change"),
        (r#"{"retry": 1}"#, "unknown field `retry`"),
        (r#"{"retries": 9}"#, "retries must be from 0 to 3, not 9"),
        (r#"{"timeout_ms": 0}"#, "timeout_ms must be from 1 to 600000, not 0"),
        (r#"{"timeout_ms": -5}"#, "not a policy change"),
        (r#"{"breaker": "yes"}"#, "not a policy change"),
        ("[1500, 2, true, true]", "send a JSON object"),
    ] {
        let refused = put_json(&policy, body).send().await.unwrap();
        assert_eq!(refused.status(), 400, "{body}");
        let refused: Value = refused.json().await.unwrap();
        assert!(refused["error"].as_str().unwrap().contains(why), "{body}: {refused}");
    }
    let after: Value = client().get(&policy).send().await.unwrap().json().await.unwrap();
    assert_eq!((after["retries"].as_u64(), after["timeout_ms"].as_u64()), (Some(2), Some(1000)), "unchanged");

    let changes = || {
        log_records(logs.path(), Service::B)
            .into_iter()
            .filter(|r| r.get("event") == Some("policy"))
            .map(|r| (r.get("why").unwrap_or("").to_owned(), r.get("retries").unwrap_or("").to_owned()))
            .collect::<Vec<_>>()
    };
    // Repeating the policy is no change, and no line.
    let same = put_json(&policy, r#"{"retries": 2}"#).send().await.unwrap();
    assert_eq!(same.status(), 200);
    eventually("B logged the one change", || changes().len() == 2).await;
    assert_eq!(changes(), [("start".to_owned(), "0".to_owned()), ("changed".to_owned(), "2".to_owned())]);

    let nowhere = client().get(format!("{admin}/elsewhere")).send().await.unwrap();
    assert_eq!(nowhere.status(), 404);
    let delete = client().delete(&policy).send().await.unwrap();
    assert_eq!(delete.status(), 405);

    // The public port knows no /policy, whatever the method.
    let public = format!("{}/policy", b.url());
    assert_eq!(client().get(&public).send().await.unwrap().status(), 404);
    let put = put_json(&public, r#"{"retries": 0}"#).send().await.unwrap();
    assert_eq!(put.status(), 404);
    let after: Value = client().get(&policy).send().await.unwrap().json().await.unwrap();
    assert_eq!(after["retries"].as_u64(), Some(2));
    assert!(b.stop().await.success());
}

/// SPEC "Faults": every admin PUT accepts exactly what its GET returns, and no
/// web page can change the policy (a foreign Host or Origin is 403, a body not
/// sent as JSON 415), whatever the request says.
#[tokio::test]
async fn a_get_can_be_put_back_and_web_pages_cannot_change_the_policy() {
    let logs = tempfile::tempdir().unwrap();
    let (_stub, a_url) = Stub::start(0, StatusCode::OK).await;
    let b = start_b(logs.path(), &a_url, &["--retries", "1", "--breaker"]);
    let admin = admin_url(logs.path()).await;
    let policy = format!("{admin}/policy");

    let shown = client().get(&policy).send().await.unwrap().bytes().await.unwrap();
    assert!(String::from_utf8_lossy(&shown).contains(r#""breaker_state":"closed""#), "{shown:?}");
    let put_back =
        client().put(&policy).header("content-type", "application/json").body(shown.clone()).send().await.unwrap();
    assert_eq!(put_back.status(), 200);
    assert_eq!(put_back.bytes().await.unwrap(), shown, "unchanged");

    let text_plain = || client().put(&policy).header("content-type", "text/plain").body(r#"{"retries": 2}"#);
    for (request, status, why) in [
        (text_plain().header("host", "evil.example"), 403, "refused: Host evil.example is not this admin listener"),
        (put_json(&policy, r#"{"retries": 2}"#).header("origin", "http://evil.example"), 403, "refused: Origin"),
        (put_json(&policy, r#"{"retries": 2}"#).header("origin", "null"), 403, "refused: Origin null"),
        (text_plain(), 415, "send it with content-type: application/json"),
        (client().put(&policy).body(r#"{"retries": 2}"#), 415, "no content-type"),
    ] {
        let refused = request.send().await.unwrap();
        assert_eq!(refused.status(), status, "{why}");
        let body: Value = refused.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains(why), "{why}: {body}");
    }
    let after: Value = client().get(&policy).send().await.unwrap().json().await.unwrap();
    assert_eq!(after["retries"].as_u64(), Some(1), "no refused request changed the policy");
    let localhost = admin.replace("127.0.0.1", "localhost");
    let by_name = client().get(format!("{localhost}/policy")).send().await.unwrap();
    assert_eq!(by_name.status(), 200, "localhost names a loopback listener");
    assert!(b.stop().await.success());
}

#[test]
fn bad_policy_flags_are_refused_with_what_is_wrong() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_service-b")).args(["--retries", "4"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("0..=3"), "{}", String::from_utf8_lossy(&out.stderr));
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_service-b")).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in ["--retries", "--breaker", "--deadline", "--admin-addr", "SERVICE_B_ADMIN_ADDR"] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
}

#[tokio::test]
async fn a_client_whose_own_delay_dooms_its_calls_does_not_open_the_breaker_for_everyone() {
    let logs = tempfile::tempdir().unwrap();
    let a = Spawn::reexec("service_a_child", Service::A, logs.path()).start();
    let b = start_b(logs.path(), &a.url(), &["--breaker", "--timeout-ms", "300"]);
    // Eight calls that ask A to wait longer than B's whole budget: each a timeout.
    let doomed: Vec<_> = (0..8)
        .map(|i| {
            client()
                .get(format!("{}/call-echo?msg=x&delay_ms=1000", b.url()))
                .header("x-request-id", format!("doomed-{i}"))
                .send()
        })
        .collect();
    for answer in futures_util::future::join_all(doomed).await {
        let body: Value = answer.unwrap().json().await.unwrap();
        assert_eq!(body["error_kind"], "timeout", "{body}");
    }
    // Everyone else still gets A's answers: the breaker stayed closed.
    let answer = call(&b, "legit-1").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let status: Value =
        client().get(format!("{}/policy", admin_url(logs.path()).await)).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        (status["breaker_state"].as_str(), status["breaker_failures"].as_u64()),
        (Some("closed"), Some(0)),
        "{status}"
    );
    assert!(a.stop().await.success());
    assert!(b.stop().await.success());
}

#[tokio::test]
async fn a_trial_whose_caller_hangs_up_is_let_go_at_once() {
    let logs = tempfile::tempdir().unwrap();
    // An A that never answers, until healed.
    let (stub, a_url) = Stub::start(u32::MAX, None).await;
    let b = start_b(logs.path(), &a_url, &["--breaker", "--timeout-ms", "300"]);
    for i in 0..5 {
        assert_eq!(call(&b, &format!("open-{i}")).await.body["error_kind"], "timeout");
    }
    // Poll with a caller that hangs up after 150 ms: an open breaker answers
    // at once (well within it, even on a busy machine); the trial (after the
    // open time) holds for B's 300 ms timeout, and the caller goes.
    let impatient = reqwest::Client::builder().no_proxy().timeout(Duration::from_millis(150)).build().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < deadline, "no trial within 10 s");
        let sent = impatient.get(format!("{}/call-echo?msg=hi", b.url())).header("x-request-id", "trial").send().await;
        match sent {
            Err(error) if error.is_timeout() => break,
            Ok(answer) => assert_eq!(answer.status(), 503),
            Err(error) => panic!("{error}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await; // pacing the polls, not waiting for an event
    }
    // The trial's caller is gone: as soon as B has seen it hang up (its FIN
    // may come a moment after the caller's timeout on a busy machine), the
    // next call is the trial, and A answers it now: well within the breaker's
    // open time (5 s), for which an unreleased trial would refuse every call.
    stub.heal();
    let released = Instant::now();
    let answer = loop {
        let answer = call(&b, "after-hang-up").await;
        if answer.status == 200 || released.elapsed() > Duration::from_millis(1500) {
            break answer;
        }
        assert_eq!(answer.body["error_kind"], "circuit_open", "{}", answer.body);
        tokio::time::sleep(Duration::from_millis(20)).await; // pacing the polls, not waiting for an event
    };
    assert_eq!(answer.status, 200, "not circuit_open for the rest of the open time: {}", answer.body);
    assert!(b.stop().await.success());
}
