#!/usr/bin/env bash
# The main job, end to end: starts the HTTPS receiver (examples/receiver) and the host
# server on loopback, creates a webhook endpoint through the REST API with curl (the
# activation challenge runs, the secret is shown once), publishes a few events, and
# prints the deliveries and attempts as the API returns them. Then stops both.
#
#   demo.sh HOST_SERVER_BINARY RECEIVER_BINARY
#
# WEBHOOKD_DEMO_CHECK=1 turns what it shows into assertions (the test command runs it
# that way): the endpoint must be active, every event delivered once and verified.
set -euo pipefail
host_bin="$1"
receiver_bin="$2"
check="${WEBHOOKD_DEMO_CHECK:-0}"

work="$(mktemp -d "${TMPDIR:-/tmp}/webhookd-demo.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { echo "demo: $*" >&2; exit 1; }
pretty() { if command -v python3 >/dev/null; then python3 -m json.tool; else cat; echo; fi; }
json_field() { # <name>: a top-level string member of the JSON object on stdin
  if command -v python3 >/dev/null; then
    python3 -c 'import json, sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"
  else # webhookd writes members in sorted order, compact; good enough for id/secret
    grep -o "\"$1\":\"[^\"]*\"" | tail -n 1 | sed 's/.*:"\(.*\)"/\1/'
  fi
}

free_port() { # a loopback port nobody listens on
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  fail "no free port found"
}

wait_for() { # <what> <command...>: retries the command for up to 20 s
  local what="$1"; shift
  for _ in $(seq 1 200); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  fail "$what did not come up"
}

say "certificates for the receiver (a throwaway CA, made now)"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=webhookd demo CA" \
  -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
  -keyout "$work/receiver.key" -out "$work/receiver.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$work/san.ext"
openssl x509 -req -in "$work/receiver.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
  -CAcreateserial -days 1 -extfile "$work/san.ext" -out "$work/receiver.pem" 2>/dev/null
echo "CA: $work/ca.pem"

receiver_port="$(free_port)"
host_port="$(free_port)"
token="demo-$RANDOM$RANDOM"
api="http://127.0.0.1:$host_port/lucca-api"
headers=(-H "Api-Version: 2024-11-01" -H "Authorization: Bearer $token")

say "receiver on https://127.0.0.1:$receiver_port/webhooks"
"$receiver_bin" --listen "127.0.0.1:$receiver_port" --tls-cert "$work/receiver.pem" \
  --tls-key "$work/receiver.key" --secret-file "$work/secret" > "$work/receiver.log" 2>&1 &
pids+=($!)
wait_for "the receiver" curl -sk "https://127.0.0.1:$receiver_port/webhooks?echo=up&challenge=up"

say "host server on http://127.0.0.1:$host_port (SQLite store $work/webhookd.db)"
"$host_bin" --listen "127.0.0.1:$host_port" --db "$work/webhookd.db" --token "$token=all" \
  --allow-network 127.0.0.0/8 --ca-file "$work/ca.pem" --retry-schedule 1s,2s,5s \
  > "$work/host.log" 2>&1 &
pids+=($!)
wait_for "the host server" curl -sf "http://127.0.0.1:$host_port/healthz"
head -n 3 "$work/host.log"

say "POST $api/webhook-endpoints (the activation challenge runs before the answer)"
endpoint="$(curl -sS "${headers[@]}" -H "Content-Type: application/json" \
  -X POST "$api/webhook-endpoints" --data-binary @- <<JSON
{"name": "demo receiver", "webhookUrl": "https://127.0.0.1:$receiver_port/webhooks",
 "apiVersion": "2024-11-01", "topics": ["employee.created", "employee.updated"],
 "businessEstablishments": null, "status": "active"}
JSON
)"
echo "$endpoint" | pretty
endpoint_id="$(json_field id <<<"$endpoint")"
secret="$(json_field secret <<<"$endpoint")"
[ -n "$endpoint_id" ] && [ -n "$secret" ] || fail "the endpoint was not created: $endpoint"
grep -q '"status": *"active"' <<<"$endpoint" || fail "the endpoint did not pass its challenge"
printf '%s' "$secret" > "$work/secret" # the receiver verifies with it from now on
echo "endpoint $endpoint_id is active; its secret (shown once) is given to the receiver"

say "publishing events (POST $api/events)"
publish() {
  curl -sS "${headers[@]}" -H "Content-Type: application/json" -X POST "$api/events" --data-binary @- <<JSON
{"topic": "$1", "occurredAt": "$(date -u +%Y-%m-%dT%H:%M:%S.000Z)",
 "source": "https://demo.ilucca.net", "apiVersion": "2024-11-01",
 "data": {"id": $2, "type": "employee", "name": "$3"}}
JSON
  echo
}
publish employee.created 101 "Ada Lovelace"
publish employee.created 102 "Grace Hopper"
publish employee.updated 101 "Ada King"
publish leave.created 7 "not subscribed: no delivery"

say "POST $api/webhook-deliveries: a test delivery (topic ping)"
curl -sS "${headers[@]}" -H "Content-Type: application/json" -X POST "$api/webhook-deliveries" \
  --data-binary "{\"webhookEndpoint\": {\"id\": \"$endpoint_id\"}}" | pretty

say "waiting until every delivery is settled"
settled() {
  curl -sf "${headers[@]}" "$api/webhook-deliveries?status=undelivered&limit=0&include=totalCount" |
    grep -q '"totalCount": *0'
}
wait_for "delivery of every event" settled
echo "no delivery is pending"

say "GET $api/webhook-deliveries?include=totalCount,links"
deliveries="$(curl -sS "${headers[@]}" "$api/webhook-deliveries?include=totalCount,links")"
echo "$deliveries" | pretty

say "GET $api/webhook-delivery-attempts?limit=2&include=totalCount"
curl -sS "${headers[@]}" "$api/webhook-delivery-attempts?limit=2&include=totalCount" | pretty

say "GET /metrics (excerpt)"
curl -sS "http://127.0.0.1:$host_port/metrics" | grep -E '^webhookd_(events_published|delivered|failed|attempts)_total'

say "what the receiver saw"
cat "$work/receiver.log"

if [ "$check" = 1 ]; then
  delivered="$(grep -o '"status": *"delivered"' <<<"$deliveries" | wc -l)"
  [ "$delivered" -eq 4 ] || fail "expected 4 delivered deliveries (3 events + 1 test), got $delivered"
  grep -q '"totalCount": *4' <<<"$deliveries" || fail "expected totalCount 4"
  verified="$(grep -c 'verified' "$work/receiver.log" || true)"
  [ "$verified" -ge 4 ] || fail "expected the receiver to verify 4 events, it verified $verified"
  ! grep -q 'rejected' "$work/receiver.log" || fail "the receiver rejected a request"
fi

say "stopping (SIGINT: graceful)"
for pid in "${pids[@]}"; do kill -INT "$pid"; done
for pid in "${pids[@]}"; do wait "$pid" || fail "a process did not stop cleanly"; done
pids=()
tail -n 2 "$work/host.log"
echo "demo finished"
