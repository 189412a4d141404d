//! Key → action, as a pure function of the key and the input mode, and the
//! help table that lists the keys.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::msg::{Action, InputMode};

/// The action for `key` in `mode`, if any. Only presses count (not releases or
/// repeats reported by some terminals), and Ctrl-C quits in every mode.
pub fn action_for(key: KeyEvent, mode: &InputMode) -> Option<Action> {
    if key.kind != KeyEventKind::Press {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return matches!(key.code, KeyCode::Char('c')).then_some(Action::Quit);
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
        InputMode::Normal => match key.code {
            KeyCode::Enter => Some(Action::Send),
            KeyCode::Char('e') => Some(Action::StartEditing),
            KeyCode::Char('s') => Some(Action::SendSlow),
            KeyCode::Char('l') => Some(Action::ToggleLoad),
            KeyCode::Char('L') => Some(Action::StartBurst),
            KeyCode::Char('n') => Some(Action::CycleLink),
            KeyCode::Char('v') => Some(Action::NextView),
            KeyCode::Char('g') => Some(Action::ToggleGuide),
            KeyCode::Char('+' | '=') => Some(Action::TimeoutUp),
            KeyCode::Char('-') => Some(Action::TimeoutDown),
            KeyCode::Char('R') => Some(Action::CycleRetries),
            KeyCode::Char('c') => Some(Action::ToggleBreaker),
            KeyCode::Char('d') => Some(Action::ToggleDeadline),
            KeyCode::Esc => Some(Action::Cancel),
            KeyCode::Char('a') => Some(Action::ToggleA),
            KeyCode::Char('b') => Some(Action::ToggleB),
            KeyCode::Char('f') => Some(Action::ToggleFreeze),
            KeyCode::Up | KeyCode::Char('k') => Some(Action::SelectUp),
            KeyCode::Down | KeyCode::Char('j') => Some(Action::SelectDown),
            KeyCode::End | KeyCode::Char('G') => Some(Action::SelectNewest),
            KeyCode::Char('t') => Some(Action::ToggleFilter),
            KeyCode::Char('p') => Some(Action::TogglePause),
            KeyCode::PageUp => Some(Action::ScrollLogsUp),
            KeyCode::PageDown => Some(Action::ScrollLogsDown),
            KeyCode::Char('r') => Some(Action::WriteReport),
            KeyCode::Char('?') => Some(Action::ToggleHelp),
            KeyCode::Char('q') => Some(Action::Quit),
            _ => None,
        },
    }
}

/// The keys, for the help overlay and the README: (keys, what they do).
pub const HELP: &[(&str, &str)] = &[
    ("Enter", "send /call-echo with the current message"),
    ("e", "edit the message (Enter keeps it, Esc cancels)"),
    ("s", "send a slow request (delay_ms beyond B's timeout)"),
    ("l", "start or stop a steady load (--load-rate requests/s)"),
    ("L", "a burst of N requests at concurrency C (Esc cancels)"),
    ("a / b", "stop or start service A / B (if the dashboard started it)"),
    ("f", "freeze or thaw service A (SIGSTOP: up, but not answering)"),
    ("n", "the link B→A: ok → delay → partition → reset → flaky → ok"),
    ("+ / -", "B's timeout up / down by 250 ms (live)"),
    ("R", "B's retries: 0 → 1 → 2 → 3 → 0 (live)"),
    ("c", "B's circuit breaker on / off (live)"),
    ("d", "B's deadline propagation to A on / off (live)"),
    ("v", "the view: latency chart → timeline → trace of the selected request"),
    ("g", "the guided lab: the experiments in order, ticked as you do them"),
    ("Up/Down, j/k", "select a request (End: newest)"),
    ("t", "show only the selected request's log lines (again: all)"),
    ("p", "pause or resume following the logs"),
    ("PgUp/PgDn", "scroll the logs (pauses them)"),
    ("r", "write the Markdown report into the log directory"),
    ("?", "this help"),
    ("q, Ctrl-C", "quit (stops the services the dashboard started)"),
];

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
}
