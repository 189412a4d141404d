//! The layout rule for a line wider than its room: it gives up what matters
//! least first, whole parts at a time, so nothing is cut mid-word and an
//! instruction ("f thaws", "start B with --admin-addr ...") is never dropped.
//!
//! Each part of a line has a rank: [`KEEP`] is never dropped; of the others,
//! the highest rank goes first, and of equal ranks the rightmost.

use ratatui::text::{Line, Span};

/// What the line is for: an instruction, a state, a key. Never dropped.
pub const KEEP: u8 = 0;
/// Useful context: dropped only after everything of a higher rank.
pub const CONTEXT: u8 = 1;
/// Detail (addresses, counters, units): goes first.
pub const DETAIL: u8 = 2;
/// Decoration and what is said elsewhere too.
pub const EXTRA: u8 = 3;

/// The parts of `parts` that fit in `width` cells, in their order.
pub fn fit(parts: Vec<(u8, Span<'static>)>, width: usize) -> Line<'static> {
    let mut parts = parts;
    let mut used: usize = parts.iter().map(|(_, span)| span.width()).sum();
    while used > width {
        let Some(drop) = parts
            .iter()
            .enumerate()
            .filter(|(_, (rank, _))| *rank > KEEP)
            .max_by_key(|(index, (rank, _))| (*rank, *index))
            .map(|(index, _)| index)
        else {
            break;
        };
        used -= parts.remove(drop).1.width();
    }
    Line::from(parts.into_iter().map(|(_, span)| span).collect::<Vec<_>>())
}

/// A block title: [`fit`] in the width a border leaves (two corners, and a
/// cell of border kept visible on the right).
pub fn title(parts: Vec<(u8, Span<'static>)>, area_width: u16) -> Line<'static> {
    fit(parts, usize::from(area_width).saturating_sub(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &Line<'_>) -> String {
        line.spans.iter().map(|span| span.content.as_ref()).collect()
    }

    fn parts() -> Vec<(u8, Span<'static>)> {
        vec![
            (KEEP, Span::raw("A frozen")),
            (DETAIL, Span::raw(" pid 12")),
            (CONTEXT, Span::raw(" · B cannot reach A")),
            (KEEP, Span::raw(" · f thaws")),
            (DETAIL, Span::raw(" · 3 conns")),
        ]
    }

    #[test]
    fn a_line_that_fits_is_kept_whole() {
        assert_eq!(text(&fit(parts(), 80)), "A frozen pid 12 · B cannot reach A · f thaws · 3 conns");
    }

    #[test]
    fn the_detail_goes_first_rightmost_first_then_the_context_never_what_is_kept() {
        assert_eq!(text(&fit(parts(), 50)), "A frozen pid 12 · B cannot reach A · f thaws");
        assert_eq!(text(&fit(parts(), 40)), "A frozen · B cannot reach A · f thaws");
        assert_eq!(text(&fit(parts(), 20)), "A frozen · f thaws");
        // Too narrow even for what is kept: kept whole, the terminal clips it.
        assert_eq!(text(&fit(parts(), 5)), "A frozen · f thaws");
    }
}
