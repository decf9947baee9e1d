// What compile-time timing chose, remembered: cuDNN's Find and our conv-plan timing pick among
// candidates a few percent apart, so two engines compiled apart could differ by as much
// (MobileNetV2 fp16 at batch 16 on an H200: 31.2k vs 29.6k img/s from one load to the next, each
// steady within 0.3%). With the memo every engine, and every plan the engine times against another
// when it chooses how to split the work, runs the same kernels for the same conv on the same GPU,
// so a comparison measures the plan, not compile luck; later compiles also skip the timing.
//
// Kept in memory for the process and, when BackendDiagnostics::cache_dir names a folder, in a file
// there (core/cache_file.h) per GPU model and cuDNN/cuBLASLt version, so later processes agree
// too. Delete the file to time afresh (the CLI: TANDEM_CACHE_DIR=none keeps it in memory only); "choice-cache" in BackendDiagnostics::features_off (the CLI:
// TANDEM_CUDA_OFF=choice-cache) times every compile.
#pragma once

#include <optional>
#include <string>

#include "tandem/diagnostics.h"

namespace tandem::cuda {

// The value remembered under `key` for the current device, if any (none while the feature is off).
std::optional<std::string> remembered_choice(const BackendDiagnostics& diagnostics, const std::string& key);
// Remembers `value` under `key` unless a value is there already (the first choice stays).
void remember_choice(const BackendDiagnostics& diagnostics, const std::string& key, const std::string& value);

}  // namespace tandem::cuda
