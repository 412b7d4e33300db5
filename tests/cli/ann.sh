#!/usr/bin/env bash
# `veil ann build | search`: an encrypted IVF-PQ index built, searched, and
# refused clearly on bad input (existing index, wrong dimension, another key
# set, a damaged list file, a missing index) without anything half-written.
set -euo pipefail
VEIL=$1
WORK=$(mktemp -d /tmp/veil-ann.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
source "$(dirname "$0")/lib.sh"

"$VEIL" keygen "$WORK/keys" >/dev/null
"$VEIL" keygen "$WORK/keys2" >/dev/null
"$VEIL" generate "$WORK/g" --n 3000 --d 16 --probes 3 >/dev/null
"$VEIL" generate "$WORK/h" --n 10 --d 32 --probes 2 >/dev/null
"$VEIL" ann build "$WORK/idx" --keys "$WORK/keys" --input "$WORK/g/gallery.npy" \
  --nlist 8 --m 4 --groups 4 --quiet >/dev/null 2>&1
for f in ann.index ann.tables ann.lists; do
  [ -s "$WORK/idx/$f" ] || { echo "missing $f"; exit 1; }
done
[ -z "$(ls -A "$WORK" | grep -v -E '^(keys|keys2|g|h|idx)$')" ] || { echo "leftovers: $(ls -A "$WORK")"; exit 1; }

# Three queries, k = 3 hits each, nearest first, ids within the data.
"$VEIL" ann search "$WORK/idx" --keys "$WORK/keys" --query "$WORK/g/probes.npy" --nprobe 4 -k 3 \
  --json >"$WORK/hits.json"
python3 - "$WORK/hits.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert [q["query"] for q in r] == [0, 1, 2], r
for q in r:
    d = [h["distance"] for h in q["hits"]]
    assert len(d) == 3 and d == sorted(d), q
    assert all(0 <= h["id"] < 3000 for h in q["hits"]), q
PY

# A fixed fetch of all 8 lists (the 2 nearest and 6 others): hits no worse
# than those of the 4 nearest alone; a fetch below --nprobe or beyond the
# index is refused.
"$VEIL" ann search "$WORK/idx" --keys "$WORK/keys" --query "$WORK/g/probes.npy" --nprobe 2 \
  --fetch 8 -k 3 --json >"$WORK/fetch.json"
python3 - "$WORK/fetch.json" "$WORK/hits.json" <<'PY'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for qa, qb in zip(a, b):
    assert len(qa["hits"]) == 3, qa
    assert qa["hits"][-1]["distance"] <= qb["hits"][-1]["distance"] + 1e-3, (qa, qb)
PY

# A refining index: every list fetched and 3000 candidates re-ranked give
# the exact neighbours, so each noisy probe finds its source row first.
"$VEIL" ann build "$WORK/ridx" --keys "$WORK/keys" --input "$WORK/g/gallery.npy" \
  --nlist 8 --m 4 --groups 4 --refine --quiet >/dev/null 2>&1
"$VEIL" ann search "$WORK/ridx" --keys "$WORK/keys" --query "$WORK/g/probes.npy" --nprobe 1 \
  --fetch 8 --refine 3000 -k 3 --json >"$WORK/refined.json"
python3 - "$WORK/refined.json" "$WORK/g/truth.txt" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
src = [int(l.split(":")[1]) for l in open(sys.argv[2]) if l.strip()]
assert [q["hits"][0]["id"] for q in r] == src, (r, src)
PY
fails "holds no refinement vectors" "$VEIL" ann search "$WORK/idx" --keys "$WORK/keys" \
  --query "$WORK/g/probes.npy" --nprobe 2 --refine 100
fails "is below -k" "$VEIL" ann search "$WORK/ridx" --keys "$WORK/keys" \
  --query "$WORK/g/probes.npy" --nprobe 2 --refine 2 -k 3

before=$(md5sum "$WORK"/idx/*)
fails "--fetch 1 must be 0 or between" "$VEIL" ann search "$WORK/idx" --keys "$WORK/keys" \
  --query "$WORK/g/probes.npy" --nprobe 2 --fetch 1
fails "--fetch 9 must be" "$VEIL" ann search "$WORK/idx" --keys "$WORK/keys" \
  --query "$WORK/g/probes.npy" --nprobe 2 --fetch 9
fails "exists" "$VEIL" ann build "$WORK/idx" --keys "$WORK/keys" --input "$WORK/g/gallery.npy" --quiet
fails "dimension 32" "$VEIL" ann search "$WORK/idx" --keys "$WORK/keys" --query "$WORK/h/probes.npy"
fails "under key" "$VEIL" ann search "$WORK/idx" --keys "$WORK/keys2" --query "$WORK/g/probes.npy"
fails "no such directory" "$VEIL" ann search "$WORK/nope" --keys "$WORK/keys" --query "$WORK/g/probes.npy"
[ "$before" = "$(md5sum "$WORK"/idx/*)" ] || { echo "the index changed"; exit 1; }

cp -r "$WORK/idx" "$WORK/bad"
flip_byte "$WORK/bad/ann.lists" $(( $(stat -c %s "$WORK/bad/ann.lists") - 3 ))
fails "checksum" "$VEIL" ann search "$WORK/bad" --keys "$WORK/keys" --query "$WORK/g/probes.npy"
echo "cli ann: ok"
