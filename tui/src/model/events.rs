//! What each background event does to the model: [`Model::on_event`] and its helpers.

use time::OffsetDateTime;

use super::guide::Seen;
use super::requests::{Entry, SentRequest};
use super::{BSeesA, Model, NOTE_LIFETIME};
use crate::msg::{Answer, Effect, Event, Health, LogLine, Outcome};

impl Model {
    /// Applies a background event that arrived at `now`; returns what the
    /// runtime must do because of it (no I/O task keeps a copy of the
    /// model's state: what they need, the model tells them).
    pub fn on_event(&mut self, event: Event, now: OffsetDateTime) -> Vec<Effect> {
        let budget = self.timeout_ms();
        self.apply_event(event, now);
        let mut effects = Vec::new();
        if self.timeout_ms() != budget {
            effects.push(Effect::WaitForB(super::b_wait(self.timeout_ms())));
        }
        effects
    }

    fn apply_event(&mut self, event: Event, now: OffsetDateTime) {
        self.clock = now;
        if self.note.as_ref().is_some_and(|(_, at)| now - *at > NOTE_LIFETIME) {
            self.note = None;
        }
        self.timeline.advance(now);
        match event {
            Event::SessionStarted => {
                self.logs.session_started = Some(now);
                self.timeline.start(now);
            }
            Event::LoadAnswer(answer) => self.on_answer(answer, Source::Load, now),
            Event::LoadSent(sent) => {
                if let Some(load) = &mut self.load {
                    load.sent(sent, now);
                }
            }
            Event::LoadDone => {
                let counted = self.session_log.running_load().map_or((0, 0), |load| (load.answered, load.failed()));
                self.session_log.load_ended(now);
                if let Some(load) = self.load.take() {
                    let (answered, failed) = counted;
                    let text = format!("steady load stopped: {} sent, {answered} answered, {failed} failed", load.sent);
                    self.mark(now, text.clone());
                    self.say(now, text);
                }
            }
            Event::LinkUp { addr } => self.link.addr = Some(addr),
            Event::Link(report) => {
                let (changed, limits_hit) = self.link.update(report);
                if changed {
                    // Changed from outside (its toxiproxy API): marked as the keys' changes are.
                    self.mark(now, format!("link: {}", self.link.detail()));
                }
                for text in limits_hit {
                    self.mark(now, text.clone());
                    self.say(now, text);
                }
            }
            Event::LinkApi(api) => self.link.api = Some(api),
            Event::LinkMirrored { enabled, toxics } => self.link.mirrored = Some((enabled, toxics)),
            Event::AAdmin(url) => self.a_faults.admin = Some(url),
            Event::AFaults { seen, answers_change } => {
                if answers_change && let Err(why) = &seen {
                    self.say(now, format!("A did not take the change: {why}"));
                }
                self.a_faults.seen(seen);
            }
            Event::Answer(answer) => {
                let source = if answer.burst { Source::Burst } else { Source::ByHand };
                if !answer.burst && answer.outcome.is_ok() {
                    // Its round trip, as wide as the dashboard can be sure of.
                    self.clocks.answered(&answer.id, answer.sent_at, now);
                }
                self.on_answer(answer, source, now);
            }
            Event::Health(service, health) => {
                self.services[service.index()].health = health;
                if matches!(health, Health::Up { .. }) {
                    self.logs.health_up[service.index()] += 1;
                }
            }
            Event::Process(service, process) => {
                if let Some(text) = self.services[service.index()].set_process(service, process) {
                    self.mark(now, text.clone());
                    self.say(now, text);
                }
            }
            Event::Listening { service, url } => self.services[service.index()].url = url,
            Event::Note(text) => self.say(now, text),
            Event::Logs(lines) => {
                // Evidence of the dashboard's requests only from lines under
                // its own ids: another client's lines (or forged ones) are
                // shown, but never counted for it.
                let (lines, others): (Vec<LogLine>, Vec<LogLine>) = lines
                    .into_iter()
                    .partition(|line| line.request_id.as_deref().is_none_or(|id| self.ids.is_ours(id)));
                self.time_clocks(&lines);
                self.work.add(&lines, self.logs.session_started);
                self.orphans.add(&lines, self.logs.session_started);
                let mut ticked = Vec::new();
                for line in &lines {
                    if let Some(id) = line.request_id.as_deref() {
                        ticked.extend(self.guide.observe(id, &Seen::Line(line)));
                    }
                }
                for (id, change) in self.duplicates.add(&lines, self.logs.session_started) {
                    let conditions = self.conditions_of(&id);
                    ticked.extend(self.guide.observe(&id, &Seen::Work { change, conditions }));
                }
                self.guide_ticked(&ticked, now);
                // Another implementation may log no ids: said once, plainly.
                for line in &lines {
                    if let Some(service) = line.call_of().filter(|_| line.request_id.is_none())
                        && !std::mem::replace(&mut self.no_ids_said[service.index()], true)
                    {
                        let name = service.name();
                        self.say(
                            now,
                            format!(
                                "{name}'s request lines carry no request_id: the dashboard ties them to its \
                                 requests by time, not by id (the trace says so; t finds none)"
                            ),
                        );
                    }
                }
                let ids = &self.ids;
                self.logs.add(lines, now, |id| ids.is_ours(id));
                self.logs.add(others, now, |_| false);
            }
            Event::LogProblems(problems) => self.logs.problems = problems,
            Event::PolicyAdmin(url) => self.policy.admin = Some(url),
            Event::Policy { seen, answers_change } => {
                if let Some(mark) = self.policy.seen(seen, answers_change, now) {
                    self.mark(now, mark);
                }
            }
            Event::BurstDone { cancelled } => {
                let counted = self.session_log.running_burst().map_or((0, 0), |burst| (burst.answered, burst.failed()));
                self.session_log.burst_ended(now, cancelled);
                if let Some(burst) = self.burst.take() {
                    let how = if cancelled { "cancelled" } else { "done" };
                    let (done, failed) = counted;
                    let text = format!("burst {how}: {done} of {} sent, {failed} failed", burst.requests);
                    self.mark(now, text.clone());
                    self.say(now, text);
                }
            }
            Event::ReportWritten(Ok(path)) => {
                self.say(now, format!("report written: {} (its data: .json beside it)", path.display()))
            }
            Event::ReportWritten(Err(error)) => self.say(now, format!("could not write the report {error}")),
        }
    }

    /// Counts an ended call in the numbers, the timeline and B's view of A.
    fn record_outcome(&mut self, outcome: &Outcome, now: OffsetDateTime) {
        self.stats.record(outcome);
        self.timeline.record(now, outcome);
        if let Outcome::Answered { status, error_kind, .. } = outcome {
            match error_kind {
                Some(kind) => self.b_sees_a = Some(BSeesA { failure: Some(*kind), at: now }),
                None if (200..300).contains(status) => self.b_sees_a = Some(BSeesA { failure: None, at: now }),
                None => {}
            }
        }
    }

    /// The conditions request `id` was sent under, if it is still known.
    /// Narrows each service's clock offset with its lines of the latest
    /// requests sent by hand that B answered 200 ([`super::clocks`]).
    fn time_clocks(&mut self, lines: &[LogLine]) {
        for line in lines {
            if let (Some(service), Some(at), Some(id)) = (line.call_of(), line.at, line.request_id.as_deref()) {
                self.clocks.observe(service, id, at);
            }
        }
    }

    fn conditions_of(&self, id: &str) -> Option<super::requests::Conditions> {
        let by_hand = self.session_log.manual.iter().rev().find(|request| request.id == id);
        let listed = || {
            self.requests.entries().iter().rev().find_map(|entry| match entry {
                Entry::Request(request) if request.id == id => Some(request),
                _ => None,
            })
        };
        by_hand.or_else(listed).map(|request| request.conditions)
    }

    /// Marks each guide step just shown, and says so, while the guide is open
    /// (closed, it still keeps count quietly).
    fn guide_ticked(&mut self, titles: &[&str], now: OffsetDateTime) {
        if !self.guide.open {
            return;
        }
        for title in titles {
            let number = crate::model::guide::STEPS.iter().position(|step| step.title == *title).map_or(0, |at| at + 1);
            self.mark(now, format!("guide ✓ step {number}: {title}"));
            let next = match self.guide.current() {
                Some(index) => format!("next: {}. {}", index + 1, crate::model::guide::STEPS[index].title),
                None => format!("all done: {} writes the report", crate::keys::label("report")),
            };
            self.say(now, format!("guided lab ✓ step {number}: {title} ({next})"));
        }
    }

    /// The one place an ended call is counted: the numbers, the timeline,
    /// B's view of A, the guide, the session's record (the report and the
    /// load's and burst's counts read it) and the request list all take it
    /// from here.
    fn on_answer(&mut self, answer: Answer, source: Source, now: OffsetDateTime) {
        let Answer { id, sent_at, msg, delay_ms, burst, outcome } = answer;
        self.record_outcome(&outcome, now);
        // The conditions when it was sent, for a request sent by hand.
        let conditions = match self.requests.pending_mut(&id) {
            Some(pending) => pending.conditions,
            None => self.conditions(),
        };
        let ticked = self.guide.observe(&id, &Seen::Answer { outcome: &outcome, delay_ms, conditions });
        self.guide_ticked(&ticked, now);
        if let Some(delay) = delay_ms
            && source == Source::ByHand
            && outcome.is_ok()
            && outcome.latency() < std::time::Duration::from_millis(delay)
            && !std::mem::replace(&mut self.delay_ignored_said, true)
        {
            // Another A that does not know delay_ms: said once, with what does make it slow.
            let (now_ms, timeout) = (self.settings.link_delay_ms, self.timeout_ms());
            let text = crate::keys::fill(&format!(
                "A answered delay_ms={delay} in {} ms: your A ignores delay_ms. To make it slow, slow the \
                 network instead: {{fault:delay}} (the link's delay, {now_ms} ms now: start the dashboard with \
                 --link-delay-ms {delay} to pass B's {timeout} ms timeout)",
                outcome.latency().as_millis()
            ));
            self.mark(now, text.clone());
            self.say(now, text);
        }
        match source {
            Source::Load => self.session_log.load_answer(&id, &outcome),
            Source::Burst => self.session_log.burst_answer(&id, &outcome),
            Source::ByHand => self.session_log.answered_by_hand(&id, &outcome),
        }
        if source == Source::ByHand
            && let Some(pending) = self.requests.pending_mut(&id)
        {
            // A single request already has its (pending) entry: fill it in.
            pending.outcome = Some(outcome);
            return;
        }
        // A burst's or a load's answer, or one whose entry has left the bounded list.
        let request = SentRequest { id, sent_at, msg, delay_ms, burst, outcome: Some(outcome), conditions };
        self.requests.push(Entry::Request(request));
    }
}

/// Where an answer comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    ByHand,
    Burst,
    Load,
}
