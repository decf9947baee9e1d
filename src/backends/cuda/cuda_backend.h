// The CUDA backend: cuDNN 9 / cuBLAS(Lt) + our kernels, fp32 and fp16, CUDA graphs.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "backends/backend.h"

namespace tandem {

Result<std::unique_ptr<Backend>> make_cuda_backend();

// The op types of the CUDA backend's op table, in table order. Static data: needs no device
// (tests list it on machines without a GPU).
std::vector<std::string_view> cuda_op_types();
// The CUDA backend's claim of `node` (its supports()). Needs no device either.
Status cuda_supports(const ir::Graph& graph, const ir::Node& node);

}  // namespace tandem
