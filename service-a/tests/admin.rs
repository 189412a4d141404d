//! A's admin listener and its faults, tested on the routers themselves (no
//! socket): `GET`/`PUT /faults` and `/policy` with good, bad and repeated
//! bodies, the refusal of web pages, and what each fault and dedup do to `/echo`.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use service_a::live::LiveFaults;
use service_kit::Draining;
use tower::ServiceExt;

/// Where the admin listener is said to be bound.
const OWN: &str = "127.0.0.1:9001";

struct Answer {
    status: StatusCode,
    content_type: Option<String>,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("not JSON: {:?}", self.body))
    }
}

async fn answer_of<S>(service: S, request: Request<Body>) -> Answer
where
    S: tower::Service<Request<Body>, Response = axum::response::Response, Error = std::convert::Infallible>,
{
    let response = service.oneshot(request).await.unwrap();
    let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer { status, content_type, body }
}

async fn admin(faults: &LiveFaults, request: Request<Body>) -> Answer {
    answer_of(service_a::admin::app(faults.clone(), OWN.parse::<SocketAddr>().unwrap()), request).await
}

async fn admin_get(faults: &LiveFaults, path: &str) -> Answer {
    admin(faults, Request::get(path).header("host", OWN).body(Body::empty()).unwrap()).await
}

/// `PUT path` as curl with `-H 'content-type: application/json'` sends it.
async fn admin_put(faults: &LiveFaults, path: &str, body: impl Into<Body>) -> Answer {
    let request =
        Request::put(path).header("host", OWN).header("content-type", "application/json").body(body.into()).unwrap();
    admin(faults, request).await
}

async fn echo(faults: &LiveFaults, uri: &str, request_id: &str) -> Answer {
    let request = Request::get(uri).header("x-request-id", request_id).body(Body::empty()).unwrap();
    answer_of(service_a::app_with(Draining::never(), faults.clone()), request).await
}

#[tokio::test]
async fn faults_are_off_by_default_and_a_put_changes_only_what_it_names() {
    let faults = LiveFaults::new(1);
    let shown = admin_get(&faults, "/faults").await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.content_type.as_deref(), Some("application/json"));
    assert_eq!(shown.body, r#"{"error_rate":0.0,"error_status":500,"bad_body_rate":0.0,"trickle_ms":0}"#);

    let changed = admin_put(&faults, "/faults", r#"{"error_rate": 0.25, "error_status": 503}"#).await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_eq!(changed.json(), json!({"error_rate": 0.25, "error_status": 503, "bad_body_rate": 0.0, "trickle_ms": 0}));
    let changed = admin_put(&faults, "/faults", r#"{"trickle_ms": 100}"#).await;
    assert_eq!(
        changed.json(),
        json!({"error_rate": 0.25, "error_status": 503, "bad_body_rate": 0.0, "trickle_ms": 100})
    );
    assert_eq!(admin_get(&faults, "/faults").await.body, changed.body);
}

#[tokio::test]
async fn bad_faults_are_a_400_that_says_what_is_allowed_and_change_nothing() {
    let faults = LiveFaults::new(1);
    admin_put(&faults, "/faults", r#"{"bad_body_rate": 0.5}"#).await;
    let before = admin_get(&faults, "/faults").await.body;
    for (body, why) in [
        (r#"{"error_rate": 1.5}"#, "error_rate must be from 0.0 to 1.0"),
        (r#"{"error_rate": 0.5, "bad_body_rate": -1}"#, "bad_body_rate must be from 0.0 to 1.0"),
        (r#"{"error_status": 404}"#, "error_status must be from 500 to 599"),
        (r#"{"trickle_ms": 30001}"#, "trickle_ms must be from 0 to 30000"),
        (r#"{"error_rat": 1}"#, "unknown field `error_rat`"),
        ("[1]", "send a JSON object"),
        ("\"error_rate\"", "send a JSON object"),
        ("{broken", "not a faults change"),
        ("", "not a faults change"),
    ] {
        let refused = admin_put(&faults, "/faults", body).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{body}");
        let error = refused.json()["error"].as_str().unwrap().to_owned();
        assert!(error.contains(why), "{body}: {error}");
    }
    assert_eq!(admin_get(&faults, "/faults").await.body, before, "nothing changed");
}

#[tokio::test]
async fn what_get_answers_put_takes_back_unchanged() {
    let faults = LiveFaults::new(1);
    admin_put(&faults, "/faults", r#"{"error_rate": 0.1, "trickle_ms": 20}"#).await;
    admin_put(&faults, "/policy", r#"{"dedup": true}"#).await;
    for path in ["/faults", "/policy"] {
        let shown = admin_get(&faults, path).await.body;
        let put_back = admin_put(&faults, path, shown.clone()).await;
        assert_eq!(put_back.status, StatusCode::OK, "{path}");
        assert_eq!(put_back.body, shown, "{path}");
        assert_eq!(admin_get(&faults, path).await.body, shown, "{path}");
    }
}

#[tokio::test]
async fn the_policy_is_dedup_off_and_takes_only_dedup() {
    let faults = LiveFaults::new(1);
    assert_eq!(admin_get(&faults, "/policy").await.body, r#"{"dedup":false}"#);
    assert_eq!(admin_put(&faults, "/policy", r#"{"dedup": true}"#).await.body, r#"{"dedup":true}"#);
    for body in [r#"{"dedup": "yes"}"#, r#"{"dedupe": true}"#, "[true]"] {
        let refused = admin_put(&faults, "/policy", body).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{body}");
        assert!(refused.json()["error"].as_str().unwrap().contains("not a policy change for A"), "{body}");
    }
    assert_eq!(admin_get(&faults, "/policy").await.body, r#"{"dedup":true}"#);
    let nowhere = admin_get(&faults, "/elsewhere").await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    assert!(nowhere.json()["error"].as_str().unwrap().contains("/faults and /policy"));
}

#[tokio::test]
async fn web_pages_are_refused_and_change_nothing() {
    let faults = LiveFaults::new(1);
    let change = r#"{"error_rate": 1}"#;
    let put = || Request::put("/faults").header("content-type", "application/json");
    for (request, status, why) in [
        (put().header("host", "evil.example").body(Body::from(change)), 403, "refused: Host evil.example"),
        (
            put().header("host", OWN).header("origin", "http://evil.example").body(Body::from(change)),
            403,
            "refused: Origin http://evil.example is not this admin listener (http://127.0.0.1:9001)",
        ),
        (put().header("origin", "null").body(Body::from(change)), 403, "refused: Origin null"),
        (
            Request::put("/faults")
                .header("content-type", "text/plain")
                .header("content-length", "17")
                .body(Body::from(change)),
            415,
            "the body is text/plain, not JSON",
        ),
        (
            Request::put("/policy").header("content-length", "16").body(Body::from(r#"{"dedup": true}"#)),
            415,
            "no content-type",
        ),
        (Request::get("/faults").header("origin", "http://evil.example").body(Body::empty()), 403, "refused: Origin"),
    ] {
        let refused = admin(&faults, request.unwrap()).await;
        assert_eq!(refused.status.as_u16(), status, "{why}");
        let error = refused.json()["error"].as_str().unwrap().to_owned();
        assert!(error.contains(why), "{why}: {error}");
    }
    let allowed = Request::put("/faults")
        .header("host", "localhost:9001")
        .header("origin", "http://localhost:9001")
        .header("content-type", "application/json; charset=utf-8")
        .body(Body::from(r#"{"trickle_ms": 5}"#))
        .unwrap();
    assert_eq!(admin(&faults, allowed).await.status, StatusCode::OK, "the listener's own names pass");
    assert_eq!(faults.faults().error_rate, 0.0, "no refused request changed anything");
    assert!(!faults.policy().dedup);
}

#[tokio::test]
async fn an_error_rate_of_one_answers_the_error_status_on_echo_only() {
    let faults = LiveFaults::new(1);
    admin_put(&faults, "/faults", r#"{"error_rate": 1.0, "error_status": 503}"#).await;
    let answer = echo(&faults, "/echo?msg=hi", "e-1").await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.json(), json!({"error": "injected fault"}));
    let health = echo(&faults, "/health", "e-2").await;
    assert_eq!((health.status, health.json()), (StatusCode::OK, json!({"status": "ok"})));
    assert_eq!(echo(&faults, "/metrics", "e-3").await.status, StatusCode::OK);
    let bad_input = echo(&faults, "/echo?delay_ms=x", "e-4").await;
    assert_eq!(bad_input.status, StatusCode::BAD_REQUEST, "bad input is still a 400");
}

#[tokio::test]
async fn a_bad_body_is_a_200_html_page() {
    let faults = LiveFaults::new(1);
    admin_put(&faults, "/faults", r#"{"bad_body_rate": 1.0}"#).await;
    let answer = echo(&faults, "/echo?msg=hi", "b-1").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.content_type.as_deref(), Some("text/html; charset=utf-8"));
    assert!(String::from_utf8_lossy(&answer.body).starts_with("<!doctype html>"));
    assert!(serde_json::from_slice::<Value>(&answer.body).is_err());
}

#[tokio::test]
async fn the_error_is_drawn_before_the_bad_body() {
    let faults = LiveFaults::new(1);
    admin_put(&faults, "/faults", r#"{"error_rate": 1.0, "bad_body_rate": 1.0}"#).await;
    assert_eq!(echo(&faults, "/echo?msg=hi", "o-1").await.status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn half_the_answers_fail_and_the_same_seed_fails_the_same_ones() {
    let run = |seed| async move {
        let faults = LiveFaults::new(seed);
        admin_put(&faults, "/faults", r#"{"error_rate": 0.5}"#).await;
        let mut statuses = Vec::new();
        for n in 0..40 {
            statuses.push(echo(&faults, "/echo?msg=x", &format!("s-{n}")).await.status.as_u16());
        }
        statuses
    };
    let first = run(42).await;
    assert_eq!(first, run(42).await);
    let failed = first.iter().filter(|status| **status == 500).count();
    assert!((8..=32).contains(&failed), "{failed} of 40 failed");
}

#[tokio::test]
async fn a_trickled_answer_is_the_json_sent_over_the_time() {
    let faults = LiveFaults::new(1);
    admin_put(&faults, "/faults", r#"{"trickle_ms": 300}"#).await;
    let started = Instant::now();
    let answer = echo(&faults, "/echo?msg=slow", "t-1").await;
    assert_eq!((answer.status, answer.json()), (StatusCode::OK, json!({"echo": "slow"})));
    assert!(started.elapsed() >= Duration::from_millis(300), "{:?}", started.elapsed());
}

#[tokio::test]
async fn with_dedup_a_repeated_id_is_answered_from_memory_at_once() {
    let faults = LiveFaults::new(1);
    admin_put(&faults, "/policy", r#"{"dedup": true}"#).await;
    let first = echo(&faults, "/echo?msg=once&delay_ms=400", "d-1").await;
    assert_eq!(first.json(), json!({"echo": "once"}));
    let started = Instant::now();
    let again = echo(&faults, "/echo?msg=once&delay_ms=400", "d-1").await;
    assert!(started.elapsed() < Duration::from_millis(300), "no delay: {:?}", started.elapsed());
    assert_eq!((again.status, again.body, again.content_type), (first.status, first.body, first.content_type));

    // Turning dedup off forgets: the work is done again.
    admin_put(&faults, "/policy", r#"{"dedup": false}"#).await;
    admin_put(&faults, "/policy", r#"{"dedup": true}"#).await;
    let started = Instant::now();
    echo(&faults, "/echo?msg=once&delay_ms=400", "d-1").await;
    assert!(started.elapsed() >= Duration::from_millis(400));
}

/// Only a caller's own id is remembered: requests without one (each gets a
/// fresh id) or with one A does not accept each do the work.
#[tokio::test]
async fn with_dedup_requests_without_an_id_of_their_own_each_do_the_work() {
    let faults = LiveFaults::new(1);
    admin_put(&faults, "/policy", r#"{"dedup": true}"#).await;
    let no_id = || Request::get("/echo?msg=x&delay_ms=200").body(Body::empty()).unwrap();
    answer_of(service_a::app_with(Draining::never(), faults.clone()), no_id()).await;
    let started = Instant::now();
    let again = answer_of(service_a::app_with(Draining::never(), faults.clone()), no_id()).await;
    assert!(started.elapsed() >= Duration::from_millis(200), "worked again: {:?}", started.elapsed());
    assert_eq!(again.json(), json!({"echo": "x"}));
    let too_long = "x".repeat(200);
    echo(&faults, "/echo?msg=y&delay_ms=200", &too_long).await;
    let started = Instant::now();
    echo(&faults, "/echo?msg=y&delay_ms=200", &too_long).await;
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "an id A does not accept is none: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn without_dedup_every_request_does_the_work() {
    let faults = LiveFaults::new(1);
    echo(&faults, "/echo?msg=x&delay_ms=200", "n-1").await;
    let started = Instant::now();
    echo(&faults, "/echo?msg=x&delay_ms=200", "n-1").await;
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[test]
fn the_admin_and_seed_flags_are_documented_and_checked() {
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_service-a")).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in ["--admin-addr", "SERVICE_A_ADMIN_ADDR", "--seed", "SERVICE_A_SEED"] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_service-a")).args(["--seed", "x"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
