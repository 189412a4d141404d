//! Drawing: one function per panel, all reading `&App`, none changing it.
//!
//! ```text
//! header: what talks to what
//! services (health, who started them)  | numbers (percentiles, counts)
//! requests (selectable)                | selected answer / latency chart
//! logs of both services, merged by time
//! message and keys / status line or burst progress
//! ```

mod logs;
mod panels;
mod requests;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Gauge, Paragraph, Row, Table, Wrap};

use crate::app::{App, Mode};
use crate::keys::HELP;

pub(crate) const OK: Color = Color::Green;
pub(crate) const ERROR: Color = Color::Red;
pub(crate) const PENDING: Color = Color::Yellow;
pub(crate) const MARKER: Color = Color::Magenta;
pub(crate) const DIM: Color = Color::DarkGray;

/// Draws the whole dashboard.
pub fn draw(frame: &mut Frame, app: &App) {
    let [header, top, middle, logs, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(4),
        Constraint::Min(8),
        Constraint::Percentage(35),
        Constraint::Length(2),
    ])
    .areas(frame.area());
    draw_header(frame, header, app);
    let [services, numbers] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(top);
    panels::draw_services(frame, services, app);
    panels::draw_numbers(frame, numbers, app);
    let [list, right] = Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(middle);
    requests::draw(frame, list, app);
    let [detail, chart] = Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(right);
    panels::draw_detail(frame, detail, app);
    panels::draw_chart(frame, chart, app);
    logs::draw(frame, logs, app);
    draw_footer(frame, footer, app);
    if app.mode == Mode::Help {
        draw_help(frame, frame.area());
    }
}

fn draw_header(frame: &mut Frame, area: Rect, app: &App) {
    let s = &app.settings;
    let line = Line::from(vec![
        Span::styled(" first distributed system ", Style::new().bold().reversed()),
        Span::raw(format!("  dashboard → B {} → A {}  (B gives A {} ms)", s.b_url, s.a_url, s.timeout_ms)),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

fn draw_footer(frame: &mut Frame, area: Rect, app: &App) {
    let [first, second] = Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let message = match &app.mode {
        Mode::Editing(text) => Line::from(vec![
            Span::styled(" message: ", Style::new().bold()),
            Span::styled(format!("{text}█"), Style::new().fg(PENDING)),
            Span::styled("  Enter keeps · Esc cancels", Style::new().fg(DIM)),
        ]),
        _ => Line::from(vec![
            Span::styled(" message: ", Style::new().bold()),
            Span::raw(crate::logtail::sanitize(&app.message)),
            Span::styled(
                "  Enter send · e edit · s slow · l burst · a/b stop/start · f freeze · t trace · p pause · r report · ? help · q quit",
                Style::new().fg(DIM),
            ),
        ]),
    };
    frame.render_widget(Paragraph::new(message), first);
    if let Some(burst) = &app.burst {
        #[allow(clippy::cast_precision_loss)]
        let ratio = if burst.requests == 0 { 0.0 } else { burst.done as f64 / burst.requests as f64 };
        let label = format!(
            "burst {}/{} at {} at a time, {} failed{}",
            burst.done,
            burst.requests,
            burst.concurrency,
            burst.failed,
            if burst.cancelling { " (cancelling)" } else { " (Esc cancels)" }
        );
        let color = if burst.failed > 0 { ERROR } else { OK };
        frame.render_widget(
            Gauge::default().gauge_style(Style::new().fg(color)).ratio(ratio.min(1.0)).label(label),
            second,
        );
    } else if let Some(note) = &app.note {
        frame.render_widget(Paragraph::new(format!(" {}", crate::logtail::sanitize(note))).fg(Color::Cyan), second);
    }
}

fn draw_help(frame: &mut Frame, area: Rect) {
    let width = area.width.min(84);
    let height = area.height.min(u16::try_from(HELP.len()).unwrap_or(u16::MAX) + 10);
    let popup = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height };
    frame.render_widget(Clear, popup);
    let block = Block::bordered().title(" Keys (any key closes) ").border_style(Style::new().fg(Color::Cyan));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let [keys, about] =
        Layout::vertical([Constraint::Length(u16::try_from(HELP.len()).unwrap_or(0)), Constraint::Min(0)]).areas(inner);
    let rows = HELP.iter().map(|(key, what)| Row::new([Span::styled(*key, Style::new().bold()), Span::raw(*what)]));
    frame.render_widget(Table::new(rows, [Constraint::Length(14), Constraint::Min(10)]), keys);
    let text = "Break A (a stop, f freeze, s slow) and watch B answer 503 with error_kind connect or \
                timeout, the latency jump to B's timeout, and both services' log lines with the same \
                request id (select a request, press t).";
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: true }).style(Style::new().add_modifier(Modifier::ITALIC)),
        about,
    );
}
