// diagnostics_from_environment(): the TANDEM_CUDA_* and cache variables as typed options (cli.h).
#include <cstdlib>
#include <string_view>

#include "cli.h"

namespace tandem::cli {
namespace {

// Set to anything but "" or "0".
bool flag(const char* name) {
  const char* v = std::getenv(name);
  return v && *v && std::string_view(v) != "0";
}

void add_list(const char* name, std::vector<std::string>& out) {
  const char* v = std::getenv(name);
  std::string_view list = v ? v : "";
  while (!list.empty()) {
    const size_t comma = list.find(',');
    if (comma != 0) out.emplace_back(list.substr(0, comma));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace

std::string cache_dir_from_environment() {
  if (const char* d = std::getenv("TANDEM_CACHE_DIR")) {
    const std::string dir = d;
    return dir == "none" ? "" : dir;
  }
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/tandem";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/tandem";
  return "";
}

BackendDiagnostics diagnostics_from_environment() {
  BackendDiagnostics d;
  d.cache_dir = cache_dir_from_environment();
  d.log_choices = flag("TANDEM_CUDA_CONV_LOG");
  if (const char* p = std::getenv("TANDEM_CUDA_CONV_PLAN")) d.force_conv_plan = p;
  // TANDEM_TRY / TANDEM_OFF name features of any backend; the TANDEM_CUDA_* names came first
  // and still work (for the cpu backend's features too).
  add_list("TANDEM_TRY", d.features_on);
  add_list("TANDEM_OFF", d.features_off);
  add_list("TANDEM_CUDA_TRY", d.features_on);
  add_list("TANDEM_CUDA_OFF", d.features_off);
  if (std::getenv("TANDEM_CUDA_NO_CONV_FUSION")) d.features_off.emplace_back("conv-fusion");
  if (std::getenv("TANDEM_CUDA_NO_CONV_GEMM")) d.features_off.emplace_back("conv-gemm");
  d.timing = flag("TANDEM_CUDA_TIMING");
  d.profile = flag("TANDEM_CUDA_PROFILE");
  return d;
}

}  // namespace tandem::cli
