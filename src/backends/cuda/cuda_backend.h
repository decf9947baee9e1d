// The CUDA backend: cuDNN 9 / cuBLAS(Lt) + our kernels, fp32 and fp16, CUDA graphs.
#pragma once

#include <memory>

#include "backends/backend.h"

namespace tandem {

Result<std::unique_ptr<Backend>> make_cuda_backend();

}  // namespace tandem
