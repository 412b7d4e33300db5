#!/usr/bin/env bash
# Key identity: a gallery belongs to one key set (the fingerprint of its
# public key). Enrolling or searching with another `veil keygen`'s keys is
# refused before any work, naming both fingerprints, and changes nothing; key
# files that do not belong together are refused by name; a block that does
# not decode is located and blamed on damage or keys correctly.
set -euo pipefail
VEIL=$1
WORK=$(mktemp -d /tmp/veil-keyid.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
source "$(dirname "$0")/lib.sh"

key_of() { "$VEIL" keygen "$1" | sed -n 's/^key id //p'; }
(umask 000 && key_of "$WORK/keys" >"$WORK/k1")
k1=$(cat "$WORK/k1"); k2=$(key_of "$WORK/keys2")
[ ${#k1} -eq 32 ] && [ "$k1" != "$k2" ] || { echo "bad key ids: '$k1' '$k2'"; exit 1; }
# Created 0700 even under umask 000.
[ "$(stat -c %a "$WORK/keys")" = 700 ] || { echo "key dir is $(stat -c %a "$WORK/keys")"; exit 1; }

"$VEIL" generate "$WORK/g" --n 300 --d 16 --probes 2 >/dev/null
"$VEIL" generate "$WORK/h" --n 50 --d 16 >/dev/null
cp "$WORK/h/gallery.npy" "$WORK/other.npy"
"$VEIL" enroll "$WORK/gal" --keys "$WORK/keys" --input "$WORK/g/gallery.npy" --quiet >/dev/null
"$VEIL" info "$WORK/gal" --json | grep -q "\"key_id\": \"$k1\"" || { echo "info lacks the key id"; exit 1; }
snapshot() {
  "$VEIL" info "$WORK/gal" --json | grep -v bytes_at_rest
  "$VEIL" search "$WORK/gal" --keys "$WORK/keys" --probe "$WORK/g/probes.npy" -k 5 --json |
    grep -E '"(id|score)"'
}
before=$(snapshot)

# Another key set, secret-key and public-key enrollment, and search: refused
# with both fingerprints, nothing added.
fails "another key" "$VEIL" enroll "$WORK/gal" --keys "$WORK/keys2" --input "$WORK/other.npy"
grep -q "$k1" "$WORK/err" && grep -q "$k2" "$WORK/err" || { echo "fingerprints missing: $(cat "$WORK/err")"; exit 1; }
fails "another key" "$VEIL" enroll "$WORK/gal" --keys "$WORK/keys2" --input "$WORK/other.npy" --public-key
fails "another key" "$VEIL" search "$WORK/gal" --keys "$WORK/keys2" --probe "$WORK/g/probes.npy"
grep -q "$k1" "$WORK/err" && grep -q "$k2" "$WORK/err" || { echo "fingerprints missing: $(cat "$WORK/err")"; exit 1; }
[ "$before" = "$(snapshot)" ] || { echo "the store changed"; exit 1; }
"$VEIL" verify-store "$WORK/gal" >/dev/null

# Key files that do not belong together, missing or damaged: named.
mkdir -m 700 "$WORK/mixed"
cp "$WORK/keys/params.veil" "$WORK/keys/public.key" "$WORK/keys/expansion.keys" "$WORK/mixed/"
cp "$WORK/keys2/secret.key" "$WORK/mixed/"
fails "is not the secret of" "$VEIL" search "$WORK/gal" --keys "$WORK/mixed" --probe "$WORK/g/probes.npy"
cp "$WORK/keys2/gallery.pub" "$WORK/mixed/"
fails "gallery.pub belongs to key $k2" "$VEIL" enroll "$WORK/gal" --keys "$WORK/mixed" --input "$WORK/other.npy" --public-key
rm "$WORK/mixed/secret.key"
fails "secret.key is missing" "$VEIL" search "$WORK/gal" --keys "$WORK/mixed" --probe "$WORK/g/probes.npy"
cp "$WORK/keys/secret.key" "$WORK/mixed/"
printf 'garbage' > "$WORK/mixed/public.key"
fails "public.key is damaged" "$VEIL" search "$WORK/gal" --keys "$WORK/mixed" --probe "$WORK/g/probes.npy"
fails "no such directory\|does not exist" "$VEIL" search "$WORK/gal" --keys "$WORK/nokeys" --probe "$WORK/g/probes.npy"
[ "$before" = "$(snapshot)" ] || { echo "the store changed"; exit 1; }

# A third party with only params.veil and gallery.pub enrolls under the
# gallery's key (its id comes from gallery.pub).
mkdir -m 700 "$WORK/third"
cp "$WORK/keys/params.veil" "$WORK/keys/gallery.pub" "$WORK/third/"
"$VEIL" enroll "$WORK/pub" --keys "$WORK/third" --input "$WORK/g/gallery.npy" --public-key --quiet >/dev/null
"$VEIL" info "$WORK/pub" --json | grep -q "\"key_id\": \"$k1\"" || { echo "third party enrolled under another key id"; exit 1; }
"$VEIL" search "$WORK/pub" --keys "$WORK/keys" --probe "$WORK/g/probes.npy" -k 1 >/dev/null

# A flipped byte inside block data: search names the segment, block and ids
# and says it is damage (not keys).
seg=$(ls "$WORK"/gal/seg-*.vseg | head -1)
flip_byte "$seg" 5000
fails "damaged" "$VEIL" search "$WORK/gal" --keys "$WORK/keys" --probe "$WORK/g/probes.npy"
grep -q "$(basename "$seg")" "$WORK/err" && grep -q "g:0\|gallery:0" "$WORK/err" || { echo "not located: $(cat "$WORK/err")"; exit 1; }
echo ok
