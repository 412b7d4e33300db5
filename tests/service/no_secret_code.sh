#!/usr/bin/env bash
# The search server does not link the decryption code: no symbol of the
# score decryptor, the secret-key decryptor, the key holder, the stage-2 row
# cipher or the seal key (which opens sealed probes) is in
# veil-serve. The same check on veil-keyservice must find them (so the test
# can fail: the pattern names real symbols).
# usage: no_secret_code.sh <veil-serve> <veil-keyservice>
set -euo pipefail
pattern='ScoreDecryptor|rlwe::Decryptor|collection::KeyHolder|search::RowCipher|collection::SealKey'
serve=$(nm -C "$1" | grep -E "$pattern" || true)
if [ -n "$serve" ]; then
  echo "veil-serve links decryption code:"
  echo "$serve" | head -20
  exit 1
fi
ks=$(nm -C "$2" | grep -cE "$pattern" || true)
[ "$ks" -gt 0 ] || { echo "the pattern finds nothing in veil-keyservice either: stale test"; exit 1; }
echo "veil-serve: no decryption symbols (veil-keyservice: $ks)"
