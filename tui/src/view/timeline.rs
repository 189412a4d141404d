//! The timeline view (`v`): per second of the session, the calls that ended,
//! the share B answered 200 (availability) and the p99 of B's answers, each as
//! a chart over the same seconds, with the learner's actions as vertical lines.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Stylize;
use ratatui::symbols::Marker as Dot;
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph};

use super::{DIM, ERROR, MARK, OK, PENDING, fit};
use crate::model::Model;
use ratatui::text::Span;

// Chart coordinates are floats; precision loss only past 2^53 seconds or calls.
#[allow(clippy::cast_precision_loss)]
pub fn draw(frame: &mut Frame, area: Rect, model: &Model) {
    let block = Block::bordered().title(fit::title(
        vec![
            (fit::KEEP, Span::raw(" Timeline ")),
            (fit::DETAIL, Span::raw("per second: ")),
            (fit::CONTEXT, Span::raw("calls · availability (200s) · p99 ")),
            (fit::KEEP, Span::raw("(v: next view) ")),
        ],
        area.width,
    ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // Braille gives two points per cell: show the seconds that fit.
    let wanted = usize::from(inner.width.saturating_sub(7)) * 2;
    let seconds: Vec<_> =
        model.timeline.seconds().rev().take(wanted.max(10)).collect::<Vec<_>>().into_iter().rev().collect();
    let Some(first) = seconds.first().map(|s| s.at as f64) else {
        frame.render_widget(
            Paragraph::new(crate::keys::fill("no full second yet: send requests ({key:load}: a steady load)")).fg(DIM),
            inner,
        );
        return;
    };
    let last = seconds.last().map_or(first, |s| s.at as f64).max(first + 10.0);
    let calls: Vec<(f64, f64)> = seconds.iter().map(|s| (s.at as f64, s.ended as f64)).collect();
    let availability: Vec<(f64, f64)> =
        seconds.iter().filter_map(|s| Some((s.at as f64, s.availability()? * 100.0))).collect();
    let p99: Vec<(f64, f64)> = seconds.iter().filter_map(|s| Some((s.at as f64, s.p99?))).collect();
    let marks: Vec<f64> = model
        .session_log
        .marks
        .iter()
        .map(|mark| model.timeline.second_of(mark.at) as f64)
        .filter(|x| (first..=last).contains(x))
        .collect();
    let max_calls = calls.iter().map(|(_, n)| *n).fold(1.0, f64::max) * 1.1;
    let timeout = model.timeout_ms() as f64;
    let max_p99 = p99.iter().map(|(_, ms)| *ms).fold(timeout * 1.2, f64::max);
    let rows = Layout::vertical([Constraint::Ratio(1, 3); 3]).split(inner);
    let charts = [
        ("calls/s", calls, max_calls, OK, format!("{max_calls:.0}")),
        ("% 200", availability, 100.0, PENDING, "100".to_owned()),
        ("p99 ms", p99, max_p99, ERROR, format!("{max_p99:.0}")),
    ];
    let bottom = rows.len() - 1;
    for (index, (row, (name, points, top, color, top_label))) in rows.iter().zip(charts).enumerate() {
        let mark_lines: Vec<Vec<(f64, f64)>> = marks.iter().map(|x| vec![(*x, 0.0), (*x, top)]).collect();
        let mut datasets: Vec<Dataset> = mark_lines
            .iter()
            .map(|line| Dataset::default().graph_type(GraphType::Line).marker(Dot::Braille).fg(MARK).data(line))
            .collect();
        datasets.push(Dataset::default().graph_type(GraphType::Line).marker(Dot::Braille).fg(color).data(&points));
        // Seconds since the start are labelled once, under the last chart.
        let x_labels = if index == bottom { vec![format!("{first:.0} s"), format!("{last:.0} s")] } else { Vec::new() };
        let chart = Chart::new(datasets)
            .block(Block::new().title(format!(" {name} ")).title_style(ratatui::style::Style::new().fg(color)))
            .x_axis(Axis::default().bounds([first, last]).labels(x_labels).fg(DIM))
            .y_axis(Axis::default().bounds([0.0, top]).labels(["0".to_owned(), top_label]).fg(DIM));
        frame.render_widget(chart, *row);
    }
}
