#!/usr/bin/env bash
# `veil eval` end to end on a small generated set: the report folder holds
# eval.json / eval.md (and the PNGs when gnuplot is installed), the encrypted
# search agrees with the plaintext quantised search, and bad names fail with
# a message listing the valid ones.
set -euo pipefail
VEIL=$1
WORK=$(mktemp -d /tmp/veil-eval.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
source "$(dirname "$0")/lib.sh"
fails "unknown reduction 'pca16'.*valid: none, pca-D" \
  "$VEIL" eval --dataset generated --reductions none,pca16 --out "$WORK/bad"
fails "unknown dataset 'faces'.*valid: facenet, mnist, mnist-cnn, fmnist, generated" \
  "$VEIL" eval --dataset faces --out "$WORK/bad"
fails "unknown mode 'fast'.*valid: plaintext, encrypted, two-stage" \
  "$VEIL" eval --dataset generated --modes fast --out "$WORK/bad"
fails "above the input dimension 512" \
  "$VEIL" eval --dataset generated --reductions pca-600 --out "$WORK/bad"
fails "fmnist.*$WORK/nodata" \
  "$VEIL" eval --dataset fmnist --datasets "$WORK/nodata" --reductions none --out "$WORK/bad"

"$VEIL" eval --dataset generated --generated-identities 300 --max-probes 30 \
  --reductions none,pca-16,deepmds-8 --modes plaintext,encrypted,two-stage --K 50 \
  --threads 2 --out "$WORK/report" >"$WORK/md" 2>"$WORK/log" || { cat "$WORK/log"; exit 1; }
# A libtorch build trains DeepMDS++ itself; one without says how to get a model.
if grep -q "training DeepMDS++ 512->8" "$WORK/log"; then TRAINED=1; else
  grep -q "deepmds needs libtorch to train (this build has none): pass --deepmds-model FILE" \
    "$WORK/log"
  TRAINED=0
fi
[ -s "$WORK/report/eval.md" ] && [ -s "$WORK/report/eval.json" ]
grep -q "GENERATED DATA" "$WORK/report/eval.md"
python3 - "$WORK/report/eval.json" "$TRAINED" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
[s] = r["datasets"]
assert s["real"] is False and s["gallery_rows"] == 300, s
rows = s["rows"]
def row(red, mode, K=None):
    m = [x for x in rows if x["reduction"] == red and x["mode"] == mode and x["K"] == K]
    assert len(m) == 1, (red, mode, K, rows)
    return m[0]
for x in rows:
    assert 0 <= x["rank1"] <= 100, x
    assert x["ms_per_probe"] > 0, x
for red in ("none", "pca-16"):
    assert 0 <= row(red, "plaintext")["recall10"] <= 100
    e = row(red, "encrypted")
    assert e["mismatches"] == 0 and e["probes"] == 30, e
ts = row("pca-16", "two-stage", 50)
assert ts["probes"] == 30 and 0 <= ts["rank1"] <= 100, ts
assert row("none", "plaintext")["recall10"] == 100
assert not [x for x in rows if x["reduction"] == "none" and x["mode"] == "two-stage"]
if sys.argv[2] == "1":
    assert 0 <= row("deepmds-8", "plaintext")["rank1"] <= 100
else:
    assert [x for x in s["skipped"] if x["reduction"] == "deepmds-8"], s["skipped"]
PY
if command -v gnuplot >/dev/null 2>&1; then
  for f in rank1_vs_dim_generated.png rank1_vs_time_generated.png; do
    [ -s "$WORK/report/$f" ] || { echo "missing $f"; ls "$WORK/report"; exit 1; }
  done
else
  [ -s "$WORK/report/rank1_vs_dim_generated.gp" ]
fi
echo ok
