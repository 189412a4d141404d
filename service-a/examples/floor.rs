//! The floor under A's speed: `/echo` with nothing of the lab's around it
//! (no log line, no request id, no trace, no metrics, no limits), on the
//! same runtime (one thread) and allocator as A, so `scripts/bench-services.sh`
//! can show what hyper alone and axum alone serve on this machine next to A
//! and nginx. Not a service: it has no errors, no logs and no shutdown.
//!
//! ```text
//! cargo run --release -p service-a --example floor -- hyper 127.0.0.1:18480
//! cargo run --release -p service-a --example floor -- axum 127.0.0.1:18481
//! ```

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, Request, Response, header};
use contract::{EchoBody, EchoParams};

#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: service_kit::alloc::MiMalloc = service_kit::alloc::MiMalloc;

/// `GET /health`, for the bench's wait for the port.
const HEALTH: &[u8] = b"{\"status\":\"ok\"}";

/// The work of A's `/echo` without a delay: read `msg`, answer its JSON.
fn echo(query: Option<&str>) -> Response<Body> {
    let body = match EchoParams::from_query(query) {
        Ok(params) => serde_json::to_vec(&EchoBody { echo: params.msg }).unwrap_or_default(),
        Err(_) => b"{\"error\":\"bad input\"}".to_vec(),
    };
    let mut response = Response::new(Body::from(Bytes::from(body)));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

async fn serve_hyper(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let service = hyper::service::service_fn(|request: Request<hyper::body::Incoming>| async move {
        Ok::<_, Infallible>(match request.uri().path() {
            "/health" => Response::new(Body::from(HEALTH)),
            _ => echo(request.uri().query()),
        })
    });
    loop {
        let (stream, _) = listener.accept().await?;
        let io = hyper_util::rt::TokioIo::new(stream);
        tokio::spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            // As A's server: one buffer per answer.
            http.writev(false);
            // A client that goes away mid-request is no concern of the floor's.
            let _ = http.serve_connection(io, service).await;
        });
    }
}

async fn serve_axum(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    use axum::routing::get;
    let router = axum::Router::new().route("/health", get(|| async { HEALTH })).route(
        "/echo",
        get(|axum::extract::RawQuery(query): axum::extract::RawQuery| async move { echo(query.as_deref()) }),
    );
    axum::serve(listener, router).await
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [which, addr] = args.as_slice() else {
        eprintln!("usage: floor hyper|axum ADDR   (e.g. floor axum 127.0.0.1:18481)");
        return std::process::ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("floor: no runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr.as_str()).await?;
        match which.as_str() {
            "hyper" => serve_hyper(listener).await,
            "axum" => serve_axum(listener).await,
            other => Err(std::io::Error::other(format!("{other:?} is neither hyper nor axum"))),
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("floor {which} on {addr}: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
