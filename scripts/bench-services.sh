#!/usr/bin/env bash
# Measures service A (/echo) and service B (/call-echo), release build with file
# logging on, next to nginx's static echo and nginx's keep-alive proxy measured
# in the same run, the same way (wrk -t1, same connections and duration), and
# checks that no log line is lost.
#
# Usage: scripts/bench-services.sh [SECONDS] [CONNECTIONS] [ROUNDS]   (default 5 s, 32, 1)
#
# Prints one line per server and endpoint (requests/s, p50, p99, non-2xx; for
# A, B and nginx also the CPU their processes spent per request, user and
# kernel: for /call-echo the proxy's and the echo's together), a
# table (requests/s the mean of the rounds, p99 the worst round's) with the ratios
# to nginx, and log lines written vs requests completed.
# Installs wrk and nginx (apt) when missing, or says clearly that it could not.
# Ports: BENCH_PORT_A/B (default 18180/18181) for the services, 18280/18281 for nginx,
# 18380/18381 for Go net/http (../shared/anchors/go, built when go is installed;
# BENCH_ANCHORS=dir points elsewhere).
# BENCH_BIN_DIR=dir measures the service binaries in dir (e.g. an older build)
# instead of building target/release.
# The floor (ports 18480/18481): /echo served by hyper alone and by axum alone
# (service-a/examples/floor.rs, no log line, id, trace or metrics), to show
# what the stack itself serves here and what the lab's features cost.
set -euo pipefail
cd "$(dirname "$0")/.."
d=${1:-5}; c=${2:-32}; rounds=${3:-1}
port_a=${BENCH_PORT_A:-18180}; port_b=${BENCH_PORT_B:-18181}
port_ng=18280; port_ngp=18281; port_go=18380; port_gob=18381
anchors=${BENCH_ANCHORS:-../shared/anchors}

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} with apt..." >&2
  if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") >/dev/null 2>&1; then
    echo "COULD NOT INSTALL ${need[*]} (apt-get failed: not root, or no network)." >&2
  fi
fi
command -v wrk >/dev/null || { echo "wrk is missing and could not be installed: no measurement." >&2; exit 1; }
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
have_nginx=1; [ -x "$nginx_bin" ] || { have_nginx=0; echo "nginx is missing and could not be installed: the table has no reference." >&2; }

bin=${BENCH_BIN_DIR:-}
if [ -z "$bin" ]; then
  cargo build --release -q -p service-a -p service-b
  cargo build --release -q -p service-a --example floor
  bin=./target/release
fi
floor=$bin/examples/floor; [ -x "$floor" ] || { floor=; echo "no $bin/examples/floor: no floor rows." >&2; }

work=$(mktemp -d)
logs=$work/logs
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# The reference, as ../shared/anchors/nginx/nginx-{a,b}.conf with this run's
# ports and paths: nginx's static echo (the practical ceiling for A) and a
# keep-alive reverse proxy to it (the ceiling for B's extra hop), each in a
# process of its own with one worker and a buffered access log, as A and B are
# two processes that each log every request.
mkdir -p "$work/a" "$work/b"
for side in a b; do
  cat >"$work/nginx-$side.conf" <<EOF
worker_processes 1;
daemon off;
error_log $work/error-$side.log;
pid $work/nginx-$side.pid;
events { worker_connections 4096; }
http {
  access_log $work/access-$side.log combined buffer=64k flush=1s;
  client_body_temp_path $work/$side; proxy_temp_path $work/$side; fastcgi_temp_path $work/$side;
  uwsgi_temp_path $work/$side; scgi_temp_path $work/$side;
EOF
done
cat >>"$work/nginx-a.conf" <<EOF
  server {
    listen 127.0.0.1:$port_ng;
    location /echo { default_type application/json; return 200 '{"echo":"\$arg_msg"}'; }
    location /health { default_type application/json; return 200 '{"status":"ok"}'; }
  }
}
EOF
cat >>"$work/nginx-b.conf" <<EOF
  upstream a { server 127.0.0.1:$port_ng; keepalive 64; }
  server {
    listen 127.0.0.1:$port_ngp;
    location /health { default_type application/json; return 200 '{"status":"ok"}'; }
    location /call-echo {
      proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_connect_timeout 1s; proxy_read_timeout 1s;
      proxy_pass http://a/echo?msg=\$arg_msg;
    }
  }
}
EOF

wait_port() { for _ in $(seq 100); do curl -fs "http://127.0.0.1:$1/health" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "port $1 did not answer" >&2; return 1; }

# CPU ticks (user, system) of processes, all their threads: /proc/PID/stat fields 14 and 15.
ticks() { local u=0 s=0 f; for p in "$@"; do f=$(cut -d')' -f2 "/proc/$p/stat" 2>/dev/null) || continue
  set -- $f; u=$((u + ${12})); s=$((s + ${13})); done; echo "$u $s"; }
hz=$(getconf CLK_TCK)
declare -A rps sent p99s
# wrk's latency (e.g. 312.00us, 1.26ms, 2.01s) in whole microseconds.
us() { awk -v t="$1" 'BEGIN{v=t+0; if (t ~ /ms$/) v*=1000; else if (t ~ /[0-9]s$/) v*=1000000; printf "%d", v}'; }
run() { # key url [server pids: their CPU per request is printed]
  local out r p50 p99 non2xx n u0 s0 u1 s1 cpu=
  local key=$1 url=$2; shift 2
  read -r u0 s0 < <(ticks "$@")
  out=$(wrk -t1 -c"$c" -d"${d}s" --latency "$url" 2>&1)
  read -r u1 s1 < <(ticks "$@")
  r=$(awk '/Requests\/sec/{print $2}' <<<"$out")
  p50=$(awk '$1=="50%"{print $2}' <<<"$out"); p99=$(awk '$1=="99%"{print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/{print $NF}' <<<"$out")
  n=$(awk '/requests in/{print $1}' <<<"$out")
  rps[$key]=$(awk -v a="${rps[$key]:-0}" -v b="$r" 'BEGIN{print a+b}')
  sent[$key]=$(( ${sent[$key]:-0} + n ))
  # The worst round's p99 goes in the table.
  if [ -z "${p99s[$key]:-}" ] || [ "$(us "$p99")" -gt "$(us "${p99s[$key]}")" ]; then p99s[$key]=$p99; fi
  if [ $# -gt 0 ] && [ "${n:-0}" -gt 0 ]; then
    cpu=$(awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v hz="$hz" -v n="$n" \
      'BEGIN{printf "server-cpu/request=%.2f+%.2fus(user+kernel)", u/hz/n*1e6, s/hz/n*1e6}')
  fi
  printf '%-22s rps=%-10s p50=%-9s p99=%-9s non2xx=%-6s requests=%-8s %s\n' "$key" "$r" "$p50" "$p99" "${non2xx:-0}" "$n" "$cpu"
}

# Go net/http (../shared/anchors/go, the lab's other track), when go is here.
have_go=0
if [ -f "$anchors/go/main.go" ] && command -v go >/dev/null; then
  if (cd "$anchors/go" && GOCACHE=$work/gocache go build -o "$work/anchor-go" main.go) 2>"$work/go-build.log"; then
    have_go=1
    "$work/anchor-go" a $port_go 2>/dev/null & pids+=($!)
    "$work/anchor-go" b $port_gob "http://127.0.0.1:$port_go" 2>/dev/null & pids+=($!)
    wait_port $port_go; wait_port $port_gob
  else
    echo "the Go anchor did not build (see $work/go-build.log): no Go row." >&2
  fi
else
  echo "go or ../shared/anchors/go is missing: no Go row." >&2
fi
if [ $have_nginx = 1 ]; then
  "$nginx_bin" -c "$work/nginx-a.conf" & ng_a=$!; pids+=($ng_a)
  "$nginx_bin" -c "$work/nginx-b.conf" & ng_b=$!; pids+=($ng_b)
  wait_port $port_ng; wait_port $port_ngp
  # The workers serve; the masters only watch them.
  ng_a_workers=$(pgrep -P $ng_a | tr '\n' ' '); ng_b_workers=$(pgrep -P $ng_b | tr '\n' ' ')
fi
if [ -n "$floor" ]; then
  "$floor" hyper 127.0.0.1:18480 & pids+=($!)
  "$floor" axum 127.0.0.1:18481 & pids+=($!)
  wait_port 18480; wait_port 18481
fi
"$bin"/service-a --addr 127.0.0.1:$port_a --log-dir "$logs" >/dev/null & pa=$!; pids+=($pa)
"$bin"/service-b --addr 127.0.0.1:$port_b --log-dir "$logs" \
  --service-a-url http://127.0.0.1:$port_a >/dev/null & pb=$!; pids+=($pb)
wait_port $port_a; wait_port $port_b

for _ in $(seq "$rounds"); do
  # shellcheck disable=SC2086 # the worker lists are words
  [ $have_nginx = 1 ] && run nginx:/echo "http://127.0.0.1:$port_ng/echo?msg=hello" $ng_a_workers
  run rust-a:/echo "http://127.0.0.1:$port_a/echo?msg=hello" $pa
  [ -n "$floor" ] && run hyper-alone:/echo "http://127.0.0.1:18480/echo?msg=hello"
  [ -n "$floor" ] && run axum-alone:/echo "http://127.0.0.1:18481/echo?msg=hello"
  [ $have_go = 1 ] && run go:/echo "http://127.0.0.1:$port_go/echo?msg=hello"
  # shellcheck disable=SC2086
  [ $have_nginx = 1 ] && run nginx-proxy:/call-echo "http://127.0.0.1:$port_ngp/call-echo?msg=hello" $ng_b_workers $ng_a_workers
  run rust-b:/call-echo "http://127.0.0.1:$port_b/call-echo?msg=hello" $pb $pa
  [ $have_go = 1 ] && run go:/call-echo "http://127.0.0.1:$port_gob/call-echo?msg=hello"
done

# SIGTERM flushes the logs; then count the request lines in the files.
kill -TERM $pa $pb; wait $pa $pb || true

echo
echo "| server (mean of $rounds x ${d}s, wrk -t1 -c$c) | /echo rps | p99 (worst round) | /call-echo rps | p99 (worst round) |"
echo "| --- | --- | --- | --- | --- |"
mean() { awk -v s="${rps[$1]:-0}" -v r="$rounds" 'BEGIN{printf "%.0f", s/r}'; }
row() { # label echo-key call-key ("none": no such row)
  if [ "$3" = none ]; then echo "| $1 | $(mean "$2") | ${p99s[$2]:-} | - | - |"
  else echo "| $1 | $(mean "$2") | ${p99s[$2]:-} | $(mean "$3") | ${p99s[$3]:-} |"; fi
}
[ $have_nginx = 1 ] && row "nginx, 2 processes of 1 worker, buffered access log" nginx:/echo nginx-proxy:/call-echo
[ $have_go = 1 ] && row "Go net/http (anchor)" go:/echo go:/call-echo
[ -n "$floor" ] && row "floor: hyper alone, no log (A's /echo only)" hyper-alone:/echo none
[ -n "$floor" ] && row "floor: axum alone, no log (A's /echo only)" axum-alone:/echo none
row "this project, file logging on" rust-a:/echo rust-b:/call-echo
ratio() { awk -v a="${rps[$1]}" -v b="${rps[$2]}" 'BEGIN{printf "%.3fx", a/b}'; }
if [ $have_nginx = 1 ]; then
  echo "| ratio to nginx (bars: A >= 0.85x, B >= 0.70x) | $(ratio rust-a:/echo nginx:/echo) | | $(ratio rust-b:/call-echo nginx-proxy:/call-echo) | |"
fi
if [ $have_nginx = 1 ] && [ -n "$floor" ]; then
  echo "| floor's ratio to nginx: hyper alone, axum alone | $(ratio hyper-alone:/echo nginx:/echo), $(ratio axum-alone:/echo nginx:/echo) | | | |"
  echo "| A's ratio to axum alone (what the lab's features cost) | $(ratio rust-a:/echo axum-alone:/echo) | | | |"
fi
if [ $have_go = 1 ]; then
  echo "| ratio to Go | $(ratio rust-a:/echo go:/echo) | | $(ratio rust-b:/call-echo go:/call-echo) | |"
fi

echo_lines=$(cat "$logs"/service-a.* | grep -c 'endpoint=/echo ' || true)
call_lines=$(cat "$logs"/service-b.* | grep -c 'endpoint=/call-echo ' || true)
lost=$(cat "$logs"/service-*.* | grep -c 'event=log_lines_lost' || true)
# A also logs the /echo calls B made.
expected_a=$(( ${sent[rust-a:/echo]} + ${sent[rust-b:/call-echo]} ))
echo
printf 'log lines: service-a /echo %s (requests completed: %s, incl. those from B)\n' "$echo_lines" "$expected_a"
printf 'log lines: service-b /call-echo %s (requests completed: %s)\n' "$call_lines" "${sent[rust-b:/call-echo]}"
printf 'log_lines_lost lines: %s\n' "$lost"
echo "(wrk counts completed requests; lines may exceed them by the requests in flight when wrk stops)"
[ "$echo_lines" -ge "$expected_a" ] && [ "$call_lines" -ge "${sent[rust-b:/call-echo]}" ] \
  && echo "no line lost" || echo "LINES LOST"
