// Diagnostics and trials for the people tuning a backend: logs of timed choices, forced plans,
// features switched on or off, timing and per-op profiles; and where timed choices are kept. The library reads no environment:
// `tandem` (tools/tandem) fills this from its TANDEM_CUDA_* variables, a program using the
// library sets it in EngineOptions (or UnitOptions, for a backend used directly).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tandem {

struct BackendDiagnostics {
  bool log_choices = false;               // print each timed choice (conv algorithms, conv plans)
  std::string force_conv_plan;            // conv plan kind to use wherever it is a candidate ("" = time them;
                                          // cpu: direct, winograd)
  std::vector<std::string> features_on;   // features on trial to turn on (cuda: cudnn-pool; cpu: blocked-layout)
  std::vector<std::string> features_off;  // default features to turn off (cuda: dw-input-act, im2col-lt,
                                          // c8-input, choice-cache, conv-fusion, conv-gemm, concat-views;
                                          // cpu: conv-sum, split-views, winograd, layout-choice)
  bool timing = false;                    // print each run's upload / graph / output split
  bool profile = false;                   // per-op eager profile printed at the end
  // Folder where timed choices (cuda: conv algorithms and plans) are kept across processes, so
  // later engines agree and skip the timing; "" keeps them in this process only. The CLI sets
  // $TANDEM_CACHE_DIR, else $XDG_CACHE_HOME/tandem, else ~/.cache/tandem.
  std::string cache_dir;

  bool is_off(std::string_view feature) const { return contains(features_off, feature); }
  bool is_on(std::string_view feature) const { return contains(features_on, feature); }

 private:
  static bool contains(const std::vector<std::string>& v, std::string_view f) {
    for (const auto& s : v)
      if (s == f) return true;
    return false;
  }
};

}  // namespace tandem
