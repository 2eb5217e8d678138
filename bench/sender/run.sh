#!/usr/bin/env bash
# End-to-end sender benchmark: webhookd vs a libcurl multi sender vs wrk, posting the
# same signed 1 KiB event to a loopback nginx (one worker, answers 202), over HTTP and
# HTTPS, at 1, 16 and 64 connections. Prints one table with requests/s, client CPU
# per request and the ratios, all from this one run. A second table compares the
# whole engine (webhookd_engine.cpp: publish, memory_store, claim, send, record; same
# body size) with the raw webhookd sender, from the same interleaved runs.
#
# Usage: [REPEAT=3] [CONNS="1 16 64"] [PROTOS="http https"] bench/sender/run.sh [build-dir] [seconds-per-run]
#   build-dir  a build with -DWEBHOOKD_BUILD_BENCH=ON (default: build-bench; built here)
# Needs nginx (nginx-light), wrk, libcurl4-openssl-dev: scripts/install-deps.sh --bench
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build-bench}"
seconds="${2:-5}"
warmup=1
conns_list=(${CONNS:-1 16 64})
protos_list=(${PROTOS:-http https})

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DWEBHOOKD_BUILD_BENCH=ON \
      -DWEBHOOKD_BUILD_TESTS=OFF -DWEBHOOKD_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j2 --target webhookd_sender_bench webhookd_engine_bench webhookd_curl_sender >/dev/null
sender="$build/bench/sender/webhookd_sender_bench"
engine="$build/bench/sender/webhookd_engine_bench"
curl_sender="$build/bench/peers/webhookd_curl_sender"

work="$(mktemp -d /tmp/webhookd-bench.XXXXXX)"
nginx_pid=""
cleanup() {
  if [ -n "$nginx_pid" ]; then kill -QUIT "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- certificates: a CA and a server certificate for 127.0.0.1 -----------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=webhookd bench CA" -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
  -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$work/ext.cnf"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
  -days 2 -extfile "$work/ext.cnf" -out "$work/server.pem" 2>/dev/null

# --- nginx: one worker, 202 for everything, keep-alive, HTTP and HTTPS on loopback ---
http_port=$((20000 + RANDOM % 10000))
https_port=$((http_port + 1))
mkdir -p "$work/logs" "$work/tmp"
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/tmp/body;
  proxy_temp_path $work/tmp/proxy;
  fastcgi_temp_path $work/tmp/fastcgi;
  uwsgi_temp_path $work/tmp/uwsgi;
  scgi_temp_path $work/tmp/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 120s;
  client_body_buffer_size 16k;
  server {
    listen 127.0.0.1:$http_port;
    listen 127.0.0.1:$https_port ssl;
    ssl_certificate $work/server.pem;
    ssl_certificate_key $work/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { return 202; }
  }
}
CONF
nginx -p "$work" -e "$work/logs/error.log" -c "$work/nginx.conf" &
nginx_pid=$!
for _ in $(seq 50); do
  curl -s -o /dev/null "http://127.0.0.1:$http_port/" && break
  sleep 0.1
done

# --- wrk: the same body and headers; the signature is a fixed valid one -------------
python3 - "$work" <<'PY'
import sys, base64, hmac, hashlib
work = sys.argv[1]
head = '{"id":"evt_0123456789","type":"event","topic":"employee.created","occurredAt":"2025-01-01T08:34:23.000Z","data":{"note":"'
tail = '"}}'
body = head + "x" * (1024 - len(head) - len(tail)) + tail
secret = b"b3YGydKxao0CYEg4-2LM81rviT-vl2JzKyf_zlewRn0cpoHzh4mRLj5_Ty5neQta"
ts = "2025-01-01T08:34:23Z"
sig = base64.b64encode(hmac.new(secret, (ts + "." + body).encode(), hashlib.sha256).digest()).decode()
with open(work + "/post.lua", "w") as f:
    f.write('wrk.method = "POST"\n')
    f.write('wrk.body = [[' + body + ']]\n')
    f.write('wrk.headers["Content-Type"] = "application/json"\n')
    f.write('wrk.headers["Api-Version"] = "2024-11-01"\n')
    f.write('wrk.headers["Lucca-Timestamp"] = "' + ts + '"\n')
    f.write('wrk.headers["Lucca-Signature"] = "' + sig + '"\n')
PY

# Runs a command, prints "rps cpu_us_per_req" (CPU of the command's process tree).
run_wrk() { # url conns
  local out
  out="$(python3 - "$1" "$2" "$seconds" "$work/post.lua" <<'PY'
import resource, subprocess, sys, re
url, conns, secs, script = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
# warm-up (connections and TLS handshakes), not measured
subprocess.run(["wrk", "-t1", "-c", conns, "-d", "1s", "-s", script, url], capture_output=True)
before = resource.getrusage(resource.RUSAGE_CHILDREN)
out = subprocess.run(["wrk", "-t1", "-c", conns, "-d", secs + "s", "-s", script, url],
                     capture_output=True, text=True).stdout
after = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1e6
n = int(re.search(r"(\d+) requests in", out).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
errs = re.search(r"Socket errors: (.*)", out)
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
print(f"{rps:.0f} {cpu / n:.2f}" + (" non2xx=" + bad.group(1) if bad else "") + (" socket_errors" if errs else ""))
PY
)"
  echo "$out"
}

run_sender() { # binary url conns
  local line
  line="$("$1" --url "$2" --connections "$3" --seconds "$seconds" --warmup "$warmup" --ca-file "$work/ca.pem")"
  echo "$line" | sed -E 's/.* rps=([0-9.]+) cpu_us_per_req=([0-9.]+).*/\1 \2/'
}

# Each cell is the median of REPEAT runs (default 3), the four senders interleaved so
# that drifts of this shared machine hit them alike.
repeat="${REPEAT:-3}"
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

printf '%-6s %5s | %10s %8s | %10s %8s | %10s %8s | %9s %9s %9s\n' \
  proto conns "webhookd" "cpu/req" "libcurl" "cpu/req" "wrk" "cpu/req" "wh/curl" "wh/wrk" "cpu wh/wrk"
engine_rows=()
for proto in "${protos_list[@]}"; do
  port=$http_port; [ "$proto" = https ] && port=$https_port
  url="$proto://127.0.0.1:$port/hooks/bench"
  for c in "${conns_list[@]}"; do
    wr=(); wc=(); cr=(); cc=(); kr=(); kc=(); er=(); ec=()
    for _ in $(seq "$repeat"); do
      read -r a b <<<"$(run_sender "$sender" "$url" "$c")"; wr+=("$a"); wc+=("$b")
      read -r a b <<<"$(run_sender "$engine" "$url" "$c")"; er+=("$a"); ec+=("$b")
      read -r a b <<<"$(run_sender "$curl_sender" "$url" "$c")"; cr+=("$a"); cc+=("$b")
      read -r a b _ <<<"$(run_wrk "$url" "$c")"; kr+=("$a"); kc+=("$b")
    done
    w_rps=$(median "${wr[@]}"); w_cpu=$(median "${wc[@]}")
    c_rps=$(median "${cr[@]}"); c_cpu=$(median "${cc[@]}")
    k_rps=$(median "${kr[@]}"); k_cpu=$(median "${kc[@]}")
    e_rps=$(median "${er[@]}"); e_cpu=$(median "${ec[@]}")
    engine_rows+=("$(printf '%-6s %5s | %10s %8s | %10s %8s | %9.2f %9.2f | %s' "$proto" "$c" \
      "$e_rps" "$e_cpu" "$w_rps" "$w_cpu" \
      "$(awk "BEGIN{print $e_rps / $w_rps}")" "$(awk "BEGIN{print $e_cpu / $w_cpu}")" \
      "${er[*]} / ${wr[*]}")")
    printf '%-6s %5s | %10s %8s | %10s %8s | %10s %8s | %9.2f %9.2f %9.2f\n' "$proto" "$c" \
      "$w_rps" "$w_cpu" "$c_rps" "$c_cpu" "$k_rps" "$k_cpu" \
      "$(awk "BEGIN{print $w_rps / $c_rps}")" "$(awk "BEGIN{print $w_rps / $k_rps}")" \
      "$(awk "BEGIN{print $w_cpu / $k_cpu}")"
  done
done
echo "(median of $repeat runs; rps = requests/s over ${seconds}s after ${warmup}s warm-up;"
echo " cpu/req = client user+sys CPU in µs per request, measured over the same ${seconds}s)"
echo
printf '%-6s %5s | %10s %8s | %10s %8s | %9s %9s | %s\n' \
  proto conns "engine" "cpu/req" "webhookd" "cpu/req" "eng/wh" "cpu eng/wh" "every run: engine / webhookd rps"
printf '%s\n' "${engine_rows[@]}"
echo "(engine = webhookd_engine_bench: the whole delivery path over a memory_store, publishing"
echo " included, max_in_flight_per_endpoint = conns; webhookd = the raw sender of the first table)"
