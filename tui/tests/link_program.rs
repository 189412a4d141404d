//! `tui link` as its own program, as it runs on B's host: a real A behind
//! it, B's calls through it, its toxiproxy API breaking the network, and a
//! clean stop on SIGTERM.

#![cfg(unix)]
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use contract::Service;
use testkit::Spawn;

/// How long the link may take to say where it listens.
const START: Duration = Duration::from_secs(20);

#[tokio::test]
async fn the_link_as_a_program_forwards_to_a_and_its_api_breaks_the_network() {
    let logs = tempfile::tempdir().unwrap();
    let a = Spawn::subcommand(env!("CARGO_BIN_EXE_tui"), &[Service::A.subcommand()], Service::A, logs.path()).start();
    let mut link = Command::new(env!("CARGO_BIN_EXE_tui"))
        .args(["link", "--listen", "127.0.0.1:0", "--to", &a.url(), "--api", "127.0.0.1:0", "--seed", "7"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `tui link: B → 127.0.0.1:P → A …; toxiproxy API on 127.0.0.1:Q; seed 7`
    let stderr = link.stderr.take().unwrap();
    let (said, heard) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = said.send(line);
        }
    });
    let first = heard.recv_timeout(START).expect("the link says where it listens");
    let word_after =
        |marker: &str| first.split(marker).nth(1).and_then(|rest| rest.split([' ', ';']).next()).unwrap().to_owned();
    let (listen, api) = (word_after("B → "), word_after("API on "));
    assert!(first.ends_with("seed 7"), "{first}");

    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let echo = format!("http://{listen}/echo?msg=through");
    assert_eq!(http.get(&echo).send().await.unwrap().text().await.unwrap(), r#"{"echo":"through"}"#);
    let proxies: serde_json::Value =
        http.get(format!("http://{api}/proxies")).send().await.unwrap().json().await.unwrap();
    assert_eq!(proxies["service_a"]["upstream"], a.addr().to_string(), "{proxies}");

    // A toxiproxy client's reset: B's calls fail at once, A is untouched.
    let reset =
        serde_json::json!({"name": "cut", "type": "reset_peer", "stream": "upstream", "attributes": {"timeout": 0}});
    let added = http.post(format!("http://{api}/proxies/service_a/toxics")).json(&reset).send().await.unwrap();
    assert_eq!(added.status(), 200);
    let fresh = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(0).build().unwrap();
    assert!(fresh.get(&echo).timeout(Duration::from_secs(5)).send().await.is_err(), "the link resets B's call");
    let removed = http.delete(format!("http://{api}/proxies/service_a/toxics/cut")).send().await.unwrap();
    assert_eq!(removed.status(), 204);
    assert_eq!(fresh.get(&echo).send().await.unwrap().status(), 200, "healed");

    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(link.id()).unwrap()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = link.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "tui link did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "{status}");
    assert_eq!(heard.recv_timeout(START).unwrap(), "tui link: SIGTERM: stopping");
}

#[test]
fn a_link_to_nowhere_says_why_and_fails() {
    let output = Command::new(env!("CARGO_BIN_EXE_tui"))
        .args(["link", "--listen", "127.0.0.1:0", "--to", "http://a.invalid:8080", "--api", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.starts_with("tui link: --to http://a.invalid:8080/: cannot resolve a.invalid"), "{said}");
}
