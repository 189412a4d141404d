//! The keys, in one table ([`KEYS`]): the key map, the help overlay, the
//! footer and every "press X" text (the guide, the report, the hints) read
//! it, so a key is named once. Key → action is a pure function of the key and
//! the input mode.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::faults;
use crate::model::TIMEOUT_STEP_MS;
use crate::msg::{Action, InputMode};

/// One key of the normal mode.
#[derive(Debug, Clone)]
pub struct Key {
    /// How texts name it: `{key:link}` becomes `n`.
    pub id: &'static str,
    /// The key as the screen writes it.
    pub label: &'static str,
    pub codes: &'static [KeyCode],
    pub action: Action,
    /// Its row in the help overlay (`{timeout_step}` is filled in); `None`:
    /// the row of the key before covers it (`a / b`).
    pub help: Option<(&'static str, &'static str)>,
    /// Its word in the footer, if it has one there.
    pub footer: Option<&'static str>,
    /// The narrowest footer it is in: [`Footer::Short`] (80 columns),
    /// [`Footer::Medium`] (100 and more), [`Footer::Long`].
    pub tier: Footer,
}

/// The footer's three widths, narrowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Footer {
    /// `⏎ send a/b f freeze …`: what 80 columns hold beside the message.
    Short,
    /// The short keys and the ones a newcomer needs next (`e edit`, `g guide`).
    Medium,
    /// Every key with its word.
    Long,
}

const fn key(
    id: &'static str,
    label: &'static str,
    codes: &'static [KeyCode],
    action: Action,
    help: Option<(&'static str, &'static str)>,
    footer: Option<&'static str>,
    tier: Footer,
) -> Key {
    Key { id, label, codes, action, help, footer, tier }
}

/// Every key of the normal mode, in the help overlay's order.
pub const KEYS: &[Key] = &[
    key(
        "send",
        "Enter",
        &[KeyCode::Enter],
        Action::Send,
        Some(("Enter", "send /call-echo with the current message")),
        Some("send"),
        Footer::Short,
    ),
    key(
        "edit",
        "e",
        &[KeyCode::Char('e')],
        Action::StartEditing,
        Some(("e", "edit the message (Enter keeps it, Esc cancels)")),
        Some("edit"),
        Footer::Medium,
    ),
    key(
        "slow",
        "s",
        &[KeyCode::Char('s')],
        Action::SendSlow,
        Some(("s", "send a slow request (delay_ms beyond B's timeout)")),
        Some("slow"),
        Footer::Long,
    ),
    key(
        "load",
        "l",
        &[KeyCode::Char('l')],
        Action::ToggleLoad,
        Some(("l", "start or stop a steady load (--load-rate requests/s)")),
        Some("load"),
        Footer::Long,
    ),
    key(
        "burst",
        "L",
        &[KeyCode::Char('L')],
        Action::StartBurst,
        Some(("L", "a burst of N requests at concurrency C (Esc cancels)")),
        Some("burst"),
        Footer::Long,
    ),
    key(
        "a",
        "a",
        &[KeyCode::Char('a')],
        Action::ToggleA,
        Some(("a / b", "stop or start service A / B (gracefully: drained)")),
        Some("stop/start"),
        Footer::Short,
    ),
    key("b", "b", &[KeyCode::Char('b')], Action::ToggleB, None, None, Footer::Long),
    key(
        "crash",
        "A",
        &[KeyCode::Char('A')],
        Action::Fault("crash-a"),
        Some(("A", "crash service A (SIGKILL: what it had in flight is lost)")),
        Some("crash"),
        Footer::Long,
    ),
    key(
        "freeze",
        "f",
        &[KeyCode::Char('f')],
        Action::ToggleFreeze,
        Some(("f", "freeze or thaw service A (SIGSTOP: up, but not answering)")),
        Some("freeze"),
        Footer::Short,
    ),
    key(
        "link",
        "n",
        &[KeyCode::Char('n')],
        Action::CycleLink,
        Some(("n", "the link B→A: ok → delay → partition → reset → flaky → … → ok")),
        Some("link"),
        Footer::Short,
    ),
    key(
        "faults",
        "x",
        &[KeyCode::Char('x')],
        Action::OpenFaults,
        Some(("x", "every fault, by its key: the link's, A's own, crash")),
        Some("faults"),
        Footer::Short,
    ),
    key(
        "reset",
        "0",
        &[KeyCode::Char('0')],
        Action::ResetAll,
        Some(("0", "undo every fault: link ok, A's faults off, A thawed, B's policy the lab's")),
        Some("undo"),
        Footer::Short,
    ),
    key(
        "timeout-up",
        "+",
        &[KeyCode::Char('+'), KeyCode::Char('=')],
        Action::TimeoutUp,
        Some(("+ / -", "B's timeout up / down by {timeout_step} ms (live)")),
        Some("timeout"),
        Footer::Long,
    ),
    key("timeout-down", "-", &[KeyCode::Char('-')], Action::TimeoutDown, None, None, Footer::Long),
    key(
        "retries",
        "R",
        &[KeyCode::Char('R')],
        Action::CycleRetries,
        Some(("R", "B's retries: 0 → 1 → 2 → 3 → 0 (live)")),
        Some("retries"),
        Footer::Long,
    ),
    key(
        "breaker",
        "c",
        &[KeyCode::Char('c')],
        Action::ToggleBreaker,
        Some(("c", "B's circuit breaker on / off (live)")),
        Some("breaker"),
        Footer::Long,
    ),
    key(
        "deadline",
        "d",
        &[KeyCode::Char('d')],
        Action::ToggleDeadline,
        Some(("d", "B's deadline propagation to A on / off (live)")),
        Some("deadline"),
        Footer::Long,
    ),
    key(
        "view",
        "v",
        &[KeyCode::Char('v')],
        Action::NextView,
        Some(("v", "the view: latency chart (wide screens) → timeline → trace of the selected request")),
        Some("view"),
        Footer::Long,
    ),
    key(
        "guide",
        "g",
        &[KeyCode::Char('g')],
        Action::ToggleGuide,
        Some(("g", "the guided lab: the experiments in order, ticked as you do them")),
        Some("guide"),
        Footer::Medium,
    ),
    key(
        "up",
        "Up",
        &[KeyCode::Up, KeyCode::Char('k')],
        Action::SelectUp,
        Some(("Up/Down, j/k", "select a request (End: newest)")),
        None,
        Footer::Long,
    ),
    key("down", "Down", &[KeyCode::Down, KeyCode::Char('j')], Action::SelectDown, None, None, Footer::Long),
    key("newest", "End", &[KeyCode::End, KeyCode::Char('G')], Action::SelectNewest, None, None, Footer::Long),
    key(
        "filter",
        "t",
        &[KeyCode::Char('t')],
        Action::ToggleFilter,
        Some(("t", "show only the selected request's log lines (again: all)")),
        Some("filter"),
        Footer::Long,
    ),
    key(
        "pause",
        "p",
        &[KeyCode::Char('p')],
        Action::TogglePause,
        Some(("p", "pause or resume following the logs")),
        None,
        Footer::Long,
    ),
    key(
        "page-up",
        "PgUp",
        &[KeyCode::PageUp],
        Action::ScrollLogsUp,
        Some(("PgUp/PgDn", "scroll the logs (pauses them)")),
        None,
        Footer::Long,
    ),
    key("page-down", "PgDn", &[KeyCode::PageDown], Action::ScrollLogsDown, None, None, Footer::Long),
    key(
        "report",
        "r",
        &[KeyCode::Char('r')],
        Action::WriteReport,
        Some(("r", "write the Markdown report into the log directory")),
        Some("report"),
        Footer::Long,
    ),
    key("cancel", "Esc", &[KeyCode::Esc], Action::Cancel, None, None, Footer::Long),
    key("help", "?", &[KeyCode::Char('?')], Action::ToggleHelp, Some(("?", "this help")), Some("help"), Footer::Short),
    key(
        "quit",
        "q",
        &[KeyCode::Char('q')],
        Action::Quit,
        Some(("q, Ctrl-C", "quit (stops the services the dashboard started)")),
        Some("quit"),
        Footer::Short,
    ),
];

/// The key with this id.
pub fn by_id(id: &str) -> Option<&'static Key> {
    KEYS.iter().find(|key| key.id == id)
}

/// The label of the key with this id (`?` if there is none: a test checks every text).
pub fn label(id: &str) -> &'static str {
    by_id(id).map_or("?", |key| key.label)
}

/// `text` with each `{key:ID}` replaced by that key's label, `{fault:ID}` by
/// the keys that cause that fault (`x 5`), and `{timeout_step}` by B's step.
pub fn fill(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else { break };
        let name = &rest[start + 1..start + end];
        match name.split_once(':') {
            Some(("key", id)) => out.push_str(label(id)),
            Some(("fault", id)) => out.push_str(&fault_keys(id)),
            _ if name == "timeout_step" => out.push_str(&TIMEOUT_STEP_MS.to_string()),
            _ => out.push_str(&rest[start..=start + end]),
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

/// The keys that cause a fault: its own key where it has one, else `x` and its menu key.
pub fn fault_keys(id: &str) -> String {
    if let Some(own) = KEYS.iter().find(|key| matches!(key.action, Action::Fault(own) if own == id)) {
        return own.label.to_owned();
    }
    match faults::by_id(id) {
        Some(fault) => format!("{} {}", label("faults"), fault.key),
        None => "?".into(),
    }
}

/// The footer's keys of `tier`: `Enter send · e edit · …` (long), or the
/// short form (`⏎ send a/b f freeze …`; `?` lists the rest).
pub fn footer(tier: Footer) -> String {
    let short = tier != Footer::Long;
    KEYS.iter()
        .enumerate()
        .filter(|(_, key)| key.footer.is_some() && key.tier <= tier)
        .map(|(at, key)| {
            // A key whose help row also covers the next (`a / b`) shows both: `a/b`.
            let covers_next = KEYS.get(at + 1).is_some_and(|next| next.help.is_none());
            let shown = match key.help {
                Some((row, _)) if covers_next => row.replace(" / ", "/"),
                _ => key.label.to_owned(),
            };
            let shown = if short && key.id == "send" { "⏎".to_owned() } else { shown };
            match key.footer {
                // Too long for 80 columns: `a/b` says enough there (`?` says the rest).
                Some(_) if short && covers_next => shown,
                word => format!("{shown} {}", word.unwrap_or_default()),
            }
        })
        .collect::<Vec<_>>()
        .join(if short { " " } else { " · " })
}

/// The action for `key` in `mode`, if any. Only presses count (not releases or
/// repeats reported by some terminals), and Ctrl-C quits in every mode.
pub fn action_for(key: KeyEvent, mode: &InputMode) -> Option<Action> {
    if key.kind != KeyEventKind::Press {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return match key.code {
            KeyCode::Char('c') => Some(Action::Quit),
            KeyCode::Char('u') if matches!(mode, InputMode::Editing(_)) => Some(Action::EditClear),
            _ => None,
        };
    }
    match mode {
        InputMode::Editing(_) => match key.code {
            KeyCode::Enter => Some(Action::EditConfirm),
            KeyCode::Esc => Some(Action::EditCancel),
            KeyCode::Backspace => Some(Action::EditBackspace),
            KeyCode::Char(c) => Some(Action::EditChar(c)),
            _ => None,
        },
        InputMode::Help => Some(Action::ToggleHelp),
        InputMode::Faults => match key.code {
            KeyCode::Char('0') => Some(Action::ResetAll),
            KeyCode::Char(c) => match faults::by_key(c) {
                Some(fault) => Some(Action::Fault(fault.id)),
                None => Some(Action::CloseFaults),
            },
            _ => Some(Action::CloseFaults),
        },
        InputMode::Normal => {
            KEYS.iter().find(|entry| entry.codes.contains(&key.code)).map(|entry| entry.action.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn normal_mode_maps_the_spec_keys() {
        let normal = InputMode::Normal;
        for (code, action) in [
            (KeyCode::Enter, Action::Send),
            (KeyCode::Char('e'), Action::StartEditing),
            (KeyCode::Char('s'), Action::SendSlow),
            (KeyCode::Char('l'), Action::ToggleLoad),
            (KeyCode::Char('L'), Action::StartBurst),
            (KeyCode::Char('n'), Action::CycleLink),
            (KeyCode::Char('v'), Action::NextView),
            (KeyCode::Char('g'), Action::ToggleGuide),
            (KeyCode::Char('+'), Action::TimeoutUp),
            (KeyCode::Char('-'), Action::TimeoutDown),
            (KeyCode::Char('R'), Action::CycleRetries),
            (KeyCode::Char('c'), Action::ToggleBreaker),
            (KeyCode::Char('d'), Action::ToggleDeadline),
            (KeyCode::Char('a'), Action::ToggleA),
            (KeyCode::Char('b'), Action::ToggleB),
            (KeyCode::Char('f'), Action::ToggleFreeze),
            (KeyCode::Up, Action::SelectUp),
            (KeyCode::Char('k'), Action::SelectUp),
            (KeyCode::Down, Action::SelectDown),
            (KeyCode::Char('j'), Action::SelectDown),
            (KeyCode::Char('t'), Action::ToggleFilter),
            (KeyCode::Char('p'), Action::TogglePause),
            (KeyCode::Char('r'), Action::WriteReport),
            (KeyCode::Char('?'), Action::ToggleHelp),
            (KeyCode::Char('q'), Action::Quit),
            (KeyCode::Esc, Action::Cancel),
        ] {
            assert_eq!(action_for(press(code), &normal), Some(action), "{code:?}");
        }
        assert_eq!(action_for(press(KeyCode::Char('z')), &normal), None);
    }

    #[test]
    fn editing_mode_types_letters_that_are_keys_elsewhere() {
        let editing = InputMode::Editing(String::new());
        assert_eq!(action_for(press(KeyCode::Char('q')), &editing), Some(Action::EditChar('q')));
        assert_eq!(action_for(press(KeyCode::Enter), &editing), Some(Action::EditConfirm));
        assert_eq!(action_for(press(KeyCode::Esc), &editing), Some(Action::EditCancel));
        assert_eq!(action_for(press(KeyCode::Backspace), &editing), Some(Action::EditBackspace));
    }

    #[test]
    fn ctrl_c_quits_everywhere_and_releases_are_ignored() {
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        for mode in [InputMode::Normal, InputMode::Help, InputMode::Editing("x".into())] {
            assert_eq!(action_for(ctrl_c, &mode), Some(Action::Quit));
        }
        let mut release = press(KeyCode::Char('q'));
        release.kind = KeyEventKind::Release;
        assert_eq!(action_for(release, &InputMode::Normal), None);
    }

    #[test]
    fn any_key_closes_the_help() {
        assert_eq!(action_for(press(KeyCode::Char('x')), &InputMode::Help), Some(Action::ToggleHelp));
    }

    #[test]
    fn the_footer_fits_and_names_the_keys_as_the_table_does() {
        let short = footer(Footer::Short);
        assert_eq!(short, "⏎ send a/b f freeze n link x faults 0 undo ? help q quit");
        // Beside " message: " and at least 8 characters of it, on 80 columns.
        assert!(short.chars().count() + 1 + 10 + 8 <= 80, "{short}");
        let medium = footer(Footer::Medium);
        assert_eq!(medium, "⏎ send e edit a/b f freeze n link x faults 0 undo g guide ? help q quit");
        assert!(medium.chars().count() + 1 + 10 + 8 <= 100, "{medium}");
        let long = footer(Footer::Long);
        assert!(long.contains("A crash") && long.contains("+/- timeout") && long.contains("g guide"), "{long}");
    }

    #[test]
    fn texts_name_keys_and_faults_through_the_table() {
        assert_eq!(fill("press {key:link} twice, then {key:send}"), "press n twice, then Enter");
        assert_eq!(fill("{fault:answers-lost}, then {fault:crash-a}"), "x 5, then A");
        assert_eq!(fill("by {timeout_step} ms"), "by 250 ms");
        assert_eq!(fill("{key:nope} {unknown}"), "? {unknown}");
    }

    #[test]
    fn every_key_is_in_the_table_once_and_the_faults_menu_takes_fault_keys() {
        for (i, key) in KEYS.iter().enumerate() {
            for other in &KEYS[..i] {
                assert_ne!(key.id, other.id);
                assert!(
                    key.codes.iter().all(|code| !other.codes.contains(code)),
                    "{} and {} share a key",
                    key.id,
                    other.id
                );
            }
        }
        let menu = InputMode::Faults;
        assert_eq!(action_for(press(KeyCode::Char('5')), &menu), Some(Action::Fault("answers-lost")));
        assert_eq!(action_for(press(KeyCode::Char('0')), &menu), Some(Action::ResetAll));
        assert_eq!(action_for(press(KeyCode::Char('z')), &menu), Some(Action::CloseFaults));
        assert_eq!(action_for(press(KeyCode::Char('A')), &InputMode::Normal), Some(Action::Fault("crash-a")));
    }
}
