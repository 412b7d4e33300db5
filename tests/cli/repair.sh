#!/usr/bin/env bash
# `veil repair` for every kind of damage: flipped block data, flipped segment
# header, truncation (into the data, and of the trailer only), a missing
# segment, a missing or damaged ids.sqlite, a damaged manifest. Each time the
# exact ids lost are listed (none when the bytes could be salvaged), the store
# verifies clean and searches afterwards, and the untouched templates are all
# still found under their ids.
set -euo pipefail
VEIL=$1
WORK=$(mktemp -d /tmp/veil-repair.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
source "$(dirname "$0")/lib.sh"

"$VEIL" keygen "$WORK/keys" >/dev/null
# Three enrollments, one segment each (ids a:*, b:*, c:*).
for s in a b c; do
  "$VEIL" generate "$WORK/gen-$s" --n 40 --d 16 --probes 1 --seed "$(printf '%d' "'$s")" >/dev/null
  cp "$WORK/gen-$s/gallery.npy" "$WORK/$s.npy"
done
"$VEIL" enroll "$WORK/base" --keys "$WORK/keys" --input "$WORK/a.npy" --quiet >/dev/null
"$VEIL" enroll "$WORK/base" --keys "$WORK/keys" --input "$WORK/b.npy" --quiet >/dev/null
"$VEIL" enroll "$WORK/base" --keys "$WORK/keys" --input "$WORK/c.npy" --quiet >/dev/null
seg2=seg-000002.vseg
[ -f "$WORK/base/$seg2" ] || { echo "expected $seg2: $(ls "$WORK/base")"; exit 1; }
size=$(stat -c %s "$WORK/base/$seg2")

# live ids of a store, sorted (a search with k = all, through the real protocol)
live_ids() {
  "$VEIL" search "$1" --keys "$WORK/keys" --probe "$WORK/gen-a/probes.npy" -k 1000 --json |
    sed -n 's/.*"id": "\(.*\)".*/\1/p' | sort
}
all_ids=$(live_ids "$WORK/base")
[ "$(echo "$all_ids" | wc -l)" = 120 ] || { echo "expected 120 ids"; exit 1; }
b_ids=$(echo "$all_ids" | grep '^b:')

# case <name> <expected lost: none|b> <damage command...>
case_() {
  local name=$1 lost=$2; shift 2
  rm -rf "$WORK/s"; cp -a "$WORK/base" "$WORK/s"
  "$@"
  "$VEIL" repair "$WORK/s" --json >"$WORK/rep.json" 2>"$WORK/err" ||
    { echo "$name: repair failed: $(cat "$WORK/err")"; exit 1; }
  grep -q '"verify_ok": true' "$WORK/rep.json" || { echo "$name: not clean: $(cat "$WORK/rep.json")"; exit 1; }
  grep -q '"changed": true' "$WORK/rep.json" || { echo "$name: repair saw nothing"; exit 1; }
  "$VEIL" verify-store "$WORK/s" >/dev/null
  local lost_json expected
  lost_json=$(tr -d '\n ' <"$WORK/rep.json" | sed -n 's/.*"lost_ids":\[\([^]]*\)\].*/\1/p' |
    tr ',' '\n' | tr -d '"' | sed '/^$/d' | sort)
  if [ "$lost" = none ]; then expected=""; else expected=$b_ids; fi
  [ "$lost_json" = "$expected" ] || { echo "$name: lost ids '$lost_json', expected '$expected'"; exit 1; }
  local left
  left=$(live_ids "$WORK/s")
  if [ "$lost" = none ]; then
    [ "$left" = "$all_ids" ] || { echo "$name: ids changed"; exit 1; }
  else
    [ "$left" = "$(echo "$all_ids" | grep -v '^b:')" ] || { echo "$name: wrong ids left"; exit 1; }
  fi
  # Repairing again changes nothing.
  "$VEIL" repair "$WORK/s" | grep -q "nothing was changed" || { echo "$name: second repair changed something"; exit 1; }
  echo "$name: ok"
}

case_ flipped-block-data b flip_byte "$WORK/s/$seg2" 4000
case_ flipped-segment-header none flip_byte "$WORK/s/$seg2" 70
case_ truncated-into-data b truncate -s 3000 "$WORK/s/$seg2"
case_ truncated-trailer none truncate -s $((size - 10)) "$WORK/s/$seg2"
case_ missing-segment b rm "$WORK/s/$seg2"
case_ missing-index none rm "$WORK/s/ids.sqlite"
case_ damaged-index none dd if=/dev/urandom of="$WORK/s/ids.sqlite" bs=1 seek=100 count=2000 conv=notrunc status=none
case_ damaged-manifest none flip_byte "$WORK/s/manifest.json" 5
# Searching a store with a damaged block names it before repair.
rm -rf "$WORK/s"; cp -a "$WORK/base" "$WORK/s"; flip_byte "$WORK/s/$seg2" 4000
fails "damaged" "$VEIL" search "$WORK/s" --keys "$WORK/keys" --probe "$WORK/gen-a/probes.npy"
grep -q "$seg2" "$WORK/err" || { echo "segment not named: $(cat "$WORK/err")"; exit 1; }
fails "veil repair" "$VEIL" verify-store "$WORK/s"
echo ok
