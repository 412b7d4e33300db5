#!/usr/bin/env bash
# kill -9 of veil-serve at random moments during a streamed enroll, then a
# restart: the store always reopens and verifies, a resumed enroll
# (--skip-enrolled) completes it, and at the end every template is present
# and searchable. Rounds: $2 (3 in the default suite, 50 under label slow).
# usage: enroll_crash.sh <bin dir> <rounds> <make-certs.sh>
set -euo pipefail
BIN=$1
ROUNDS=$2
CERTS_SCRIPT=$3
WORK=$(mktemp -d /tmp/veil-crash.XXXXXX)
source "$(dirname "$0")/../../scripts/service-lib.sh"

# 12 blocks of 4096 at d = 8, one per stream message: a kill lands between
# acknowledged messages, or in the middle of one.
N=48000
setup_keys_and_certs
new_token "$WORK/ks-tokens" serve server '*'
new_token "$WORK/tokens" admin admin '*'
mkdir -p "$WORK/data"
"$BIN/veil" generate "$WORK/gen" --n $N --d 8 --probes 4 --noise 0.02 >/dev/null
start_keyservice
start_server
client admin create faces --dimension 8 >/dev/null

count() { client admin info faces | awk '/^live:/ {print $2}'; }
completed=0 killed=0 counts=""
for round in $(seq 1 "$ROUNDS"); do
  client admin enroll faces --keys "$WORK/keys" --input "$WORK/gen/gallery.npy" --skip-enrolled \
    --quiet --threads 1 --blocks-per-message 1 >"$WORK/enroll.out" 2>&1 &
  enroll_pid=$!
  sleep "$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.2f", 0.2 + rand() * 3 }')"
  kill -9 "$SERVE_PID" 2>/dev/null && killed=$((killed + 1))
  wait "$SERVE_PID" 2>/dev/null || true
  if wait "$enroll_pid"; then
    completed=$((completed + 1))
    # Acknowledged: the server said every block is in before it died.
    ack=1
  else
    ack=0
  fi
  # The store reopens and every checksum and index entry holds.
  "$BIN/veil" verify-store "$WORK/data/faces" >/dev/null || fail "round $round: store does not verify"
  start_server
  n=$(count)
  [ "$ack" -eq 0 ] || [ "$n" -eq $N ] || fail "round $round: enroll acknowledged but $n templates"
  [ "$n" -le $N ] || fail "round $round: $n templates, more than enrolled"
  counts="$counts $n"
done
client admin enroll faces --keys "$WORK/keys" --input "$WORK/gen/gallery.npy" --skip-enrolled --quiet
[ "$(count)" -eq $N ] || fail "after the resumed enroll: $(count) templates"
client admin search faces --keys "$WORK/keys" --probe "$WORK/gen/probes.npy" -k 1 --json |
  jq -r '.[].hits[0].id' >"$WORK/top1"
diff "$WORK/gen/truth.txt" "$WORK/top1" || fail "top-1 after the crashes"
echo "enroll_crash: $ROUNDS rounds, $killed kills, $completed enrolls finished first;" \
  "templates after each restart:$counts: ok"
