#!/usr/bin/env bash
# Kills `veil enroll` with SIGKILL at random moments and checks that the
# store verifies, holds only whole acknowledged appends, and that
# `--skip-existing` resumes to the complete gallery with exact search results.
set -euo pipefail
VEIL=$1
WORK=$(mktemp -d /tmp/veil-crash.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
"$VEIL" keygen "$WORK/keys" >/dev/null
"$VEIL" generate "$WORK/gen" --n 20000 --d 16 --probes 2 >/dev/null
for round in 1 2 3 4 5 6; do
  rm -rf "$WORK/store"
  "$VEIL" enroll "$WORK/store" --keys "$WORK/keys" --input "$WORK/gen/gallery.npy" --blocks-per-append 1 \
    --threads 1 --quiet >/dev/null 2>&1 &
  pid=$!
  # 20..400 ms: before, during and after the first appends.
  sleep "0.$(printf '%03d' $(( (RANDOM % 380) + 20 )))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ -f "$WORK/store/manifest.json" ]; then
    "$VEIL" verify-store "$WORK/store" >/dev/null
    live=$("$VEIL" info "$WORK/store" --json | sed -n 's/.*"templates_live": \([0-9]*\).*/\1/p')
    # Appends are whole blocks of 4096 (the last one 3616): never a torn block.
    case "$live" in 0|4096|8192|12288|16384|20000) ;; *) echo "round $round: $live templates is not a whole number of appends"; exit 1;; esac
    "$VEIL" enroll "$WORK/store" --keys "$WORK/keys" --input "$WORK/gen/gallery.npy" --skip-existing --quiet >/dev/null
    live=$("$VEIL" info "$WORK/store" --json | sed -n 's/.*"templates_live": \([0-9]*\).*/\1/p')
    [ "$live" = 20000 ] || { echo "round $round: resumed store holds $live templates"; exit 1; }
    "$VEIL" verify-store "$WORK/store" >/dev/null
    "$VEIL" search "$WORK/store" --keys "$WORK/keys" --probe "$WORK/gen/probes.npy" -k 3 \
      --compare-with "$WORK/gen/gallery.npy" >/dev/null
  fi
  echo "round $round ok"
done
