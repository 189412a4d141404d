//! The command line of each child: the built-in services as `tui serve-a` /
//! `tui serve-b` with the session's flags, or another implementation given
//! with `--a-cmd` / `--b-cmd`, its placeholders filled.

use std::process::Stdio;

use contract::Service;
use contract::policy::Policy;
use tokio::process::Command as ProcessCommand;

use super::{Supervisor, socket_addr};

impl Supervisor {
    /// A command given with `--a-cmd` must be told its port: port 0 becomes
    /// a free one, found now (and kept for its restarts).
    pub(super) fn fix_port(&mut self, service: Service) {
        let url = self.url(service);
        if url.port_or_known_default() != Some(0) {
            return;
        }
        let host = url.host_str().unwrap_or("127.0.0.1").trim_matches(['[', ']']).to_owned();
        let free = std::net::TcpListener::bind((host.as_str(), 0)).and_then(|listener| listener.local_addr());
        if let Ok(free) = free {
            let mut url = url;
            if url.set_port(Some(free.port())).is_ok() {
                self.urls.send_modify(|urls| urls[service.index()] = url);
            }
        }
    }

    /// `--a-cmd` / `--b-cmd`: the learner's own implementation, its
    /// placeholders filled and its environment set (see the flag's help).
    pub(super) fn custom_command(&self, service: Service, words: &crate::cli::CommandLine) -> ProcessCommand {
        let port = self.url(service).port_or_known_default().unwrap_or(0).to_string();
        // For B, where to call A: the link when it stands between them.
        let a_url = match service {
            Service::A => self.url(Service::A),
            Service::B => self.a_url_for_b(),
        };
        let a_url = a_url.as_str().trim_end_matches('/').to_owned();
        let log_dir = self.settings.log_dir.to_string_lossy().into_owned();
        let fill =
            |word: &String| word.replace("{port}", &port).replace("{a_url}", &a_url).replace("{log_dir}", &log_dir);
        let mut filled = words.0.iter().map(fill);
        let mut command = ProcessCommand::new(filled.next().unwrap_or_default());
        command.args(filled).env("PORT", &port).env("SERVICE_A_URL", &a_url).env("LOG_DIR", &log_dir);
        self.supervised(command)
    }

    pub(super) fn command(&self, service: Service, policy: Option<Policy>) -> ProcessCommand {
        let mut command = ProcessCommand::new(&self.exe);
        // Its last real address, so a restarted A keeps the port B was told.
        command.args([service.subcommand(), "--addr", &socket_addr(&self.url(service))]);
        // Its admin listener on a free loopback port, reported in its log.
        command.args(["--admin-addr", "127.0.0.1:0"]);
        if service == Service::A {
            // A's faults draw from the session's seed too, so a run repeats.
            command.args(["--seed", &self.settings.seed.to_string()]);
        }
        if service == Service::B {
            command.args(["--service-a-url", self.a_url_for_b().as_str()]);
            let policy = policy.unwrap_or(Policy { timeout_ms: self.settings.timeout_ms, ..Policy::default() });
            command.args(["--timeout-ms", &policy.timeout_ms.to_string(), "--retries", &policy.retries.to_string()]);
            command.args(policy.breaker.then_some("--breaker")).args(policy.deadline.then_some("--deadline"));
        }
        command
            .arg("--log-dir")
            .arg(&self.settings.log_dir)
            // The console gets the lifecycle lines only (the files have every
            // line): the supervisor reads the `listening` line from it.
            .env("RUST_LOG", "warn,lifecycle=info");
        self.supervised(command)
    }

    /// Where B is told to call A: the link when it stands between them, else A.
    fn a_url_for_b(&self) -> reqwest::Url {
        self.b_calls_a.clone().unwrap_or_else(|| self.url(Service::A))
    }

    /// What every child gets: no stdin, both outputs to be drained, killed
    /// with its handle, and on the dashboard's lifeline.
    fn supervised(&self, mut command: ProcessCommand) -> ProcessCommand {
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
        self.lifeline.prepare(&mut command);
        command
    }
}
