#!/usr/bin/env bash
# Measures the dashboard: the burst engine against oha on the same endpoint and
# concurrency, the dashboard's CPU when idle and while following 10,000 log
# lines/s, a line after a 64 MB append until it is on screen, the follower
# meeting a 2 GB file, memory while 1,000,000 requests flow through its state, the delay
# from a log line written to the follower delivering it, and the log follower
# alone: throughput (MB/s of log lines, CPU), a line after a 64 MB append, each
# line at 10,000 lines/s, and peak memory while reading a 2 GB sparse file; and
# the session report's time and peak memory with a 2 GB log file without newline;
# the link in `ok` mode (B through the link vs B direct: requests/s and p50 per
# call) and the steady load's achieved rate at 1,000 requests/s.
#
# Usage: scripts/bench-dashboard.sh [REQUESTS] [CONCURRENCY]   (default 20000, 20)
# Installs oha (cargo install) and tmux (apt) if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}; c=${2:-20}
port_a=18380; port_b=18381; port_b_link=18382; port_link=18383
command -v tmux >/dev/null || (apt-get update -qq && apt-get install -y -qq tmux >/dev/null)
command -v oha >/dev/null || cargo install oha --locked -q
cargo build --release -q -p tui -p service-a -p service-b --bins --example bench

work=$(mktemp -d); logs=$work/logs; flood=$work/flood; mkdir -p "$logs" "$flood"
pl=; pbl=
cleanup() { tmux kill-session -t tui-bench 2>/dev/null || true; kill $pa $pb $pl $pbl 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
./target/release/service-a --addr 127.0.0.1:$port_a --log-dir "$logs" >/dev/null & pa=$!
./target/release/service-b --addr 127.0.0.1:$port_b --log-dir "$logs" --service-a-url http://127.0.0.1:$port_a >/dev/null & pb=$!
for port in $port_a $port_b; do
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
done

echo "== burst engine vs oha: $n requests at concurrency $c on B's /call-echo (two rounds each)"
for round in 1 2; do
  ./target/release/examples/bench burst "http://127.0.0.1:$port_b" "$n" "$c"
  oha -n "$n" -c "$c" --no-tui "http://127.0.0.1:$port_b/call-echo?msg=hello" \
    | awk '/Requests\/sec/{print "oha:          " $0} /Success rate/{print "oha:          " $0}'
done

echo "== the link in ok mode: B direct vs a second B calling A through the link (oha, then one request at a time)"
./target/release/examples/bench link-serve 127.0.0.1:$port_link 127.0.0.1:$port_a >/dev/null & pl=$!
./target/release/service-b --addr 127.0.0.1:$port_b_link --log-dir "$work/logs-link" \
  --service-a-url http://127.0.0.1:$port_link >/dev/null & pbl=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port_b_link/call-echo?msg=up" >/dev/null && break; sleep 0.1; done
oha_summary() { # requests/s and p50 of one oha run
  oha "$@" --no-tui | awk '
    /Requests\/sec/ { rps = $2 }
    /50.00% in/ { p50 = $3 * ($4 ~ /^s/ ? 1e6 : $4 == "ms" ? 1e3 : $4 ~ /^(us|µs)$/ ? 1 : $4 == "ns" ? 1e-3 : 0) }
    END { printf "%.0f requests/s, p50 %.0f us", rps, p50 }'
}
for round in 1 2; do
  echo "round $round: direct $(oha_summary -n "$n" -c "$c" "http://127.0.0.1:$port_b/call-echo?msg=hello")" \
       "| through the link $(oha_summary -n "$n" -c "$c" "http://127.0.0.1:$port_b_link/call-echo?msg=hello")"
  echo "round $round, one at a time: direct $(oha_summary -n 2000 -c 1 "http://127.0.0.1:$port_b/call-echo?msg=hello")" \
       "| through the link $(oha_summary -n 2000 -c 1 "http://127.0.0.1:$port_b_link/call-echo?msg=hello")"
done
kill $pl $pbl; pl=; pbl=

echo "== steady load: 1,000 requests/s for 10 s on B (target: within 2 %)"
./target/release/examples/bench load "http://127.0.0.1:$port_b" 1000 10

# CPU of a process over N seconds, in % of one core.
cpu() {
  local t1 t2 hz; hz=$(getconf CLK_TCK)
  t1=$(awk '{print $14+$15}' "/proc/$1/stat"); sleep "$2"; t2=$(awk '{print $14+$15}' "/proc/$1/stat")
  awk -v a="$t1" -v b="$t2" -v hz="$hz" -v s="$2" 'BEGIN{printf "%.2f", (b-a)*100/(hz*s)}'
}
rss() { awk '/VmRSS/{print $2 " KiB"}' "/proc/$1/status"; }
dashboard_pid() { # the tui process itself, not the shell tmux wraps it in
  for _ in $(seq 50); do p=$(pgrep -f "^$PWD/target/release/tui --attach.*$1" | head -1 || true); [ -n "$p" ] && { echo "$p"; return; }; sleep 0.1; done; }

echo "== dashboard CPU and memory (attached to running A and B, health checks every second)"
tmux new-session -d -s tui-bench -x 160 -y 48 -c "$PWD" \
  "$PWD/target/release/tui --attach --a-url http://127.0.0.1:$port_a --b-url http://127.0.0.1:$port_b --log-dir $logs"
pid=$(dashboard_pid "$logs"); sleep 3
echo "idle: $(cpu "$pid" 10)% of a core over 10 s, resident $(rss "$pid")"
tmux kill-session -t tui-bench

echo "== dashboard following 10,000 log lines/s (10 s)"
tmux new-session -d -s tui-bench -x 160 -y 48 -c "$PWD" \
  "$PWD/target/release/tui --attach --a-url http://127.0.0.1:1 --b-url http://127.0.0.1:2 --log-dir $flood"
pid=$(dashboard_pid "$flood"); sleep 2
python3 - "$flood/service-a.log" <<'PY' &
import sys, time
line = "2026-11-24 12:00:00,000 service=A endpoint=/echo status=ok latency_ms=0 request_id=flood-{:06d}\n"
with open(sys.argv[1], "a", buffering=1 << 16) as f:
    start = time.monotonic(); n = 0
    while time.monotonic() - start < 11:
        f.write("".join(line.format(n + i) for i in range(100))); f.flush(); n += 100
        time.sleep(max(0, start + n / 10000 - time.monotonic()))
PY
writer=$!
sleep 0.5
echo "following: $(cpu "$pid" 10)% of a core over 10 s, resident $(rss "$pid")"
wait $writer
echo "lines written: $(wc -l < "$flood/service-a.log")"

echo "== dashboard: a line appended right after a 64 MB append, until it is on screen"
python3 - "$flood/service-a.log" "$pid" <<'PY'
import subprocess, sys, time
path, pid = sys.argv[1], sys.argv[2]
line = "2026-11-24 12:00:00,000 service=A endpoint=/echo status=ok latency_ms=0 request_id=bulk-{:09d}\n"
text = "".join(line.format(i) for i in range(64 * 1024 * 1024 // len(line.format(0))))
def cpu():
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # USER_HZ
c0 = cpu()
with open(path, "a") as f:
    f.write(text); f.flush()
    f.write(line.replace("bulk-{:09d}", "after-the-64-MB")); f.flush()
written = time.monotonic()
while "after-the-64-MB" not in subprocess.run(["tmux", "capture-pane", "-p", "-t", "tui-bench"],
                                              capture_output=True, text=True).stdout:
    if time.monotonic() - written > 120:
        print("not on screen after 120 s"); break
    time.sleep(0.01)
print(f"on screen {(time.monotonic() - written) * 1000:.0f} ms after it was written; "
      f"dashboard CPU {cpu() - c0:.2f} s for the 64 MB")
PY
echo "dashboard resident $(rss "$pid"), peak $(awk '/VmHWM/{print $2 " KiB"}' "/proc/$pid/status")"

echo "== dashboard: the followed file deleted, a 2 GB file (sparse, no newline) the next-newest"
truncate -s 2G "$flood/service-a.2026-01-01.log"; touch -d '1 hour ago' "$flood/service-a.2026-01-01.log"
rm "$flood/service-a.log"; sleep 3
echo "after 3 s: $(cpu "$pid" 5)% of a core over 5 s, resident $(rss "$pid"), peak $(awk '/VmHWM/{print $2 " KiB"}' "/proc/$pid/status")"
tmux kill-session -t tui-bench

echo "== memory of the dashboard's state over 1,000,000 requests (synthetic answers and log lines)"
./target/release/examples/bench memory
echo "== log line to screen"
./target/release/examples/bench line-latency "$work/latency"
echo "== log follower: throughput, a line after a 64 MB append, 10,000 lines/s, a 2 GB sparse file"
echo "   (targets: >= 20 MB/s of log lines; every line <= 250 ms; resident memory flat)"
./target/release/examples/bench follower "$work/follower"
echo "== session report with a 2 GB log file without newline (target: bounded memory)"
./target/release/examples/bench report "$work/report"
