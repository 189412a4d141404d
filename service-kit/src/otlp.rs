//! Each request's span, sent to an OpenTelemetry collector over OTLP/HTTP
//! (its JSON encoding, `POST {endpoint}/v1/traces`), for Jaeger, Tempo or any
//! tool that follows a request across services. Behind the cargo feature
//! `otlp` (off by default: without it [`start`] and [`record`] do nothing).
//! A span per request, SERVER kind, in the W3C trace the request came in
//! (B's span is A's parent). Sending never slows a request: spans wait in
//! a bounded queue for a thread of their own, which posts them in batches;
//! when the collector is slow or gone they are dropped, and counted.

/// One request's span: what the access log knows when the request ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub trace_id: String,
    pub span_id: String,
    /// The caller's span, when it sent a `traceparent`.
    pub parent_span_id: Option<String>,
    /// `GET /echo`.
    pub name: String,
    pub start_unix_nanos: u128,
    pub end_unix_nanos: u128,
    pub status: u16,
    pub request_id: String,
}

#[cfg(feature = "otlp")]
pub use exporter::{dropped, start};

/// Queues `span` for the collector, if [`start`] was called.
pub fn record(span: impl FnOnce() -> Span) {
    #[cfg(feature = "otlp")]
    exporter::record(span());
    #[cfg(not(feature = "otlp"))]
    let _ = span;
}

#[cfg(feature = "otlp")]
mod exporter {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
    use std::time::{Duration, Instant};

    use contract::Service;
    use serde_json::{Value, json};

    use super::Span;

    /// Spans waiting for the sender thread, at most.
    const QUEUED: usize = 4_096;
    /// Spans per POST, at most.
    const BATCH: usize = 512;
    /// How long a span may wait for others to share its POST.
    const LINGER: Duration = Duration::from_millis(500);
    /// How long one POST may take (connect, write, answer).
    const POST_TIMEOUT: Duration = Duration::from_secs(2);

    static QUEUE: OnceLock<SyncSender<Span>> = OnceLock::new();
    static DROPPED: AtomicU64 = AtomicU64::new(0);

    /// Spans dropped so far (a full queue, a collector that refused or was gone).
    pub fn dropped() -> u64 {
        DROPPED.load(Ordering::Relaxed)
    }

    /// Starts sending `service`'s spans to the collector at `endpoint`
    /// (`http://HOST:PORT`, OTLP/HTTP's port is usually 4318). Once per process.
    pub fn start(endpoint: &str, service: Service) -> Result<(), String> {
        let target = Target::parse(endpoint)?;
        let (sender, queue) = sync_channel(QUEUED);
        QUEUE.set(sender).map_err(|_| "the OTLP exporter is already started".to_owned())?;
        std::thread::Builder::new()
            .name("otlp".into())
            .spawn(move || send_all(&target, service, &queue))
            .map_err(|error| format!("cannot start the OTLP exporter: {error}"))?;
        Ok(())
    }

    pub(super) fn record(span: Span) {
        let Some(queue) = QUEUE.get() else { return };
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) = queue.try_send(span) {
            DROPPED.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// `http://host:port[/base]`: where the POSTs go.
    #[derive(Debug)]
    struct Target {
        host: String,
        port: u16,
        path: String,
    }

    impl Target {
        fn parse(endpoint: &str) -> Result<Target, String> {
            let rest = endpoint
                .strip_prefix("http://")
                .ok_or_else(|| format!("OTLP endpoint {endpoint:?}: give http://HOST:PORT (https is not supported)"))?;
            let (authority, base) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
            let (host, port) = match authority.rsplit_once(':') {
                Some((host, port)) => {
                    (host, port.parse().map_err(|_| format!("OTLP endpoint {endpoint:?}: bad port {port:?}"))?)
                }
                None => (authority, 4318),
            };
            if host.is_empty() {
                return Err(format!("OTLP endpoint {endpoint:?}: no host"));
            }
            let base = base.trim_end_matches('/');
            let path = if base.is_empty() { "/v1/traces".to_owned() } else { format!("/{base}/v1/traces") };
            Ok(Target { host: host.to_owned(), port, path })
        }
    }

    /// Until the process ends: batches of spans, each posted once.
    fn send_all(target: &Target, service: Service, queue: &Receiver<Span>) {
        loop {
            let Ok(first) = queue.recv() else { return };
            let mut batch = vec![first];
            let deadline = Instant::now() + LINGER;
            while batch.len() < BATCH {
                match queue.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                    Ok(span) => batch.push(span),
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
            let body = document(service, &batch).to_string();
            if post(target, &body).is_err() {
                DROPPED.fetch_add(u64::try_from(batch.len()).unwrap_or(u64::MAX), Ordering::Relaxed);
            }
        }
    }

    /// One POST; `Err` unless the collector answered 2xx.
    fn post(target: &Target, body: &str) -> std::io::Result<()> {
        use std::net::ToSocketAddrs;
        let addr = (target.host.as_str(), target.port)
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| std::io::Error::other("the collector's host has no address"))?;
        let mut stream = TcpStream::connect_timeout(&addr, POST_TIMEOUT)?;
        stream.set_write_timeout(Some(POST_TIMEOUT))?;
        stream.set_read_timeout(Some(POST_TIMEOUT))?;
        let head = format!(
            "POST {} HTTP/1.1\r\nhost: {}:{}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n",
            target.path,
            target.host,
            target.port,
            body.len()
        );
        stream.write_all(head.as_bytes())?;
        stream.write_all(body.as_bytes())?;
        let mut status = [0u8; 12];
        stream.read_exact(&mut status)?;
        if status.starts_with(b"HTTP/1.1 2") || status.starts_with(b"HTTP/1.0 2") {
            Ok(())
        } else {
            Err(std::io::Error::other("the collector refused the spans"))
        }
    }

    /// The OTLP/JSON `ExportTraceServiceRequest` for `spans`.
    pub(super) fn document(service: Service, spans: &[Span]) -> Value {
        let text = |key: &str, value: &str| json!({"key": key, "value": {"stringValue": value}});
        let spans: Vec<Value> = spans
            .iter()
            .map(|span| {
                let mut value = json!({
                    "traceId": span.trace_id,
                    "spanId": span.span_id,
                    "name": span.name,
                    // SERVER: the span of a request this service answered.
                    "kind": 2,
                    "startTimeUnixNano": span.start_unix_nanos.to_string(),
                    "endTimeUnixNano": span.end_unix_nanos.to_string(),
                    "attributes": [
                        {"key": "http.response.status_code", "value": {"intValue": span.status.to_string()}},
                        text("request_id", &span.request_id),
                    ],
                    // 1 OK, 2 ERROR (a 5xx is this service's failure; a 4xx the caller's).
                    "status": {"code": if span.status >= 500 { 2 } else { 1 }},
                });
                if let Some(parent) = &span.parent_span_id {
                    value["parentSpanId"] = json!(parent);
                }
                value
            })
            .collect();
        json!({"resourceSpans": [{
            "resource": {"attributes": [text("service.name", &format!("service-{}", service.name().to_lowercase()))]},
            "scopeSpans": [{"scope": {"name": "service-kit"}, "spans": spans}],
        }]})
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn an_endpoint_is_http_host_and_port_and_the_spans_are_otlp_json() {
            let target = Target::parse("http://collector:4318").unwrap();
            assert_eq!((target.host.as_str(), target.port, target.path.as_str()), ("collector", 4318, "/v1/traces"));
            assert_eq!(Target::parse("http://c/otel/").unwrap().path, "/otel/v1/traces");
            assert!(Target::parse("https://c:4318").unwrap_err().contains("https is not supported"));
            assert!(Target::parse("http://c:x").unwrap_err().contains("bad port"));
            let span = Span {
                trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
                span_id: "00f067aa0ba902b7".into(),
                parent_span_id: None,
                name: "GET /echo".into(),
                start_unix_nanos: 1,
                end_unix_nanos: 2,
                status: 503,
                request_id: "r-1".into(),
            };
            let document = document(Service::A, &[span]);
            let resource = &document["resourceSpans"][0];
            assert_eq!(resource["resource"]["attributes"][0]["value"]["stringValue"], "service-a");
            let span = &resource["scopeSpans"][0]["spans"][0];
            assert_eq!((span["kind"].as_u64(), span["status"]["code"].as_u64()), (Some(2), Some(2)));
            assert_eq!(span["startTimeUnixNano"], "1");
            assert!(span.get("parentSpanId").is_none(), "a root span has none");
        }
    }
}
