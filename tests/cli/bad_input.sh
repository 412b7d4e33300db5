#!/usr/bin/env bash
# The command line refuses bad input with a clear message and a non-zero exit,
# and leaves the store as it was.
set -euo pipefail
VEIL=$1
WORK=$(mktemp -d /tmp/veil-bad.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
source "$(dirname "$0")/lib.sh"
"$VEIL" keygen "$WORK/keys" >/dev/null
fails "refusing to overwrite" "$VEIL" keygen "$WORK/keys"
"$VEIL" generate "$WORK/g16" --n 100 --d 16 >/dev/null
"$VEIL" generate "$WORK/g17" --n 10 --d 17 >/dev/null
"$VEIL" enroll "$WORK/store" --keys "$WORK/keys" --input "$WORK/g16/gallery.npy" --quiet >/dev/null
before=$("$VEIL" info "$WORK/store" --json)
fails "dimension" "$VEIL" enroll "$WORK/store" --keys "$WORK/keys" --input "$WORK/g17/gallery.npy"
fails "already enrolled" "$VEIL" enroll "$WORK/store" --keys "$WORK/keys" --input "$WORK/g16/gallery.npy"
printf '0.1,0.2\nnan,0.3\n' > "$WORK/nan.csv"
rm -rf "$WORK/s2"
fails "finite" "$VEIL" enroll "$WORK/s2" --keys "$WORK/keys" --input "$WORK/nan.csv"
[ ! -e "$WORK/s2" ] || { echo "a refused enrollment created a store"; exit 1; }
printf '0,0\n0.5,0.3\n' > "$WORK/zero.csv"
fails "all zeros" "$VEIL" enroll "$WORK/s3" --keys "$WORK/keys" --input "$WORK/zero.csv"
fails "dimension" "$VEIL" search "$WORK/store" --keys "$WORK/keys" --probe "$WORK/g17/probes.npy"
fails "not live\|unknown\|not in" "$VEIL" delete "$WORK/store" --id nosuchid
[ "$before" = "$("$VEIL" info "$WORK/store" --json)" ] || { echo "store changed"; exit 1; }
# Another key directory (same parameter set): refused by key identity (key_identity.sh has more).
"$VEIL" keygen "$WORK/keys2" >/dev/null
fails "another key" "$VEIL" search "$WORK/store" --keys "$WORK/keys2" --probe "$WORK/g16/probes.npy"
# A flipped byte in a segment: verify-store reports it.
seg=$(ls "$WORK"/store/*.vseg | head -1)
flip_byte "$seg" 100000
fails "damaged" "$VEIL" verify-store "$WORK/store"
echo ok
