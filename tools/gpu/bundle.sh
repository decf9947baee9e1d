#!/usr/bin/env bash
# Builds Release (if needed) and packs what the GPU machine needs into .bundle/ (gitignored;
# carry it with carry: [".bundle"]): bin/tandem, the test executables, the shared libraries that
# machine lacks (oneDNN, onnx, protobuf, fmt, spdlog, gomp, OpenCL ...; never libc/libstdc++/
# libcuda/cuDNN/cuBLAS, which it has), the ONNX node-test data, and env.sh. Everything goes into
# one .tar.gz so the carried folder stays well under the 64 MiB limit.
# Usage: tools/gpu/bundle.sh [BUILD_DIR]     (default: build-cuda in the repo root)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(realpath -m "${1:-$ROOT/build-cuda}")
DEST=$ROOT/.bundle
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

[ -f "$BUILD/build.ninja" ] || cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release
# The test executables tools/gpu/ runs (each holds the whole library: ~4.5 MB packed); set
# TANDEM_BUNDLE_TESTS to pack others (test_plans, test_cli, ...).
TESTS=${TANDEM_BUNDLE_TESTS:-"test_cuda test_ops test_e2e test_conformance test_runtime test_zoo"}
targets="tandem_cli runtime_overhead"
for t in $TESTS; do ninja -C "$BUILD" -t query "$t" >/dev/null 2>&1 && targets="$targets $t"; done
# -k 0: build what builds; a test target broken by someone's half-written file is left out.
ninja -C "$BUILD" -k 0 $targets || echo "bundle: some targets failed to build; packing what exists" >&2

mkdir -p "$STAGE/bin" "$STAGE/lib"
cp "$BUILD/bin/tandem" "$STAGE/bin/"
for t in $TESTS; do [ -x "$BUILD/tests/$t" ] && cp "$BUILD/tests/$t" "$STAGE/bin/"; done
[ -x "$BUILD/bench/runtime_overhead" ] && cp "$BUILD/bench/runtime_overhead" "$STAGE/bin/"
strip --strip-unneeded "$STAGE"/bin/* 2>/dev/null || true

# Shared libraries the GPU machine (Ubuntu 24.04 + CUDA) lacks.
skip='^(linux-vdso|ld-linux|libc\.|libm\.|libdl\.|librt\.|libpthread\.|libstdc\+\+|libgcc_s|libcuda|libcudnn|libcublas|libcudart|libnvrtc|libnvJitLink|libz\.)'
for exe in "$STAGE"/bin/*; do
  ldd "$exe" | awk '/=> \// {print $1, $3}' | while read -r name path; do
    [[ "$name" =~ $skip ]] && continue
    [ -f "$STAGE/lib/$name" ] || cp -L "$path" "$STAGE/lib/$name"
  done
done
# Libraries those libraries load (oneDNN -> gomp/OpenCL, onnx -> protobuf, ...).
for lib in "$STAGE"/lib/*; do
  ldd "$lib" | awk '/=> \// {print $1, $3}' | while read -r name path; do
    [[ "$name" =~ $skip ]] && continue
    [ -f "$STAGE/lib/$name" ] || cp -L "$path" "$STAGE/lib/$name"
  done
done

NODE=/usr/share/libonnx-testdata/data/node
[ -d "$NODE" ] && mkdir -p "$STAGE/onnx_node" && cp -r "$NODE"/. "$STAGE/onnx_node/"

cat > "$STAGE/env.sh" <<ENV
# Sourced by tools/gpu/run_suite.sh. Paths compiled into the tests on the build machine:
export TANDEM_BUILD_DIR=$BUILD
export TANDEM_SOURCE_DIR_BUILT=$ROOT
here=\$(cd "\$(dirname "\${BASH_SOURCE[0]}")" && pwd)
export LD_LIBRARY_PATH="\$here/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export PATH="\$here/bin:\$PATH"
export TANDEM_COMMIT=\$(cat "\$here/COMMIT" 2>/dev/null)  # bench results name it (bench/commit.py)
ENV
(cd "$ROOT" && git rev-parse HEAD > "$STAGE/COMMIT" 2>/dev/null || true)

rm -rf "$DEST"
mkdir -p "$DEST"
tar -C "$STAGE" -czf "$DEST/tandem-bundle.tar.gz" .
echo "bundle: $(du -sh "$STAGE" | cut -f1) unpacked, $(du -h "$DEST/tandem-bundle.tar.gz" | cut -f1) packed in $DEST"
ls "$STAGE/bin" | tr '\n' ' '; echo
ls "$STAGE/lib" | tr '\n' ' '; echo
size=$(stat -c %s "$DEST/tandem-bundle.tar.gz")
if [ "$size" -gt $((60 * 1024 * 1024)) ]; then echo "bundle: too large for the 64 MiB carry limit" >&2; exit 1; fi
