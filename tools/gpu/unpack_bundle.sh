# Sourced by the tools/gpu scripts, with ROOT set to the repo root: unpacks the carried bundle
# into B=/tmp/tandem_bundle and sources its env.sh (LD_LIBRARY_PATH, PATH, TANDEM_BUILD_DIR,
# TANDEM_COMMIT).
B=/tmp/tandem_bundle
rm -rf "$B" && mkdir -p "$B" && tar -C "$B" -xzf "$ROOT/.bundle/tandem-bundle.tar.gz" ||
  { echo "$(basename "$0"): no bundle (run tools/gpu/bundle.sh and carry .bundle)" >&2; exit 1; }
source "$B/env.sh"
