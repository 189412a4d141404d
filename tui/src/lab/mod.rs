//! `tui lab`: the guided lab's experiments without a keyboard. It starts (or
//! attaches to) the services as the dashboard does, presses the same keys a
//! learner would (each experiment is a script of [`Action`]s on the same
//! model), judges each experiment from B's answers and both logs, and writes
//! the report and its JSON. An experiment the implementation cannot take part
//! in (no admin API, a service it did not start) is skipped with the reason,
//! never passed.

mod admin;
mod checks;
mod experiments;
mod hands;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use contract::Service;
use time::OffsetDateTime;
use tokio::time::Instant;

pub use experiments::Experiment;

use crate::cli::{DashboardArgs, Settings};
use crate::model::Model;
use crate::model::verdict::{Verdict, VerdictKind};
use crate::msg::{Action, Health, ProcessState};
use crate::platform::signals::QuitSignals;
use crate::runtime::{DashboardError, World};
use crate::text::describe_io;
use checks::Joined;

/// `tui lab`'s own flags; the dashboard's flags choose the services.
#[derive(Debug, Clone, clap::Args)]
pub struct LabArgs {
    /// Run only these experiments, in the lab's order (comma-separated names:
    /// works, a-stopped, a-frozen, a-slow, partition, retry, a-errors,
    /// a-bad-body, answers-lost, duplicate-work, dedup, crash, breaker).
    #[arg(long, value_delimiter = ',', value_parser = parse_experiment, value_name = "NAME,...")]
    pub only: Vec<Experiment>,

    /// Where to write the JSON (default: beside the report, same name, `.json`).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Where to write the Markdown report (default: `report-STAMP.md` in the log directory).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    #[command(flatten)]
    pub dashboard: DashboardArgs,
}

fn parse_experiment(name: &str) -> Result<Experiment, String> {
    Experiment::ALL.into_iter().find(|experiment| experiment.name() == name).ok_or_else(|| {
        let names: Vec<&str> = Experiment::ALL.iter().map(|experiment| experiment.name()).collect();
        format!("no experiment is called {name:?}; the lab's are: {}", names.join(", "))
    })
}

/// How long a service may take to start, stop or come back.
const SETTLE: Duration = Duration::from_secs(15);
/// How long a request's log lines may take to reach the file and the follower.
const LINES_WAIT: Duration = Duration::from_secs(3);
/// How long a change through an admin API may take to be confirmed.
const ADMIN_WAIT: Duration = Duration::from_secs(3);

/// Why an experiment did not pass.
#[derive(Debug)]
pub enum Not {
    Fail(String),
    Skip(String),
    /// The lab itself broke (a background task died).
    Broken(DashboardError),
}

impl From<DashboardError> for Not {
    fn from(error: DashboardError) -> Self {
        Not::Broken(error)
    }
}

/// What an experiment shows when it passes, or why it does not.
pub type Shown = Result<String, Not>;

/// The lab being run: the world and what it learned of the implementation.
pub struct Lab {
    world: World,
    /// The request ids sent by the experiment running now.
    ids: Vec<String>,
    /// Per service, how its lines were found: known after the first line.
    joined: [Option<Joined>; 2],
}

/// How `tui lab` ended, when it could not judge every experiment.
enum Ended {
    /// Bad usage found before anything ran (a report path that cannot be written).
    Usage(String),
    /// The lab itself broke.
    Broken(DashboardError),
}

impl From<DashboardError> for Ended {
    fn from(error: DashboardError) -> Self {
        Ended::Broken(error)
    }
}

/// The exit code of a lab stopped by a signal: the shell's 128 + SIGINT.
const INTERRUPTED: u8 = 130;

/// `tui lab`: runs the experiments, prints the verdicts, writes the report
/// and its JSON; 0 when none failed, 1 when one did, 2 on bad usage (clap's,
/// or a report that cannot be written), 130 when interrupted.
pub fn main(args: LabArgs) -> ExitCode {
    let local_offset = crate::cli::local_offset();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("tui lab: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(args, local_offset));
    runtime.shutdown_timeout(crate::runtime::SHUTDOWN_WAIT);
    match outcome {
        Ok(verdicts) if verdicts.iter().any(|v| v.kind == VerdictKind::NotRun) => ExitCode::from(INTERRUPTED),
        Ok(verdicts) if verdicts.iter().any(|v| v.kind == VerdictKind::Fail) => ExitCode::FAILURE,
        Ok(_) => ExitCode::SUCCESS,
        Err(Ended::Usage(why)) => {
            eprintln!("tui lab: {why}");
            ExitCode::from(2)
        }
        // A log directory that cannot be made is the flag's fault, as a bad path is.
        Err(Ended::Broken(error @ DashboardError::LogDir(..))) => {
            eprintln!("tui lab: {error}");
            ExitCode::from(2)
        }
        Err(Ended::Broken(error)) => {
            eprintln!("tui lab: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: LabArgs, local_offset: time::UtcOffset) -> Result<Vec<Verdict>, Ended> {
    let plan: Vec<Experiment> = if args.only.is_empty() {
        Experiment::ALL.to_vec()
    } else {
        Experiment::ALL.into_iter().filter(|experiment| args.only.contains(experiment)).collect()
    };
    if let (Some(report), Some(json)) = (&args.report, &args.json)
        && std::path::absolute(report).ok() == std::path::absolute(json).ok()
    {
        return Err(Ended::Usage(format!("--report and --json are both {}: give two files", report.display())));
    }
    for path in args.report.iter().chain(&args.json) {
        crate::io::report::writable(path)
            .map_err(|error| Ended::Usage(format!("cannot write {}: {}", path.display(), describe_io(&error))))?;
    }
    let mut signals = QuitSignals::listen().map_err(DashboardError::from)?;
    let mut dashboard = args.dashboard;
    if !dashboard.attach {
        // Its own services on free ports: a dashboard open on the default
        // ones is left alone (--attach tests the services there instead).
        for (url, service) in [(&mut dashboard.a_url, Service::A), (&mut dashboard.b_url, Service::B)] {
            if url.as_str().trim_end_matches('/') == service.default_url() {
                let _ = url.set_port(Some(0));
            }
        }
        if let crate::cli::LinkApi::Serve(addr) = &mut dashboard.link_api
            && addr.port() == crate::cli::LINK_API_PORT
        {
            addr.set_port(0);
        }
    }
    let settings = Settings { local_offset, ..Settings::from(dashboard) };
    let mut lab = Lab { world: World::start(settings).await?, ids: Vec::new(), joined: [None; 2] };
    let mut verdicts = Vec::new();
    let interrupted = tokio::select! {
        ran = lab.run_all(&plan, &mut verdicts) => { ran?; None }
        name = signals.recv() => Some(name),
    };
    if let Some(name) = interrupted {
        eprintln!("tui lab: {name}: stopping the services the lab started...");
        let judged = verdicts.len();
        for (n, experiment) in plan.iter().enumerate().skip(judged) {
            let (detail, request_ids) = if n == judged {
                (format!("interrupted ({name}) while it ran"), std::mem::take(&mut lab.ids))
            } else {
                (format!("interrupted ({name}) before it ran"), Vec::new())
            };
            verdicts.push(verdict(*experiment, VerdictKind::NotRun, detail, request_ids));
        }
    }
    // B writes its line as it answers: the last requests' lines may still
    // be on their way (over HTTP, a moment later); the report quotes them.
    let logged = |model: &Model| {
        model.no_ids_said[Service::B.index()]
            || model.session_log.manual.iter().all(|request| {
                model.logs.visible(Some(Some(request.id.as_str()))).any(|line| line.call_of() == Some(Service::B))
            })
    };
    if interrupted.is_none() {
        lab.world.until(Instant::now() + LINES_WAIT, logged).await?;
    }
    let place = match (&args.report, &args.json) {
        (Some(report), Some(json)) => format!("{} or {}", report.display(), json.display()),
        (Some(path), None) | (None, Some(path)) => path.display().to_string(),
        (None, None) => format!("in {}", lab.world.model().settings.log_dir.display()),
    };
    let written =
        crate::io::report::write_lab(lab.world.model(), OffsetDateTime::now_utc(), &verdicts, args.report, args.json);
    lab.world.shut_down(|_| {}).await;
    for verdict in &verdicts {
        println!("{}", verdict.line());
    }
    match written {
        Ok((report, json)) => eprintln!("report: {}\njson: {}", report.display(), json.display()),
        Err(error) => return Err(DashboardError::Report(format!("{place}: {}", describe_io(&error))).into()),
    }
    Ok(verdicts)
}

impl Lab {
    /// Runs `plan` in order, each from a calm lab, printing one progress
    /// line per experiment on stderr.
    async fn run_all(&mut self, plan: &[Experiment], verdicts: &mut Vec<Verdict>) -> Result<(), DashboardError> {
        let not_ready = self.ready().await?;
        for (n, experiment) in plan.iter().enumerate() {
            eprintln!("[{}/{}] {}: {}", n + 1, plan.len(), experiment.name(), experiment.doing());
            self.ids.clear();
            let gone = Service::ALL.iter().find_map(|&s| match &self.model().service(s).process {
                ProcessState::Failed(why) => Some(format!("{} is no longer running: {why}", s.name())),
                _ => None,
            });
            let shown = match not_ready.as_ref().or(gone.as_ref()) {
                Some(why) => Err(Not::Fail(why.clone())),
                None => experiment.run(self).await,
            };
            let (kind, detail) = match shown {
                Ok(detail) => (VerdictKind::Pass, detail),
                Err(Not::Fail(detail)) => (VerdictKind::Fail, detail),
                Err(Not::Skip(detail)) => (VerdictKind::Skip, detail),
                Err(Not::Broken(error)) => return Err(error),
            };
            verdicts.push(verdict(*experiment, kind, detail, std::mem::take(&mut self.ids)));
            if not_ready.is_none() {
                self.calm().await?;
            }
        }
        Ok(())
    }

    /// Waits for both services to answer (and their admin listeners, where
    /// they have one); `Some(why)` when one never did.
    async fn ready(&mut self) -> Result<Option<String>, DashboardError> {
        let deadline = Instant::now() + SETTLE;
        let up = |model: &Model| Service::ALL.iter().all(|&s| matches!(model.service(s).health, Health::Up { .. }));
        // Failed to start, or (--attach, another host) not there to attach to.
        let failed = |model: &Model| {
            Service::ALL
                .iter()
                .any(|&s| matches!(model.service(s).process, ProcessState::Failed(_) | ProcessState::Absent))
        };
        if !self.world.until(deadline, |model| up(model) || failed(model)).await? || !up(self.world.model()) {
            let model = self.world.model();
            // When one failed, it is the reason (B is not started while A fails).
            let gave_up = failed(model);
            let down: Vec<String> = Service::ALL
                .iter()
                .filter(|&&s| !matches!(model.service(s).health, Health::Up { .. }))
                .filter(|&&s| {
                    !gave_up || matches!(model.service(s).process, ProcessState::Failed(_) | ProcessState::Absent)
                })
                .map(|&s| {
                    let view = model.service(s);
                    let commanded = model.settings.commands[s.index()].is_some();
                    match &view.process {
                        ProcessState::Failed(why) => format!("{} did not start: {why}", s.name()),
                        ProcessState::Absent => format!("{} (--attach): nothing answers at {}", s.name(), view.url),
                        _ if commanded => format!(
                            "{} did not answer GET /health at {} within {} s: does the command listen on the \
                             port it is given ({{port}} or $PORT) and answer /health with 200?",
                            s.name(),
                            view.url,
                            SETTLE.as_secs()
                        ),
                        _ => format!("{} did not answer at {} within {} s", s.name(), view.url, SETTLE.as_secs()),
                    }
                })
                .collect();
            return Ok(Some(down.join("; ")));
        }
        // The admin listeners the supervisor found are asked every 0.5 s.
        let deadline = Instant::now() + ADMIN_WAIT;
        self.world
            .until(deadline, |model| {
                (model.policy.admin.is_none() || model.policy.status.is_some())
                    && (model.a_faults.admin.is_none() || model.a_faults.state.is_some())
            })
            .await?;
        Ok(None)
    }

    /// Undoes what an experiment left: every fault, B's policy, a load, A
    /// stopped or crashed (when the lab started it).
    async fn calm(&mut self) -> Result<(), DashboardError> {
        if self.world.model().load.is_some() {
            self.world.act(Action::ToggleLoad);
            self.world.until(Instant::now() + SETTLE, |model| model.load.is_none()).await?;
        }
        self.world.act(Action::ResetAll);
        if let Err(Not::Broken(error)) = self.link_settled().await {
            return Err(error);
        }
        let a = &self.world.model().service(Service::A).process;
        if matches!(a, ProcessState::Stopped | ProcessState::Stopping) {
            if matches!(a, ProcessState::Stopping) {
                self.until_a(|p| matches!(p, ProcessState::Stopped)).await?;
            }
            self.world.act(Action::ToggleA);
        }
        self.world
            .until(Instant::now() + SETTLE, |model| {
                // Running: the supervisor saw it answer; Attached: not ours to start.
                let a = model.service(Service::A);
                model.policy.pending == 0
                    && matches!(a.process, ProcessState::Running { .. } | ProcessState::Attached)
                    && matches!(a.health, Health::Up { .. })
            })
            .await?;
        Ok(())
    }
}

fn verdict(experiment: Experiment, kind: VerdictKind, detail: String, request_ids: Vec<String>) -> Verdict {
    Verdict { name: experiment.name(), title: experiment.title(), kind, detail, request_ids }
}
