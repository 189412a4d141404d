//! Everything the dashboard runs but the screen: the link and its API, the
//! supervisor of the services, the admin clients, the health checks and the
//! log follower, with the model they report to and the executor of its
//! effects. The dashboard drives it from the keyboard; `tui lab` from a
//! script of the same actions.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use contract::Service;
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::{JoinError, JoinSet};
use tokio::time::Instant;

use super::DashboardError;
use super::executor::Executor;
use crate::cli::LinkApi;
use crate::cli::Settings;
use crate::io::admin::{self, AFaults, BPolicy};
use crate::io::http::Client;
use crate::io::link::{self, Limits, Link};
use crate::io::supervisor::{self, Command, Supervisor};
use crate::io::tail;
use crate::model::Model;
use crate::msg::{Action, Event, LogLine};

/// How often the services' health is checked.
pub const HEALTH_INTERVAL: Duration = Duration::from_secs(1);
/// Most background events applied at once.
pub(super) const BATCH: usize = 8_192;
/// Background events waiting for the loop, at most.
const EVENT_QUEUE: usize = 4_096;
/// How often the link's counters are shown anew (when they changed).
const LINK_COUNTERS_INTERVAL: Duration = Duration::from_millis(250);

/// The running lab: the model, what carries out its effects, and the
/// background tasks that report to it.
pub struct World {
    pub(super) model: Model,
    pub(super) executor: Executor,
    pub(super) events: mpsc::Receiver<Event>,
    /// Long-running tasks: each returns its name, and must not end before we do.
    pub(super) background: JoinSet<&'static str>,
    batch: Vec<Event>,
}

impl World {
    /// Starts the link, the supervisor (which starts the missing services),
    /// the health checks and the log follower.
    pub async fn start(settings: Settings) -> Result<World, DashboardError> {
        // The soft limit on open files is often 1024: raised to what the hard
        // limit allows, so the link's connections and the services' pipes fit.
        let _ = crate::platform::limits::raise_open_files();
        let log_dir = &settings.log_dir;
        std::fs::create_dir_all(log_dir).map_err(|e| DashboardError::LogDir(log_dir.display().to_string(), e))?;
        let client = Client::new(Duration::from_millis(settings.timeout_ms))?;
        let (events_tx, events) = mpsc::channel(EVENT_QUEUE);
        let (supervisor_tx, supervisor_rx) = mpsc::channel(64);
        let session = uuid::Uuid::new_v4().simple().to_string()[..4].to_owned();
        let mut background: JoinSet<&'static str> = JoinSet::new();

        // The link: a B the dashboard starts calls A through it. It forwards to
        // wherever A answers now (a started A reports its real port).
        let (a_target_tx, a_target) = watch::channel(resolve(&settings.a_url).await.unwrap_or(LOOPBACK_ANY_PORT));
        let (link, run_link) = Link::bind(settings.link_addr, a_target, settings.seed, Limits::default())
            .await
            .map_err(DashboardError::Link)?;
        background.spawn(async move {
            run_link.await;
            "the link"
        });
        let b_calls_a = reqwest::Url::parse(&format!("http://{}", link.addr()))
            .map_err(|e| DashboardError::Link(std::io::Error::other(e)))?;
        let mut supervisor = Supervisor::new(
            settings.clone(),
            std::env::current_exe()?,
            client.clone(),
            events_tx.clone(),
            Some(b_calls_a),
        )?;
        let urls = supervisor.urls();
        let (policy_changes, changes_rx) = mpsc::channel(64);
        background.spawn(admin::run(
            BPolicy,
            client.clone(),
            supervisor.admin(Service::B),
            changes_rx,
            events_tx.clone(),
        ));
        let (a_changes, a_changes_rx) = mpsc::channel(64);
        background.spawn(admin::run(
            AFaults,
            client.clone(),
            supervisor.admin(Service::A),
            a_changes_rx,
            events_tx.clone(),
        ));
        background.spawn(follow_a(urls.clone(), a_target_tx));
        let listen = match &settings.link_api {
            LinkApi::Serve(addr) => *addr,
            LinkApi::Drive(api) => {
                // The keys change this link's state; the external one is made the same.
                let (mirrored, api, to_screen) = (link.clone(), api.clone(), events_tx.clone());
                let client = client.clone();
                background.spawn(async move {
                    link::mirror(mirrored, api, client, to_screen).await;
                    "the external link"
                });
                LOOPBACK_ANY_PORT
            }
        };
        if let LinkApi::Serve(_) = &settings.link_api {
            let (counters_of, to_screen) = (link.clone(), events_tx.clone());
            background.spawn(async move {
                counters_of.report(to_screen, LINK_COUNTERS_INTERVAL).await;
                "the link's counters"
            });
        }
        match link::api::bind(listen).await {
            Ok(listener) => {
                if let LinkApi::Serve(_) = &settings.link_api {
                    let shown = listener.local_addr().map_or_else(|e| e.to_string(), |addr| addr.to_string());
                    let _ = events_tx.try_send(Event::LinkApi(Ok(shown)));
                }
                let api_link = link.clone();
                background.spawn(async move {
                    // It serves until the dashboard ends; an error here is a dead listener.
                    let _ = link::api::serve(listener, api_link).await;
                    std::future::pending::<()>().await;
                    "the link's API"
                });
            }
            Err(error) => {
                let _ =
                    events_tx.try_send(Event::LinkApi(Err(format!("cannot listen on {}: {error}", settings.link_api))));
            }
        }
        background.spawn(async move {
            supervisor.start_missing().await;
            supervisor.run(supervisor_rx).await;
            "the supervisor"
        });
        background.spawn(check_health(client.clone(), urls.clone(), events_tx.clone()));
        let sender = events_tx.clone();
        let offsets = Service::ALL.map(|service| settings.log_offset(service));
        let runtime = tokio::runtime::Handle::current();
        let sources = Service::ALL.map(|service| settings.logs[service.index()].open(service, &client, &runtime));
        background.spawn_blocking(move || {
            tail::follow(sources, |batch| {
                if let Some(problems) = batch.problems
                    && sender.blocking_send(Event::LogProblems(problems)).is_err()
                {
                    return false;
                }
                if batch.lines.is_empty() {
                    return !sender.is_closed();
                }
                let lines = batch
                    .lines
                    .iter()
                    .map(|(service, raw)| LogLine::parse_in(*service, raw, offsets[service.index()]))
                    .collect();
                sender.blocking_send(Event::Logs(lines)).is_ok()
            });
            "the log follower"
        });

        let fault_params = settings.fault_params();
        let starting_budget_ms = settings.timeout_ms;
        // The key that makes request ids unguessable: 122 random bits of a v4 UUID.
        let mut model = Model::new(settings, session).with_id_key(uuid::Uuid::new_v4().as_u128());
        // Neither asks for anything: the loop carries out effects from here on.
        let _ = model.on_event(Event::SessionStarted, OffsetDateTime::now_utc());
        let addr = match &model.settings.link_api {
            LinkApi::Serve(_) => link.addr().to_string(),
            // Until its API says where it listens.
            LinkApi::Drive(api) => format!("{} (external)", api.authority()),
        };
        let _ = model.on_event(Event::LinkUp { addr }, OffsetDateTime::now_utc());
        let executor = Executor {
            client,
            urls,
            events: events_tx,
            supervisor: supervisor_tx,
            link,
            fault_params,
            b_wait: watch::Sender::new(crate::model::b_wait(starting_budget_ms)),
            policy_changes,
            a_changes,
            ids: model.ids().clone(),
            burst_cancel: None,
            load_stop: None,
            work: JoinSet::new(),
        };
        Ok(World { model, executor, events, background, batch: Vec::with_capacity(BATCH) })
    }

    /// What the dashboard knows now.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The link between B and A (the lab sets a toxic of its own through it).
    pub fn link(&self) -> &Link {
        &self.executor.link
    }

    /// A key's action: applied to the model, its effect carried out.
    pub fn act(&mut self, action: Action) {
        self.executor.act(&mut self.model, action);
    }

    /// Tells the model something (a note the lab has for the report).
    pub fn tell(&mut self, event: Event) {
        for effect in self.model.on_event(event, OffsetDateTime::now_utc()) {
            self.executor.execute(effect, &self.model);
        }
    }

    /// Applies what the background tasks report until `done` says the model
    /// shows what is awaited (`Ok(true)`) or `deadline` passes (`Ok(false)`).
    /// A background task that ends or fails is an error.
    pub async fn until(
        &mut self,
        deadline: Instant,
        mut done: impl FnMut(&Model) -> bool,
    ) -> Result<bool, DashboardError> {
        loop {
            if done(&self.model) {
                return Ok(true);
            }
            if !self.next(Some(deadline)).await? {
                return Ok(done(&self.model));
            }
        }
    }

    /// Applies the next batch of background events; `Ok(false)` when
    /// `deadline` came first.
    pub(super) async fn next(&mut self, deadline: Option<Instant>) -> Result<bool, DashboardError> {
        let timer = async {
            match deadline {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            received = self.events.recv_many(&mut self.batch, BATCH) => {
                if received == 0 {
                    return Err(DashboardError::Task("every background task is gone".into()));
                }
                let now = OffsetDateTime::now_utc();
                for event in self.batch.drain(..) {
                    for effect in self.model.on_event(event, now) {
                        self.executor.execute(effect, &self.model);
                    }
                }
                Ok(true)
            }
            Some(joined) = self.background.join_next() => Err(DashboardError::Task(match joined {
                Ok(name) => format!("{name} stopped unexpectedly"),
                Err(error) => describe_failure(&error),
            })),
            Some(Err(error)) = self.executor.work.join_next(), if !self.executor.work.is_empty() => {
                Err(DashboardError::Task(describe_failure(&error)))
            }
            () = timer => Ok(false),
        }
    }

    /// Leaving: cancel a burst and a load, stop the children (thawing a
    /// frozen one first), telling the model what the supervisor reports
    /// while it does; `shown` sees the model after each report.
    pub async fn shut_down(mut self, mut shown: impl FnMut(&Model)) {
        for stop in self.executor.burst_cancel.iter().chain(&self.executor.load_stop) {
            let _ = stop.send(true);
        }
        let (done_tx, mut done_rx) = oneshot::channel();
        if self.executor.supervisor.send(Command::Shutdown(done_tx)).await.is_ok() {
            let deadline = Instant::now() + supervisor::STOP_GRACE * 2 + Duration::from_secs(1);
            loop {
                shown(&self.model);
                tokio::select! {
                    _ = &mut done_rx => break,
                    Some(event) = self.events.recv() => {
                        // Leaving: what the model asks for now is not carried out.
                        let _ = self.model.on_event(event, OffsetDateTime::now_utc());
                    }
                    () = tokio::time::sleep_until(deadline) => break,
                }
            }
        }
        drop(self.events);
        self.background.abort_all();
        self.executor.work.abort_all();
    }
}

pub(super) fn describe_failure(error: &JoinError) -> String {
    if error.is_panic() { "a background task panicked (see the message above)".into() } else { error.to_string() }
}

/// Checks both services' `/health` every [`HEALTH_INTERVAL`], at the same time.
async fn check_health(
    client: Client,
    urls: watch::Receiver<[reqwest::Url; 2]>,
    events: mpsc::Sender<Event>,
) -> &'static str {
    let mut interval = tokio::time::interval(HEALTH_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let [a_url, b_url] = urls.borrow().clone();
        let (a, b) = tokio::join!(client.health(&a_url), client.health(&b_url));
        for (service, health) in [(Service::A, a), (Service::B, b)] {
            if events.send(Event::Health(service, health)).await.is_err() {
                return "the health checks";
            }
        }
    }
}

/// Where the link listens: a free port on loopback.
const LOOPBACK_ANY_PORT: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

/// The first address `url`'s host and port resolve to (`localhost`, `[::1]`).
async fn resolve(url: &reqwest::Url) -> Option<SocketAddr> {
    tokio::net::lookup_host(supervisor::socket_addr(url)).await.ok()?.next()
}

/// Points the link at A's address whenever it changes (a started A reports
/// its real port).
async fn follow_a(mut urls: watch::Receiver<[reqwest::Url; 2]>, target: watch::Sender<SocketAddr>) -> &'static str {
    loop {
        let a_url = urls.borrow_and_update()[Service::A.index()].clone();
        if let Some(addr) = resolve(&a_url).await {
            target.send_if_modified(|current| std::mem::replace(current, addr) != addr);
        }
        if urls.changed().await.is_err() {
            // The supervisor is gone: only at shutdown, which ends us too.
            std::future::pending::<()>().await;
        }
    }
}
