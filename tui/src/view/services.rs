//! The services panel: each service's health and who runs it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use contract::{ErrorKind, Service};
use time::OffsetDateTime;

use super::{DIM, ERROR, OK, PENDING, fit};
use contract::policy::{BreakerPhase, Policy};

use crate::keys;
use crate::model::policy::on_off;
use crate::model::{BSeesA, Model};
use crate::msg::{Health, LinkCounters, ProcessState};
use crate::text::{describe_io, format_ms, millis, sanitize};

pub fn draw(frame: &mut Frame, area: Rect, model: &Model) {
    let width = usize::from(area.width.saturating_sub(2));
    let mut lines: Vec<Line> = Service::ALL.into_iter().map(|service| service_line(model, service, width)).collect();
    lines.push(link_line(model, width));
    lines.push(a_faults_line(model));
    lines.push(policy_line(model, width));
    frame.render_widget(Paragraph::new(lines).block(Block::bordered().title(" Services ")), area);
}

/// A service's state in a word, with its symbol and colour.
pub(super) fn state(model: &Model, service: Service) -> (&'static str, String, Color) {
    let view = model.service(service);
    match (&view.process, view.health) {
        (ProcessState::Frozen { .. }, _) => ("❄", "frozen".to_owned(), Color::LightBlue),
        (ProcessState::Starting, _) => ("◌", "starting".to_owned(), PENDING),
        (ProcessState::Unknown, _) => ("◌", "checking".to_owned(), PENDING),
        (ProcessState::Stopping, _) => ("◌", "stopping".to_owned(), PENDING),
        (_, Health::Up { latency }) => ("●", format!("up {}", format_ms(millis(latency))), OK),
        (_, Health::Down) => ("○", "down".to_owned(), ERROR),
        (_, Health::Unknown) => ("?", "checking".to_owned(), DIM),
    }
}

/// A service's health, who runs it (what the learner can do about it), and
/// for A what B last saw of it.
fn service_line(model: &Model, service: Service, width: usize) -> Line<'static> {
    let view = model.service(service);
    let (dot, state, color) = state(model, service);
    // What it is (detail) and what a key does about it (kept).
    let (who, then) = match &view.process {
        ProcessState::Unknown => (String::new(), String::new()),
        ProcessState::Attached => ("attached (started elsewhere)".into(), String::new()),
        ProcessState::Absent => ("not running (--attach)".into(), String::new()),
        ProcessState::Starting => ("child process".into(), String::new()),
        ProcessState::Running { pid } => (format!("pid {pid}"), String::new()),
        ProcessState::Frozen { pid } => (format!("SIGSTOP, pid {pid}: "), format!("{} thaws", keys::label("freeze"))),
        ProcessState::Stopping => ("SIGTERM sent".into(), String::new()),
        ProcessState::Stopped => {
            ("stopped: ".into(), format!("{} starts it", keys::label(&service.name().to_lowercase())))
        }
        ProcessState::Failed(why) => (format!("failed: {}", sanitize(why)), String::new()),
    };
    let mut parts = vec![
        (fit::KEEP, Span::styled(format!(" {} ", service.name()), Style::new().bold())),
        (fit::KEEP, Span::styled(format!("{dot} {state:<12}"), Style::new().fg(color).bold())),
        // The URLs are in the header line. "child" goes before the pid does.
        (
            fit::EXTRA,
            Span::styled(
                if matches!(view.process, ProcessState::Running { .. }) { "child " } else { "" },
                Style::new().fg(DIM),
            ),
        ),
        // Why a start failed is what to act on: it stays.
        (
            if matches!(view.process, ProcessState::Failed(_)) { fit::KEEP } else { fit::DETAIL },
            Span::styled(who, Style::new().fg(DIM)),
        ),
        (fit::KEEP, Span::styled(then, Style::new().fg(DIM))),
    ];
    // Two observers of A: the dashboard's own health check (above) and B.
    if service == Service::A
        && let Some(seen) = model.b_sees_a
    {
        // What B saw a while ago gives way before what A is.
        let rank = if model.clock - seen.at <= B_VIEW_FRESH { fit::CONTEXT } else { fit::EXTRA };
        parts.push((rank, b_sees_a(seen, model.clock)));
    }
    fit::fit(parts, width)
}

/// What B's last answer said of A; once it is [`B_VIEW_FRESH`] old, it says
/// how old, so it does not pass for the present after A changed.
fn b_sees_a(seen: BSeesA, now: OffsetDateTime) -> Span<'static> {
    let age = (now - seen.at).whole_seconds();
    let fresh = now - seen.at <= B_VIEW_FRESH;
    match (seen.failure, fresh) {
        (None, true) => Span::styled("  · B reaches A", Style::new().fg(OK)),
        (None, false) => Span::styled(format!("  · B reached A {age} s ago"), Style::new().fg(DIM)),
        (Some(kind), true) => {
            Span::styled(format!("  · {} ({kind})", failed(kind, true)), Style::new().fg(ERROR).bold())
        }
        (Some(kind), false) => {
            Span::styled(format!("  · {} {age} s ago ({kind})", failed(kind, false)), Style::new().fg(DIM))
        }
    }
}

/// What B's failure says of A: A answered badly (`status`, `body`), B did
/// not call it (`circuit_open`), or B could not reach it.
fn failed(kind: ErrorKind, now: bool) -> &'static str {
    match (kind, now) {
        (ErrorKind::Status | ErrorKind::Body, true) => "B gets bad answers from A",
        (ErrorKind::Status | ErrorKind::Body, false) => "B got a bad answer from A",
        (ErrorKind::CircuitOpen, true) => "B does not call A",
        (ErrorKind::CircuitOpen, false) => "B did not call A",
        (_, true) => "B cannot reach A",
        (_, false) => "B could not reach A",
    }
}

/// How long B's last answer stands for what B sees of A now.
const B_VIEW_FRESH: time::Duration = time::Duration::seconds(5);

/// The link B→A: its mode, where it listens, what it carried. Its address
/// matters only to a B started by hand, which must be told it (kept); the
/// API's to every toxiproxy client; the counters give way first.
fn link_line(model: &Model, width: usize) -> Line<'static> {
    let link = &model.link;
    let text = link.detail();
    let color = if text == "ok" { OK } else { ERROR };
    let c = link.counters;
    let through = match (&link.addr, &model.service(Service::B).process) {
        (None, _) => " starting".to_owned(),
        (Some(addr), ProcessState::Attached) => {
            format!(" at {addr} (B elsewhere: {} says how)", keys::label("link"))
        }
        (Some(_), _) => String::new(),
    };
    let [failed, refused, quiet] = limits_hit(&c);
    let api = match &link.api {
        Some(Ok(api)) => format!(" · api {api}"),
        Some(Err(why)) => format!(" · no api: {}", sanitize(why)),
        None => String::new(),
    };
    fit::fit(
        vec![
            (fit::KEEP, Span::styled(" link ", Style::new().bold())),
            (fit::KEEP, Span::styled(format!("B→A {text}"), Style::new().fg(color).bold())),
            (fit::KEEP, Span::styled(through, Style::new().fg(DIM))),
            (fit::CONTEXT, Span::styled(api, Style::new().fg(DIM))),
            (fit::CONTEXT, Span::styled(failed, Style::new().fg(ERROR))),
            (fit::CONTEXT, Span::styled(refused, Style::new().fg(ERROR))),
            (fit::DETAIL, Span::styled(quiet, Style::new().fg(ERROR))),
            (fit::DETAIL, Span::raw(format!(" · {} conns ({} open, {} cut)", c.connections, c.open, c.cut))),
            (fit::EXTRA, Span::raw(format!(", {}→A {}→B", bytes(c.bytes_to_a), bytes(c.bytes_to_b)))),
        ],
        width,
    )
}

/// The link's limits, when it hit them: refusals over its cap, connections
/// closed quiet, accepts that failed (each a part of its own, so what fits is shown).
fn limits_hit(c: &LinkCounters) -> [String; 3] {
    let refused =
        if c.refused > 0 { format!(" · {} refused (cap {})", c.refused, c.limits.max_open) } else { String::new() };
    let quiet = if c.idle_closed > 0 { format!(" · {} closed quiet", c.idle_closed) } else { String::new() };
    let failed = match (c.accept_failed, c.accept_error) {
        (0, _) => String::new(),
        (n, Some(code)) => format!(" · {n} accepts failed: {}", describe_io(&std::io::Error::from_raw_os_error(code))),
        (n, None) => format!(" · {n} accepts failed"),
    };
    [failed, refused, quiet]
}

/// A's own faults and dedup, as A's admin listener says (the faults menu sets them).
fn a_faults_line(model: &Model) -> Line<'static> {
    let view = &model.a_faults;
    let color = if view.any_on() {
        ERROR
    } else if view.state.is_some() {
        OK
    } else {
        DIM
    };
    let label = if view.admin.is_none() && model.is_foreign(Service::A) {
        "none: your A has no admin API (link faults work)".to_owned()
    } else {
        view.label()
    };
    Line::from(vec![
        Span::styled(" A's faults ", Style::new().bold()),
        Span::styled(label, Style::new().fg(color).bold()),
        // Unknown, the label says why and what to do.
        Span::styled(
            if view.state.is_some() { format!("  ({} sets them)", keys::label("faults")) } else { String::new() },
            Style::new().fg(DIM),
        ),
    ])
}

/// B's call policy and its breaker, live (keys `+ - R c d`).
fn policy_line(model: &Model, width: usize) -> Line<'static> {
    let view = &model.policy;
    let label = Span::styled(" policy ", Style::new().bold());
    let Some(status) = view.status else {
        let text = match (&view.admin, &view.unreachable) {
            (None, _) if model.is_foreign(Service::B) => "your B's own (no admin API to read or change it)".to_owned(),
            (None, _) => "B has no admin listener (+ says how to give it one)".to_owned(),
            (Some(_), None) => "asking B...".to_owned(),
            (Some(_), Some(why)) => format!("unknown: {}", sanitize(why)),
        };
        return Line::from(vec![label, Span::styled(text, Style::new().fg(DIM))]);
    };
    let p = status.policy;
    let lab = Policy::default();
    let setting = |text: String, changed: bool| {
        Span::styled(text, if changed { Style::new().fg(Color::Yellow).bold() } else { Style::new() })
    };
    let mut spans = vec![
        label,
        setting(format!("{} ms", p.timeout_ms), p.timeout_ms != lab.timeout_ms),
        Span::raw(", "),
        setting(format!("retries {}", p.retries), p.retries != lab.retries),
        Span::raw(", "),
    ];
    spans.push(match status.breaker_state {
        BreakerPhase::Off => Span::raw("breaker off"),
        BreakerPhase::Closed if status.breaker_failures > 0 => Span::styled("breaker closed", Style::new().fg(PENDING)),
        BreakerPhase::Closed => Span::styled("breaker closed", Style::new().fg(OK)),
        // Its wait is over: B lets the next call try A (half-open) only when it comes.
        BreakerPhase::Open => Span::styled(
            match status.breaker_reopens_in_ms.unwrap_or(0).div_ceil(1000) {
                0 => "breaker OPEN (next call tries A)".to_owned(),
                seconds => format!("breaker OPEN {seconds} s"),
            },
            Style::new().fg(ERROR).bold(),
        ),
        BreakerPhase::HalfOpen => Span::styled("breaker half-open", Style::new().fg(PENDING).bold()),
    });
    let mut parts: Vec<_> = spans.into_iter().map(|span| (fit::KEEP, span)).collect();
    // The four settings stay; the failures counted toward opening give way first.
    if status.breaker_state == BreakerPhase::Closed && status.breaker_failures > 0 {
        let failed = Span::styled(format!(", {} failed", status.breaker_failures), Style::new().fg(PENDING));
        parts.push((fit::DETAIL, failed));
    }
    let deadline = setting(format!(", deadline {}", on_off(p.deadline)), p.deadline);
    parts.push((if p.deadline { fit::KEEP } else { fit::CONTEXT }, deadline));
    if view.unreachable.is_some() {
        parts.push((fit::KEEP, Span::styled(" (last seen)", Style::new().fg(DIM))));
    }
    fit::fit(parts, width)
}

/// `812`, `12.3k`, `4.5M` (a unit `B` would read as service B here).
// Display only: precision loss past 2^53 bytes does not matter.
#[allow(clippy::cast_precision_loss)]
fn bytes(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}
