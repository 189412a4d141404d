//! Markdown escaping, in one place: whatever the learner typed and whatever a
//! log file holds goes into the report through these functions, so the report
//! is safe to open on a code-hosting site: no raw HTML, no links, no emphasis
//! that was not ours, no table cell or code block closed early.
//!
//! Control characters (newlines included) are made visible and long text is
//! clipped first, by [`crate::text::sanitize`].

use crate::text::sanitize;

/// ASCII punctuation that would make Markdown (or HTML) out of plain text:
/// HTML tags and entities (`<`, `>`, `&`), links and images (`[`, `]`, `!`),
/// emphasis and strike-through (`*`, `_`, `~`), code (`` ` ``), table cells
/// (`|`), headings (`#`), math on some sites (`$`) and escapes themselves.
/// CommonMark lets a backslash escape any ASCII punctuation, inside table cells too.
const SPECIAL: &[char] = &['\\', '`', '*', '_', '~', '[', ']', '<', '>', '|', '&', '$', '#', '!'];

/// `raw` as literal text in a paragraph, a heading or a table cell. A word
/// a code-hosting site would turn into a link or a mention on its own (a
/// bare URL, `www.`, an e-mail address, `@name`) goes into a code span,
/// which no site links.
pub fn text(raw: &str) -> String {
    let clean = sanitize(raw);
    let mut out = String::with_capacity(clean.len() + clean.len() / 8);
    for (index, word) in clean.split(' ').enumerate() {
        if index > 0 {
            out.push(' ');
        }
        if would_link(word) {
            out.push_str(&cell_code(word));
            continue;
        }
        for c in word.chars() {
            if SPECIAL.contains(&c) {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

/// Whether GitHub-flavoured Markdown would make a link or a mention of
/// `word` by itself: `http://…`, `www.…`, `a@b.c`, `@name`.
fn would_link(word: &str) -> bool {
    word.contains("://") || word.to_ascii_lowercase().contains("www.") || word.contains('@')
}

/// `raw` as an inline code span (outside tables: see [`cell_code`]).
pub fn code(raw: &str) -> String {
    let clean = sanitize(raw);
    // The span's backtick string must be longer than any run of backticks in it;
    // a space keeps a backtick at either end from joining the delimiters.
    let fence = "`".repeat(longest_backtick_run(&clean) + 1);
    let pad = if clean.starts_with('`') || clean.ends_with('`') || clean.is_empty() { " " } else { "" };
    format!("{fence}{pad}{clean}{pad}{fence}")
}

/// `raw` as an inline code span inside a table cell: a `|` would end the cell,
/// even inside code, unless it is escaped (GitHub-flavoured tables).
pub fn cell_code(raw: &str) -> String {
    code(raw).replace('|', "\\|")
}

/// `lines` as a fenced code block with `info` (`text`): its fence is longer
/// than any run of backticks in the lines, so no line can close it.
pub fn code_block<'a>(info: &str, lines: impl IntoIterator<Item = &'a str>) -> String {
    let clean: Vec<String> = lines.into_iter().map(sanitize).collect();
    let longest = clean.iter().map(|line| longest_backtick_run(line)).max().unwrap_or(0);
    let fence = "`".repeat((longest + 1).max(3));
    let mut out = format!("{fence}{info}\n");
    for line in &clean {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&fence);
    out.push('\n');
    out
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_has_no_html_no_links_and_stays_in_its_cell() {
        assert_eq!(text("<img src=x onerror=alert(1)>"), "\\<img src=x onerror=alert(1)\\>");
        assert_eq!(text("[x](javascript:alert(1))"), "\\[x\\](javascript:alert(1))");
        assert_eq!(text("a|b\nc"), "a\\|b\u{fffd}c");
        assert_eq!(text("hello (delay 20 ms)"), "hello (delay 20 ms)");
    }

    #[test]
    fn text_cannot_become_a_link_or_a_mention() {
        assert_eq!(text("see https://evil.example/x now"), "see `https://evil.example/x` now");
        assert_eq!(text("www.evil.example"), "`www.evil.example`");
        assert_eq!(text("hi @octocat and a@b.example"), "hi `@octocat` and `a@b.example`");
        assert_eq!(text("a|b@c"), "`a\\|b@c`", "still in its cell");
        assert_eq!(text("x\u{202e}y"), "x\u{fffd}y", "the one sanitiser");
    }

    #[test]
    fn code_cannot_be_closed_early() {
        assert_eq!(code("id-1"), "`id-1`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(cell_code("a|b"), "`a\\|b`");
        let block = code_block("text", ["one", "```", "two ````"]);
        assert!(block.starts_with("`````text\n") && block.ends_with("\n`````\n"), "{block}");
        assert_eq!(code_block("text", ["plain"]), "```text\nplain\n```\n");
    }
}
