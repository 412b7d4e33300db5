#!/usr/bin/env bash
# make_certs_test.sh <make-certs.sh>: runs the script into a fresh directory
# and checks what it promises: every leaf verifies against the CA, names
# 127.0.0.1, ::1 and localhost, holds the public half of its key (EC P-256),
# keys are mode 0600, a rerun overwrites with a new coherent set, and success
# prints nothing.
set -euo pipefail
SCRIPT=$1
if ! command -v openssl >/dev/null 2>&1; then
  echo "SKIP: no openssl command line (apt-get install openssl)"
  exit 77  # SKIP_RETURN_CODE in CMakeLists.txt
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/veil-test-certs.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

check_set() {
  local dir=$1 n
  for n in ca server keyservice client; do
    [ -s "$dir/$n.pem" ] || fail "$dir/$n.pem missing or empty"
    [ -s "$dir/$n.key" ] || fail "$dir/$n.key missing or empty"
    [ "$(stat -c %a "$dir/$n.key")" = 600 ] || fail "$n.key mode $(stat -c %a "$dir/$n.key")"
    openssl pkey -in "$dir/$n.key" -noout -text 2>/dev/null | grep -q "NIST CURVE: P-256" ||
      fail "$n.key is not an EC P-256 key"
  done
  for n in server keyservice client; do
    out=$(openssl verify -CAfile "$dir/ca.pem" "$dir/$n.pem" 2>&1) ||
      fail "openssl verify $n.pem: $out"
    [ "$out" = "$dir/$n.pem: OK" ] || fail "openssl verify $n.pem: $out"
    san=$(openssl x509 -in "$dir/$n.pem" -noout -ext subjectAltName)
    grep -q "IP Address:127.0.0.1" <<<"$san" || fail "$n.pem SAN lacks 127.0.0.1: $san"
    grep -q "IP Address:0:0:0:0:0:0:0:1" <<<"$san" || fail "$n.pem SAN lacks ::1: $san"
    grep -q "DNS:localhost" <<<"$san" || fail "$n.pem SAN lacks localhost: $san"
    # The certificate carries the key beside it.
    [ "$(openssl x509 -in "$dir/$n.pem" -noout -pubkey)" = \
      "$(openssl pkey -in "$dir/$n.key" -pubout)" ] || fail "$n.pem does not match $n.key"
    # Valid now and for (about) two days, not longer.
    openssl x509 -in "$dir/$n.pem" -noout -checkend 86400 >/dev/null ||
      fail "$n.pem expires within a day"
    if openssl x509 -in "$dir/$n.pem" -noout -checkend $((3 * 86400)) >/dev/null; then
      fail "$n.pem is valid for more than 2 days"
    fi
  done
  # A leaf is no CA: nothing it signs may verify.
  openssl x509 -in "$dir/server.pem" -noout -ext basicConstraints | grep -q "CA:FALSE" ||
    fail "server.pem is not marked CA:FALSE"
}

out=$("$SCRIPT" "$WORK/certs" 2>&1) || fail "make-certs.sh failed: $out"
[ -z "$out" ] || fail "make-certs.sh is not quiet on success: $out"
check_set "$WORK/certs"

# A rerun overwrites with a new set whose leaves verify against the new CA.
old_ca=$(cat "$WORK/certs/ca.pem")
out=$("$SCRIPT" "$WORK/certs" 2>&1) || fail "make-certs.sh rerun failed: $out"
[ -z "$out" ] || fail "make-certs.sh rerun is not quiet: $out"
[ "$(cat "$WORK/certs/ca.pem")" != "$old_ca" ] || fail "rerun kept the old CA"
check_set "$WORK/certs"
# Nothing but the set is left behind.
[ "$(ls -A "$WORK/certs" | sort | tr '\n' ' ')" = \
  "ca.key ca.pem client.key client.pem keyservice.key keyservice.pem server.key server.pem " ] ||
  fail "unexpected files: $(ls -A "$WORK/certs")"

# Usage errors are refused.
if "$SCRIPT" >/dev/null 2>&1; then fail "make-certs.sh without DIR succeeded"; fi
echo "make-certs: OK"
