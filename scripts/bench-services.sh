#!/usr/bin/env bash
# Measures service A (/echo) and service B (/call-echo) with file logging on,
# the way ../shared/anchors/bench-anchors.sh measures the reference servers
# (wrk -t1, same connections and duration), and checks that no log line is lost.
#
# Usage: scripts/bench-services.sh [SECONDS] [CONNECTIONS]     (default 5 s, 32)
# Prints one line per endpoint: requests/s, p50, p99, non-2xx, and log lines
# written vs requests completed. Installs wrk (apt) if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
d=${1:-5}; c=${2:-32}
port_a=${BENCH_PORT_A:-18180}; port_b=${BENCH_PORT_B:-18181}

if ! command -v wrk >/dev/null; then
  echo "installing wrk..." >&2
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
cargo build --release -q -p service-a -p service-b

logs=$(mktemp -d)
trap 'kill $pa $pb 2>/dev/null || true; rm -rf "$logs"' EXIT
./target/release/service-a --addr 127.0.0.1:$port_a --log-dir "$logs" >/dev/null & pa=$!
./target/release/service-b --addr 127.0.0.1:$port_b --log-dir "$logs" \
  --service-a-url http://127.0.0.1:$port_a >/dev/null & pb=$!
for port in $port_a $port_b; do
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
done

declare -A sent
run() { # name url
  local out rps p50 p99 non2xx n
  out=$(wrk -t1 -c"$c" -d"${d}s" --latency "$2" 2>&1)
  rps=$(awk '/Requests\/sec/{print $2}' <<<"$out")
  p50=$(awk '$1=="50%"{print $2}' <<<"$out"); p99=$(awk '$1=="99%"{print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/{print $NF}' <<<"$out")
  n=$(awk '/requests in/{print $1}' <<<"$out")
  sent[$1]=$n
  printf '%-22s rps=%-10s p50=%-9s p99=%-9s non2xx=%-6s requests=%s\n' "$1" "$rps" "$p50" "$p99" "${non2xx:-0}" "$n"
}
run rust-a:/echo "http://127.0.0.1:$port_a/echo?msg=hello"
run rust-b:/call-echo "http://127.0.0.1:$port_b/call-echo?msg=hello"

# SIGTERM flushes the logs; then count the request lines in the files.
kill -TERM $pa $pb; wait $pa $pb || true
echo_lines=$(cat "$logs"/service-a.* | grep -c 'endpoint=/echo ' || true)
call_lines=$(cat "$logs"/service-b.* | grep -c 'endpoint=/call-echo ' || true)
# A also logs the /echo calls B made during the second run.
expected_a=$(( ${sent[rust-a:/echo]} + ${sent[rust-b:/call-echo]} ))
printf 'log lines: service-a /echo %s (requests completed: %s, incl. those from B)\n' "$echo_lines" "$expected_a"
printf 'log lines: service-b /call-echo %s (requests completed: %s)\n' "$call_lines" "${sent[rust-b:/call-echo]}"
echo "(wrk counts completed requests; lines may exceed them by the requests in flight when wrk stops)"
