#!/usr/bin/env bash
# Installs every dependency Tandem needs on a fresh Debian 12 machine, then builds Release.
# Usage: scripts/setup.sh            (run as root, or with sudo available)
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config python3 python3-pip python3-venv
  libdnnl-dev                       # oneDNN 2.6 (CPU backend)
  libonnx-dev libprotobuf-dev protobuf-compiler   # ONNX import
  libonnx-testdata                  # ONNX backend node tests (conformance)
  libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libcpp-httplib-dev libstb-dev libzip-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  ccache                            # faster rebuilds (optional for the build)
)
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${APT_PACKAGES[@]}"

# Python test tooling (model generation, reference outputs, benchmarks).
PY=${PYTHON:-python3}
$PY -m pip install --quiet --disable-pip-version-check -r scripts/requirements.txt \
  || $PY -m pip install --quiet --disable-pip-version-check --break-system-packages -r scripts/requirements.txt

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build
