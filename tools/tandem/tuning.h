// What `tandem tune` and `tandem bench` share: the model's profile (measured on the units, read
// from the profile cache, or loaded from --profile FILE), and a timer that runs plans on the
// units. The CLI is where the environment is read: the cache folder (core/cache_file.h) and the
// machine's identity are passed to the library as options.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "plan/batch_graphs.h"
#include "plan/profile.h"
#include "plan/unit_spec.h"
#include "runtime/plan_timer.h"
#include "tandem/status.h"

namespace tandem::cli {

inline constexpr const char* kTandemVersion = "0.1.0";
// Part of a cached profile's identity: bumped when the profiler measures differently, so that
// profiles from before are stale.
inline constexpr const char* kProfilerRevision = "profiler-3";

// The model loaded for tuning: its graph specialised per batch, its units, a sample input.
struct TuneModel {
  std::vector<plan::Unit> units;
  plan::GraphForBatch graphs;
  std::vector<Tensor> sample;  // batch 1, one per input (random)
  std::string identity;        // file name, size and content hash
};

struct ProfileSource {
  std::string model, units, shape;
  std::string profile_file;      // --profile: load instead of measuring
  std::vector<int64_t> batches;  // batch sizes to profile at
  int max_cuts = 6;
  bool quiet = false;            // no progress lines
  bool refresh = false;          // measure even when the cache holds this profile
};

Result<TuneModel> load_tune_model(const std::string& model, const std::string& units, const std::string& shape);

// The profile: from the file, or measured on `m` (cached per machine, model, units, version),
// with progress lines on stdout. `note` says which.
Result<plan::Profile> get_profile(const ProfileSource& src, const TuneModel* m, std::string& note);

// Hostname, core count and CPU model: the machine part of a profile's identity.
std::string machine_identity();

// "1,8,64" -> {1, 8, 64}; error naming `flag` otherwise.
Result<std::vector<int64_t>> parse_batch_list(const std::string& text, const std::string& flag);

}  // namespace tandem::cli
