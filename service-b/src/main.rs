//! `service-b`: see the library for what it does; this only hands over the arguments.

// mimalloc instead of glibc's malloc: measured under wrk on 2 cores, glibc's
// allocator took about 8 % of B's time per call (its free lists, consolidating);
// with mimalloc B served 19 % more calls and A 5 % more (README, benchmarks).
// Linux only: elsewhere the system allocator is kept (no C toolchain needed).
#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: service_kit::alloc::MiMalloc = service_kit::alloc::MiMalloc;

fn main() -> std::process::ExitCode {
    service_b::run_cli(std::env::args_os())
}
