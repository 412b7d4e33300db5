# Shared by the service tests (tests/service), the demo and
# scripts/bench-service.sh: key directories, certificates, tokens, and
# starting veil-keyservice / veil-serve on ephemeral loopback ports.
# Source it after setting BIN (the dir of veil, veil-serve, veil-keyservice),
# WORK (a fresh temp dir, removed on exit) and CERTS_SCRIPT (make-certs.sh).
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do { kill -9 "$p" && wait "$p"; } 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# Prints to stderr: it also runs inside $(...).
fail() {
  echo "FAIL: $*" >&2
  local f
  for f in "$WORK"/*.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done
  exit 1
}

# wait_port <file> <pid>: the port the process wrote once listening.
wait_port() {
  local i
  for i in $(seq 1 600); do
    if [ -s "$1" ]; then cat "$1"; return 0; fi
    kill -0 "$2" 2>/dev/null || fail "process $2 exited before listening"
    sleep 0.05
  done
  fail "no port in $1 after 30 s"
}

# setup_keys_and_certs: $WORK/keys (the key holder's, with secret.key),
# $WORK/server-keys (params, public and expansion keys only), $WORK/certs.
setup_keys_and_certs() {
  "$BIN/veil" keygen "$WORK/keys" >/dev/null
  mkdir -p "$WORK/server-keys"
  cp "$WORK/keys/params.veil" "$WORK/keys/public.key" "$WORK/keys/expansion.keys" \
    "$WORK/server-keys/"
  "$CERTS_SCRIPT" "$WORK/certs" >/dev/null
}

# new_token <file> <name> <role> <collection>: writes $WORK/<name>.tok.
new_token() {
  [ -f "$1" ] || "$BIN/veil" token create "$1" >/dev/null
  "$BIN/veil" token add "$1" --name "$2" --role "$3" --collection "$4" --out "$WORK/$2.tok" \
    >/dev/null
}

start_keyservice() {
  rm -f "$WORK/ks.port"
  "$BIN/veil-keyservice" --keys "$WORK/keys" --listen 127.0.0.1:0 --port-file "$WORK/ks.port" \
    --tls-cert "$WORK/certs/keyservice.pem" --tls-key "$WORK/certs/keyservice.key" \
    --tls-client-ca "$WORK/certs/ca.pem" --tokens "$WORK/ks-tokens" \
    --audit "$WORK/ks-audit.jsonl" "$@" >>"$WORK/keyservice.log" 2>&1 &
  KS_PID=$!
  PIDS+=("$KS_PID")
  KS_PORT=$(wait_port "$WORK/ks.port" "$KS_PID")
}

start_server() {
  rm -f "$WORK/serve.port"
  "$BIN/veil-serve" --data "$WORK/data" --keys "$WORK/server-keys" \
    --keyservice "127.0.0.1:$KS_PORT" --keyservice-token-file "$WORK/serve.tok" \
    --keyservice-ca "$WORK/certs/ca.pem" --keyservice-cert "$WORK/certs/client.pem" \
    --keyservice-key "$WORK/certs/client.key" --listen 127.0.0.1:0 \
    --port-file "$WORK/serve.port" --tls-cert "$WORK/certs/server.pem" \
    --tls-key "$WORK/certs/server.key" --tokens "$WORK/tokens" --audit "$WORK/audit.jsonl" \
    "$@" >>"$WORK/serve.log" 2>&1 &
  SERVE_PID=$!
  PIDS+=("$SERVE_PID")
  SERVE_PORT=$(wait_port "$WORK/serve.port" "$SERVE_PID")
}

# client <token name> <subcommand> <args...>
client() {
  local tok=$1 sub=$2
  shift 2
  "$BIN/veil" client "$sub" --server "127.0.0.1:$SERVE_PORT" --ca "$WORK/certs/ca.pem" \
    --token-file "$WORK/$tok.tok" "$@"
}
