// The CPU backend on oneDNN 2.6: blocked/NHWC layouts chosen by oneDNN, weights reordered once at
// compile, activations kept in oneDNN's layout between ops, fused epilogues (post-ops).
#pragma once

#include <memory>

#include "backends/backend.h"

namespace tandem {

Result<std::unique_ptr<Backend>> make_cpu_backend();

}  // namespace tandem
