//! The link's toxiproxy API: driven by toxiproxy-python, a real toxiproxy
//! client from PyPI (its script checks each change through the link), and
//! by hand for what a client must be told (409, 400, 404) and what a web page
//! must not do.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tui::io::link::{Limits, Link, api};

/// A link to an echo server, and its API, both on port 0.
struct Running {
    link: Link,
    api: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.tasks.iter().for_each(JoinHandle::abort);
    }
}

async fn start() -> Running {
    let echo = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let echo_addr = echo.local_addr().unwrap();
    let echo_task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = echo.accept().await {
            tokio::spawn(async move {
                let mut buf = [0; 4096];
                while let Ok(n @ 1..) = stream.read(&mut buf).await {
                    if stream.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let (_target, target) = watch::channel(echo_addr);
    let (link, run) = Link::bind("127.0.0.1:0".parse().unwrap(), target, 5, Limits::default()).await.unwrap();
    let link_task = tokio::spawn(run);
    let listener = api::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let api = listener.local_addr().unwrap();
    let api_link = link.clone();
    let api_task = tokio::spawn(async move {
        let _ = api::serve(listener, api_link).await;
    });
    Running { link, api, tasks: vec![echo_task, link_task, api_task] }
}

/// Whether `import toxiproxy` works; on CI it must (`.ci/run` installs it).
fn toxiproxy_python() -> bool {
    let found = std::process::Command::new("python3")
        .args(["-c", "import toxiproxy"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        assert!(std::env::var_os("CI").is_none(), "CI must install toxiproxy-python (pip install toxiproxy-python)");
        eprintln!("!!!! SKIPPED: toxiproxy-python is not installed (pip install toxiproxy-python)");
    }
    found
}

#[tokio::test]
async fn toxiproxy_python_drives_the_link() {
    if !toxiproxy_python() {
        return;
    }
    let running = start().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/toxiproxy/drive_link.py");
    let child = tokio::process::Command::new("python3")
        .arg(script)
        .arg(running.api.port().to_string())
        .stdin(Stdio::null())
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), child).await.expect("the script ended").unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{said}");
    assert!(said.contains("all held"), "{said}");
    assert!(running.link.toxics().is_empty() && running.link.enabled(), "the script left the link reset");
}

async fn call(running: &Running, method: reqwest::Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut request = client.request(method, format!("http://{}{path}", running.api));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[tokio::test]
async fn the_api_says_what_is_wrong_in_toxiproxys_shape() {
    use reqwest::Method;
    let running = start().await;
    let (status, proxies) = call(&running, Method::GET, "/proxies", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(proxies["service_a"]["listen"], running.link.addr().to_string());
    assert_eq!(proxies["service_a"]["toxics"], json!([]));

    let latency = json!({"type": "latency", "attributes": {"latency": 100}});
    let (status, added) = call(&running, Method::POST, "/proxies/service_a/toxics", Some(latency.clone())).await;
    assert_eq!(status, StatusCode::OK, "{added}");
    assert_eq!(added["name"], "latency_downstream");
    let (status, exists) = call(&running, Method::POST, "/proxies/service_a/toxics", Some(latency)).await;
    assert_eq!((status, exists["status"].as_u64()), (StatusCode::CONFLICT, Some(409)), "{exists}");

    let bad = json!({"type": "latency", "attributes": {"latency": -5}});
    let (status, error) = call(&running, Method::POST, "/proxies/service_a/toxics", Some(bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error["error"].as_str().unwrap().contains("whole number"), "{error}");

    let change = json!({"attributes": {"jitter": 10}});
    let (status, changed) =
        call(&running, Method::POST, "/proxies/service_a/toxics/latency_downstream", Some(change)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(changed["attributes"], json!({"latency": 100, "jitter": 10}));

    let (status, _) = call(&running, Method::GET, "/proxies/service_b", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&running, Method::DELETE, "/proxies/service_a/toxics/nope", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // GET, then POST back what it gave: accepted, nothing changed but `enabled`.
    let (_, mut proxy) = call(&running, Method::GET, "/proxies/service_a", None).await;
    proxy["enabled"] = json!(false);
    let (status, down) = call(&running, Method::POST, "/proxies/service_a", Some(proxy)).await;
    assert_eq!((status, down["enabled"].as_bool()), (StatusCode::OK, Some(false)), "{down}");
    assert!(tokio::net::TcpStream::connect(running.link.addr()).await.is_err(), "refused while down");

    let (status, _) = call(&running, Method::POST, "/reset", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(running.link.enabled() && running.link.toxics().is_empty());
}

#[tokio::test]
async fn a_web_page_cannot_break_the_lab() {
    let running = start().await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!("http://{}/proxies/service_a/toxics", running.api);
    let toxic = r#"{"type": "timeout", "attributes": {"timeout": 0}}"#;
    // A simple cross-site POST: a form or text body, with the page's Origin.
    let from_a_page = client
        .post(&url)
        .header("origin", "http://evil.example")
        .header("content-type", "application/json")
        .body(toxic)
        .send()
        .await
        .unwrap();
    assert_eq!(from_a_page.status(), StatusCode::FORBIDDEN);
    let text_plain = client.post(&url).header("content-type", "text/plain").body(toxic).send().await.unwrap();
    assert_eq!(text_plain.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let rebound = client
        .post(&url)
        .header("host", "evil.example:8474")
        .header("content-type", "application/json")
        .body(toxic)
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), StatusCode::FORBIDDEN);
    assert!(running.link.toxics().is_empty(), "nothing was added");
    // The same request from a client of the API's own is taken.
    let own = client.post(&url).header("content-type", "application/json").body(toxic).send().await.unwrap();
    assert_eq!(own.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_in_toxiproxys_shape() {
    let running = start().await;
    let huge = format!(r#"{{"type": "latency", "name": "{}"}}"#, "x".repeat(1024 * 1024));
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let response = client
        .post(format!("http://{}/proxies/service_a/toxics", running.api))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], 413, "{body}");
}
