#!/usr/bin/env bash
# The deployment under load: veil-keyservice and veil-serve as processes on
# loopback with TLS and tokens, a gallery of N random D-d templates enrolled
# over the wire, then in one session:
#   1. the in-process baseline on the same store (server stopped): the whole
#      protocol per probe, and the scan of Q = 1..16 probes per pass;
#   2. veil bench-service with 1, 2, 4, 8, 16 concurrent callers.
# Prints the ratios docs/benchmarks.md records and writes the JSON to
# $BUILD/bench-service.json.
# usage: scripts/bench-service.sh [build dir] [N] [D]   (default build 1000000 32)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
N=${2:-1000000}
D=${3:-32}
RUN_SECONDS=${RUN_SECONDS:-10}
BIN=$BUILD/apps
CERTS_SCRIPT=$ROOT/scripts/make-certs.sh
WORK=$(mktemp -d /tmp/veil-bench-service.XXXXXX)
source "$ROOT/scripts/service-lib.sh"

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores," \
  "avx512ifma: $(grep -q avx512ifma /proc/cpuinfo && echo yes || echo no), load $(cut -d' ' -f1 /proc/loadavg)"
setup_keys_and_certs
new_token "$WORK/ks-tokens" serve server '*'
new_token "$WORK/tokens" admin admin '*'
mkdir -p "$WORK/data"
"$BIN/veil" generate "$WORK/gen" --n "$N" --d "$D" --probes 64 --noise 0.3 >/dev/null
start_keyservice
start_server
client admin create bench --dimension "$D" >/dev/null
echo "enrolling $N x $D over the wire"
t0=$(date +%s.%N)
client admin enroll bench --keys "$WORK/keys" --input "$WORK/gen/gallery.npy"
echo "enrolled in $(echo "$(date +%s.%N) - $t0" | bc) s"

kill -TERM "$SERVE_PID"
wait "$SERVE_PID" || true
"$BIN/veil" bench-service --keys "$WORK/keys" --probe "$WORK/gen/probes.npy" \
  --local-store "$WORK/data/bench" --seconds "$RUN_SECONDS" >"$WORK/local.json"
# The remote runs, once per server --max-batch (batching on, and off).
remote=()
for mb in ${MAX_BATCHES:-16 1}; do
  start_server --max-batch "$mb"
  "$BIN/veil" bench-service bench --server "127.0.0.1:$SERVE_PORT" --ca "$WORK/certs/ca.pem" \
    --token-file "$WORK/admin.tok" --keys "$WORK/keys" --probe "$WORK/gen/probes.npy" \
    --seconds "$RUN_SECONDS" 2>"$WORK/remote.err" |
    jq --argjson mb "$mb" '.remote + {max_batch: $mb}' >"$WORK/remote-$mb.json" ||
    { cat "$WORK/remote.err"; fail "bench-service"; }
  remote+=("$WORK/remote-$mb.json")
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID" || true
done
jq -s '{in_process: .[0].in_process, remote: .[1:]}' "$WORK/local.json" "${remote[@]}" \
  >"$BUILD/bench-service.json"

jq -r '
  .in_process as $l | .remote[0] as $r |
  "in process, one probe at a time: p50 \($l.search_ms_p50 | . * 10 | round / 10) ms (server \($l.server_ms_p50 | round) ms, key holder \($l.key_holder_ms_p50 | round) ms)",
  "remote, 1 caller: p50 \($r.runs[0].p50_ms | . * 10 | round / 10) ms = \($r.runs[0].p50_ms / $l.search_ms_p50 | . * 100 | round / 100)x in process (server \($r.runs[0].server_ms_p50 | round) ms, key service \($r.runs[0].key_service_ms_p50 | round) ms)",
  "remote, 1 caller, less the key service'"'"'s own expansion of the probe (\($r.runs[0].key_service_expand_ms_p50 | round) ms): p50 \($r.runs[0].p50_ms_less_key_service_expand | . * 10 | round / 10) ms = \($r.runs[0].p50_ms_less_key_service_expand / $l.search_ms_p50 | . * 100 | round / 100)x in process",
  "",
  "Q probes per gallery pass (in process): pass ms, probes/s, pass time / Q=1 pass; the scan alone (no expansion) / Q=1 scan",
  ($l.batches[] as $b | "  Q=\($b.q): \($b.pass_ms | . * 10 | round / 10) ms, \($b.qps | round) probes/s, \($b.pass_ms / $l.batches[0].pass_ms | . * 100 | round / 100)x; scan \($b.scan_ms | . * 10 | round / 10) ms, \($b.scan_ms / $l.batches[0].scan_ms | . * 100 | round / 100)x"),
  (.remote[] | "", "server --max-batch \(.max_batch); callers: p50 / p99 ms, QPS, mean batch",
    (.runs[] | "  \(.callers): \(.p50_ms | . * 10 | round / 10) / \(.p99_ms | . * 10 | round / 10), \(.qps | . * 10 | round / 10) QPS, \(.mean_batch | . * 10 | round / 10)"))
' "$BUILD/bench-service.json"
echo "JSON: $BUILD/bench-service.json"
