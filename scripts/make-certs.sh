#!/usr/bin/env bash
# make-certs.sh DIR: a throwaway TLS set for tests and the demo, made with the
# openssl command line. NOT for production: the CA key sits beside the certs.
#
#   DIR/ca.pem, DIR/ca.key                    a self-signed test CA
#   DIR/server.pem, DIR/server.key            veil-serve (server and client auth)
#   DIR/keyservice.pem, DIR/keyservice.key    veil-keyservice (server and client auth)
#   DIR/client.pem, DIR/client.key            a client (client auth; mutual TLS)
#
# Every key is EC P-256 (PKCS#8, unencrypted, mode 0600); every certificate is
# valid for 2 days and names DNS:localhost, IP:127.0.0.1 and IP:::1.
#
# Rerunning overwrites: a whole new set (new CA included) is made in a
# temporary directory inside DIR and only then moved over the old files, so
# DIR holds either the old set or the new one, never a CA that did not sign
# the leaves beside it (short of a crash between the moves). Quiet on
# success; on failure it prints openssl's message and exits non-zero.
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
command -v openssl >/dev/null 2>&1 || {
  echo "make-certs.sh: the openssl command line is needed (apt-get install openssl)" >&2
  exit 1
}

DIR=$1
DAYS=2
umask 077
mkdir -p "$DIR"
TMP=$(mktemp -d "$DIR/.make-certs.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# run CMD...: openssl's chatter goes to a file, shown only if CMD fails.
run() {
  if ! "$@" >"$TMP/log" 2>&1; then
    echo "make-certs.sh: failed: $*" >&2
    cat "$TMP/log" >&2
    exit 1
  fi
}

new_key() { run openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
serial() { echo "0x$(openssl rand -hex 16)"; }

# The CA.
new_key "$TMP/ca.key"
cat >"$TMP/ca.ext" <<'EOF'
[req]
distinguished_name = dn
x509_extensions = ca
[dn]
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
run openssl req -new -x509 -config "$TMP/ca.ext" -key "$TMP/ca.key" -sha256 -days "$DAYS" \
  -set_serial "$(serial)" -subj "/O=Veil test/CN=Veil test CA" -out "$TMP/ca.pem"

# leaf NAME USAGES: NAME.key and NAME.pem signed by the CA.
leaf() {
  local name=$1 usages=$2
  new_key "$TMP/$name.key"
  cat >"$TMP/$name.ext" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = $usages
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  run openssl req -new -key "$TMP/$name.key" -subj "/O=Veil test/CN=veil-$name" \
    -out "$TMP/$name.csr"
  run openssl x509 -req -in "$TMP/$name.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" \
    -set_serial "$(serial)" -sha256 -days "$DAYS" -extfile "$TMP/$name.ext" \
    -out "$TMP/$name.pem"
}
leaf server "serverAuth, clientAuth"
leaf keyservice "serverAuth, clientAuth"
leaf client "clientAuth"

chmod 600 "$TMP"/*.key
chmod 644 "$TMP"/*.pem
for f in ca server keyservice client; do
  mv -f "$TMP/$f.key" "$DIR/$f.key"
  mv -f "$TMP/$f.pem" "$DIR/$f.pem"
done
