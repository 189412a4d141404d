//! Cutting the bytes read from a log file into lines, each byte looked at once
//! and every line bounded.

use crate::text::MAX_LINE_BYTES;

/// Cuts a stream of bytes into lines, looking at each byte once. The
/// unfinished last line is kept (at most [`MAX_LINE_BYTES`]); a longer one goes
/// out clipped and the rest of it, up to its newline, is dropped.
#[derive(Debug, Default)]
pub(super) struct LineSplitter {
    /// Bytes after the last newline, waiting for the rest of their line.
    partial: Vec<u8>,
    /// Inside a line that was already sent clipped (or that the backlog starts
    /// in): drop bytes up to the next newline.
    skipping: bool,
}

impl LineSplitter {
    pub(super) fn push(&mut self, mut data: &[u8], lines: &mut Vec<String>) {
        while let Some(newline) = data.iter().position(|b| *b == b'\n') {
            let (line, rest) = (&data[..newline], &data[newline + 1..]);
            if self.skipping {
                self.skipping = false;
            } else if self.partial.is_empty() {
                lines.push(line_text(line));
            } else {
                let room = MAX_LINE_BYTES.saturating_sub(self.partial.len());
                self.partial.extend_from_slice(&line[..line.len().min(room)]);
                lines.push(line_text(&self.partial));
                self.partial.clear();
            }
            data = rest;
        }
        if self.skipping || data.is_empty() {
            return;
        }
        let room = MAX_LINE_BYTES - self.partial.len();
        if data.len() <= room {
            self.partial.extend_from_slice(data);
        } else {
            // A runaway line without newline: show its start rather than grow.
            self.partial.extend_from_slice(&data[..room]);
            lines.push(line_text(&self.partial));
            self.partial.clear();
            self.skipping = true;
        }
    }

    /// Sends the unfinished line as it is (its file is left behind).
    pub(super) fn flush(&mut self, lines: &mut Vec<String>) {
        if !self.partial.is_empty() {
            lines.push(line_text(&self.partial));
        }
        self.clear();
    }

    pub(super) fn clear(&mut self) {
        self.partial.clear();
        self.skipping = false;
    }

    pub(super) fn skip_to_newline(&mut self) {
        self.clear();
        self.skipping = true;
    }
}

/// A line's text: lossy UTF-8, clipped to [`MAX_LINE_BYTES`], without its `\r`.
fn line_text(line: &[u8]) -> String {
    let line = &line[..line.len().min(MAX_LINE_BYTES)];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    String::from_utf8_lossy(line).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]]) -> Vec<String> {
        let mut splitter = LineSplitter::default();
        let mut lines = Vec::new();
        for chunk in chunks {
            splitter.push(chunk, &mut lines);
        }
        lines
    }

    #[test]
    fn lines_split_across_reads_are_joined() {
        assert_eq!(split(&[b"a\nb", b"c", b"\r\nd\n", b"e"]), ["a", "bc", "d"]);
    }

    #[test]
    fn a_runaway_line_goes_out_clipped_once_and_its_rest_is_dropped() {
        let long = vec![b'x'; MAX_LINE_BYTES * 3];
        let lines = split(&[b"ok\n", &long, &long, b"xx\nnext\n"]);
        assert_eq!(lines.len(), 3);
        assert_eq!((lines[0].as_str(), lines[1].len(), lines[2].as_str()), ("ok", MAX_LINE_BYTES, "next"));
        // A long line that ends within one read is clipped the same way.
        let mut whole = long.clone();
        whole.push(b'\n');
        assert_eq!(split(&[&whole])[0].len(), MAX_LINE_BYTES);
    }
}
