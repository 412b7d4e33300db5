#!/usr/bin/env bash
# `make demo`: the whole encrypted-search flow with the `veil` command line,
# on a generated gallery and, when present, on the real FaceNet embeddings in
# ../shared/datasets. Every encrypted answer is printed beside the plaintext one.
set -euo pipefail
VEIL=${1:-build/apps/veil}
DATASETS=${VEIL_DATASETS:-$(cd "$(dirname "$0")/.." && pwd)/../shared/datasets}
WORK=$(mktemp -d /tmp/veil-demo.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

step() { printf '\n== %s\n' "$*"; }

step "key holder: keygen (secret key stays here, mode 0600)"
"$VEIL" keygen "$WORK/keys"
ls -l "$WORK/keys"

step "generated gallery: 50,000 random 128-d templates, 3 probes (noisy copies of known rows)"
"$VEIL" generate "$WORK/gen" --n 50000 --d 128 --probes 3 --noise 0.6
"$VEIL" enroll "$WORK/gen-store" --keys "$WORK/keys" --input "$WORK/gen/gallery.npy" --quiet
"$VEIL" info "$WORK/gen-store"
echo "true matches:"; cat "$WORK/gen/truth.txt"
"$VEIL" search "$WORK/gen-store" --keys "$WORK/keys" --probe "$WORK/gen/probes.npy" -k 3 \
  --compare-with "$WORK/gen/gallery.npy"

FACES="$DATASETS/faces/bollywood10_facenet512"
if [ -f "$FACES/embeddings.npy" ]; then
  step "real FaceNet embeddings (522 x 512, 10 identities): enroll all, search three of them"
  "$VEIL" enroll "$WORK/faces-store" --keys "$WORK/keys" --input "$FACES/embeddings.npy" \
    --labels "$FACES/labels.txt" --quiet
  "$VEIL" search "$WORK/faces-store" --keys "$WORK/keys" --probe "$FACES/embeddings.npy" \
    --row 0 --row 260 --row 500 -k 5 --compare-with "$FACES/embeddings.npy"
  step "watch-list decision: every template with cosine >= 0.8 to row 260"
  "$VEIL" search "$WORK/faces-store" --keys "$WORK/keys" --probe "$FACES/embeddings.npy" --row 260 \
    --threshold 0.8 --json | head -30
  step "delete one template, compact, verify"
  "$VEIL" delete "$WORK/faces-store" --id embeddings:260
  "$VEIL" search "$WORK/faces-store" --keys "$WORK/keys" --probe "$FACES/embeddings.npy" --row 260 -k 3
  "$VEIL" verify-store "$WORK/faces-store"
  step "two-stage gallery: PCA 512->32 for the encrypted pass, the best 50 re-scored at 512-d"
  "$VEIL" fit-reduction --method pca --dimension 32 --input "$FACES/embeddings.npy" \
    --out "$WORK/pca32.vrm"
  "$VEIL" enroll "$WORK/faces-2stage" --keys "$WORK/keys" --input "$FACES/embeddings.npy" \
    --labels "$FACES/labels.txt" --reduce "$WORK/pca32.vrm" --quiet
  "$VEIL" search "$WORK/faces-2stage" --keys "$WORK/keys" --probe "$FACES/embeddings.npy" \
    --row 0 --row 500 -k 5 --candidates 50 --compare-with "$FACES/embeddings.npy"
else
  step "FaceNet set not found under $DATASETS: skipped"
fi

step "the deployment: key service, search server and client as separate processes"
"$(dirname "$0")/demo-service.sh" "$(dirname "$VEIL")"
