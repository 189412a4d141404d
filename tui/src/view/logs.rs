//! The log panel: both services' lines merged by time, coloured by status,
//! each as `A 12:00:00,002 request_id=… endpoint=… status=…` so the id stays
//! readable on a narrow screen (a long one continues on the next rows);
//! lines of earlier runs under a separator.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use contract::Service;

use super::{DIM, ERROR, MARK, OK};
use crate::io::tail::Sources;
use crate::model::Model;
use crate::msg::LogLine;
use crate::text::{clip, sanitize, time_of_day, wrap_words};
use unicode_width::UnicodeWidthStr;

pub fn draw(frame: &mut Frame, area: Rect, model: &Model) {
    let logs = &model.logs;
    let filter = model.log_filter();
    let mut title = String::from(" Logs of A and B ");
    let paused = format!("(PAUSED: {} follows again) ", crate::keys::label("pause"));
    title.push_str(if logs.paused { &paused } else { "(following) " });
    match filter {
        Some(Some(id)) if model.requests.evicted_selection().is_some() => {
            title.push_str(&format!("· only request {id}, which left the request list (t: all) "));
        }
        Some(Some(id)) => title.push_str(&format!("· only request {id} (t: all) ")),
        Some(None) => title.push_str("· t: the selected row is not a request "),
        None => {}
    }
    if logs.hidden_health > 0 {
        title.push_str(&format!("· {} /health lines hidden ", logs.hidden_health));
    }
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    let (height, width) = (usize::from(inner.height), usize::from(inner.width));
    let mut warnings: Vec<Line> = Vec::new();
    for service in Service::ALL {
        // What the follower knows first (permission denied, a FIFO), then
        // what the numbers suggest.
        if let Some(problem) = &logs.problems[service.index()] {
            warnings.push(Line::from(format!("{}'s log: {}", service.name(), sanitize(problem))).fg(ERROR));
        } else if logs.logs_elsewhere(service) {
            warnings.push(
                Line::from(format!(
                    "{} answers, but none of its lines arrive in {}: it logs into another directory (--log-dir)?",
                    service.name(),
                    sanitize(&model.settings.log_dir.display().to_string())
                ))
                .fg(ERROR),
            );
        }
    }
    let room = height.saturating_sub(warnings.len());
    // Paused, the view stays `scroll` lines back from the newest.
    let scroll = if logs.paused { logs.scroll } else { 0 };
    // A line continues on more rows in a tall panel; in a short one only when
    // every line that fits on one row each also fits continued (a request
    // filtered to its two lines), so A's and B's lines stay in view together.
    let wrapped = newest_rows(model, filter, width, room, scroll, MAX_ROWS);
    let lines = if height >= ROOM_TO_WRAP || wrapped.len() <= room {
        wrapped
    } else {
        newest_rows(model, filter, width, room, scroll, 1)
    };
    let mut shown: Vec<Line> = warnings;
    let skip = lines.len().saturating_sub(room);
    shown.extend(lines.into_iter().skip(skip));
    if shown.is_empty() {
        let hint = match filter {
            Some(None) => "select a request (Up/Down) to see its log lines, or t for all".to_owned(),
            Some(Some(id)) if model.no_ids_said.iter().any(|&said| said) => format!(
                "no line has request id {id}: lines that carry no request_id cannot be picked by it (t shows all; \
                 the trace, v, joins them by time)"
            ),
            Some(Some(id)) => format!("no line of request {id} in either log (yet)"),
            None => match &model.settings.logs {
                [Sources::Files(_), Sources::Files(_)] => {
                    format!("no log lines yet in {}", model.settings.log_dir.display())
                }
                [a, b] => format!("no log lines yet (A's from {}, B's from {})", a.describe(), b.describe()),
            },
        };
        shown.push(Line::from(hint).fg(DIM));
    }
    frame.render_widget(Paragraph::new(shown).block(block), area);
}

/// The rows of the newest log lines (after skipping `scroll` of them) that
/// fill `room` rows, oldest first; lines of earlier runs under a separator.
/// Built from the newest back, so a panel of 5,000 lines renders only what
/// it shows.
fn newest_rows(
    model: &Model,
    filter: Option<Option<&str>>,
    width: usize,
    room: usize,
    scroll: usize,
    max_rows: usize,
) -> Vec<Line<'static>> {
    let logs = &model.logs;
    // One row more than the room at most is needed to know the room is full.
    let mut reversed: Vec<Line<'static>> = Vec::new();
    let mut later_is_this_session = false;
    for line in logs.visible(filter).rev().skip(scroll) {
        if reversed.len() > room {
            break;
        }
        let this_session = logs.is_this_session(line);
        if !this_session && later_is_this_session {
            let text = format!("── above: before this session · this session since {} ──", session_time(model));
            reversed.push(Line::from(text).fg(MARK));
        }
        later_is_this_session = this_session;
        reversed.extend(render(line, width, max_rows).into_iter().rev());
    }
    reversed.reverse();
    reversed
}

fn session_time(model: &Model) -> String {
    model.logs.session_started.map(time_of_day).unwrap_or_default()
}

/// A line of a log never takes more rows than this (the last is clipped),
/// and only in a panel of [`ROOM_TO_WRAP`] rows or more: in a smaller one a
/// line takes one row, so A's and B's lines of a request stay in view.
const MAX_ROWS: usize = 3;
const ROOM_TO_WRAP: usize = 8;

/// `fields` with `request_id=` (first) and `endpoint=` shown as their values only.
fn without_names(fields: &str) -> String {
    let fields = fields.strip_prefix("request_id=").unwrap_or(fields);
    fields.replacen(" endpoint=", " ", 1)
}

/// One line: its fields continue on up to `max_rows` rows, broken between
/// words and indented under the first, so `error="..."` is read whole on a
/// screen of 120 columns; a longer one is clipped with `…` (a cut value must
/// not pass for a whole one: `timeout_ms=1` of `timeout_ms=1000`).
fn render(line: &LogLine, width: usize, max_rows: usize) -> Vec<Line<'static>> {
    let color = match line.ok {
        Some(true) => OK,
        Some(false) => ERROR,
        None => DIM,
    };
    let service_color = match line.service {
        Service::A => Color::Cyan,
        Service::B => Color::LightBlue,
    };
    let mut spans = vec![Span::styled(format!("{} ", line.service.name()), Style::new().fg(service_color).bold())];
    if let Some(at) = line.at {
        spans.push(Span::styled(format!("{} ", time_of_day(at)), Style::new().fg(DIM)));
    }
    let indent: usize = spans.iter().map(Span::width).sum();
    let room = width.saturating_sub(indent);
    let style = Style::new().fg(color);
    if line.fields.width() <= room || room < 20 || max_rows < 2 {
        // On one row too narrow for it, the id and the endpoint go without
        // their names, so the status and error_kind after them are in view.
        let fields = if line.fields.width() <= room { line.fields.clone() } else { without_names(&line.fields) };
        spans.push(Span::styled(clip(&fields, room), style));
        return vec![Line::from(spans)];
    }
    let mut parts = wrap_words(&line.fields, room);
    if parts.len() > max_rows {
        let rest = parts.split_off(max_rows - 1).join(" ");
        parts.push(clip(&rest, room));
    }
    let mut rows = Vec::with_capacity(parts.len());
    for (index, part) in parts.into_iter().enumerate() {
        if index == 0 {
            spans.push(Span::styled(part, style));
            rows.push(Line::from(std::mem::take(&mut spans)));
        } else {
            rows.push(Line::from(vec![Span::raw(" ".repeat(indent)), Span::styled(part, style)]));
        }
    }
    rows
}
