//! A's own faults and its dedup, as A's admin listener last said (polled
//! every 0.5 s), and what the dashboard asked for since.

use contract::faults::Fault as AFault;

use crate::faults::{Fault, Setting};
use crate::msg::AFaultsState;
use crate::text::sanitize;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AFaultsView {
    /// Where A's admin listener answers, once known.
    pub admin: Option<String>,
    /// What it said last.
    pub state: Option<AFaultsState>,
    /// Why it said nothing, last time it was asked.
    pub unreachable: Option<String>,
}

impl AFaultsView {
    /// Takes what A's admin listener said (or why not).
    pub fn seen(&mut self, seen: Result<AFaultsState, String>) {
        match seen {
            Ok(state) => (self.state, self.unreachable) = (Some(state), None),
            Err(why) => self.unreachable = Some(sanitize(&why)),
        }
    }

    /// Whether one of A's faults (or dedup) is on, as far as A said.
    pub fn is_on(&self, fault: &Fault) -> bool {
        let Some(state) = &self.state else { return false };
        match fault.setting {
            Setting::AFault { is_on, .. } => is_on(&state.faults),
            Setting::ADedup => state.policy.dedup,
            _ => false,
        }
    }

    /// Anything changed from A's defaults.
    pub fn any_on(&self) -> bool {
        self.state.is_some_and(|state| state != AFaultsState::default())
    }

    /// `errors 50% (500) · bad body 100% · trickle 2000 ms · dedup on`, `none`, or why unknown.
    pub fn label(&self) -> String {
        let Some(state) = &self.state else {
            return match (&self.admin, &self.unreachable) {
                (None, _) => "no admin listener on A (x says how to give it one)".into(),
                (Some(_), None) => "asking A...".into(),
                (Some(_), Some(why)) => format!("unknown: {why}"),
            };
        };
        let faults = &state.faults;
        let mut parts = Vec::new();
        if faults.error_rate > 0.0 {
            parts.push(format!(
                "{} {:.0}% ({})",
                AFault::ErrorStatus.as_str(),
                faults.error_rate * 100.0,
                faults.error_status
            ));
        }
        if faults.bad_body_rate > 0.0 {
            parts.push(format!("{} {:.0}%", AFault::BadBody.as_str(), faults.bad_body_rate * 100.0));
        }
        if faults.trickle_ms > 0 {
            parts.push(format!("{} {} ms", AFault::Trickle.as_str(), faults.trickle_ms));
        }
        if state.policy.dedup {
            parts.push("dedup on".into());
        }
        if parts.is_empty() { "none".into() } else { parts.join(" · ") }
    }
}

#[cfg(test)]
mod tests {
    use contract::faults::{APolicy, Faults};

    use super::*;
    use crate::faults;

    #[test]
    fn says_which_faults_are_on_from_what_a_said() {
        let mut view = AFaultsView::default();
        assert!(view.label().contains("no admin listener"));
        view.admin = Some("http://127.0.0.1:9".into());
        view.seen(Err("not answering".into()));
        assert_eq!(view.label(), "unknown: not answering");
        let faults = Faults { error_rate: 0.5, trickle_ms: 2000, ..Faults::default() };
        view.seen(Ok(AFaultsState { faults, policy: APolicy { dedup: true } }));
        assert_eq!(view.label(), "error_status 50% (500) · trickle 2000 ms · dedup on");
        assert!(view.is_on(faults::by_id("a-errors").unwrap()));
        assert!(!view.is_on(faults::by_id("a-bad-body").unwrap()));
        assert!(view.is_on(faults::by_id("a-dedup").unwrap()) && view.any_on());
    }
}
