//! `tui`: the composition root. Without a subcommand it runs the dashboard;
//! `tui serve-a` / `tui serve-b` run service A or B (the dashboard starts its
//! children this way, so a fresh `cargo run -p tui` needs no other build
//! step), and `tui guard` is the small process that keeps those children from
//! outliving the dashboard. This file is the only one that knows the services.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use contract::Service;
use tui::cli::DashboardArgs;
use tui::platform::process::GUARD_SUBCOMMAND;

#[derive(Debug, Parser)]
#[command(
    name = "tui",
    version,
    about = "Dashboard for services A and B: send requests, watch answers, latencies and logs, break A on purpose.",
    after_help = "Services that do not answer at their URL are started as children of the dashboard \
                  (unless --attach) and stopped when it exits. Press ? in the dashboard for the keys.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    program: Option<Program>,

    #[command(flatten)]
    dashboard: DashboardArgs,
}

/// What the binary runs instead of the dashboard (hidden: the dashboard's own use).
#[derive(Debug, Subcommand)]
enum Program {
    /// Run service A (as `service-a` does).
    #[command(name = Service::A.subcommand(), hide = true)]
    ServeA(service_a::Config),
    /// Run service B (as `service-b` does).
    #[command(name = Service::B.subcommand(), hide = true)]
    ServeB(service_b::Config),
    /// Run the guided lab's experiments without a keyboard: PASS, FAIL or
    /// SKIP per experiment, the report and its JSON; exit 0 when none failed.
    Lab(Box<tui::lab::LabArgs>),
    /// The link between B and A as a program of its own (on B's host, or in
    /// a container), with the same toxiproxy API as the dashboard's.
    Link(tui::io::link::program::LinkArgs),
    /// Wait for the dashboard to go away, then end its children.
    #[command(name = GUARD_SUBCOMMAND, hide = true)]
    Guard,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.program {
        Some(Program::ServeA(config)) => service_a::run_config(config),
        Some(Program::ServeB(config)) => service_b::run_config(config),
        Some(Program::Guard) => tui::platform::process::run_guard(),
        Some(Program::Lab(args)) => tui::lab::main(*args),
        Some(Program::Link(args)) => tui::io::link::program::main(args),
        None => tui::runtime::main(cli.dashboard),
    }
}
