#!/usr/bin/env bash
# Installs the Debian packages Veil needs to build and test. Idempotent: it
# only calls apt-get when something is missing, so repeated runs are cheap.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libsodium-dev            # CSPRNG, ChaCha20 stream, BLAKE2b
  libgtest-dev libgmock-dev
  libbenchmark-dev
  clang libclang-rt-14-dev # libFuzzer targets
  clang-format
  libsqlite3-dev           # gallery store: external ids and tombstones
  libcli11-dev             # the veil command line
  nlohmann-json3-dev       # JSON output and manifests
  libfaiss-dev libopenblas-dev  # plaintext baseline (IndexFlatIP)
  libeigen3-dev            # reduce: PCA (self-adjoint eigendecomposition)
  zlib1g-dev               # data: gzip'ed MNIST idx files
  gnuplot-nox              # veil eval: PNG plots
  libtorch-dev             # reduce: DeepMDS++ training (optional at build time: VEIL_WITH_TORCH)
  libgrpc++-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev  # veil serve / keyservice
  openssl                  # scripts/make-certs.sh: TLS certificates for tests and the demo
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
