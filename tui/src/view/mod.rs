//! Drawing: one file per panel, each a pure function of `&Model`.
//!
//! ```text
//! header: what talks to what
//! services (health, who started them)  | numbers (percentiles, counts)
//! requests (selectable)                | selected answer / latency chart
//!                                          (or the guide, `g`)
//! logs of both services, merged by time
//! message and keys / status line or burst progress
//! ```

mod answer;
mod chart;
mod faults;
mod fit;
mod footer;
mod guide;
mod header;
mod help;
mod logs;
mod numbers;
mod requests;
mod services;
mod timeline;
mod trace;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::widgets::{Paragraph, Wrap};

use crate::model::{ChartView, Model};
use crate::msg::InputMode;

pub(crate) const OK: Color = Color::Green;
pub(crate) const ERROR: Color = Color::Red;
pub(crate) const PENDING: Color = Color::Yellow;
pub(crate) const MARK: Color = Color::Magenta;
pub(crate) const DIM: Color = Color::DarkGray;

/// The smallest terminal the dashboard draws itself in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;
/// Below this width the right column (answer, chart) gives way to the list.
const WIDE: u16 = 120;

/// Draws the whole dashboard.
pub fn draw(frame: &mut Frame, model: &Model) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        draw_too_small(frame, area);
        return;
    }
    if area.width >= WIDE {
        draw_wide(frame, area, model)
    } else {
        draw_narrow(frame, area, model)
    }
    if model.mode == InputMode::Help {
        help::draw(frame, area);
    }
    if model.mode == InputMode::Faults {
        faults::draw(frame, area, model);
    }
}

/// Every panel: services and numbers side by side, the list beside the
/// selected answer and the chart.
fn draw_wide(frame: &mut Frame, area: Rect, model: &Model) {
    let [header, top, middle, logs, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(7),
        Constraint::Min(8),
        Constraint::Percentage(35),
        Constraint::Length(footer::height(model, area.width)),
    ])
    .areas(area);
    header::draw(frame, header, model);
    let [services, numbers] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(top);
    services::draw(frame, services, model);
    numbers::draw(frame, numbers, model);
    let [list, right] = Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(middle);
    requests::draw(frame, list, model);
    // The guide takes the answer's and the chart's place: what it says to
    // look at (the list's status and kind, the logs, the numbers) stays in view.
    if model.guide.open && model.view != ChartView::Trace {
        guide::draw(frame, right, model);
        logs::draw(frame, logs, model);
        footer::draw(frame, footer, model);
        return;
    }
    match model.view {
        ChartView::Latency => {
            let [detail, chart] =
                Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(right);
            answer::draw(frame, detail, model);
            chart::draw(frame, chart, model);
        }
        // Three charts over the same seconds need the whole column.
        ChartView::Timeline => timeline::draw(frame, right, model),
        ChartView::Trace => {
            let [detail, chart] =
                Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(right);
            answer::draw(frame, detail, model);
            chart::draw(frame, chart, model);
            // The trace is drawn from the log lines, and needs the width: it
            // takes the logs' place; the guide, the answer's and the chart's.
            if model.guide.open {
                guide::draw(frame, right, model);
            }
            trace::draw(frame, logs, model);
            footer::draw(frame, footer, model);
            return;
        }
    }
    logs::draw(frame, logs, model);
    footer::draw(frame, footer, model);
}

/// 80 to 119 columns: one column; the numbers on one line; the selected
/// answer only when there are rows to spare; no latency chart. On a short
/// terminal the timeline (`v`) takes the place of the request list and the
/// logs, like a tab.
fn draw_narrow(frame: &mut Frame, area: Rect, model: &Model) {
    // The answer, or the view `v` chose, when there are rows to spare.
    let answer_rows = if area.height >= 36 { 9 } else { 0 };
    let [header, services, numbers, list, detail, logs, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(7),
        Constraint::Length(4),
        // Three entries under the list's header at least.
        Constraint::Min(6),
        Constraint::Length(answer_rows),
        Constraint::Percentage(35),
        Constraint::Length(footer::height(model, area.width)),
    ])
    .areas(area);
    header::draw(frame, header, model);
    // The guide takes the services' place (its title says how A and B are):
    // the list, the numbers and the logs it points at stay in view.
    if model.guide.open {
        guide::draw(frame, services, model);
    } else {
        services::draw(frame, services, model);
    }
    numbers::draw_compact(frame, numbers, model);
    match (model.view, answer_rows > 0) {
        (ChartView::Latency, true) => {
            requests::draw(frame, list, model);
            answer::draw(frame, detail, model);
        }
        (ChartView::Timeline, true) => {
            requests::draw(frame, list, model);
            timeline::draw(frame, detail, model);
        }
        (ChartView::Trace, true) => {
            requests::draw(frame, list, model);
            answer::draw(frame, detail, model);
            trace::draw(frame, logs, model);
            footer::draw(frame, footer, model);
            return;
        }
        // Like the timeline: the list's and the logs' place (Up/Down still
        // select; the title says which request).
        (ChartView::Trace, false) => {
            trace::draw(frame, list.union(logs), model);
            footer::draw(frame, footer, model);
            return;
        }
        (ChartView::Latency, false) => requests::draw(frame, list, model),
        // Three charts need rows: the timeline takes the list's and the logs' place.
        (ChartView::Timeline, false) => {
            timeline::draw(frame, list.union(logs), model);
            footer::draw(frame, footer, model);
            return;
        }
    }
    logs::draw(frame, logs, model);
    footer::draw(frame, footer, model);
}

fn draw_too_small(frame: &mut Frame, area: Rect) {
    let text =
        format!("terminal too small: need {MIN_WIDTH}x{MIN_HEIGHT}, have {}x{} (q quits)", area.width, area.height);
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}
