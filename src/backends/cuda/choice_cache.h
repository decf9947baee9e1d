// What compile-time timing chose, remembered for the life of the process: cuDNN's Find and our
// conv-plan timing pick among candidates a few percent apart, so two engines compiled in one
// process could differ by as much (MobileNetV2 fp16 at batch 16 on an H200: 31.2k vs 29.6k img/s
// from one load to the next, each steady within 0.3%). With the memo every engine, and every plan
// the engine times against another when it chooses how to split the work, runs the same kernels
// for the same conv on the same GPU, so what a comparison measures is the plan, not compile luck;
// later compiles also skip the timing. TANDEM_CUDA_OFF=choice-cache times every compile afresh.
#pragma once

#include <optional>
#include <string>

namespace tandem::cuda {

// The value remembered under `key` for the current device, if any (none while the feature is off).
std::optional<std::string> remembered_choice(const std::string& key);
void remember_choice(const std::string& key, const std::string& value);

}  // namespace tandem::cuda
