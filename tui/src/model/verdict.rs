//! What `tui lab` concluded of one experiment: the verdict, the evidence in
//! words, and the requests that showed it (plain data, for the report and
//! its JSON).

/// Passed, failed, skipped (what the implementation does not support), or
/// not run (the lab was interrupted first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerdictKind {
    Pass,
    Fail,
    Skip,
    NotRun,
}

impl VerdictKind {
    /// `pass`, `fail`, `skip`, `not-run`: the JSON's words.
    pub const fn as_str(self) -> &'static str {
        match self {
            VerdictKind::Pass => "pass",
            VerdictKind::Fail => "fail",
            VerdictKind::Skip => "skip",
            VerdictKind::NotRun => "not-run",
        }
    }
}

/// One experiment's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The experiment's name (`a-frozen`), as `--only` takes it.
    pub name: &'static str,
    /// Its title in the guide (`A frozen`).
    pub title: &'static str,
    pub kind: VerdictKind,
    /// What it showed; what was expected and what came; or why it was skipped.
    pub detail: String,
    /// The requests the experiment sent, in order.
    pub request_ids: Vec<String>,
}

impl Verdict {
    /// `PASS works: …`, `FAIL a-frozen: …`, `SKIP dedup: …`: the line `tui lab` prints.
    pub fn line(&self) -> String {
        let word = self.kind.as_str().to_uppercase();
        let ids = match self.request_ids.as_slice() {
            [] => String::new(),
            [one] => format!(" (request {one})"),
            [first, .., last] => format!(" (requests {first} to {last})"),
        };
        format!("{word} {}: {}{ids}", self.name, self.detail)
    }
}
