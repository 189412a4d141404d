//! Starting a service as a child: its command, its pipes drained for its
//! whole life (another implementation's console into its log file), and the
//! wait until it says where it listens and answers its health check.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use contract::Service;
use contract::policy::Policy;
use reqwest::Url;
use tokio::sync::oneshot;

use super::child::{StderrKept, Which, console_to_log, find_listening_line, keep_stderr, open_console_log};
use super::{ChildProcess, START_DEADLINE, Supervisor, socket_addr};
use crate::msg::{Event, ProcessState};

impl Supervisor {
    /// Starts `service` as a child and waits until it answers its health check.
    pub(super) async fn start(&mut self, service: Service, policy: Option<Policy>) {
        self.set(service, ProcessState::Starting).await;
        let custom = self.settings.commands[service.index()].clone();
        if custom.is_some() {
            self.fix_port(service);
        }
        let mut command = match &custom {
            Some(words) => self.custom_command(service, words),
            None => self.command(service, policy),
        };
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(error) => {
                let program = command.as_std().get_program().to_string_lossy().into_owned();
                let why = if error.kind() == std::io::ErrorKind::NotFound {
                    format!("{program}: no such program")
                } else {
                    format!("cannot start {program:?}: {error}")
                };
                self.set(service, ProcessState::Failed(why)).await;
                return;
            }
        };
        let Some(pid) = child.id() else {
            self.set(service, ProcessState::Failed("exited at once".into())).await;
            return;
        };
        if let Err(error) = self.lifeline.adopt(&child) {
            self.note(format!("{} may outlive the dashboard: {error}", service.name())).await;
        }
        let stderr = Arc::new(Mutex::new(StderrKept::default()));
        let (listening_tx, mut listening) = oneshot::channel();
        // Both pipes drained for the child's whole life: a full pipe would block it.
        if custom.is_some() {
            // Another implementation's console is its log: into the file the
            // dashboard follows. Its address is the one it was given.
            let path = self
                .settings
                .log_dir
                .join(contract::files::file_name(service, Some(&crate::text::date(time::OffsetDateTime::now_utc()))));
            let (out, err) = match open_console_log(&path) {
                Ok(file) => {
                    let second = file.try_clone().await.ok();
                    (Some(file), second)
                }
                Err(error) => {
                    let what = crate::text::describe_io(&error);
                    self.note(format!(
                        "{}'s console cannot go into {}: {what}; its lines are lost",
                        service.name(),
                        path.display()
                    ))
                    .await;
                    (None, None)
                }
            };
            if let Some(pipe) = child.stdout.take() {
                tokio::spawn(console_to_log(pipe, out, None));
            }
            if let Some(pipe) = child.stderr.take() {
                tokio::spawn(console_to_log(pipe, err, Some(stderr.clone())));
            }
            let _ = listening_tx.send(socket_addr(&self.url(service)));
        } else {
            if let Some(pipe) = child.stderr.take() {
                tokio::spawn(keep_stderr(pipe, stderr.clone()));
            }
            if let Some(pipe) = child.stdout.take() {
                tokio::spawn(find_listening_line(pipe, listening_tx, self.admins[service.index()].clone()));
            }
        }
        self.children[service.index()] = Some(ChildProcess { child, pid, frozen: false, stderr });
        let deadline = Instant::now() + START_DEADLINE;
        let mut address_known = false;
        loop {
            if !address_known && let Ok(addr) = listening.try_recv() {
                address_known = true;
                if let Ok(url) = Url::parse(&format!("http://{addr}")) {
                    self.urls.send_modify(|urls| urls[service.index()] = url.clone());
                    let url = url.as_str().trim_end_matches('/').to_owned();
                    let _ = self.events.send(Event::Listening { service, url }).await;
                }
            }
            if address_known && self.is_up(service).await {
                self.set(service, ProcessState::Running { pid }).await;
                return;
            }
            if let Some(reason) = self.exit_reason(service, Which::First) {
                self.children[service.index()] = None;
                self.set(service, ProcessState::Failed(reason)).await;
                return;
            }
            if Instant::now() > deadline {
                self.stop(service).await;
                let why = format!("no answer within {} s", START_DEADLINE.as_secs());
                self.set(service, ProcessState::Failed(why)).await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
