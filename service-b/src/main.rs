//! `service-b`: see the library for what it does; this only hands over the arguments.

fn main() -> std::process::ExitCode {
    service_b::run_cli(std::env::args_os())
}
