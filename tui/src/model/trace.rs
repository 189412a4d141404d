//! The trace of one request: where its time went, across the dashboard, B,
//! the link and A, built from B's answer, both services' log lines and what
//! the dashboard knew when it sent the request. Pure: the trace view, the
//! report and the tests all call [`build`] and [`render`].
//!
//! A line is written when a request ends, with its `latency_ms`, so each
//! service's part is `start = end - latency`. Times are offsets from the
//! moment the dashboard sent the request; all three clocks are the machine's
//! own, cut to milliseconds, so an offset can be a millisecond early: a
//! negative one is drawn at 0.

use contract::{ErrorKind, Service};
use time::OffsetDateTime;

use super::requests::{AState, SentRequest};
use crate::faults;
use crate::msg::{LinkCondition, LogLine, Outcome};

/// A's work ending more than this after B answered is work for nobody (less
/// is the two services' clocks and B's own last steps).
pub const ORPHAN_TOLERANCE_MS: i64 = 50;

/// What B's failed answer of `kind` means, said from B's side.
fn b_outcome(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Connect => "B could not connect",
        ErrorKind::Timeout => "B gave up",
        ErrorKind::Status => "A answered an error",
        ErrorKind::Body => "A's answer was not what B expects",
        ErrorKind::CircuitOpen => "B's breaker was open, B did not call A",
    }
}

/// How long after B gave up (its line ended at `b_end`, failed) A's line
/// for the same request ended at `a_end`, if that makes it orphaned work.
/// The one rule behind the trace and the count.
pub fn orphaned_after(b_end: OffsetDateTime, b_failed: bool, a_end: OffsetDateTime) -> Option<i64> {
    let after = i64::try_from((a_end - b_end).whole_milliseconds()).unwrap_or(i64::MAX);
    (b_failed && after > ORPHAN_TOLERANCE_MS).then_some(after)
}

/// The four lifelines, left to right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Lane {
    Dashboard,
    B,
    Link,
    A,
}

impl Lane {
    const ALL: [Lane; 4] = [Lane::Dashboard, Lane::B, Lane::Link, Lane::A];

    fn name(self) -> &'static str {
        match self {
            Lane::Dashboard => "dashboard",
            Lane::B => "B",
            Lane::Link => "link",
            Lane::A => "A",
        }
    }
}

/// How a hop is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HopKind {
    Ok,
    Error,
    /// It did not happen: the arrow ends in `╳` where the request was lost.
    Missing,
    /// It happened after the caller had gone: work for nobody.
    Orphaned,
}

/// One arrow (or, with `from == to`, one event on a lifeline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// Milliseconds after the dashboard sent the request; `None`: unknown.
    pub at_ms: Option<i64>,
    pub from: Lane,
    pub to: Lane,
    pub kind: HopKind,
    pub text: String,
}

/// Work A did after B had given up on the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Orphan {
    /// How long after B's answer A's line ended.
    pub after_ms: i64,
    /// Whether A's line says `status=ok` (it did all the work).
    pub a_ok: bool,
}

/// A request's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    pub id: String,
    /// In time order (unknown times stay where they are in the story).
    pub hops: Vec<Hop>,
    pub orphan: Option<Orphan>,
    /// Why A has no line, when the evidence says.
    pub missing: Option<String>,
    /// What the trace is less sure of: lines joined by time, not by id.
    pub caveat: Option<String>,
}

/// The trace of `request` from the log lines of its id (either service, any order).
pub fn build(request: &SentRequest, lines: &[&LogLine]) -> Trace {
    let offset = |at: OffsetDateTime| i64::try_from((at - request.sent_at).whole_milliseconds()).unwrap_or(0).max(0);
    let start_of = |line: &LogLine| {
        line.at
            .map(|end| offset(end - time::Duration::milliseconds(line.latency_ms.unwrap_or(0).try_into().unwrap_or(0))))
    };
    let b_line = lines.iter().find(|l| l.call_of() == Some(Service::B));
    let mut a_lines: Vec<&LogLine> = lines.iter().copied().filter(|l| l.call_of() == Some(Service::A)).collect();
    a_lines.sort_by_key(|l| l.at);

    let mut hops = Vec::new();
    let query = request.delay_ms.map_or_else(String::new, |ms| format!(" delay_ms={ms}"));
    hops.push(Hop {
        at_ms: Some(0),
        from: Lane::Dashboard,
        to: Lane::B,
        kind: HopKind::Ok,
        text: format!("sent /call-echo{query}"),
    });
    let b_got = b_line.and_then(|line| start_of(line));
    match b_got {
        Some(at) => hops.push(event(Some(at), Lane::B, HopKind::Ok, "B got it")),
        None if request.outcome.is_some() => hops.push(event(None, Lane::B, HopKind::Missing, "no line from B (yet)")),
        None => {}
    }

    let kind = request.outcome.as_ref().and_then(Outcome::error_kind);
    let b_end = b_line.and_then(|line| line.at).map(offset);
    let answered_at =
        b_end.or_else(|| request.outcome.as_ref().map(|o| i64::try_from(o.latency().as_millis()).unwrap_or(0)));
    let tries = if kind == Some(ErrorKind::CircuitOpen) {
        0
    } else {
        let logged = b_line.and_then(|line| line.tries).unwrap_or(1);
        usize::try_from(logged).unwrap_or(1).max(a_lines.len()).max(usize::from(request.outcome.is_some()))
    };
    let lost = why_no_a_line(request, kind);
    let missing = (a_lines.is_empty() && request.outcome.is_some()).then(|| lost.clone()).flatten();
    // Tries A never logged came first (a lost try is followed by another).
    let unlogged = tries.saturating_sub(a_lines.len());
    let failed = request.outcome.as_ref().is_some_and(|o| !o.is_ok());
    let mut orphan: Option<Orphan> = None;
    for number in 1..=tries {
        let label = if tries > 1 { format!("try {number}: ") } else { String::new() };
        if number <= unlogged {
            // The try that got a 2xx reached A: its line is not read yet.
            let answered_ok = number == tries && request.outcome.as_ref().is_some_and(Outcome::is_ok);
            let why = if answered_ok {
                "no line from A (yet)".to_owned()
            } else {
                lost.clone().unwrap_or_else(|| "A never got it".into())
            };
            let healthy = request.conditions.link == LinkCondition::Healthy;
            let lost_at = if healthy || answered_ok { Lane::A } else { Lane::Link };
            hops.push(Hop {
                at_ms: None,
                from: Lane::B,
                to: lost_at,
                kind: HopKind::Missing,
                text: format!("{label}{why}"),
            });
            continue;
        }
        let line = a_lines[number - unlogged - 1];
        let a_start = start_of(line);
        hops.push(Hop {
            at_ms: a_start,
            from: Lane::B,
            to: Lane::A,
            kind: HopKind::Ok,
            text: format!("{label}A got it"),
        });
        let a_end = line.at.map(offset);
        let worked = match line.latency_ms {
            Some(ms) if !line.dedup_hit => format!(" after {ms} ms of work"),
            _ => String::new(),
        };
        let late = match (line.at, b_line.and_then(|b| b.at)) {
            (Some(a_end), Some(b_end)) => orphaned_after(b_end, failed, a_end),
            _ => None,
        };
        let a_ok = line.ok == Some(true);
        let what = if line.dedup_hit {
            "A answered from memory (dedup=hit): no work done again".to_owned()
        } else if let Some(fault) = line.fault.as_deref() {
            // One of A's own faults answered: on purpose, not a failure of A's.
            match fault {
                "error_status" => "A answered an error on purpose (fault=error_status)".to_owned(),
                "bad_body" => "A answered a broken body on purpose (fault=bad_body)".to_owned(),
                "trickle" => "A trickled its answer out (fault=trickle)".to_owned(),
                other => format!("A answered under its fault {other}"),
            }
        } else if a_ok {
            "A answered ok".to_owned()
        } else {
            format!("A gave up: {}", line.error.as_deref().unwrap_or("error"))
        };
        let (kind, text) = match late {
            Some(after_ms) => {
                orphan = Some(Orphan { after_ms: orphan.map_or(after_ms, |o| o.after_ms.max(after_ms)), a_ok });
                (HopKind::Orphaned, format!("{what}{worked}, {after_ms} ms after B gave up"))
            }
            None if a_ok => (HopKind::Ok, format!("{what}{worked}")),
            None => (HopKind::Error, format!("{what}{worked}")),
        };
        // The link lost what A sent back: the arrow ends on the link.
        if failed && let Some(lost) = answer_lost(request) {
            hops.push(Hop {
                at_ms: a_end,
                from: Lane::A,
                to: Lane::Link,
                kind: HopKind::Missing,
                text: format!("{text}; {lost}"),
            });
            continue;
        }
        hops.push(Hop { at_ms: a_end, from: Lane::A, to: Lane::B, kind, text });
    }

    match &request.outcome {
        Some(Outcome::Answered { status, error_kind, .. }) => {
            let (kind, text) = match error_kind {
                _ if (200..300).contains(status) => (HopKind::Ok, format!("{status}")),
                // What B's answer says happened, in B's own terms.
                Some(kind) => (HopKind::Error, format!("{status} {kind}: {}", b_outcome(*kind))),
                None => (HopKind::Error, format!("{status}")),
            };
            hops.push(Hop { at_ms: answered_at, from: Lane::B, to: Lane::Dashboard, kind, text });
        }
        Some(Outcome::NoAnswer { error, .. }) => {
            hops.push(Hop {
                at_ms: answered_at,
                from: Lane::B,
                to: Lane::Dashboard,
                kind: HopKind::Missing,
                text: format!("no answer from B: {error}"),
            });
        }
        None => hops.push(event(None, Lane::Dashboard, HopKind::Missing, "waiting for B's answer")),
    }
    // Time order; an unknown time keeps its place after the hop before it.
    let mut last = 0;
    let mut keyed: Vec<(i64, usize, Hop)> = hops
        .into_iter()
        .enumerate()
        .map(|(index, hop)| {
            last = hop.at_ms.unwrap_or(last);
            (last, index, hop)
        })
        .collect();
    keyed.sort_by_key(|(at, index, _)| (*at, *index));
    let hops = keyed.into_iter().map(|(_, _, hop)| hop).collect();
    Trace { id: request.id.clone(), hops, orphan, missing, caveat: None }
}

fn event(at_ms: Option<i64>, lane: Lane, kind: HopKind, text: &str) -> Hop {
    Hop { at_ms, from: lane, to: lane, kind, text: text.into() }
}

/// Why B never got A's answer, when the link was losing answers as it was sent.
fn answer_lost(request: &SentRequest) -> Option<&'static str> {
    match request.conditions.link {
        LinkCondition::Fault(id) => faults::by_id(id).and_then(|fault| fault.answer_lost),
        LinkCondition::Other => Some("the link's toxics (set through its API) may have held or cut the answer"),
        LinkCondition::Healthy => None,
    }
}

/// Why A has no line for a failed request, as far as the evidence goes.
fn why_no_a_line(request: &SentRequest, kind: Option<ErrorKind>) -> Option<String> {
    let conditions = request.conditions;
    let link_lost_it = match conditions.link {
        LinkCondition::Fault(id) => faults::by_id(id).and_then(|fault| fault.a_never_got_it),
        LinkCondition::Other => Some("A never got it: the link's toxics (set through its API) may have lost it"),
        LinkCondition::Healthy => None,
    };
    let text = match (kind, conditions.a, link_lost_it) {
        (Some(ErrorKind::CircuitOpen), _, _) => return None,
        (_, AState::Down, _) => "A never got it: A was stopped",
        (_, AState::Crashed, _) => {
            faults::by_id("crash-a").and_then(|fault| fault.a_never_got_it).unwrap_or("A never got it: A had crashed")
        }
        (_, AState::Frozen, _) => "A never got it: A was frozen (it reads it when thawed)",
        (_, _, Some(reason)) => reason,
        (Some(ErrorKind::Connect), _, _) => "A never got it: B could not connect",
        (Some(ErrorKind::Timeout), _, _) => "no line from A (yet): A may still be working on it",
        _ => return None,
    };
    Some(text.into())
}

/// Width of the lifelines part of a rendered row.
const DIAGRAM: usize = 30;
/// Where each lane's lifeline is.
const LANE_X: [usize; 4] = [4, 13, 21, 29];

fn x(lane: Lane) -> usize {
    LANE_X[lane as usize]
}

impl Trace {
    /// One sentence on what the trace shows that matters most: work for
    /// nobody, or why A has no line.
    pub fn summary(&self) -> Option<String> {
        if let Some(orphan) = self.orphan {
            let what = if orphan.a_ok { "answered" } else { "let go of it only" };
            return Some(format!(
                "Orphaned work: A {what} {} ms after B had given up; nobody was waiting for it.",
                orphan.after_ms
            ));
        }
        self.missing.as_ref().map(|why| format!("{why}."))
    }
}

/// The trace as text rows (the view colours them by [`HopKind`]; the report
/// prints them in a code block): a header with the lanes, then one row per
/// hop: `  +1001 ms  <lifelines and arrow>  what happened`.
pub fn render(trace: &Trace) -> Vec<(HopKind, String)> {
    let mut header = vec![' '; DIAGRAM];
    for lane in Lane::ALL {
        let name = lane.name();
        let start = x(lane).saturating_sub(name.chars().count() / 2).min(DIAGRAM - name.len());
        for (i, c) in name.chars().enumerate() {
            header[start + i] = c;
        }
    }
    let mut rows = vec![(HopKind::Ok, format!("{:>9}  {}", "ms", header.into_iter().collect::<String>()))];
    for hop in &trace.hops {
        let mut cells = vec![' '; DIAGRAM];
        for lane in Lane::ALL {
            cells[x(lane)] = '│';
        }
        let (from, to) = (x(hop.from), x(hop.to));
        let dashed = matches!(hop.kind, HopKind::Missing | HopKind::Orphaned);
        if from == to {
            cells[from] = if hop.kind == HopKind::Missing { '╳' } else { '●' };
        } else {
            let (low, high) = (from.min(to), from.max(to));
            for cell in &mut cells[low + 1..high] {
                *cell = if dashed { '╌' } else { '─' };
            }
            cells[from] = '●';
            cells[to] = match (hop.kind, to > from) {
                (HopKind::Missing, _) => '╳',
                (_, true) => '▶',
                (_, false) => '◀',
            };
        }
        let at = hop.at_ms.map_or_else(|| "?".to_owned(), |ms| format!("+{ms}"));
        rows.push((hop.kind, format!("{at:>9}  {}  {}", cells.into_iter().collect::<String>(), hop.text)));
    }
    rows
}

#[cfg(test)]
mod tests;
