// A compiled segment on one CUDA device: weights uploaded, activations in one arena, the op
// steps captured into a CUDA graph that run() replays between pinned-memory copies.
#pragma once

#include <memory>

#include "backends/backend.h"

namespace tandem::cuda {

// Compiles `segment` (every node claimed by the cuda op table) for options.device/precision.
// Runs the steps once eagerly (so a failing call is named), then captures the CUDA graph.
Result<std::unique_ptr<Executable>> compile_segment(const ir::Graph& segment, const UnitOptions& options);

}  // namespace tandem::cuda
