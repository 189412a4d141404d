//! `tui`: the dashboard, or (as its own child process) service A or B.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os();
    let program = args.next().unwrap_or_default();
    // The dashboard starts the services as children of this same binary, so a
    // fresh `cargo run -p tui` needs no other build step.
    match std::env::args_os().nth(1).and_then(|arg| arg.into_string().ok()).as_deref() {
        Some(tui::supervisor::SERVE_A) => service_a::run_cli(std::iter::once(program).chain(args.skip(1))),
        Some(tui::supervisor::SERVE_B) => service_b::run_cli(std::iter::once(program).chain(args.skip(1))),
        _ => tui::dashboard::main(),
    }
}
