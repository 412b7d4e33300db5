#!/usr/bin/env bash
# The deployed roles as three processes on loopback, with TLS and tokens:
#   veil keyservice  holds secret.key; releases only ranked ids, sealed to the client
#   veil serve       holds ciphertexts, public and expansion keys; no secret key
#   veil client      encrypts templates and probes; opens the sealed answers
# usage: scripts/demo-service.sh <dir of veil, veil-serve, veil-keyservice>
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "${1:-$ROOT/build/apps}" && pwd)
CERTS_SCRIPT=$ROOT/scripts/make-certs.sh
WORK=$(mktemp -d /tmp/veil-demo-service.XXXXXX)
source "$ROOT/scripts/service-lib.sh"
step() { printf '\n== %s\n' "$*"; }

step "key holder: keygen; the server gets params, public and expansion keys only"
setup_keys_and_certs
ls "$WORK/keys" "$WORK/server-keys"
step "TLS certificates (scripts/make-certs.sh) and API tokens, stored hashed"
ls "$WORK/certs"
new_token "$WORK/ks-tokens" serve server '*'
new_token "$WORK/tokens" admin admin '*'
new_token "$WORK/tokens" enroller enroll people
new_token "$WORK/tokens" searcher search people
new_token "$WORK/tokens" enroller2 enroll people2
new_token "$WORK/tokens" searcher2 search people2
"$BIN/veil" token list "$WORK/tokens"
mkdir -p "$WORK/data"

step "veil keyservice and veil serve on ephemeral loopback ports"
start_keyservice
start_server
echo "key service on 127.0.0.1:$KS_PORT (pid $KS_PID), search server on 127.0.0.1:$SERVE_PORT (pid $SERVE_PID)"
echo "the server refuses a key directory with secret.key:"
"$BIN/veil-serve" --data "$WORK/data" --keys "$WORK/keys" --keyservice 127.0.0.1:1 --insecure \
  --insecure-no-auth 2>&1 | sed 's/^/  /' || true

step "client: create a collection, enroll 20,000 templates encrypted here"
"$BIN/veil" generate "$WORK/gen" --n 20000 --d 64 --probes 3 --noise 0.5 >/dev/null
client admin create people --dimension 64 >/dev/null
client enroller enroll people --keys "$WORK/keys" --input "$WORK/gen/gallery.npy"
client searcher info people

step "client: search; the key service returns only the top-k ids, sealed to this client"
echo "true matches:"; cat "$WORK/gen/truth.txt"
client searcher search people --keys "$WORK/keys" --probe "$WORK/gen/probes.npy" -k 3
step "a two-stage collection: stage 1 scans 16-d PCA-reduced templates, the key service re-scores the best K in full"
"$BIN/veil" fit-reduction --method pca --input "$WORK/gen/gallery.npy" --dimension 16 \
  --out "$WORK/pca16.vrm" >/dev/null
client admin create people2 --dimension 64 --reduce-model "$WORK/pca16.vrm"
client enroller2 enroll people2 --keys "$WORK/keys" --input "$WORK/gen/gallery.npy" --quiet
client searcher2 search people2 --keys "$WORK/keys" --probe "$WORK/gen/probes.npy" -k 3 \
  --candidates 200
step "a search token cannot delete; no token is no call"
client searcher delete people gallery:1 2>&1 | tail -1 || true
"$BIN/veil" client info people --server "127.0.0.1:$SERVE_PORT" --ca "$WORK/certs/ca.pem" 2>&1 |
  tail -1 || true
step "the audit log: who did what on which collection, never a template, id or score"
tail -3 "$WORK/audit.jsonl"
step "SIGTERM: both drain and exit"
kill -TERM "$SERVE_PID" "$KS_PID"
wait "$SERVE_PID" "$KS_PID" && echo "both exited cleanly"
