//! `GET /metrics`: the service's counters in the Prometheus text format
//! (OpenMetrics), kept with `prometheus-client`.
//!
//! - `http_requests_total{endpoint,status}`: every request, as logged.
//! - `http_request_duration_seconds{endpoint}`: a latency histogram per endpoint.
//! - `upstream_calls_total{outcome}`: B's calls to A (`ok`, `connect`, `timeout`,
//!   `status`, `body`, `circuit_open`), one per request, whatever its tries.
//! - `upstream_tries_total{outcome}`: every try B made (a call with retries is several).
//! - `breaker_changes_total{state}`: B's circuit breaker changing state (`open`, `half_open`, `closed`).
//! - `log_lines_lost_total{sink}`: lines the file could not take (`file`) and
//!   console lines dropped because stdout was not read (`console`).
//! - `connections_open`, `connection_limit_waits_total`: the connection limit at work.
//! - `log_stream_lines_dropped_total`: lines `GET /logs` readers fell too far
//!   behind to get (the stream says so too); the file has every one.
//!
//! The endpoint label is one of the service's own paths (as given to
//! [`crate::server::with_common_layers`]) or `other`, so a client cannot grow
//! the label set by asking for random paths, and A shows no `/call-echo`.

use std::sync::{OnceLock, PoisonError, RwLock};

use contract::ErrorKind;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The path of the metrics endpoint on both services.
pub const PATH: &str = "/metrics";

/// The `content-type` of the answer.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The label of every path that is not one of the service's own.
pub const OTHER: &str = "other";

/// Histogram buckets in seconds: 0.1 ms to ~30 s.
const LATENCY_BUCKETS: [f64; 16] =
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    endpoint: &'static str,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SinkLabels {
    sink: &'static str,
}

/// Which copy of the log lost a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    File,
    Console,
}

/// Every metric of the process.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<EndpointLabels, Histogram, fn() -> Histogram>,
    upstream: Family<OutcomeLabels, Counter>,
    tries: Family<OutcomeLabels, Counter>,
    breaker: Family<StateLabels, Counter>,
    lost: [Counter; 2],
    open_connections: Gauge,
    limit_waits: Counter,
    stream_dropped: Counter,
    /// The series of the endpoints declared, kept at hand for each request.
    known: RwLock<Vec<KnownEndpoint>>,
    /// B's series by outcome, made on first use (A has none), then kept at hand.
    upstream_at_hand: [OnceLock<Counter>; OUTCOMES.len()],
    tries_at_hand: [OnceLock<Counter>; OUTCOMES.len()],
}

/// The outcomes of B's calls and tries: `ok` or one of the error kinds.
const OUTCOMES: [&str; 1 + ErrorKind::ALL.len()] = {
    let mut names = ["ok"; 1 + ErrorKind::ALL.len()];
    let mut at = 0;
    while at < ErrorKind::ALL.len() {
        names[at + 1] = ErrorKind::ALL[at].as_str();
        at += 1;
    }
    names
};

/// The series of `outcome` in `family`, from `cache` after its first use: a
/// call then costs no hashing of its labels.
fn at_hand<'c>(
    family: &Family<OutcomeLabels, Counter>,
    cache: &'c [OnceLock<Counter>; OUTCOMES.len()],
    outcome: &'static str,
) -> std::borrow::Cow<'c, Counter> {
    match OUTCOMES.iter().position(|known| *known == outcome) {
        Some(at) => std::borrow::Cow::Borrowed(
            cache[at].get_or_init(|| family.get_or_create(&OutcomeLabels { outcome }).clone()),
        ),
        // Not one of the lab's outcomes: counted all the same, the slow way.
        None => std::borrow::Cow::Owned(family.get_or_create(&OutcomeLabels { outcome }).clone()),
    }
}

/// One declared endpoint's latency series and its count of `200`s.
struct KnownEndpoint {
    endpoint: &'static str,
    ok: Option<Counter>,
    latency: Histogram,
}

/// The process's metrics (created on first use).
pub fn get() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS.iter().copied())
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "Requests answered, by endpoint and HTTP status", requests.clone());
        let latency: Family<EndpointLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time from the request head to the answer, by endpoint",
            latency.clone(),
        );
        let upstream = Family::<OutcomeLabels, Counter>::default();
        registry.register("upstream_calls", "Service B's calls to service A, by outcome", upstream.clone());
        let tries = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "upstream_tries",
            "Service B's tries at calling service A (retries included), by outcome",
            tries.clone(),
        );
        let breaker = Family::<StateLabels, Counter>::default();
        registry.register(
            "breaker_changes",
            "Service B's circuit breaker changing state, by new state",
            breaker.clone(),
        );
        let lost_family = Family::<SinkLabels, Counter>::default();
        registry.register(
            "log_lines_lost",
            "Log lines the file could not take (file) or dropped because stdout was not read (console)",
            lost_family.clone(),
        );
        let lost = [
            lost_family.get_or_create_owned(&SinkLabels { sink: "file" }),
            lost_family.get_or_create_owned(&SinkLabels { sink: "console" }),
        ];
        let open_connections = Gauge::default();
        registry.register("connections_open", "Client connections open now", open_connections.clone());
        let limit_waits = Counter::default();
        registry.register(
            "connection_limit_waits",
            "Times a new connection had to wait because --max-connections were open",
            limit_waits.clone(),
        );
        let stream_dropped = Counter::default();
        registry.register(
            "log_stream_lines_dropped",
            "Log lines a GET /logs reader fell too far behind to get (the file has them all)",
            stream_dropped.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            upstream,
            tries,
            breaker,
            lost,
            open_connections,
            limit_waits,
            stream_dropped,
            known: RwLock::new(Vec::new()),
            upstream_at_hand: Default::default(),
            tries_at_hand: Default::default(),
        }
    }

    /// Shows a latency series for each of `endpoints` (and `/metrics`, `other`) from the
    /// start, before any request, as Prometheus expects of known series.
    pub fn declare_endpoints(&self, endpoints: &[&'static str]) {
        let mut known = self.known.write().unwrap_or_else(PoisonError::into_inner);
        for endpoint in endpoints.iter().copied().chain([PATH, OTHER]) {
            if known.iter().all(|series| series.endpoint != endpoint) {
                known.push(KnownEndpoint {
                    endpoint,
                    // `other` answers no 200: no series of it.
                    ok: (endpoint != OTHER)
                        .then(|| self.requests.get_or_create_owned(&RequestLabels { endpoint, status: 200 })),
                    latency: self.latency.get_or_create_owned(&EndpointLabels { endpoint }),
                });
            }
        }
    }

    /// Counts one answered request; `endpoint` is one of the service's paths or [`OTHER`].
    pub fn request(&self, endpoint: &'static str, status: u16, seconds: f64) {
        // The series of a declared endpoint are at hand (no lookup by label);
        // other statuses are looked up.
        let known = self.known.read().unwrap_or_else(PoisonError::into_inner);
        match known.iter().find(|series| series.endpoint == endpoint) {
            Some(series) => {
                match &series.ok {
                    Some(ok) if status == 200 => {
                        ok.inc();
                    }
                    _ => {
                        self.requests.get_or_create(&RequestLabels { endpoint, status }).inc();
                    }
                }
                series.latency.observe(seconds);
            }
            None => {
                self.requests.get_or_create(&RequestLabels { endpoint, status }).inc();
                self.latency.get_or_create(&EndpointLabels { endpoint }).observe(seconds);
            }
        }
    }

    /// Counts one call from B to A; `outcome` is `ok` or an error kind.
    pub fn upstream_call(&self, outcome: &'static str) {
        at_hand(&self.upstream, &self.upstream_at_hand, outcome).inc();
    }

    /// Counts one try of B at calling A.
    pub fn upstream_try(&self, outcome: &'static str) {
        at_hand(&self.tries, &self.tries_at_hand, outcome).inc();
    }

    /// Counts B's circuit breaker entering `state`.
    pub fn breaker_change(&self, state: &'static str) {
        self.breaker.get_or_create(&StateLabels { state }).inc();
    }

    /// Counts lines lost by one sink.
    pub fn lines_lost(&self, sink: Sink, lines: u64) {
        if lines > 0 {
            self.lost[usize::from(sink == Sink::Console)].inc_by(lines);
        }
    }

    /// Lines lost so far by `sink`.
    pub fn lines_lost_so_far(&self, sink: Sink) -> u64 {
        self.lost[usize::from(sink == Sink::Console)].get()
    }

    /// Counts lines a `GET /logs` reader lost by falling behind.
    pub(crate) fn stream_lines_dropped(&self, lines: u64) {
        self.stream_dropped.inc_by(lines);
    }

    pub(crate) fn connection_opened(&self) {
        self.open_connections.inc();
    }

    pub(crate) fn connection_closed(&self) {
        self.open_connections.dec();
    }

    pub(crate) fn connection_limit_wait(&self) {
        self.limit_waits.inc();
    }

    /// The whole text answer of `GET /metrics`.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(4096);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_requests_latency_upstream_and_lost_lines() {
        let metrics = Metrics::new();
        metrics.declare_endpoints(&["/health", "/echo"]);
        metrics.request("/echo", 200, 0.002);
        metrics.request(OTHER, 404, 0.0001);
        metrics.upstream_call("timeout");
        metrics.upstream_try("timeout");
        metrics.upstream_try("timeout");
        metrics.upstream_try("an outcome of no lab");
        metrics.lines_lost(Sink::File, 3);
        let text = metrics.encode();
        for expected in [
            r#"http_requests_total{endpoint="/echo",status="200"} 1"#,
            r#"http_requests_total{endpoint="other",status="404"} 1"#,
            r#"http_request_duration_seconds_count{endpoint="/echo"} 1"#,
            r#"http_request_duration_seconds_count{endpoint="/health"} 0"#,
            r#"upstream_calls_total{outcome="timeout"} 1"#,
            r#"upstream_tries_total{outcome="timeout"} 2"#,
            r#"upstream_tries_total{outcome="an outcome of no lab"} 1"#,
            r#"log_lines_lost_total{sink="file"} 3"#,
            r#"log_lines_lost_total{sink="console"} 0"#,
        ] {
            assert!(text.contains(expected), "{expected} not in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
        assert!(!text.contains("/call-echo"), "a path the service does not have is shown:\n{text}");
    }
}
