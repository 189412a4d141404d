//! A and B on another host: a network namespace of their own, joined to
//! this one by a veth pair in the benchmarking range (198.18.0.0/15), with
//! their log files where the dashboard cannot read them, the link between
//! them as `tui link`, and admin listeners that need a token. `tui lab`
//! drives them from here as an instructor would: the logs come over HTTP
//! (`--a-logs URL`), the link's faults through its toxiproxy API
//! (`--link-api URL`). Linux as root only; skipped loudly anywhere else.

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

const TUI: &str = env!("CARGO_BIN_EXE_tui");
const TOKEN: &str = "netns-test-token";
/// The longest the lab may take here.
const LIMIT: Duration = Duration::from_secs(120);

/// The namespace, its veth pair and what runs in it; all of it removed on drop.
struct Host {
    name: String,
    veth: String,
    /// The namespace's address (198.18.N.2); this side is 198.18.N.1.
    ip: String,
    children: Vec<Child>,
}

impl Host {
    /// A namespace of its own, or `None` (said loudly) where none can be made.
    fn create() -> Option<Host> {
        let root = Command::new("id").arg("-u").output().is_ok_and(|out| out.stdout.starts_with(b"0\n"));
        if !root {
            eprintln!("!! SKIPPED: not root, so no network namespace: A and B on another host are not tested");
            return None;
        }
        let pid = std::process::id();
        let subnet = pid % 250 + 1;
        let host = Host {
            name: format!("tuilab{pid}"),
            veth: format!("tl{pid}"),
            ip: format!("198.18.{subnet}.2"),
            children: Vec::new(),
        };
        let peer = format!("{}p", host.veth);
        let (ours, theirs) = (format!("198.18.{subnet}.1/24"), format!("{}/24", host.ip));
        let steps: [Vec<&str>; 7] = [
            vec!["netns", "add", &host.name],
            vec!["link", "add", &host.veth, "type", "veth", "peer", "name", &peer],
            vec!["link", "set", &peer, "netns", &host.name],
            vec!["addr", "add", &ours, "dev", &host.veth],
            vec!["link", "set", &host.veth, "up"],
            vec!["-n", &host.name, "addr", "add", &theirs, "dev", &peer],
            vec!["-n", &host.name, "link", "set", &peer, "up"],
        ];
        for step in steps {
            let done = Command::new("ip").args(&step).output();
            if !done.as_ref().is_ok_and(|out| out.status.success()) {
                let why = done.map_or_else(|e| e.to_string(), |out| String::from_utf8_lossy(&out.stderr).into_owned());
                eprintln!(
                    "!! SKIPPED: `ip {}` failed ({}): A and B on another host are not tested",
                    step.join(" "),
                    why.trim()
                );
                return None;
            }
        }
        let _ = Command::new("ip").args(["-n", &host.name, "link", "set", "lo", "up"]).status();
        Some(host)
    }

    /// Runs `tui ARGS` inside the namespace.
    fn run(&mut self, args: &[String]) {
        let child = Command::new("ip")
            .args(["netns", "exec", &self.name, TUI])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.children.push(child);
    }

    fn url(&self, port: u16) -> String {
        format!("http://{}:{port}", self.ip)
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = Command::new("ip").args(["link", "del", &self.veth]).status();
        let _ = Command::new("ip").args(["netns", "del", &self.name]).status();
    }
}

/// The whole answer to `GET path` at `addr` (empty when none came within 3 s).
fn get(addr: &str, path: &str) -> String {
    let Ok(addr) = addr.parse() else { return String::new() };
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(300)) else { return String::new() };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(3)));
    let asked = format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    if stream.write_all(asked.as_bytes()).is_err() {
        return String::new();
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

fn healthy(addr: &str) -> bool {
    get(addr, "/health").starts_with("HTTP/1.1 200")
}

fn lab(args: &[&str], logs: &Path) -> (Option<i32>, String, String) {
    let child = Command::new(TUI)
        .env("ADMIN_TOKEN", TOKEN)
        .arg("lab")
        .arg("--attach")
        .arg("--log-dir")
        .arg(logs)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    let Ok(output) = finished.recv_timeout(LIMIT) else {
        let _ = Command::new("kill").args(["-9", &pid]).status();
        panic!("tui lab did not finish within {LIMIT:?}");
    };
    let output = output.unwrap();
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.code(), text(&output.stdout), text(&output.stderr))
}

#[test]
fn a_and_b_on_another_host_are_driven_with_their_logs_over_http_and_the_link_as_a_program() {
    let Some(mut host) = Host::create() else { return };
    let their_logs = tempfile::tempdir().unwrap();
    let (a, a_admin, b, b_admin, link, link_api) = (18081, 18091, 18080, 18090, 18085, 18474);
    let ip = host.ip.clone();
    let at = move |port: u16| format!("{ip}:{port}");
    let dir = |name: &str| their_logs.path().join(name).display().to_string();
    let words = |text: &str| text.split(' ').map(str::to_owned).collect::<Vec<String>>();
    let token = format!("--admin-token {TOKEN}");
    host.run(&words(&format!("serve-a --addr {} --admin-addr {} --log-dir {} {token}", at(a), at(a_admin), dir("a"))));
    host.run(&words(&format!("link --listen {} --to {} --api {} --seed 7", at(link), host.url(a), at(link_api))));
    host.run(&words(&format!(
        "serve-b --addr {} --admin-addr {} --log-dir {} --service-a-url {} {token}",
        at(b),
        at(b_admin),
        dir("b"),
        host.url(link)
    )));
    let deadline = Instant::now() + Duration::from_secs(20);
    for addr in [at(a), at(b)] {
        while !healthy(&addr) {
            assert!(Instant::now() < deadline, "{addr} did not answer /health in the namespace");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    // The dashboard's side: its own directory, which holds none of their files.
    let ours = tempfile::tempdir().unwrap();
    let report = ours.path().join("lab.md");
    let urls = [
        ("--a-url", host.url(a)),
        ("--b-url", host.url(b)),
        ("--a-admin-url", host.url(a_admin)),
        ("--b-admin-url", host.url(b_admin)),
        ("--a-logs", host.url(a_admin)),
        ("--b-logs", host.url(b_admin)),
        ("--link-api", host.url(link_api)),
    ];
    let mut args: Vec<&str> = urls.iter().flat_map(|(flag, url)| [*flag, url.as_str()]).collect();
    args.extend(["--only", "works,partition,retry,answers-lost,a-stopped", "--report", report.to_str().unwrap()]);
    let (code, stdout, stderr) = lab(&args, ours.path());
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let verdict =
        |name: &str| stdout.lines().find(|line| line.contains(&format!(" {name}: "))).unwrap_or("").to_owned();
    // Both halves of the request, read over HTTP, joined by id.
    assert!(verdict("works").starts_with("PASS works: 200 in"), "{stdout}");
    assert!(!verdict("works").contains("joined to the request by time"), "{stdout}");
    // The network broken through tui link's toxiproxy API, on the other host.
    assert!(verdict("partition").starts_with("PASS partition: 503 timeout after"), "{stdout}");
    assert!(verdict("retry").contains("tries=3"), "{stdout}");
    assert!(verdict("answers-lost").starts_with("PASS answers-lost: "), "{stdout}");
    // A is on another host: the lab cannot stop it, and says so.
    assert!(verdict("a-stopped").starts_with("SKIP a-stopped: A at http://198.18."), "{stdout}");
    assert!(verdict("a-stopped").contains("is on another host"), "{stdout}");
    assert!(std::fs::read_dir(ours.path()).unwrap().all(|entry| {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        !name.starts_with("service-")
    }));

    // The trace of the partitioned request, from lines that came over HTTP.
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(md.contains("A never got it: the link was partitioned"), "{md}");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(report.with_extension("json")).unwrap()).unwrap();
    let works = json["experiments"][0]["request_ids"][0].as_str().unwrap().to_owned();
    let lines = md.matches(&format!("\"request_id\":\"{works}\"")).count();
    assert!(lines >= 2, "B's and A's lines of {works} are in the report: {md}");

    // A stopped on its host: B there says connect, and the lab, which
    // needs both to start, says which one does not answer.
    let mut a_child = host.children.remove(0);
    let _ = Command::new("kill").args(["-TERM", &a_child.id().to_string()]).status();
    let _ = a_child.wait();
    let answer = get(&at(b), "/call-echo?msg=hi");
    assert!(answer.starts_with("HTTP/1.1 503") && answer.contains("\"error_kind\":\"connect\""), "{answer}");
    let only_works: Vec<&str> = args[..args.len() - 4].iter().copied().chain(["--only", "works"]).collect();
    let (code, stdout, _) = lab(&only_works, ours.path());
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains(&format!("FAIL works: A (--attach): nothing answers at {}", host.url(a))), "{stdout}");
}
