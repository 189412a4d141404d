//! `tui lab` end to end, as an instructor runs it: the real binary against
//! the built-in services, the original Flask pair and broken implementations
//! (tests/fixtures), reading its verdict lines, its exit code, its report and
//! its JSON.

#![cfg(unix)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

/// The longest a whole lab may take here (13 experiments take about 20 s).
const LIMIT: Duration = Duration::from_secs(120);

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
const FLASK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/anchors/flask");

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Ran {
    /// The verdict line of `name`.
    fn verdict(&self, name: &str) -> &str {
        self.stdout
            .lines()
            .find(|line| line.split_whitespace().nth(1).is_some_and(|word| word.trim_end_matches(':') == name))
            .unwrap_or_else(|| panic!("no verdict line for {name}:\n{}\n{}", self.stdout, self.stderr))
    }
}

/// Runs `tui lab` on free ports with `args`, bounded by [`LIMIT`].
fn lab(logs: &Path, args: &[&str]) -> Ran {
    lab_in(logs, args, &[])
}

/// The same, with `env` set for it and the services it starts.
fn lab_in(logs: &Path, args: &[&str], env: &[(&str, &str)]) -> Ran {
    let child = Command::new(env!("CARGO_BIN_EXE_tui"))
        .envs(env.iter().copied())
        .arg("lab")
        .args(["--a-url", "http://127.0.0.1:0", "--b-url", "http://127.0.0.1:0", "--link-api", "127.0.0.1:0"])
        .arg("--log-dir")
        .arg(logs)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tui runs");
    let pid = child.id();
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    let Ok(output) = finished.recv_timeout(LIMIT) else {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        panic!("tui lab {args:?} did not finish within {LIMIT:?}");
    };
    let output = output.expect("tui lab's output");
    Ran {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The JSON `tui lab` wrote (the path it printed on stderr).
fn json_of(ran: &Ran) -> Value {
    let path = ran.stderr.lines().find_map(|line| line.strip_prefix("json: ")).expect("the JSON's path");
    serde_json::from_str(&std::fs::read_to_string(path).expect("the JSON file")).expect("valid JSON")
}

fn python_has(modules: &str) -> bool {
    Command::new("python3").args(["-c", &format!("import {modules}")]).output().is_ok_and(|o| o.status.success())
}

fn skip_without_python() -> bool {
    if python_has("json") {
        return false;
    }
    eprintln!("!! SKIPPED: python3 is not installed, so tui lab is not tested against other implementations");
    true
}

#[test]
fn the_built_in_services_pass_every_experiment_with_evidence() {
    let logs = tempfile::tempdir().unwrap();
    let report = logs.path().join("lab.md");
    let ran = lab(logs.path(), &["--report", report.to_str().unwrap()]);
    assert_eq!(ran.code, Some(0), "{}\n{}", ran.stdout, ran.stderr);
    let names = [
        "works",
        "a-stopped",
        "a-frozen",
        "a-slow",
        "partition",
        "retry",
        "a-errors",
        "a-bad-body",
        "answers-lost",
        "duplicate-work",
        "dedup",
        "crash",
        "breaker",
    ];
    for (n, name) in names.iter().enumerate() {
        assert!(ran.verdict(name).starts_with(&format!("PASS {name}: ")), "{}", ran.stdout);
        assert!(ran.stderr.contains(&format!("[{}/13] {name}: ", n + 1)), "a progress line per experiment");
    }
    assert!(ran.verdict("a-frozen").contains("503 timeout after 10"), "{}", ran.verdict("a-frozen"));
    assert!(ran.verdict("retry").contains("tries=3"), "{}", ran.verdict("retry"));

    let json = json_of(&ran);
    assert_eq!(json["summary"]["requests"].as_u64().map(|n| n > 20), Some(true), "{:#}", json["summary"]);
    let experiments = json["experiments"].as_array().unwrap();
    let sent: Vec<&str> = json["requests"].as_array().unwrap().iter().filter_map(|r| r["id"].as_str()).collect();
    for (experiment, name) in experiments.iter().zip(names) {
        assert_eq!((experiment["name"].as_str(), experiment["verdict"].as_str()), (Some(name), Some("pass")));
        let ids = experiment["request_ids"].as_array().unwrap();
        let first = ids.first().and_then(Value::as_str).expect("a request shows each experiment");
        assert!(ran.verdict(name).contains(first), "the line names the request");
        // The crash shows on a request of the steady load, not one sent by hand.
        assert!(name == "crash" || sent.contains(&first), "{first} is in the requests");
    }
    let stopped = json["requests"].as_array().unwrap().iter().find(|r| r["a"] == "down").expect("A stopped");
    assert_eq!((stopped["status"].as_u64(), stopped["error_kind"].as_str()), (Some(503), Some("connect")));
    let session = &json["summary"]["latency_ms"]["session"];
    assert!(
        session["p99_9"].as_f64() >= session["p99"].as_f64() && session["max"].as_f64() >= session["p99_9"].as_f64()
    );

    let md = std::fs::read_to_string(&report).unwrap();
    assert!(md.contains("13 experiments: 13 passed, 0 failed, 0 skipped"), "{md}");
    assert!(md.contains("| A frozen (`a-frozen`) | PASS | 503 timeout after"), "{md}");
    // The deliverable: what makes it distributed, the checklist, the retries, each with its request.
    let frozen = experiments[2]["request_ids"][0].as_str().unwrap();
    assert!(md.contains(&format!("answered `503 timeout` (`{frozen}`)")), "{md}");
    assert!(md.contains("- **Each service sees only its half.** Request `"), "{md}");
    assert!(md.contains(&format!("- [x] 3. A frozen: `{frozen}`")), "{md}");
    let retried = experiments[5]["request_ids"][0].as_str().unwrap();
    assert!(md.contains(&format!("Request `{retried}`: B's line says `tries=3`")), "{md}");
    assert!(md.contains("tries=3 latency_ms=") && md.contains(&format!("request_id={retried}")), "{md}");
}

#[test]
fn the_original_flask_pair_passes_what_it_supports_and_skips_the_rest() {
    if skip_without_python() {
        return;
    }
    if !python_has("flask, requests") || !Path::new(FLASK).is_dir() {
        eprintln!("!! SKIPPED: Flask and requests (pip) or {FLASK} are missing: the Flask pair is not tested");
        return;
    }
    let logs = tempfile::tempdir().unwrap();
    let a = format!("python3 {FLASK}/service_a.py {{port}}");
    let b = format!("python3 {FLASK}/service_b.py {{port}} {{a_url}}");
    // Python's logging writes local time: 5:30 ahead of UTC here (a POSIX TZ,
    // no time-zone database needed), which the lines must be read in.
    let ran = lab_in(logs.path(), &["--a-cmd", &a, "--b-cmd", &b], &[("TZ", "IST-5:30")]);
    assert_eq!(ran.code, Some(0), "{}\n{}", ran.stdout, ran.stderr);
    for name in ["works", "a-stopped", "a-frozen", "a-slow", "partition", "answers-lost", "crash"] {
        assert!(ran.verdict(name).starts_with(&format!("PASS {name}: ")), "{}", ran.stdout);
    }
    // Honest about what it could not know: joined by time, kinds read from the text.
    assert!(ran.verdict("works").contains("carry no request_id, so they were joined to the request by time"));
    assert!(ran.verdict("a-frozen").contains("the kind read from B's error text"), "{}", ran.verdict("a-frozen"));
    assert!(ran.verdict("a-slow").contains("(it ignores delay_ms); with the link holding A's answer"));
    for name in ["retry", "a-errors", "a-bad-body", "duplicate-work", "dedup", "breaker"] {
        let line = ran.verdict(name);
        assert!(line.starts_with(&format!("SKIP {name}: your ")) && line.contains("has no admin API"), "{line}");
    }
    // The report agrees with the verdicts: what the lab showed another way
    // is ticked, what it skipped says why, lines joined by time say so.
    let report = ran.stderr.lines().find_map(|line| line.strip_prefix("report: ")).expect("the report's path");
    let md = std::fs::read_to_string(report).unwrap();
    assert!(
        md.contains("- [x] 4. A slow: `") && md.contains("(shown by `tui lab`: A answered delay\\_ms=1300"),
        "{md}"
    );
    assert!(md.contains("- [x] 9. Answers lost: `"), "{md}");
    assert!(md.contains("- [ ] 6. A retry: skipped by `tui lab`: your B has no admin API"), "{md}");
    assert!(md.contains("Written while it was in flight (joined to it by time, not by id"), "{md}");
    assert!(md.contains("What `tui lab` did and what happened"), "{md}");
}

/// A learner's B that calls A with no timeout at all hangs on a frozen A.
#[test]
fn a_b_with_no_timeout_fails_the_frozen_experiment() {
    if skip_without_python() {
        return;
    }
    let logs = tempfile::tempdir().unwrap();
    let a = format!("python3 {FIXTURES}/stub_a.py {{port}}");
    let b = format!("python3 {FIXTURES}/broken_b.py no-timeout {{port}} {{a_url}}");
    let ran = lab(logs.path(), &["--a-cmd", &a, "--b-cmd", &b, "--only", "works,a-frozen"]);
    assert_eq!(ran.code, Some(1), "{}\n{}", ran.stdout, ran.stderr);
    assert!(ran.verdict("works").starts_with("PASS"), "the rest of it works");
    let line = ran.verdict("a-frozen");
    assert!(line.starts_with("FAIL a-frozen: expected 503 {\"error\":…,\"error_kind\":\"timeout\""), "{line}");
    assert!(line.contains("B gave no answer after") && line.contains("does B set a timeout"), "{line}");
    let json = json_of(&ran);
    let id = json["experiments"][1]["request_ids"][0].as_str().expect("the request that showed it");
    assert!(line.ends_with(&format!("(request {id})")), "{line}");
    assert_eq!(json["experiments"][1]["verdict"], "fail");
}

/// A B that answers 500, or 503 in plain text or with a kind of its own,
/// instead of the lab's 503 JSON: when A is stopped and when it crashes.
#[test]
fn a_b_that_answers_500_or_plain_text_fails_with_what_it_sent() {
    if skip_without_python() {
        return;
    }
    for (mode, said) in [
        ("status-500", "B answered 500 `{\"error\": "),
        ("plain-text", "B's 503 is not JSON: `A is down`"),
        ("bad-kind", "B's error_kind \"oops\" is none of connect, timeout, status, body, circuit_open"),
    ] {
        let logs = tempfile::tempdir().unwrap();
        let a = format!("python3 {FIXTURES}/stub_a.py {{port}}");
        let b = format!("python3 {FIXTURES}/broken_b.py {mode} {{port}} {{a_url}}");
        let ran = lab(logs.path(), &["--a-cmd", &a, "--b-cmd", &b, "--only", "a-stopped,crash"]);
        assert_eq!(ran.code, Some(1), "{mode}: {}\n{}", ran.stdout, ran.stderr);
        let line = ran.verdict("a-stopped");
        assert!(line.starts_with("FAIL a-stopped: expected 503 {\"error\":…,\"error_kind\":\"connect\""), "{line}");
        assert!(line.contains(said), "{mode}: {line}");
        let line = ran.verdict("crash");
        assert!(line.starts_with("FAIL crash: expected 503 {\"error\":…,\"error_kind\":\"…\""), "{line}");
        assert!(line.contains(said), "{mode}: {line}");
    }
}

/// A B that gives up long before its timeout is not waiting for A.
#[test]
fn a_b_that_gives_up_too_soon_fails_the_frozen_experiment() {
    if skip_without_python() {
        return;
    }
    let logs = tempfile::tempdir().unwrap();
    let a = format!("python3 {FIXTURES}/stub_a.py {{port}}");
    let b = format!("python3 {FIXTURES}/broken_b.py impatient {{port}} {{a_url}}");
    let ran = lab(logs.path(), &["--a-cmd", &a, "--b-cmd", &b, "--only", "a-frozen"]);
    assert_eq!(ran.code, Some(1), "{}\n{}", ran.stdout, ran.stderr);
    let line = ran.verdict("a-frozen");
    assert!(
        line.starts_with("FAIL a-frozen: expected B to wait for A about 1000 ms (its timeout) before it gives up"),
        "{line}"
    );
}

#[test]
fn a_service_that_logs_no_line_fails_the_first_experiment() {
    if skip_without_python() {
        return;
    }
    let logs = tempfile::tempdir().unwrap();
    let a = format!("python3 {FIXTURES}/stub_a.py {{port}} silent");
    let ran = lab(logs.path(), &["--a-cmd", &a, "--only", "works"]);
    assert_eq!(ran.code, Some(1), "{}\n{}", ran.stdout, ran.stderr);
    let line = ran.verdict("works");
    assert!(line.starts_with("FAIL works: expected a line in A's log for request "), "{line}");
    assert!(line.contains("none came within 3 s"), "{line}");
}

#[test]
fn bad_usage_exits_2_and_names_the_experiments() {
    let logs = tempfile::tempdir().unwrap();
    let ran = lab(logs.path(), &["--only", "works,nope"]);
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("no experiment is called \"nope\"; the lab's are: works, a-stopped,"),
        "{}",
        ran.stderr
    );
    assert!(std::fs::read_dir(logs.path()).map_or(true, |mut dir| dir.next().is_none()), "nothing was started");
}

/// Ctrl-C in the middle: the services stop, the report and the JSON say
/// which experiments never ran, and the exit code is the shell's 130.
#[test]
fn an_interrupted_lab_says_what_did_not_run() {
    use std::io::{BufRead, BufReader, Read};
    let logs = tempfile::tempdir().unwrap();
    let report = logs.path().join("cut.md");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tui"))
        .arg("lab")
        .args(["--a-url", "http://127.0.0.1:0", "--b-url", "http://127.0.0.1:0", "--link-api", "127.0.0.1:0"])
        .arg("--log-dir")
        .arg(logs.path())
        .arg("--report")
        .arg(&report)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tui runs");
    let pid = child.id().to_string();
    let stderr = child.stderr.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (lines, read) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let deadline = std::time::Instant::now() + LIMIT;
    let mut said = Vec::new();
    while let Ok(line) = read.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now())) {
        let third = line.starts_with("[3/13] a-frozen");
        said.push(line);
        if third {
            break;
        }
    }
    assert!(said.last().is_some_and(|line| line.starts_with("[3/13]")), "{said:?}");
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let mut out = String::new();
        let _ = stdout.read_to_string(&mut out);
        let _ = done.send((out, child.wait()));
    });
    let Ok((out, status)) = finished.recv_timeout(Duration::from_secs(30)) else {
        let _ = Command::new("kill").args(["-9", &pid]).status();
        panic!("tui lab did not end within 30 s of SIGINT");
    };
    assert_eq!(status.unwrap().code(), Some(130), "{out}");
    assert!(out.contains("PASS works: ") && out.contains("PASS a-stopped: "), "{out}");
    assert!(out.contains("NOT-RUN a-frozen: interrupted (SIGINT) while it ran"), "{out}");
    assert!(out.contains("NOT-RUN breaker: interrupted (SIGINT) before it ran"), "{out}");
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(
        md.contains("13 experiments: 2 passed, 0 failed, 0 skipped, 11 not run: **the lab was interrupted**"),
        "{md}"
    );
    let json: Value = serde_json::from_str(&std::fs::read_to_string(report.with_extension("json")).unwrap()).unwrap();
    assert_eq!(json["experiments"][12]["verdict"], "not-run");
}

#[test]
fn a_report_that_cannot_be_written_is_said_before_anything_runs() {
    let logs = tempfile::tempdir().unwrap();
    let ran = lab(logs.path(), &["--report", "/nonexistent-dir/lab.md"]);
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(ran.stderr.contains("cannot write /nonexistent-dir/lab.md: no such file or directory"), "{}", ran.stderr);
    assert!(!ran.stderr.contains("[1/13]"), "nothing ran: {}", ran.stderr);
}

/// A wrapper script that does not `exec` its server: the lab stops the
/// script, the server keeps the port, and the verdict says why B still answers.
#[test]
fn an_a_behind_a_script_that_does_not_exec_is_said_to_have_left_a_process() {
    if skip_without_python() {
        return;
    }
    let logs = tempfile::tempdir().unwrap();
    let a = format!("sh {FIXTURES}/wrapper_a.sh {{port}}");
    let ran = lab(logs.path(), &["--a-cmd", &a, "--only", "a-stopped"]);
    assert_eq!(ran.code, Some(1), "{}\n{}", ran.stdout, ran.stderr);
    let line = ran.verdict("a-stopped");
    assert!(line.starts_with("FAIL a-stopped: A's process stopped, yet A's port still answers"), "{line}");
    assert!(line.contains("a wrapper script that does not `exec` its server?"), "{line}");
}
