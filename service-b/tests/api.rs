//! Service B's HTTP contract, tested on the router itself, calling a stub
//! service A on a real loopback socket that answers however a test needs:
//! correctly, slowly, with a 500, with HTML, or not at all.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::RawQuery;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use service_b::ServiceAClient;
use service_b::live::LivePolicy;
use service_b::policy::Policy;
use tower::ServiceExt;

const TIMEOUT: Duration = Duration::from_millis(300);

/// What the stub A saw: the raw query and the `x-request-id` of each call.
type Seen = Arc<Mutex<Vec<(Option<String>, Option<String>)>>>;

/// Starts a stub A whose `/echo` is `handler`; returns its base URL and its record of calls.
async fn stub_a<H, T>(handler: H) -> (String, Seen)
where
    H: axum::handler::Handler<T, ()>,
    T: 'static,
{
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let app = Router::new().route("/echo", get(handler)).layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            let record = record.clone();
            async move {
                let id = request.headers().get("x-request-id").map(|v| v.to_str().unwrap().to_owned());
                record.lock().unwrap().push((request.uri().query().map(str::to_owned), id));
                next.run(request).await
            }
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

/// A real echo, like service A.
async fn echo(RawQuery(query): RawQuery) -> axum::Json<contract::EchoBody> {
    let params = contract::EchoParams::from_query(query.as_deref()).unwrap();
    if let Some(ms) = params.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    axum::Json(contract::EchoBody { echo: params.msg })
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
    took: Duration,
}

async fn call(a_url: &str, request: Request<Body>) -> Answer {
    let policy = Policy { timeout_ms: u64::try_from(TIMEOUT.as_millis()).unwrap(), ..Policy::default() };
    let client = ServiceAClient::new(&a_url.parse().unwrap(), LivePolicy::new(policy));
    let started = Instant::now();
    let response = service_b::app(client).oneshot(request).await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| panic!("not JSON: {bytes:?}"));
    Answer { status, headers, body, took: started.elapsed() }
}

async fn call_echo(a_url: &str, query: &str) -> Answer {
    call(a_url, Request::get(format!("/call-echo?{query}")).body(Body::empty()).unwrap()).await
}

fn assert_unavailable(answer: &Answer, kind: &str, error_contains: &str) {
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    let body = answer.body.as_object().unwrap();
    assert_eq!(body.len(), 4, "{body:?}");
    assert_eq!(body["error_kind"], kind);
    assert_eq!(body["service_a"], "unavailable");
    assert_eq!(body["service_b"], "ok");
    let error = body["error"].as_str().unwrap();
    assert!(error.contains(error_contains), "{error}");
}

/// An address where nothing listens: bound once, then released.
async fn closed_port() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

#[tokio::test]
async fn success_embeds_a_answer_and_forwards_msg_delay_and_request_id() {
    let (a, seen) = stub_a(echo).await;
    let request = Request::get("/call-echo?msg=hi+there%26x%3Dy&delay_ms=5")
        .header("x-request-id", "trace-me")
        .body(Body::empty())
        .unwrap();
    let answer = call(&a, request).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, json!({"service_a": {"echo": "hi there&x=y"}, "service_b": "ok"}));
    assert_eq!(answer.headers["x-request-id"], "trace-me");
    let timing = answer.headers["server-timing"].to_str().unwrap();
    let upstream_ms = contract::headers::parse_upstream_timing(timing).unwrap();
    assert!(upstream_ms >= 5.0, "{timing}");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let (query, id) = &seen[0];
    let params = contract::EchoParams::from_query(query.as_deref()).unwrap();
    assert_eq!(params.msg, "hi there&x=y");
    assert_eq!(params.delay_ms, Some(5));
    assert_eq!(id.as_deref(), Some("trace-me"));
}

#[tokio::test]
async fn a_generated_request_id_is_the_one_sent_to_a() {
    let (a, seen) = stub_a(echo).await;
    let answer = call_echo(&a, "msg=x").await;
    let id = answer.headers["x-request-id"].to_str().unwrap();
    assert_eq!(seen.lock().unwrap()[0].1.as_deref(), Some(id));
}

#[tokio::test]
async fn a_refusing_connections_is_connect_and_fast() {
    let a = format!("http://{}", closed_port().await);
    let answer = call_echo(&a, "msg=x").await;
    assert_unavailable(&answer, "connect", "connection refused");
    assert!(answer.took < TIMEOUT, "gave up only after {:?}", answer.took);
    assert!(answer.headers.contains_key("server-timing"));
}

#[tokio::test]
async fn a_slower_than_the_timeout_is_timeout_and_b_answers_at_the_timeout() {
    let (a, _) = stub_a(echo).await;
    let answer = call_echo(&a, "msg=x&delay_ms=5000").await;
    assert_unavailable(&answer, "timeout", "did not answer within 300 ms");
    assert!(answer.took >= TIMEOUT && answer.took < TIMEOUT * 3, "took {:?}", answer.took);
}

#[tokio::test]
async fn a_that_accepts_but_never_answers_is_timeout() {
    // Like a frozen process: the kernel accepts, nobody reads.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let a = format!("http://{}", listener.local_addr().unwrap());
    let answer = call_echo(&a, "msg=x").await;
    assert_unavailable(&answer, "timeout", "did not answer within 300 ms");
    drop(listener);
}

#[tokio::test]
async fn a_answering_500_is_status() {
    let (a, _) = stub_a(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }).await;
    assert_unavailable(&call_echo(&a, "msg=x").await, "status", "500 Internal Server Error");
}

#[tokio::test]
async fn a_answering_html_or_the_wrong_json_is_body() {
    let (a, _) = stub_a(|| async { axum::response::Html("<h1>hello</h1>") }).await;
    assert_unavailable(&call_echo(&a, "msg=x").await, "body", "not {\"echo\"");
    let (a, _) = stub_a(|| async { axum::Json(json!({"echo": 42})) }).await;
    assert_unavailable(&call_echo(&a, "msg=x").await, "body", "not {\"echo\"");
}

#[tokio::test]
async fn a_answering_without_end_is_cut_off_as_body() {
    let (a, _) = stub_a(|| async {
        let chunk = axum::body::Bytes::from(vec![b' '; 16 * 1024]);
        let endless = futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
        Body::from_stream(endless).into_response()
    })
    .await;
    assert_unavailable(&call_echo(&a, "msg=x").await, "body", "larger than");
}

#[tokio::test]
async fn bad_input_is_400_and_a_is_not_called() {
    let (a, seen) = stub_a(echo).await;
    for query in ["delay_ms=x", "delay_ms=30001", "msg=%zz", "msg=%ff"] {
        let answer = call_echo(&a, query).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(answer.body["error"].is_string(), "{query}");
        assert!(!answer.headers.contains_key("server-timing"), "{query}");
    }
    let answer = call_echo(&a, &format!("msg={}", "b".repeat(4097))).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn health_and_unknown_paths() {
    let a = format!("http://{}", closed_port().await);
    let health = call(&a, Request::get("/health").body(Body::empty()).unwrap()).await;
    assert_eq!((health.status, health.body), (StatusCode::OK, json!({"status": "ok"})));
    let missing = call(&a, Request::get("/echo").body(Body::empty()).unwrap()).await;
    assert_eq!((missing.status, missing.body), (StatusCode::NOT_FOUND, json!({"error": "not found"})));
}

/// Issue 8, attack 7. Before: a 301 from A made B answer 200 with another
/// server's body, and send the request id there. Now a 3xx is a `status` failure.
#[tokio::test]
async fn a_redirect_from_a_is_status_and_is_not_followed() {
    let (elsewhere, elsewhere_seen) = stub_a(echo).await;
    let target = format!("{elsewhere}/echo?msg=elsewhere");
    let (a, seen) = stub_a(move || {
        let target = target.clone();
        async move { (StatusCode::MOVED_PERMANENTLY, [("location", target)], "moved").into_response() }
    })
    .await;
    let request = Request::get("/call-echo?msg=x").header("x-request-id", "secret-id").body(Body::empty()).unwrap();
    let answer = call(&a, request).await;
    assert_unavailable(&answer, "status", "301");
    assert_eq!(seen.lock().unwrap().len(), 1, "A was called once");
    assert!(elsewhere_seen.lock().unwrap().is_empty(), "the redirect target was never called");
}

/// What the raw stub A saw: connections accepted, and every request head.
#[derive(Default)]
struct StubLog {
    accepted: std::sync::atomic::AtomicUsize,
    heads: Mutex<Vec<String>>,
}

/// A stub A on a raw socket, keeping its connections open, that logs what it
/// sees and answers by `msg`: `bad` is a 500, `badlate` a 500 whose body comes
/// 100 ms after its head, `slow` an echo after 500 ms, anything else its echo.
async fn raw_stub_a() -> (String, Arc<StubLog>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log = Arc::new(StubLog::default());
    let seen = log.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            seen.accepted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                // One head at a time, each well under 1 KiB; at most 100 on a connection.
                for _ in 0..100 {
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let text = String::from_utf8_lossy(&head).into_owned();
                    head.clear();
                    seen.heads.lock().unwrap().push(text.clone());
                    let query =
                        text.split_whitespace().nth(1).and_then(|target| target.split_once('?')).map(|(_, q)| q);
                    let msg = contract::EchoParams::from_query(query).unwrap().msg;
                    let (status, body) = match msg.as_str() {
                        "bad" | "badlate" => ("500 Internal Server Error", r#"{"error":"oops"}"#.to_owned()),
                        _ => ("200 OK", format!(r#"{{"echo":"{msg}"}}"#)),
                    };
                    let head_out = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                        body.len()
                    );
                    if msg == "slow" {
                        tokio::time::sleep(Duration::from_millis(500)).await; // the stub's own slowness
                    }
                    // Head and body in one write, as A's server sends them, but for `badlate`.
                    let written = if msg == "badlate" {
                        let sent = socket.write_all(head_out.as_bytes()).await;
                        tokio::time::sleep(Duration::from_millis(100)).await; // the body comes after its head
                        sent.and(socket.write_all(body.as_bytes()).await)
                    } else {
                        socket.write_all(format!("{head_out}{body}").as_bytes()).await
                    };
                    if written.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (format!("http://{addr}"), log)
}

/// B with `timeout_ms` and its one set of connections to `a`.
fn b_for(a: &str, timeout_ms: u64) -> service_kit::AppService {
    let policy = Policy { timeout_ms, ..Policy::default() };
    service_b::app(ServiceAClient::new(&a.parse().unwrap(), LivePolicy::new(policy)))
}

async fn call_b(b: &service_kit::AppService, msg: &str) -> (StatusCode, Value) {
    let request = Request::get(format!("/call-echo?msg={msg}")).body(Body::empty()).unwrap();
    let response = b.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

/// B keeps its connection to A from call to call, through A's error answers
/// too (their small body came whole with the head): a learner watching the
/// link sees one connection, not one per failed call. Each call says `host`.
#[tokio::test]
async fn one_connection_to_a_serves_call_after_call_error_answers_included() {
    let (a, log) = raw_stub_a().await;
    let b = b_for(&a, 1000);
    for (i, msg) in ["ok", "bad", "ok", "bad", "bad", "ok"].into_iter().enumerate() {
        let (status, body) = call_b(&b, msg).await;
        let expected = if msg == "bad" { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
        assert_eq!(status, expected, "call {i}: {body}");
    }
    assert_eq!(log.accepted.load(std::sync::atomic::Ordering::SeqCst), 1, "B opened a connection per call");
    let host = format!("host: {}\r\n", a.trim_start_matches("http://"));
    for head in log.heads.lock().unwrap().iter() {
        assert!(head.to_ascii_lowercase().contains(&host), "{host:?} not in {head:?}");
    }
}

/// A connection whose answer was not read whole is never given to the next
/// call: after a try timed out, or an error answer whose body was still on
/// its way, the next call opens another, and gets its own answer.
#[tokio::test]
async fn a_connection_left_mid_answer_is_not_reused() {
    let (a, log) = raw_stub_a().await;
    let b = b_for(&a, 300);
    let (status, body) = call_b(&b, "slow").await;
    assert_eq!((status, body["error_kind"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("timeout")), "{body}");
    let (status, body) = call_b(&b, "fast").await;
    assert_eq!((status, &body["service_a"]["echo"]), (StatusCode::OK, &json!("fast")), "not the late answer: {body}");
    assert_eq!(log.accepted.load(std::sync::atomic::Ordering::SeqCst), 2);
    let (status, body) = call_b(&b, "badlate").await;
    assert_eq!((status, body["error_kind"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("status")), "{body}");
    let (status, body) = call_b(&b, "after").await;
    assert_eq!((status, &body["service_a"]["echo"]), (StatusCode::OK, &json!("after")), "{body}");
    assert_eq!(
        log.accepted.load(std::sync::atomic::Ordering::SeqCst),
        3,
        "the half-read error answer's connection was reused"
    );
}
