#!/usr/bin/env bash
# HTTP publishes/s through the server API (BENCHMARKS.md, "Server API"): a
# gateway with the memory broker, then one over a local nats-server (JetStream,
# file storage), each measured with `odin load api-publish` single and batched.
# Every process is started here and stopped by its PID. Needs `npm run build`.
# Usage: scripts/api-publish-bench.sh [SECONDS]   (default 10 per run)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN="${1:-10}"
KEY="bench-api-key-$(date +%s)-0123456789"
WORK="$(mktemp -d)"
PIDS=()
# The gateway first (it closes its NATS connection), then nats-server; each waited for.
cleanup() { for ((i=${#PIDS[@]}-1; i>=0; i--)); do kill "${PIDS[i]}" 2>/dev/null || true; wait "${PIDS[i]}" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
wait_http() { for _ in $(seq 100); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }
# A function for the load runs only: a backgrounded function would be a subshell, whose PID is not node's.
odin() { node dist/src/cli/main.js "$@"; }

measure() { # label url
  echo "== $1"
  odin load api-publish --url "$2" --api-key "$KEY" --batch 1 --concurrency 16 --duration "$SECONDS_PER_RUN"
  odin load api-publish --url "$2" --api-key "$KEY" --batch 1 --concurrency 16 --duration "$SECONDS_PER_RUN" --idempotency
  odin load api-publish --url "$2" --api-key "$KEY" --batch 100 --concurrency 4 --duration "$SECONDS_PER_RUN"
  odin load api-publish --url "$2" --api-key "$KEY" --batch 1000 --concurrency 2 --duration "$SECONDS_PER_RUN" --idempotency
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), node $(node --version)"

PORT="$(free_port)"
node dist/src/cli/main.js gateway --port "$PORT" --host 127.0.0.1 --api-key "$KEY" --log-level warn & PIDS+=($!)
wait_http "http://127.0.0.1:$PORT/health"
measure "memory broker" "http://127.0.0.1:$PORT"
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true

NATS_PORT="$(free_port)"
nats-server -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$WORK/js" >"$WORK/nats.log" 2>&1 & PIDS+=($!)
PORT="$(free_port)"
sleep 0.5
node dist/src/cli/main.js gateway --port "$PORT" --host 127.0.0.1 --api-key "$KEY" --nats "nats://127.0.0.1:$NATS_PORT" --log-level warn & PIDS+=($!)
wait_http "http://127.0.0.1:$PORT/health"
measure "NATS (JetStream, file storage)" "http://127.0.0.1:$PORT"
echo "machine after: load average $(cut -d' ' -f1-3 /proc/loadavg)"
