#!/usr/bin/env bash
# Measures GET /logs (the log stream of a service's admin listener) under load:
# service A (release build, file logging on) is loaded with wrk while one reader
# follows the stream as fast as it can and another reads it slowly (about
# 40 KB/s, a dashboard on a slow link). Prints A's requests/s with no reader and
# with both, how many lines each reader got, and how many were dropped for it
# (the stream's own `log_lines_dropped` events and A's
# `log_stream_lines_dropped_total`); the file must have every line.
#
# Usage: scripts/bench-log-stream.sh [SECONDS] [CONNECTIONS]   (default 5 s, 32)
set -euo pipefail
cd "$(dirname "$0")/.."
d=${1:-5}; c=${2:-32}
port=${BENCH_PORT_A:-18180}; admin=$((port + 10))
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk): no measurement." >&2; exit 1; }
cargo build --release -q -p service-a
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

./target/release/service-a --addr "127.0.0.1:$port" --admin-addr "127.0.0.1:$admin" \
  --log-dir "$work/logs" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.05; done

rps() { wrk -t1 -c"$c" -d"${d}s" "http://127.0.0.1:$port/echo?msg=bench" | awk '/Requests\/sec/ {printf "%.0f", $2}'; }
alone=$(rps)

# The slow reader: a Python socket that reads 2 KB every 50 ms (about 40 KB/s).
since=$(($(date +%s%3N)))
python3 - "$admin" "$since" "$work/slow.ndjson" <<'PY' &
import socket, sys, time
admin, since, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(("127.0.0.1", admin))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.sendall(f"GET /logs?follow=1&since={since} HTTP/1.1\r\nhost: 127.0.0.1:{admin}\r\n\r\n".encode())
with open(out, "wb", buffering=0) as f:
    end = time.time() + 600
    while time.time() < end:
        data = s.recv(2048)
        if not data:
            break
        f.write(data)
        time.sleep(0.05)
PY
pids+=($!)
sleep 0.3
slow_only=$(rps)
# The fast reader: curl, as fast as it can.
curl -sN "http://127.0.0.1:$admin/logs?follow=1&since=$(($(date +%s%3N)))" >"$work/fast.ndjson" &
pids+=($!)
sleep 0.3
loaded=$(rps)
# The slow reader learns what it lost when it next reads: give it time.
sleep 3
written=$(cat "$work"/logs/service-a.*.log | grep -c 'endpoint=/echo' || true)
dropped_total=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^log_stream_lines_dropped_total/ {print $2}')
kill "${pids[1]}" "${pids[2]}" 2>/dev/null || true

count() { grep -c '"endpoint":"/echo"' "$1" || true; }
drops() { grep -o '"event":"log_lines_dropped","lines":[0-9]*' "$1" | awk -F: '{s += $NF} END {print s + 0}'; }
fast=$(count "$work/fast.ndjson"); slow=$(count "$work/slow.ndjson")
echo "A /echo, wrk -t1 -c$c ${d}s, file logging on:"
echo "  no reader:                 $alone requests/s"
echo "  a slow reader on /logs:    $slow_only requests/s"
echo "  and a fast one too:        $loaded requests/s"
echo "  request lines in the file: $written (all three runs: none lost)"
echo "  fast reader (curl):        $fast lines of the third run, $(drops "$work/fast.ndjson") said dropped"
echo "  slow reader (~40 KB/s):    $slow lines of the last two runs, $(drops "$work/slow.ndjson") said dropped"
echo "  A's log_stream_lines_dropped_total: ${dropped_total:-?}"
