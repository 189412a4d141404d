//! What each key does to the model: [`Model::on_action`] and its helpers.

use contract::Service;
use time::OffsetDateTime;

use super::load::{BurstProgress, SteadyLoad};
use super::requests::{Entry, SentRequest};
use super::{ChartView, MAX_MESSAGE_BYTES, Model, SCROLL_STEP, policy};
use crate::faults;
use crate::msg::{Action, Effect, InputMode, ProcessState};

impl Model {
    /// Applies an action that happened at `now`; returns what the runtime must do for it.
    pub fn on_action(&mut self, action: Action, now: OffsetDateTime) -> Option<Effect> {
        self.clock = now;
        match action {
            Action::Quit => {
                self.quitting = true;
                self.say(now, "stopping the services the dashboard started...");
            }
            Action::ToggleGuide => self.guide.open = !self.guide.open,
            Action::ToggleHelp => {
                self.mode = if self.mode == InputMode::Help { InputMode::Normal } else { InputMode::Help };
            }
            // The first key typed replaces the message (it stays until then,
            // and Enter on nothing typed keeps it).
            Action::StartEditing => self.mode = InputMode::Editing(String::new()),
            Action::EditClear => {
                if let InputMode::Editing(text) = &mut self.mode {
                    text.clear();
                }
            }
            Action::EditChar(c) => {
                if let InputMode::Editing(text) = &mut self.mode
                    && text.len() + c.len_utf8() <= MAX_MESSAGE_BYTES
                {
                    text.push(c);
                }
            }
            Action::Paste(pasted) => match &mut self.mode {
                InputMode::Editing(text) => {
                    // Lines become spaces: a message is one line.
                    for c in pasted.chars().map(|c| if c == '\n' || c == '\r' { ' ' } else { c }) {
                        if text.len() + c.len_utf8() > MAX_MESSAGE_BYTES {
                            break;
                        }
                        text.push(c);
                    }
                }
                _ => {
                    let edit = crate::keys::label("edit");
                    self.say(
                        now,
                        format!("pasted text is not run as keys: press {edit} first to paste it into the message"),
                    );
                }
            },
            Action::EditBackspace => {
                if let InputMode::Editing(text) = &mut self.mode {
                    text.pop();
                }
            }
            Action::EditConfirm => {
                if let InputMode::Editing(text) = std::mem::replace(&mut self.mode, InputMode::Normal)
                    && !text.is_empty()
                {
                    self.message = text;
                }
            }
            Action::EditCancel => self.mode = InputMode::Normal,
            Action::Send => return Some(self.send(None, now)),
            Action::SendSlow => {
                let (delay, timeout) = (self.settings.slow_delay_ms(), self.timeout_ms());
                let what = if delay > timeout {
                    format!("B gives up after {timeout} ms")
                } else {
                    format!("B waits up to {timeout} ms, so it should get through")
                };
                if self.is_foreign(contract::Service::A) {
                    // Another A may not know delay_ms: ask, do not claim.
                    self.mark(now, format!("slow request: asks A to wait {delay} ms (delay_ms; your A may ignore it)"));
                } else {
                    self.mark(now, format!("slow request: A waits {delay} ms, {what}"));
                }
                return Some(self.send(Some(delay), now));
            }
            Action::StartBurst => return self.start_burst(now),
            Action::ToggleLoad => return Some(self.toggle_load(now)),
            Action::CycleLink => return self.cycle_link(now),
            Action::OpenFaults => self.mode = InputMode::Faults,
            Action::CloseFaults => self.mode = InputMode::Normal,
            Action::Fault(id) => return self.toggle_fault(id, now),
            Action::ResetAll => return self.reset_all(now),
            Action::TimeoutUp
            | Action::TimeoutDown
            | Action::CycleRetries
            | Action::ToggleBreaker
            | Action::ToggleDeadline => return self.change_policy(action, now),
            Action::NextView => {
                self.view = match self.view {
                    ChartView::Latency => ChartView::Timeline,
                    ChartView::Timeline => ChartView::Trace,
                    ChartView::Trace => ChartView::Latency,
                };
                // The guide stands where the views are drawn: it makes way.
                if self.guide.open {
                    self.guide.open = false;
                    let keys = (crate::keys::label("view"), crate::keys::label("guide"));
                    self.say(
                        now,
                        format!(
                            "guide closed to show the view ({} again: the next view, {} opens the guide)",
                            keys.0, keys.1
                        ),
                    );
                }
            }
            Action::Cancel => {
                if let Some(burst) = &mut self.burst
                    && !burst.cancelling
                {
                    burst.cancelling = true;
                    self.say(now, "cancelling the burst: requests in flight finish");
                    return Some(Effect::CancelBurst);
                }
            }
            Action::ToggleA => return self.toggle_running(Service::A, now),
            Action::ToggleB => return self.toggle_running(Service::B, now),
            Action::ToggleFreeze => match self.service(Service::A).why_not_frozen(Service::A) {
                Some(why) => self.say(now, why),
                None => return Some(Effect::ToggleFreeze),
            },
            Action::SelectUp => self.move_selection(-1),
            Action::SelectDown => self.move_selection(1),
            Action::SelectNewest => self.requests.follow(),
            Action::ToggleFilter => self.toggle_filter(now),
            Action::TogglePause => self.logs.toggle_pause(),
            Action::ScrollLogsUp => self.logs.scroll_up(SCROLL_STEP),
            Action::ScrollLogsDown => self.logs.scroll_down(SCROLL_STEP),
            Action::WriteReport => {
                self.say(now, "writing the report...");
                return Some(Effect::WriteReport);
            }
        }
        None
    }

    fn send(&mut self, delay_ms: Option<u64>, now: OffsetDateTime) -> Effect {
        let id = self.new_request_id();
        let msg = self.message.clone();
        let request = SentRequest {
            id: id.clone(),
            sent_at: now,
            msg: msg.clone(),
            delay_ms,
            burst: false,
            outcome: None,
            conditions: self.conditions(),
        };
        self.session_log.sent_by_hand(request.clone());
        self.requests.push(Entry::Request(request));
        Effect::Send { id, msg, delay_ms }
    }

    fn start_burst(&mut self, now: OffsetDateTime) -> Option<Effect> {
        if self.burst.is_some() {
            self.say(now, "a burst is already running (Esc cancels it)");
            return None;
        }
        let (requests, concurrency) = (self.settings.burst_requests, self.settings.burst_concurrency);
        self.burst = Some(BurstProgress::new(requests, concurrency));
        self.session_log.burst_started(now, requests, concurrency);
        self.mark(now, format!("burst: {requests} requests, {concurrency} at a time"));
        self.next_request += 1;
        let id_prefix = format!("{}-L{}", self.ids.session(), self.next_request);
        Some(Effect::StartBurst { requests, concurrency, msg: self.message.clone(), id_prefix })
    }

    fn toggle_load(&mut self, now: OffsetDateTime) -> Effect {
        if let Some(load) = &mut self.load {
            if !load.stopping {
                load.stopping = true;
                self.say(now, "stopping the steady load: requests in flight finish");
            }
            return Effect::StopLoad;
        }
        let rate = self.settings.load_rate;
        self.load = Some(SteadyLoad::new(rate, now));
        self.session_log.load_started(now, rate);
        self.mark(now, format!("steady load: {rate} requests/s (l stops it)"));
        self.next_request += 1;
        let id_prefix = format!("{}-S{}", self.ids.session(), self.next_request);
        Effect::StartLoad { rate, msg: self.message.clone(), id_prefix }
    }

    fn cycle_link(&mut self, now: OffsetDateTime) -> Option<Effect> {
        let Some(addr) = self.link.addr.clone() else {
            self.say(now, "the link is not up yet");
            return None;
        };
        let next = faults::next_in_cycle(self.link.fault());
        self.link.expect(next);
        self.mark(now, format!("link: {}", self.link.detail()));
        if self.service(Service::B).process == ProcessState::Attached {
            self.say(
                now,
                format!(
                    "B was started elsewhere and may not use the link: start it with \
                     --service-a-url http://{addr} to send its calls through it"
                ),
            );
        }
        Some(Effect::SetLink(next.map(|fault| fault.id)))
    }

    /// `+ - R c d`: one change to B's policy, through B's admin listener.
    /// The screen shows the change at once; B's next answer confirms it.
    fn change_policy(&mut self, action: Action, now: OffsetDateTime) -> Option<Effect> {
        let Some(admin) = &self.policy.admin else {
            let how = if self.is_foreign(contract::Service::B) {
                "your B (--b-cmd) has no admin API like this project's B, so its call policy cannot be changed \
                 from here: it calls A as it was written to"
            } else {
                "B was started by hand without its admin listener, so its policy cannot be changed from here: \
                 start B with --admin-addr 127.0.0.1:8091 and the dashboard with --b-admin-url http://127.0.0.1:8091"
            };
            self.say(now, how);
            return None;
        };
        let Some(current) = self.policy.policy() else {
            let why = self.policy.unreachable.clone().unwrap_or_else(|| "no answer yet".into());
            self.say(now, format!("B's policy is not known yet (admin listener {admin}: {why})"));
            return None;
        };
        match policy::change_for(action, current) {
            Ok((change, text, next)) => {
                self.policy.sent(next);
                self.mark(now, text);
                Some(Effect::ChangePolicy(change))
            }
            Err(why) => {
                self.say(now, why);
                None
            }
        }
    }

    fn toggle_running(&mut self, service: Service, now: OffsetDateTime) -> Option<Effect> {
        match self.service(service).why_not_toggled(service, self.settings.attach) {
            Some(why) => {
                self.say(now, why);
                None
            }
            None => Some(Effect::ToggleRunning { service, b_policy: self.policy.policy() }),
        }
    }
}
