//! Service A's HTTP contract, tested on the router itself (no socket): every row
//! of the spec's table, with bodies, status codes and headers.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use service_kit::Draining;
use tower::ServiceExt;

struct Answer {
    status: StatusCode,
    request_id: Option<String>,
    content_type: Option<String>,
    body: Value,
}

async fn get(uri: &str) -> Answer {
    send(Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn send(request: Request<Body>) -> Answer {
    let response = service_a::app(Draining::never()).oneshot(request).await.unwrap();
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    let (status, request_id, content_type) = (response.status(), header("x-request-id"), header("content-type"));
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| panic!("not JSON: {bytes:?}"));
    Answer { status, request_id, content_type, body }
}

#[tokio::test]
async fn health_is_ok() {
    let answer = get("/health").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, json!({"status": "ok"}));
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
}

#[tokio::test]
async fn echo_returns_the_decoded_message() {
    let answer = get("/echo?msg=hello+w%C3%B6rld%20%26%3D").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, json!({"echo": "hello wörld &="}));
}

#[tokio::test]
async fn missing_msg_echoes_empty_text() {
    assert_eq!(get("/echo").await.body, json!({"echo": ""}));
    assert_eq!(get("/echo?other=1").await.body, json!({"echo": ""}));
}

#[tokio::test(start_paused = true)]
async fn delay_waits_before_answering() {
    let started = tokio::time::Instant::now();
    let answer = get("/echo?msg=late&delay_ms=1500").await;
    assert_eq!(answer.body, json!({"echo": "late"}));
    // Paused clock: the virtual time advanced by exactly the delay.
    assert!(started.elapsed() >= std::time::Duration::from_millis(1500));
}

#[tokio::test]
async fn bad_input_is_a_400_with_a_json_error() {
    let long = "a".repeat(4097);
    for (query, expected) in [
        ("delay_ms=abc", "delay_ms must be a whole number"),
        ("delay_ms=-1", "delay_ms must be a whole number"),
        ("delay_ms=30001", "delay_ms must be a whole number"),
        (&format!("msg={long}"), "msg is 4097 bytes long; the limit is 4096"),
        ("msg=%zz", "bad percent-encoding"),
        ("msg=%C3%28", "not valid UTF-8"),
    ] {
        let answer = get(&format!("/echo?{query}")).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
        let error = answer.body["error"].as_str().unwrap_or_default();
        assert!(error.contains(expected), "{query}: {error}");
        assert_eq!(answer.body.as_object().unwrap().len(), 1, "{query}: only `error`");
    }
}

#[tokio::test]
async fn unknown_path_is_a_404_and_wrong_method_a_405_both_json() {
    let answer = get("/nope").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.body, json!({"error": "not found"}));
    let answer = send(Request::post("/echo").body(Body::empty()).unwrap()).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.body, json!({"error": "method not allowed"}));
}

#[tokio::test]
async fn request_id_is_kept_or_made() {
    let kept = send(Request::get("/echo").header("x-request-id", "my-id-42").body(Body::empty()).unwrap()).await;
    assert_eq!(kept.request_id.as_deref(), Some("my-id-42"));
    let made = get("/echo").await.request_id.unwrap();
    let other = get("/echo").await.request_id.unwrap();
    assert_eq!(made.len(), 36, "a UUID: {made}");
    assert_ne!(made, other);
    // Errors carry it too.
    assert!(get("/nope").await.request_id.is_some());
}
