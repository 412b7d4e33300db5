#!/usr/bin/env bash
# Two-stage galleries end to end: `veil enroll --reduce MODEL` keeps both
# layouts and the model in one store; `veil search --candidates K` re-scores
# the K stage-1 candidates with the full templates. Checks: with K covering
# the whole gallery the answer equals the exact full-dimension plaintext
# top-k; with a small K the true match of each probe is still found; deletes
# are honoured; the model is checked against the store's fingerprint; bad
# input changes nothing.
set -euo pipefail
VEIL=$(realpath "$1")
WORK=$(mktemp -d /tmp/veil-two-stage.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
source "$(dirname "$0")/lib.sh"
cd "$WORK"
"$VEIL" keygen keys >/dev/null
"$VEIL" generate data --n 5000 --d 128 --probes 8 --noise 0.3 --seed 7 >/dev/null
"$VEIL" fit-reduction --input data/gallery.npy --dimension 16 --out pca16.model >/dev/null
"$VEIL" enroll store --keys keys --input data/gallery.npy --reduce pca16.model --quiet |
  grep -q "created two-stage gallery"
"$VEIL" info store --json > info.json
grep -q '"search": "two-stage"' info.json
grep -q '"dimension": 128' info.json
grep -q '"stage1_dimension": 16' info.json
grep -q '"reduction_model": "ok"' info.json

# K = every slot: exactly the plaintext full-dimension quantised top-10
# (--compare-with exits non-zero on any difference).
for row in 0 3 7; do
  "$VEIL" search store --keys keys --probe data/probes.npy --row $row -k 10 --candidates 5000 \
    --compare-with data/gallery.npy | grep -q "scores equal"
done

# K = 100 of 5000: each probe's source row (truth.txt) is still its top match.
"$VEIL" search store --keys keys --probe data/probes.npy -k 1 --candidates 100 --json > k100.json
mapfile -t truth < data/truth.txt
for row in $(seq 0 7); do
  top=$(python3 -c "import json,sys; print(json.load(open('k100.json'))[$row]['matches'][0]['id'])")
  [ "$top" = "${truth[$row]}" ] || { echo "probe $row: top $top, truth ${truth[$row]}"; exit 1; }
done
grep -q '"candidates": 100' k100.json

# A deleted template is never returned.
victim="${truth[0]}"
"$VEIL" delete store --id "$victim" >/dev/null
"$VEIL" search store --keys keys --probe data/probes.npy --row 0 -k 5 --candidates 5000 --json > del.json
if grep -q "\"$victim\"" del.json; then echo "deleted $victim returned"; exit 1; fi

# Bad input: clear errors, nothing changes.
before=$("$VEIL" info store --json)
"$VEIL" fit-reduction --input data/probes.npy --dimension 16 --out other16.model >/dev/null
"$VEIL" fit-reduction --input data/gallery.npy --dimension 8 --out pca8.model >/dev/null
fails "not the one the gallery was made with" \
  "$VEIL" enroll store --keys keys --input data/probes.npy --reduce other16.model
fails "the gallery was made with a 128->16 model" \
  "$VEIL" enroll store --keys keys --input data/probes.npy --reduce pca8.model
fails "leave out --public-key" \
  "$VEIL" enroll store2 --keys keys --input data/gallery.npy --reduce pca16.model --public-key
[ ! -e store2 ] || { echo "store2 was created"; exit 1; }
"$VEIL" generate d64 --n 50 --d 64 >/dev/null
fails "reduces 128-d templates" "$VEIL" enroll store3 --keys keys --input d64/gallery.npy --reduce pca16.model
fails "dimension 64" "$VEIL" enroll store --keys keys --input d64/gallery.npy
python3 -c "print(','.join(['0.1'] * 128)); print(','.join(['0.1'] * 127 + ['nan']))" > nan.csv
fails "finite" "$VEIL" enroll store --keys keys --input nan.csv
fails "finite" "$VEIL" enroll store4 --keys keys --input nan.csv --reduce pca16.model
[ ! -e store4 ] || { echo "a refused enrollment created store4"; exit 1; }
fails "dimension" "$VEIL" search store --keys keys --probe d64/probes.npy
[ "$before" = "$("$VEIL" info store --json)" ] || { echo "store changed"; exit 1; }

# A single-stage gallery: --reduce and --candidates are refused.
"$VEIL" enroll plain --keys keys --input d64/gallery.npy --quiet >/dev/null
fails "single-stage gallery" "$VEIL" enroll plain --keys keys --input d64/probes.npy --reduce pca16.model
fails "applies to two-stage galleries" "$VEIL" search plain --keys keys --probe d64/probes.npy --candidates 10

# The model file: missing or altered is refused and reported; --reduce restores it.
mv store/reduction.model saved.model
fails "reduction.model is missing" "$VEIL" search store --keys keys --probe data/probes.npy
fails "damaged" "$VEIL" verify-store store
cp saved.model store/reduction.model
printf 'x' >> store/reduction.model
fails "trailing bytes" "$VEIL" search store --keys keys --probe data/probes.npy
rm store/reduction.model
"$VEIL" enroll store --keys keys --input data/probes.npy --reduce pca16.model --quiet >/dev/null
cmp store/reduction.model saved.model
"$VEIL" verify-store store | grep -q ": ok"
# Resuming an enrollment skips what is already there.
"$VEIL" enroll store --keys keys --input data/probes.npy --skip-existing --quiet | grep -q "8 already enrolled"
echo ok
