//! Every failure the learner can cause from the keyboard, in one list
//! ([`FAULTS`]), one file each. The keys, the help, the footer, the services
//! panel, the trace's reasons, the guide and the report read a fault's name
//! and words from here; the link reads its toxics. Adding a fault is its file,
//! its test and one line in [`FAULTS`].
//!
//! A leaf: it holds data and the wire form of a toxic ([`ToxicSpec`]), and
//! imports nothing else of the dashboard.

mod a_bad_body;
mod a_dedup;
mod a_errors;
mod a_trickle;
mod answers_lost;
mod crash_a;
mod delay;
mod flaky;
mod link_down;
mod lose_next;
mod partition;
mod requests_lost;
mod reset;
mod slow_link;

use contract::faults::{Faults, FaultsChange};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Every fault, in the `n` key's order (those with `in_cycle`) and the menu's.
pub const FAULTS: &[&Fault] = &[
    &delay::FAULT,
    &partition::FAULT,
    &reset::FAULT,
    &flaky::FAULT,
    &answers_lost::FAULT,
    &requests_lost::FAULT,
    &slow_link::FAULT,
    &lose_next::FAULT,
    &link_down::FAULT,
    &a_errors::FAULT,
    &a_bad_body::FAULT,
    &a_trickle::FAULT,
    &a_dedup::FAULT,
    &crash_a::FAULT,
];

/// Which way bytes flow through the link (toxiproxy's words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    /// B → A: the requests.
    Upstream,
    /// A → B: the answers (toxiproxy's default).
    #[default]
    Downstream,
}

impl Stream {
    pub fn name(self) -> &'static str {
        match self {
            Stream::Upstream => "upstream",
            Stream::Downstream => "downstream",
        }
    }
}

/// A toxic as toxiproxy's API writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToxicSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub stream: Stream,
    pub toxicity: f64,
    pub attributes: Map<String, Value>,
}

impl ToxicSpec {
    /// A toxic named as toxiproxy names one by default (`<type>_<stream>`).
    pub fn new(kind: &str, stream: Stream, toxicity: f64, attributes: &[(&str, u64)]) -> Self {
        ToxicSpec {
            name: format!("{kind}_{}", stream.name()),
            kind: kind.to_owned(),
            stream,
            toxicity,
            attributes: attributes.iter().map(|(key, value)| ((*key).to_owned(), Value::from(*value))).collect(),
        }
    }

    /// The same toxic, whatever it is called; `lose_next` also as it counts
    /// down (its `requests` left fall as it loses them: still that fault).
    pub fn same_effect(&self, other: &ToxicSpec) -> bool {
        let counted_down = self.kind == "lose_next"
            && self.attributes.len() == other.attributes.len()
            && self.attributes.iter().all(|(key, armed)| match other.attributes.get(key) {
                Some(left) if key == "requests" => {
                    left.as_u64().zip(armed.as_u64()).is_some_and(|(left, armed)| left <= armed)
                }
                seen => seen == Some(armed),
            });
        self.kind == other.kind
            && self.stream == other.stream
            && self.toxicity == other.toxicity
            && (self.attributes == other.attributes || counted_down)
    }

    /// `latency↓ 300±100 ms`, `timeout↑`, `bandwidth↓ 1 KB/s ⅓`: for the services panel.
    pub fn short(&self) -> String {
        let arrow = match self.stream {
            Stream::Upstream => "↑",
            Stream::Downstream => "↓",
        };
        let attribute = |name: &str| self.attributes.get(name).and_then(Value::as_u64).unwrap_or(0);
        let detail = match self.kind.as_str() {
            "latency" => format!(" {}±{} ms", attribute("latency"), attribute("jitter")),
            "bandwidth" => format!(" {} KB/s", attribute("rate")),
            "timeout" | "reset_peer" if attribute("timeout") > 0 => format!(" {} ms", attribute("timeout")),
            "slow_close" => format!(" {} ms", attribute("delay")),
            "limit_data" => format!(" {} B", attribute("bytes")),
            "lose_next" => format!(" {} left", attribute("requests")),
            _ => String::new(),
        };
        let chance = if self.toxicity < 1.0 { format!(" {:.0}%", self.toxicity * 100.0) } else { String::new() };
        format!("{}{arrow}{detail}{chance}", self.kind)
    }
}

/// What a fault's preset depends on: the dashboard's flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// `delay`: how long A's answers are held, ± jitter.
    pub delay_ms: u64,
    pub jitter_ms: u64,
}

/// What a fault sets.
#[derive(Debug, Clone, Copy)]
pub enum Setting {
    /// The link's toxics, replacing those it has.
    Toxics(fn(Params) -> Vec<ToxicSpec>),
    /// The link down: open connections cut, new ones refused.
    LinkDown,
    /// One of A's own faults, through A's admin listener: set with `on`,
    /// cleared with `off`; `is_on` reads it from what A says.
    AFault { on: FaultsChange, off: FaultsChange, is_on: fn(&Faults) -> bool },
    /// A's idempotency memory (dedup) on or off: the fix, not a fault.
    ADedup,
    /// A killed (SIGKILL): what it had in flight is lost, unlike `a` (drained).
    CrashA,
}

impl Setting {
    /// It concerns the link (the `n` key's, one at a time).
    pub fn is_link(&self) -> bool {
        matches!(self, Setting::Toxics(_) | Setting::LinkDown)
    }
}

/// One failure the learner can cause.
#[derive(Debug)]
pub struct Fault {
    /// Stable name: marks, the report, tests (`answers-lost`).
    pub id: &'static str,
    /// What the screen calls it (`answers lost`).
    pub name: &'static str,
    /// Its key in the faults menu (`x`, then this).
    pub key: char,
    /// The `n` key goes through it.
    pub in_cycle: bool,
    /// What it does, in a line (help, menu, report).
    pub about: &'static str,
    /// What the learner sees happen, in a line (the menu and the guide).
    pub shows: &'static str,
    /// Why A has no line of a request sent under it (the trace); `None`: A gets the requests.
    pub a_never_got_it: Option<&'static str>,
    /// What became of A's answer when B got none (the trace); `None`: answers come back.
    pub answer_lost: Option<&'static str>,
    pub setting: Setting,
}

impl Fault {
    /// The toxics it puts on the link (none for `link down` and A's own).
    pub fn toxics(&self, params: Params) -> Vec<ToxicSpec> {
        match self.setting {
            Setting::Toxics(make) => make(params),
            _ => Vec::new(),
        }
    }

    /// Whether the link's state is this fault's.
    pub fn matches(&self, enabled: bool, toxics: &[ToxicSpec], params: Params) -> bool {
        match self.setting {
            Setting::LinkDown => !enabled,
            Setting::AFault { .. } | Setting::ADedup | Setting::CrashA => false,
            Setting::Toxics(make) => {
                let wanted = make(params);
                enabled
                    && wanted.len() == toxics.len()
                    && wanted.iter().zip(toxics).all(|(wanted, seen)| wanted.same_effect(seen))
            }
        }
    }
}

/// The fault with this id.
pub fn by_id(id: &str) -> Option<&'static Fault> {
    FAULTS.iter().copied().find(|fault| fault.id == id)
}

/// The fault whose menu key this is.
pub fn by_key(key: char) -> Option<&'static Fault> {
    FAULTS.iter().copied().find(|fault| fault.key == key)
}

/// The link's fault after `current` for the `n` key (`None`: the link ok).
pub fn next_in_cycle(current: Option<&'static Fault>) -> Option<&'static Fault> {
    let cycle: Vec<&'static Fault> = FAULTS.iter().copied().filter(|fault| fault.in_cycle).collect();
    match current.and_then(|now| cycle.iter().position(|fault| fault.id == now.id)) {
        None if current.is_none() => cycle.first().copied(),
        None => None,
        Some(at) => cycle.get(at + 1).copied(),
    }
}

/// The link's state in words: `ok`, a fault's name, or its toxics.
pub fn describe(enabled: bool, toxics: &[ToxicSpec], params: Params) -> String {
    if let Some(fault) = recognise(enabled, toxics, params) {
        return fault.name.to_owned();
    }
    if !enabled {
        return "down".into();
    }
    if toxics.is_empty() {
        return "ok".into();
    }
    toxics.iter().map(ToxicSpec::short).collect::<Vec<_>>().join(" + ")
}

/// The registered fault the link's state is, if it is one.
pub fn recognise(enabled: bool, toxics: &[ToxicSpec], params: Params) -> Option<&'static Fault> {
    if enabled && toxics.is_empty() {
        return None;
    }
    FAULTS.iter().copied().find(|fault| fault.matches(enabled, toxics, params))
}

#[cfg(test)]
pub(crate) const TEST_PARAMS: Params = Params { delay_ms: 300, jitter_ms: 100 };

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lose_next_is_still_its_fault_as_it_counts_down() {
        for left in [2, 1, 0] {
            let toxics = [ToxicSpec::new("lose_next", Stream::Upstream, 1.0, &[("requests", left)])];
            assert_eq!(recognise(true, &toxics, TEST_PARAMS).map(|fault| fault.id), Some("lose-next"), "{left} left");
        }
        let more = [ToxicSpec::new("lose_next", Stream::Upstream, 1.0, &[("requests", 5)])];
        assert!(recognise(true, &more, TEST_PARAMS).is_none(), "5 to lose is not the lab's preset");
    }

    #[test]
    fn ids_and_keys_are_unique() {
        for (i, fault) in FAULTS.iter().enumerate() {
            for other in &FAULTS[..i] {
                assert_ne!(fault.id, other.id);
                assert_ne!(fault.key, other.key, "{} and {} share a key", fault.id, other.id);
            }
        }
    }

    #[test]
    fn the_n_cycle_keeps_the_labs_order_then_the_new_presets_then_ok() {
        let mut seen = Vec::new();
        let mut current = None;
        for _ in 0..FAULTS.len() + 1 {
            current = next_in_cycle(current);
            seen.push(current.map_or("ok", |fault| fault.id));
            if current.is_none() {
                break;
            }
        }
        assert_eq!(
            seen,
            ["delay", "partition", "reset", "flaky", "answers-lost", "requests-lost", "slow-link", "lose-next", "ok"]
        );
    }

    #[test]
    fn a_link_state_is_recognised_as_its_fault_and_anything_else_is_described() {
        for fault in FAULTS.iter().filter(|fault| fault.setting.is_link()) {
            let toxics = fault.toxics(TEST_PARAMS);
            let enabled = !matches!(fault.setting, Setting::LinkDown);
            assert_eq!(recognise(enabled, &toxics, TEST_PARAMS).map(|f| f.id), Some(fault.id));
        }
        assert_eq!(describe(true, &[], TEST_PARAMS), "ok");
        let custom = [ToxicSpec::new("latency", Stream::Upstream, 0.5, &[("latency", 20), ("jitter", 0)])];
        assert_eq!(describe(true, &custom, TEST_PARAMS), "latency↑ 20±0 ms 50%");
    }
}
