#!/usr/bin/env bash
# Hostile input, class by class, through every command: counts (negative,
# absurd, not numbers), real numbers (NaN, infinities, out of range), text
# (ids and labels with control characters or invalid UTF-8), files (FIFOs,
# directories, an output that is one of the inputs) and rows (numbered as in
# the input file; no rows at all). Each case must exit non-zero, say the key
# words (the option, the bound, the value; the file and the line), and leave
# the stores exactly as they were: `veil info --json`, every id (a search
# with a large -k) and a search result are compared before and after.
set -euo pipefail
VEIL=$(realpath "$1")
WORK=$(mktemp -d /tmp/veil-hostile.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
source "$(dirname "$0")/lib.sh"
cd "$WORK"

# Every command runs under a timeout: one that blocks (a FIFO) or starts
# real work (a bound not enforced) fails the test instead of hanging it.
V() { timeout 20 "$VEIL" "$@"; }

V keygen keys >/dev/null
V generate g --n 200 --d 16 --probes 3 >/dev/null
V enroll store --keys keys --input g/gallery.npy --quiet >/dev/null
V fit-reduction --input g/gallery.npy --dimension 8 --out pca8.model >/dev/null
V enroll store2 --keys keys --input g/gallery.npy --reduce pca8.model --quiet >/dev/null
cp pca8.model pca8.saved

# CSV fixtures (16-d): rows of small integers, optionally one row of zeros.
csv() {  # csv <file> <rows> [zero-row]
  python3 - "$@" <<'PY'
import sys
path, rows = sys.argv[1], int(sys.argv[2])
zero = int(sys.argv[3]) if len(sys.argv) > 3 else -1
with open(path, "w") as f:
    for i in range(rows):
        v = [0] * 16 if i == zero else [((i * 7 + j * 3) % 11) - 5 or 1 for j in range(16)]
        f.write(",".join(str(x) for x in v) + "\n")
PY
}
csv five.csv 5
csv zero2.csv 5 2
: >empty.csv
mkfifo fifo.npy fifo.txt fifo.model
mkdir dir.npy

# The stores' state, two ways: every byte of their files (cheap: after every
# case) and what the commands report (info --json, every id through a search
# with a large -k, a search result with scores: after each class of cases).
STORES=(store store2)
bytes() { find "${STORES[@]}" -type f | sort | xargs md5sum; }
report() {
  for s in "${STORES[@]}"; do
    V info "$s" --json
    V search "$s" --keys keys --probe g/probes.npy --row 0 --row 2 -k 1000 --json |
      grep -E '"(id|score|label)"'
  done
}
before_bytes=$(bytes)
before_report=$(report)
unchanged() {
  [ "$before_bytes" = "$(bytes)" ] || { echo "a store's files changed after: $*"; exit 1; }
}
reported_unchanged() {
  [ "$before_report" = "$(report)" ] || { echo "a store reports otherwise after: $*"; exit 1; }
}
# refused <word>... -- <veil args...>: non-zero exit, every word on stderr,
# both stores unchanged.
refused() {
  local words=()
  while [ "$1" != "--" ]; do words+=("$1"); shift; done
  shift
  fails "${words[0]}" V "$@"
  for w in "${words[@]}"; do
    grep -qF -- "$w" "$WORK/err" || { echo "missing '$w' for: $*"; cat "$WORK/err"; exit 1; }
  done
  unchanged "$@"
}
S=(search store --keys keys --probe g/probes.npy)
E=(enroll store --keys keys --input five.csv --quiet)

## Counts: negative, above the bound, not a number.
refused --threads 100000 "above the limit of 1024" -- "${S[@]}" --threads 100000
refused --threads -1 negative -- "${S[@]}" --threads -1
refused --threads 0x10 "not a whole number" -- "${S[@]}" --threads 0x10
refused --threads 100000 "limit of 1024" -- "${E[@]}" --threads 100000
refused --threads -1 negative -- "${E[@]}" --threads -1
refused --blocks-per-append 0 "minimum of 1" -- "${E[@]}" --blocks-per-append 0
refused --blocks-per-append 5000 "limit of 1024" -- "${E[@]}" --blocks-per-append 5000
refused --top 0 "minimum of 1" -- "${S[@]}" -k 0
refused --top -5 negative -- "${S[@]}" -k -5
refused --top 1e9 "limit of 100000" -- "${S[@]}" -k 1e9
refused --row -1 negative -- "${S[@]}" --row -1
refused --row 1e400 "limit of" -- "${S[@]}" --row 1e400
refused "--row 7" "past the 3 probes" -- "${S[@]}" --row 7
refused --candidates 0 "minimum of 1" -- search store2 --keys keys --probe g/probes.npy --candidates 0
refused --candidates -1 negative -- search store2 --keys keys --probe g/probes.npy --candidates -1
refused --n -1 negative -- generate gbad --n -1
refused --n 0 "minimum of 1" -- generate gbad --n 0
refused --n 1e9 "limit of 100000000" -- generate gbad --n 1e9
refused --d 5000 "limit of 4096" -- generate gbad --d 5000
refused --probes -3 negative -- generate gbad --probes -3
refused --seed -1 negative -- generate gbad --seed -1
refused --seed 4294967296 "limit of 4294967295" -- generate gbad --seed 4294967296
refused "--n 100000000 x --d 4096" "limit of 1000000000" -- generate gbad --n 1e8 --d 4096
[ ! -e gbad ] || { echo "a refused generate wrote gbad"; exit 1; }
refused --gallery-dimension -1 negative -- keygen kbad --gallery-dimension -1
refused --gallery-dimension 99999 "limit of 4096" -- keygen kbad --gallery-dimension 99999
[ ! -e kbad ] || { echo "a refused keygen wrote kbad"; exit 1; }
refused --dimension 0 "minimum of 1" -- gallery-key keys --dimension 0
refused --dimension -1 negative -- fit-reduction --input g/gallery.npy --dimension -1 --out m.model
refused --epochs 0 "minimum of 1" -- fit-reduction --input g/gallery.npy --epochs 0 --out m.model
refused --seed -1 negative -- fit-reduction --input g/gallery.npy --seed -1 --out m.model
[ ! -e m.model ] || { echo "a refused fit-reduction wrote m.model"; exit 1; }
# bench: refused before any work (a bound not enforced would run into the timeout).
refused --n nan "not a whole number" -- bench --n nan
refused --n -1 negative -- bench --n -1 --d 16
refused --d 0 "minimum of 1" -- bench --n 1000 --d 16,0
refused --d nan "not a whole number" -- bench --n 1000 --d 16,nan
refused --repeats 0 "minimum of 1" -- bench --repeats 0
refused --threads 100000 "limit of 1024" -- bench --threads 100000
refused --bandwidth-mib 1 "minimum of 64" -- bench --bandwidth-mib 1
refused --K 5 "minimum of 10" -- bench --two-stage --K 5
refused --coarse-d -1 negative -- bench --two-stage --coarse-d -1
refused --probes 0 "minimum of 1" -- bench --two-stage --probes 0
refused --full-d 1 "minimum of 2" -- bench --two-stage --full-d 1
# eval: refused before any work.
refused --threads -1 negative -- eval --dataset generated --threads -1 --out ebad
refused --K nan "not a whole number" -- eval --dataset generated --K 100,nan --out ebad
refused --generated-identities 1 "minimum of 2" -- eval --dataset generated --generated-identities 1 --out ebad
refused --max-probes 0 "minimum of 1" -- eval --dataset generated --max-probes 0 --out ebad
refused --seed -1 negative -- eval --dataset generated --seed -1 --out ebad
refused --mnist-cnn-epochs 0 "minimum of 1" -- eval --dataset generated --mnist-cnn-epochs 0 --out ebad
refused --mnist-cnn-images -1 negative -- eval --dataset generated --mnist-cnn-images -1 --out ebad
[ ! -e ebad ] || { echo "a refused eval wrote ebad"; exit 1; }

reported_unchanged "the cases above"

## Real numbers: NaN, infinities, out of range.
for bad in nan NaN inf -inf infinity 1e999; do
  refused --threshold "$bad" "not a finite number" -- "${S[@]}" --threshold "$bad"
  refused --noise "$bad" "not a finite number" -- generate gbad --noise "$bad"
done
refused --threshold 1.5 "outside the range -1 to 1" -- "${S[@]}" --threshold 1.5
refused --noise -1 "outside the range 0 to 10" -- generate gbad --noise -1
refused --noise 11 "outside the range 0 to 10" -- generate gbad --noise 11
[ ! -e gbad ] || { echo "a refused generate wrote gbad"; exit 1; }

reported_unchanged "the cases above"

## Text: ids and labels are valid UTF-8 without control characters; the
## file, the line and id vs label are named.
printf 'n:0\nn:1\x00x\nn:2\nn:3\nn:4\n' >nul_ids.txt
refused nul_ids.txt "line 2" "id" "control character U+0000" -- "${E[@]}" --ids nul_ids.txt
printf 'n:0\nn:1\n\nn:3\nn:4\n' >empty_ids.txt
refused empty_ids.txt "line 3: empty id" -- "${E[@]}" --ids empty_ids.txt
printf 'n:0\nn:1\nn:0\nn:3\nn:4\n' >dup_ids.txt
refused "id 'n:0' appears twice in dup_ids.txt (lines 1 and 3)" -- "${E[@]}" --ids dup_ids.txt
printf 'a\nb\xff\nc\nd\ne\n' >bad_labels.txt
refused bad_labels.txt "line 2: label" "invalid UTF-8" -- "${E[@]}" --labels bad_labels.txt
printf 'a\nb\nc\td\nd\ne\n' >tab_labels.txt
refused tab_labels.txt "line 3: label" "U+0009" -- "${E[@]}" --labels tab_labels.txt
printf 'a\n\nc\nd\ne\n' >empty_labels.txt
refused empty_labels.txt "line 2: empty label" -- "${E[@]}" --labels empty_labels.txt
cp five.csv "$(printf 'bad\001name.csv')"
refused "file name" "pass --ids" -- enroll store --keys keys --input "$(printf 'bad\001name.csv')"
refused --id "U+0001" -- delete store --id "$(printf 'gallery:1\001')"
refused --id "invalid UTF-8" -- delete store --id "$(printf 'gallery:\xff')"
refused --id "U+001B" -- delete store --id gallery:2 --id "$(printf '\033[31m')"
# A refused enrollment into a new store creates nothing.
refused "line 2" "id" -- enroll newstore --keys keys --input five.csv --ids nul_ids.txt
[ ! -e newstore ] || { echo "a refused enrollment created newstore"; exit 1; }

reported_unchanged "the cases above"

## Files: inputs are regular files (a FIFO never blocks), outputs are never
## an input.
refused --probe fifo.npy "FIFO (named pipe), not a regular file" -- search store --keys keys --probe fifo.npy
refused --input fifo.npy FIFO -- enroll store --keys keys --input fifo.npy
refused --ids fifo.txt FIFO -- "${E[@]}" --ids fifo.txt
refused --labels fifo.txt FIFO -- "${E[@]}" --labels fifo.txt
refused --reduce fifo.model FIFO -- enroll store2 --keys keys --input five.csv --reduce fifo.model
refused --compare-with fifo.npy FIFO -- "${S[@]}" --compare-with fifo.npy
refused --model fifo.model FIFO -- reduce --model fifo.model --input g/gallery.npy --out r.npy
refused --input fifo.npy FIFO -- reduce --model pca8.model --input fifo.npy --out r.npy
refused --input fifo.npy FIFO -- fit-reduction --input fifo.npy --out m.model
refused --labels fifo.txt FIFO -- fit-reduction --input g/gallery.npy --labels fifo.txt --out m.model
refused --deepmds-model fifo.model FIFO -- eval --dataset generated --deepmds-model fifo.model --out ebad
refused --probe dir.npy "is a directory, not a regular file" -- search store --keys keys --probe dir.npy
refused --input dir.npy "is a directory" -- enroll store --keys keys --input dir.npy
refused --model dir.npy "is a directory" -- reduce --model dir.npy --input g/gallery.npy --out r.npy
refused --keys "no such directory" -- search store --keys nokeys --probe g/probes.npy
refused --keys "is a regular file, not a directory" -- search store --keys pca8.model --probe g/probes.npy
refused store "is a regular file, not a directory" -- enroll pca8.model --keys keys --input five.csv
# Files the loaders find themselves (a store's model, a key): a FIFO there is refused too.
mv store2/reduction.model store2.model.saved
mkfifo store2/reduction.model
fails "FIFO" V search store2 --keys keys --probe g/probes.npy
rm store2/reduction.model
mv store2.model.saved store2/reduction.model
cp -r keys fifokeys
rm fifokeys/secret.key
mkfifo -m 600 fifokeys/secret.key
fails "FIFO" V search store --keys fifokeys --probe g/probes.npy
unchanged "FIFO in the store or the keys"
# An output onto an input, however it is spelled.
ln -s pca8.model alias.model
ln pca8.model hard.model
for out in pca8.model ./pca8.model "$WORK/pca8.model" nodir/../pca8.model alias.model hard.model; do
  refused --out "is the same file as --model" "refusing to overwrite an input" -- \
    reduce --model pca8.model --input g/gallery.npy --out "$out"
done
refused --out "is the same file as --input" -- reduce --model pca8.model --input five.csv --out five.csv
refused --out "is the same file as --input" -- fit-reduction --input five.csv --dimension 4 --out five.csv
refused --out "is the same file as --labels" -- \
  fit-reduction --input g/gallery.npy --labels empty_ids.txt --out empty_ids.txt
refused --out "is a directory" -- reduce --model pca8.model --input g/gallery.npy --out dir.npy
refused --out FIFO -- reduce --model pca8.model --input g/gallery.npy --out fifo.npy
cmp pca8.model pca8.saved || { echo "the model was overwritten"; exit 1; }
[ "$(cat five.csv | wc -l)" = 5 ] || { echo "five.csv was overwritten"; exit 1; }
refused store "is the same directory as --keys" -- enroll keys --keys keys --input five.csv
refused store "is the same directory as --keys" -- enroll keys/ --keys ./keys --input five.csv
[ ! -e keys/manifest.json ] || { echo "a store was created in the key directory"; exit 1; }
mkdir ds
refused --out "is the same directory as --datasets" -- eval --dataset generated --datasets ds --out ds/
refused --json "is a directory" -- bench --json dir.npy

reported_unchanged "the cases above"

## Rows: numbered as in the input file; no rows is an error.
refused zero2.csv "row 2 is all zeros" -- search store --keys keys --probe zero2.csv --json
[ ! -s "$WORK/out" ] || { echo "search printed results before refusing a bad row"; exit 1; }
refused zero2.csv "row 2 is all zeros" -- search store --keys keys --probe zero2.csv --row 0 --row 2
refused zero2.csv "row 2 is all zeros" -- search store2 --keys keys --probe zero2.csv
refused zero2.csv "row 2 is all zeros" -- enroll store --keys keys --input zero2.csv
refused zero2.csv "row 2 is all zeros" -- enroll store2 --keys keys --input zero2.csv
refused zero2.csv "row 2 is all zeros" -- enroll newstore --keys keys --input zero2.csv
[ ! -e newstore ] || { echo "a refused enrollment created newstore"; exit 1; }
# After --skip-existing leaves out the first rows, the row is still the file's.
python3 -c "
import struct
with open('nan.fvecs', 'wb') as f:
    for i in range(4):
        v = [float('nan') if (i, j) == (3, 5) else 1.0 for j in range(16)]
        f.write(struct.pack('<i16f', 16, *v))
"
V enroll skip --keys keys --input five.csv --quiet >/dev/null
STORES=(store store2 skip)
before_bytes=$(bytes)
before_report=$(report)
head -2 five.csv >skip.csv
sed -n 3p zero2.csv >>skip.csv
sed -n 4,5p five.csv >>skip.csv
printf 'five:0\nfive:1\nnew:2\nnew:3\nnew:4\n' >skip_ids.txt
refused skip.csv "row 2 is all zeros" -- enroll skip --keys keys --input skip.csv --ids skip_ids.txt --skip-existing
refused nan.fvecs "finite" -- search store --keys keys --probe nan.fvecs
refused empty.csv "holds no probes" -- search store --keys keys --probe empty.csv
refused empty.csv "holds no embeddings" -- enroll store --keys keys --input empty.csv
refused empty.csv "holds no embeddings" -- reduce --model pca8.model --input empty.csv --out r.npy
refused empty.csv "holds no embeddings" -- fit-reduction --input empty.csv --out m.model
python3 -c "print('1,2,3,4,5,6,7,8')" >eight.csv
refused --compare-with eight.csv "1 rows of dimension 8; the gallery has 16" -- \
  "${S[@]}" --compare-with eight.csv
[ ! -e r.npy ] && [ ! -e m.model ] || { echo "a refused command wrote an output"; exit 1; }
reported_unchanged "the cases above"
echo ok
