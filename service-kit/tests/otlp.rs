//! The OTLP exporter (`--features otlp`) against a small OTLP/HTTP receiver
//! of the test's own: a request with a caller's `traceparent` becomes one
//! SERVER span in the caller's trace, its parent the caller's span.

#![cfg(feature = "otlp")]
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use contract::Service;
use serde_json::Value;
use service_kit::ServerArgs;

/// Accepts POSTs on `listener`, answers 200, and sends each (path, body) on.
fn receiver(listener: TcpListener, bodies: mpsc::Sender<(String, Value)>) {
    for stream in listener.incoming().take(10) {
        let Ok(stream) = stream else { continue };
        let mut reader = BufReader::new(stream);
        let mut request_line = String::new();
        reader.read_line(&mut request_line).unwrap();
        let mut length = 0;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            if header.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        reader.get_mut().write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}").unwrap();
        let path = request_line.split(' ').nth(1).unwrap_or_default().to_owned();
        let _ = bodies.send((path, serde_json::from_slice(&body).unwrap()));
    }
}

#[tokio::test]
async fn each_request_is_a_span_in_its_callers_trace_sent_to_the_collector() {
    let collector = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", collector.local_addr().unwrap());
    let (bodies, received) = mpsc::channel();
    std::thread::spawn(move || receiver(collector, bodies));
    service_kit::otlp::start(&endpoint, Service::A).unwrap();
    assert!(service_kit::otlp::start(&endpoint, Service::A).unwrap_err().contains("already started"));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = |_draining| {
        let routes = Router::new().route("/echo", get(|| async { "{}" }));
        service_kit::server::with_common_layers(routes, &["/echo"], Duration::from_secs(5))
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        service_kit::serve(listener, &ServerArgs::default(), app, async move {
            let _ = stopped.await;
        })
        .await
    });
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let asked = "GET /echo?msg=hi HTTP/1.1\r\nhost: a\r\nx-request-id: span-1\r\n\
                 traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\nconnection: close\r\n\r\n";
    tokio::io::AsyncWriteExt::write_all(&mut stream, asked.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut stream, &mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    let (path, document) = tokio::task::spawn_blocking(move || received.recv_timeout(Duration::from_secs(10)))
        .await
        .unwrap()
        .expect("the collector got the span");
    assert_eq!(path, "/v1/traces");
    let resource = &document["resourceSpans"][0];
    assert_eq!(resource["resource"]["attributes"][0]["value"]["stringValue"], "service-a");
    let span = &resource["scopeSpans"][0]["spans"][0];
    assert_eq!(span["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736", "{span}");
    assert_eq!(span["parentSpanId"], "00f067aa0ba902b7", "the caller's span is its parent: {span}");
    assert_eq!(span["spanId"].as_str().map(str::len), Some(16));
    assert_eq!((span["name"].as_str(), span["kind"].as_u64()), (Some("GET /echo"), Some(2)));
    let attributes = span["attributes"].as_array().unwrap();
    assert!(attributes.iter().any(|a| a["key"] == "request_id" && a["value"]["stringValue"] == "span-1"), "{span}");
    let (start, end): (u128, u128) = (
        span["startTimeUnixNano"].as_str().unwrap().parse().unwrap(),
        span["endTimeUnixNano"].as_str().unwrap().parse().unwrap(),
    );
    assert!(start <= end && end - start < 5_000_000_000, "{span}");
    assert_eq!(service_kit::otlp::dropped(), 0);
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
