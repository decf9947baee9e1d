// `tandem cache`: the cache folder (core/cache_file.h) and what it holds, each file with its
// number of entries, and the unit profiles `tandem tune` keeps there; `--clear` deletes Tandem's
// files there, so the next compile times its choices afresh and the next tune profiles again
// (after a driver update, or when a choice was timed on a busy GPU).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <vector>

#include "cli.h"
#include "core/cache_file.h"

namespace tandem::cli {
namespace {

namespace fs = std::filesystem;

// Whether `p` is a unit profile `tandem tune` cached (plan/profiler.h).
bool is_profile(const fs::path& p) {
  return p.extension() == ".json" && p.filename().string().rfind("profile-", 0) == 0;
}

// Tandem's files in `dir`: its key/value files (*.tsv) and cached profiles, sorted by name.
std::vector<fs::path> cache_files(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file(ec) && (it->path().extension() == ".tsv" || is_profile(it->path())))
      files.push_back(it->path());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

Status run_cache(const CacheOptions& o) {
  const std::string dir = cache_dir_from_environment();
  if (dir.empty()) {
    std::printf("no cache folder: TANDEM_CACHE_DIR is 'none' or no home folder is known; choices are kept in memory only\n");
    return Status::ok();
  }
  const std::vector<fs::path> files = cache_files(dir);
  if (o.clear) {
    for (const auto& f : files) {
      std::error_code ec;
      if (!fs::remove(f, ec) && ec) return unavailable(f.string() + ": cannot remove (" + ec.message() + ")");
    }
    std::printf("cache folder %s: removed %zu file(s); the next compile times its choices afresh\n", dir.c_str(),
                files.size());
    return Status::ok();
  }
  std::printf("cache folder %s (TANDEM_CACHE_DIR, else $XDG_CACHE_HOME/tandem, else ~/.cache/tandem)\n", dir.c_str());
  if (files.empty()) std::printf("  nothing cached yet\n");
  for (const auto& f : files) {
    std::error_code ec;
    const auto bytes = fs::file_size(f, ec);
    if (is_profile(f))
      std::printf("  %s: a unit profile (tandem tune), %.1f KB\n", f.filename().c_str(),
                  ec ? 0.0 : static_cast<double>(bytes) / 1024.0);
    else
      std::printf("  %s: %zu choices, %.1f KB\n", f.filename().c_str(), load_cache_file(f.string()).size(),
                  ec ? 0.0 : static_cast<double>(bytes) / 1024.0);
  }
  return Status::ok();
}

}  // namespace tandem::cli
