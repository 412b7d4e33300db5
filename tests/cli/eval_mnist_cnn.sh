#!/usr/bin/env bash
# `veil eval --dataset mnist-cnn`. Usage: eval_mnist_cnn.sh VEIL TORCH DATASETS
# (TORCH: ON when the build has libtorch). A libtorch build trains the MNIST
# CNN on 6,000 images for one epoch and must reach plaintext rank-1 above 90%
# over the 10,000 test images (leave-one-out), with PCA 16 fitted on
# held-out train embeddings; a build without libtorch must refuse the set
# with a message saying it needs one. Exit 77 (skipped) without the MNIST files.
set -euo pipefail
VEIL=$1 TORCH=$2 DATASETS=${VEIL_DATASETS:-$3}
WORK=$(mktemp -d /tmp/veil-eval-cnn.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
source "$(dirname "$0")/lib.sh"
"$VEIL" eval --help | grep -q "mnist-cnn" || { echo "eval --help does not mention mnist-cnn"; exit 1; }

if [ "$TORCH" != ON ]; then
  fails "dataset mnist-cnn needs a libtorch build" \
    "$VEIL" eval --dataset mnist-cnn --reductions none --out "$WORK/bad"
  [ ! -e "$WORK/bad/eval.json" ]
  echo "ok (no libtorch: refused)"
  exit 0
fi

fails "reduction pca-128: dimension 128 is above the input dimension 64 of mnist-cnn" \
  "$VEIL" eval --dataset mnist-cnn --reductions none,pca-128 --out "$WORK/bad"
fails "mnist-cnn-images must be 1 to 50000" \
  "$VEIL" eval --dataset mnist-cnn --mnist-cnn-images 50001 --out "$WORK/bad"
fails "$WORK/nodata/mnist/train-images-idx3-ubyte.gz" \
  "$VEIL" eval --dataset mnist-cnn --datasets "$WORK/nodata" --reductions none --out "$WORK/bad"

if [ ! -f "$DATASETS/mnist/train-images-idx3-ubyte.gz" ]; then
  echo "skipped: no MNIST under $DATASETS"
  exit 77
fi
"$VEIL" eval --dataset mnist-cnn --datasets "$DATASETS" --mnist-cnn-images 6000 \
  --mnist-cnn-epochs 1 --reductions none,pca-16 --modes plaintext,encrypted --max-probes 20 \
  --threads 2 --out "$WORK/report" >"$WORK/md" 2>"$WORK/log" || { cat "$WORK/log"; exit 1; }
grep -q "training the MNIST CNN on train images 0..5999, 1 epoch" "$WORK/log" || { cat "$WORK/log"; exit 1; }
grep -q "REAL DATA" "$WORK/report/eval.md"
python3 - "$WORK/report/eval.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
[s] = r["datasets"]
assert s["set"] == "mnist-cnn" and s["real"] is True, s["set"]
assert s["input_dim"] == 64 and s["train_rows"] == 10000, s
assert s["gallery_rows"] == 10000 and s["probes"] == 10000 and s["leave_one_out"], s
e = s["embedder"]
assert e["train_image_count"] == 6000 and e["epochs"] == 1 and e["seed"] == 20261121, e
assert 0.5 < e["last_epoch_train_accuracy"] <= 1, e
assert s["fit_images"] == "MNIST train 50000..59999", s["fit_images"]
rows = {(x["reduction"], x["mode"]): x for x in s["rows"]}
none = rows[("none", "plaintext")]
# Chance is about 10%; the CNN embeddings must make nearest-neighbour digits right.
assert none["rank1"] > 90, none["rank1"]
assert none["recall10"] == 100, none
pca = rows[("pca-16", "plaintext")]
assert pca["dim"] == 16 and pca["rank1"] > 80, pca
for red in ("none", "pca-16"):
    enc = rows[(red, "encrypted")]
    assert enc["probes"] == 20 and enc["mismatches"] == 0, enc
    assert 0 <= enc["rank1"] <= 100, enc
PY
echo ok
