//! The small panels: services, numbers, the selected answer and the latency chart.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style, Stylize};
use ratatui::symbols::Marker as Dot;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph, Wrap};

use super::requests::format_ms;
use super::{DIM, ERROR, MARKER, OK, PENDING};
use crate::app::{App, Row};
use crate::event::{Control, Health, Outcome};
use contract::Service;

pub fn draw_services(frame: &mut Frame, area: Rect, app: &App) {
    let lines: Vec<Line> = Service::ALL
        .into_iter()
        .map(|service| {
            let view = app.service(service);
            let (dot, state, color) = match (&view.control, view.health) {
                (Control::Frozen { .. }, _) => ("❄", "frozen".to_owned(), Color::LightBlue),
                (Control::Starting, _) => ("◌", "starting".to_owned(), PENDING),
                (Control::Stopping, _) => ("◌", "stopping".to_owned(), PENDING),
                (_, Health::Up { latency }) => ("●", format!("up {}", format_ms(latency.as_secs_f64() * 1000.0)), OK),
                (_, Health::Down) => ("○", "down".to_owned(), ERROR),
                (_, Health::Unknown) => ("?", "checking".to_owned(), DIM),
            };
            let who = match &view.control {
                Control::Unknown => String::new(),
                Control::Attached => "attached (started elsewhere)".into(),
                Control::Absent => "not running (--attach)".into(),
                Control::Starting => "started by the dashboard".into(),
                Control::Running { pid } => format!("started by the dashboard, pid {pid}"),
                Control::Frozen { pid } => format!("SIGSTOP, pid {pid}: f thaws"),
                Control::Stopping => "SIGTERM sent".into(),
                Control::Stopped => format!("stopped: {} starts it", service.name().to_lowercase()),
                Control::Failed(why) => format!("failed: {}", crate::logtail::sanitize(why)),
            };
            Line::from(vec![
                Span::styled(format!(" {} ", service.name()), Style::new().bold()),
                Span::styled(format!("{dot} {state:<12}"), Style::new().fg(color).bold()),
                Span::raw(format!("{who}  ")),
                Span::styled(view.url.clone(), Style::new().fg(DIM)),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(Block::bordered().title(" Services ")), area);
}

pub fn draw_numbers(frame: &mut Frame, area: Rect, app: &App) {
    let p = app.stats.percentiles();
    let latency = if p.count == 0 {
        Line::from(" no answers yet").fg(DIM)
    } else {
        Line::from(format!(
            " p50 {}  p90 {}  p99 {}  max {}",
            format_ms(p.p50),
            format_ms(p.p90),
            format_ms(p.p99),
            format_ms(p.max)
        ))
    };
    let mut statuses = vec![Span::raw(" status ")];
    for (status, count) in &app.stats.by_status {
        let color = if status.starts_with('2') { OK } else { ERROR };
        statuses.push(Span::styled(format!("{status}×{count} "), Style::new().fg(color)));
    }
    let mut kinds = vec![Span::raw(" error kind ")];
    for (kind, count) in app.error_kind_counts() {
        let color = if count > 0 { ERROR } else { DIM };
        kinds.push(Span::styled(format!("{kind} {count}  "), Style::new().fg(color)));
    }
    let title = format!(" Numbers (last {} of {} answers) ", p.count, app.stats.total);
    frame.render_widget(
        Paragraph::new(vec![latency, Line::from(statuses), Line::from(kinds)]).block(Block::bordered().title(title)),
        area,
    );
}

pub fn draw_detail(frame: &mut Frame, area: Rect, app: &App) {
    let block = Block::bordered().title(" Selected answer ");
    let Some(index) = app.selected_index() else {
        let hint = "Press Enter to send a request to B; its answer appears here.";
        frame.render_widget(Paragraph::new(hint).fg(DIM).wrap(Wrap { trim: true }).block(block), area);
        return;
    };
    let lines: Vec<Line> = match &app.rows[index] {
        Row::Marker(marker) => vec![Line::from(marker.text.clone()).fg(MARKER)],
        Row::Request(r) => {
            let mut lines = vec![Line::from(vec![Span::raw("id "), Span::styled(r.id.clone(), Style::new().bold())])];
            match &r.outcome {
                None => lines.push(Line::from("waiting for B...").fg(PENDING)),
                Some(Outcome::NoAnswer { latency, error }) => {
                    lines.push(
                        Line::from(format!("no answer after {}", format_ms(latency.as_secs_f64() * 1000.0))).fg(ERROR),
                    );
                    lines.push(Line::from(crate::logtail::sanitize(error)));
                }
                Some(Outcome::Answered { status, latency, upstream_ms, body, .. }) => {
                    let total = latency.as_secs_f64() * 1000.0;
                    let color = if (200..300).contains(status) { OK } else { ERROR };
                    lines.push(Line::from(vec![
                        Span::styled(format!("HTTP {status}"), Style::new().fg(color).bold()),
                        Span::raw(format!(" in {}", format_ms(total))),
                    ]));
                    if let Some(upstream) = upstream_ms {
                        lines.push(Line::from(format!(
                            "= B waiting for A {} + B itself and the network {}",
                            format_ms(*upstream),
                            format_ms((total - upstream).max(0.0))
                        )));
                    } else {
                        lines.push(Line::from("B did not call A (no server-timing)").fg(DIM));
                    }
                    lines.push(Line::from(crate::logtail::sanitize(body)));
                }
            }
            lines
        }
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), area);
}

pub fn draw_chart(frame: &mut Frame, area: Rect, app: &App) {
    let timeout = app.settings.timeout_ms as f64;
    let (mut ok, mut failed) = (Vec::new(), Vec::new());
    let mut top = timeout * 1.25;
    for (n, ms, is_ok) in app.stats.chart_points() {
        top = top.max(ms * 1.05);
        if is_ok { ok.push((n, ms)) } else { failed.push((n, ms)) }
    }
    // The points are oldest first: the first one starts the x axis.
    let first = app.stats.chart_points().next().map_or(0.0, |(n, _, _)| n);
    let last = app.stats.total as f64;
    let right = last.max(first + 10.0);
    let timeout_line = vec![(first, timeout), (right, timeout)];
    // Events (stop, freeze, burst...) as vertical lines at the request count they happened at.
    let markers: Vec<Vec<(f64, f64)>> = app
        .rows
        .iter()
        .filter_map(|row| match row {
            Row::Marker(m) if (m.at_request as f64) >= first => Some(m.at_request as f64),
            _ => None,
        })
        .map(|x| vec![(x, 0.0), (x, top)])
        .collect();
    let mut datasets = vec![
        Dataset::default()
            .name("timeout")
            .graph_type(GraphType::Line)
            .marker(Dot::Braille)
            .fg(PENDING)
            .data(&timeout_line),
        Dataset::default().name("ok").marker(Dot::Braille).fg(OK).data(&ok),
        Dataset::default().name("failed").marker(Dot::Braille).fg(ERROR).data(&failed),
    ];
    for (i, marker) in markers.iter().enumerate() {
        let dataset = Dataset::default().graph_type(GraphType::Line).marker(Dot::Braille).fg(MARKER).data(marker);
        datasets.push(if i == 0 { dataset.name("event") } else { dataset });
    }
    let chart = Chart::new(datasets)
        .block(Block::bordered().title(" Latency (ms) per request; yellow: B's timeout "))
        .x_axis(Axis::default().bounds([first, right]).labels([format!("{first:.0}"), format!("{right:.0}")]).fg(DIM))
        .y_axis(Axis::default().bounds([0.0, top]).labels(["0".to_owned(), format!("{top:.0}")]).fg(DIM));
    frame.render_widget(chart, area);
}
