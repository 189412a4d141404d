#!/usr/bin/env bash
# Counts the user-space instructions a service spends per request, with
# valgrind's callgrind, under wrk: deterministic where requests per second
# swing by 5-10 % on a shared machine, so a change to the hot path can be
# judged by itself. Every thread of the process is counted (the log writers
# too); start-up and shutdown are measured alone and taken off.
#
# Usage: scripts/count-instructions.sh a|b [SECONDS]   (default 4)
#   a: service A's /echo;  b: service B's /call-echo (A runs natively beside it)
# BENCH_BIN_DIR=dir counts the binaries in dir instead of building target/release.
# Needs valgrind and wrk (apt).
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-a}; d=${2:-4}
command -v valgrind >/dev/null || { echo "valgrind is missing (apt-get install valgrind)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
bin=${BENCH_BIN_DIR:-}
if [ -z "$bin" ]; then cargo build --release -q -p service-a -p service-b; bin=./target/release; fi
port=${COUNT_PORT:-18590}; port_a=$((port + 1))
work=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
case $which in
  a) cmd=("$bin/service-a" --addr "127.0.0.1:$port"); path='/echo?msg=hello' ;;
  b) "$bin/service-a" --addr "127.0.0.1:$port_a" --log-dir "$work/a-logs" >/dev/null & pids+=($!)
     cmd=("$bin/service-b" --addr "127.0.0.1:$port" --service-a-url "http://127.0.0.1:$port_a"); path='/call-echo?msg=hello' ;;
  *) echo "usage: $0 a|b [SECONDS]" >&2; exit 2 ;;
esac
measure() { # seconds of load (0: none) -> "instructions requests"
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "${cmd[@]}" --log-dir "$work/logs" >/dev/null 2>"$work/vg.err" &
  local p=$! n=0
  for _ in $(seq 300); do curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
  if [ "$1" != 0 ]; then n=$(wrk -t1 -c32 -d"$1"s "http://127.0.0.1:$port$path" | awk '/requests in/{print $1}'); fi
  kill -TERM "$p"; wait "$p" || true
  echo "$(awk '/^summary:/{print $2}' "$work/cg.out") $n"
  rm -rf "$work/logs" "$work"/cg.out*
}
read -r idle _ < <(measure 0)
read -r busy n < <(measure "$d")
awk -v a="$idle" -v b="$busy" -v n="$n" -v w="$which" \
  'BEGIN{printf "service %s: %d requests under callgrind, %.0f instructions per request (start-up and shutdown: %d)\n", w, n, (b-a)/n, a}'
