#!/usr/bin/env bash
# The three roles as separate processes on loopback with TLS and tokens:
# veil-keyservice (secret key), veil-serve (no secret key), veil client.
# Checks that a remote search returns the ids a local search does, that
# auth failures get UNAUTHENTICATED / PERMISSION_DENIED (and are audited,
# without payloads), that the server refuses a secret key and plaintext, and
# that SIGTERM drains and exits cleanly.
# usage: e2e.sh <dir of veil, veil-serve, veil-keyservice> <make-certs.sh>
set -euo pipefail
BIN=$1
CERTS_SCRIPT=$2
WORK=$(mktemp -d /tmp/veil-e2e.XXXXXX)
source "$(dirname "$0")/../../scripts/service-lib.sh"
source "$(dirname "$0")/../cli/lib.sh"

setup_keys_and_certs
new_token "$WORK/ks-tokens" serve server '*'
new_token "$WORK/tokens" admin admin '*'
new_token "$WORK/tokens" enroller enroll faces
new_token "$WORK/tokens" searcher search faces
new_token "$WORK/tokens" other search other
new_token "$WORK/tokens" enroller2 enroll faces2
new_token "$WORK/tokens" searcher2 search faces2
mkdir -p "$WORK/data"

# The search server must never hold the secret key.
fails "secret.key" "$BIN/veil-serve" --data "$WORK/data" --keys "$WORK/keys" \
  --keyservice 127.0.0.1:1 --listen 127.0.0.1:0 --insecure --insecure-no-auth
# Nor listen beyond loopback without TLS.
fails "loopback only" "$BIN/veil-serve" --data "$WORK/data" --keys "$WORK/server-keys" \
  --keyservice 127.0.0.1:1 --listen 0.0.0.0:0 --insecure --insecure-no-auth

start_keyservice
start_server

"$BIN/veil" generate "$WORK/gen" --n 3000 --d 64 --probes 4 --noise 0.3 >/dev/null
client admin create faces --dimension 64 >/dev/null
client admin create other --dimension 64 >/dev/null
client enroller enroll faces --keys "$WORK/keys" --input "$WORK/gen/gallery.npy" --quiet
client searcher info faces | grep -q "^live: 3000$" || fail "info does not show 3000 templates"

# The remote answer equals a local search's (same keys, same templates).
client searcher search faces --keys "$WORK/keys" --probe "$WORK/gen/probes.npy" -k 5 --json \
  >"$WORK/remote.json"
"$BIN/veil" enroll "$WORK/local-store" --keys "$WORK/keys" --input "$WORK/gen/gallery.npy" --quiet
"$BIN/veil" search "$WORK/local-store" --keys "$WORK/keys" --probe "$WORK/gen/probes.npy" -k 5 \
  --json >"$WORK/local.json"
jq -r '.[].hits[].id' "$WORK/remote.json" >"$WORK/remote.ids"
jq -r '.[].matches[].id' "$WORK/local.json" >"$WORK/local.ids"
[ "$(wc -l <"$WORK/remote.ids")" -eq 20 ] || fail "expected 20 remote hits"
diff "$WORK/remote.ids" "$WORK/local.ids" || fail "remote and local ids differ"
# The true match of each probe is ranked first.
jq -r '.[].hits[0].id' "$WORK/remote.json" >"$WORK/top1"
diff "$WORK/gen/truth.txt" "$WORK/top1" || fail "top-1 is not the true match"

# Scores are released only when asked, rounded.
client searcher search faces --keys "$WORK/keys" --probe "$WORK/gen/probes.npy" -k 2 --json \
  | jq -e '[.[].hits[] | has("cosine")] | any | not' >/dev/null || fail "cosine released unasked"
client searcher search faces --keys "$WORK/keys" --probe "$WORK/gen/probes.npy" -k 2 --scores \
  --json | jq -e '[.[].hits[].cosine] | all(. * 100 | (. - round) | fabs < 1e-6)' >/dev/null ||
  fail "released cosines are not rounded to 0.01"

# A two-stage collection (PCA to 16-d for stage 1, the best K re-scored in
# full by the key service): the remote ids equal `veil search` over a local
# two-stage store of the same templates and model.
"$BIN/veil" fit-reduction --method pca --input "$WORK/gen/gallery.npy" --dimension 16 \
  --out "$WORK/pca16.vrm" >/dev/null
client admin create faces2 --dimension 64 --reduce-model "$WORK/pca16.vrm" | grep -q "two-stage" ||
  fail "faces2 is not two-stage"
client enroller2 enroll faces2 --keys "$WORK/keys" --input "$WORK/gen/gallery.npy" --quiet
client searcher2 search faces2 --keys "$WORK/keys" --probe "$WORK/gen/probes.npy" -k 5 \
  --candidates 300 --json >"$WORK/remote2.json"
"$BIN/veil" enroll "$WORK/local2" --keys "$WORK/keys" --input "$WORK/gen/gallery.npy" \
  --reduce "$WORK/pca16.vrm" --quiet
"$BIN/veil" search "$WORK/local2" --keys "$WORK/keys" --probe "$WORK/gen/probes.npy" -k 5 \
  --candidates 300 --json >"$WORK/local2.json"
jq -r '.[].hits[].id' "$WORK/remote2.json" >"$WORK/remote2.ids"
jq -r '.[].matches[].id' "$WORK/local2.json" >"$WORK/local2.ids"
[ "$(wc -l <"$WORK/remote2.ids")" -eq 20 ] || fail "expected 20 two-stage remote hits"
diff "$WORK/remote2.ids" "$WORK/local2.ids" || fail "two-stage remote and local ids differ"
jq -r '.[].hits[0].id' "$WORK/remote2.json" | diff "$WORK/gen/truth.txt" - ||
  fail "two-stage top-1 is not the true match"
fails INVALID_ARGUMENT client searcher search faces --keys "$WORK/keys" \
  --probe "$WORK/gen/probes.npy" --candidates 100

# Auth: each refusal has its status, and the audit log counts them.
denied=0 unauth=0
"$BIN/veil" client search faces --server "127.0.0.1:$SERVE_PORT" --ca "$WORK/certs/ca.pem" \
  --keys "$WORK/keys" --probe "$WORK/gen/probes.npy" >/dev/null 2>"$WORK/err" && fail "no token"
grep -q UNAUTHENTICATED "$WORK/err" || fail "no token: $(cat "$WORK/err")"
unauth=$((unauth + 1))
echo "veil_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" >"$WORK/bogus.tok"
chmod 600 "$WORK/bogus.tok"
fails UNAUTHENTICATED client bogus search faces --keys "$WORK/keys" --probe "$WORK/gen/probes.npy"
unauth=$((unauth + 1))
fails PERMISSION_DENIED client enroller search faces --keys "$WORK/keys" \
  --probe "$WORK/gen/probes.npy"
denied=$((denied + 1))
fails PERMISSION_DENIED client other search faces --keys "$WORK/keys" --probe "$WORK/gen/probes.npy"
denied=$((denied + 1))
fails PERMISSION_DENIED client searcher create faces3 --dimension 64
denied=$((denied + 1))
fails PERMISSION_DENIED client searcher delete faces gallery:1
denied=$((denied + 1))
# A token of the search server is no key-service caller, and a client
# cannot reach the key service without the server's role.
fails NOT_FOUND client admin info nosuch
[ "$(grep -c '"UNAUTHENTICATED"' "$WORK/audit.jsonl")" -eq "$unauth" ] ||
  fail "audit: expected $unauth UNAUTHENTICATED lines"
[ "$(grep -c '"PERMISSION_DENIED"' "$WORK/audit.jsonl")" -eq "$denied" ] ||
  fail "audit: expected $denied PERMISSION_DENIED lines"
# The audit logs hold who and when, never payloads: no template id, no token.
grep -q '"searcher"' "$WORK/audit.jsonl" || fail "audit: the searcher is missing"
grep '"PERMISSION_DENIED"' "$WORK/audit.jsonl" | grep -q '"caller":"enroller"' ||
  fail "audit: a refusal does not name the token's holder"
! grep -q 'gallery:' "$WORK/audit.jsonl" "$WORK/ks-audit.jsonl" || fail "audit: an id leaked"
! grep -q "$(cat "$WORK/searcher.tok")" "$WORK/audit.jsonl" || fail "audit: a token leaked"
# Tokens added or revoked while the server runs take effect within seconds.
new_token "$WORK/tokens" late search faces
"$BIN/veil" token revoke "$WORK/tokens" searcher >/dev/null
for i in $(seq 1 50); do  # the server looks at the file at most once a second
  client late info faces 2>/dev/null | grep -q "^live: 3000$" && break
  sleep 0.2
done
client late info faces | grep -q "^live: 3000$" || fail "a token added while running is refused"
fails UNAUTHENTICATED client searcher info faces
# Plaintext to a TLS server fails.
"$BIN/veil" client info faces --server "127.0.0.1:$SERVE_PORT" --insecure \
  --token-file "$WORK/searcher.tok" >/dev/null 2>&1 && fail "plaintext call to a TLS server"

# Delete and compact over the wire.
client admin delete faces gallery:0 >/dev/null
client late info faces | grep -q "^live: 2999$" || fail "info after delete"
client admin compact faces >/dev/null

# SIGTERM: drains and exits 0; the key service likewise.
kill -TERM "$SERVE_PID"
wait "$SERVE_PID" || fail "veil-serve exited $? on SIGTERM"
kill -TERM "$KS_PID"
wait "$KS_PID" || fail "veil-keyservice exited $? on SIGTERM"
# Restarted, the collections are all there.
start_keyservice
start_server
client late info faces | grep -q "^live: 2999$" || fail "info after restart"
echo "e2e: ok"
