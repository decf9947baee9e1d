#include "backends/cuda/cuda_backend.h"

#include <cuda_runtime.h>

namespace tandem {
namespace {

// Placeholder until the cuDNN/cuBLAS kernels land: claims nothing.
class CudaBackend final : public Backend {
 public:
  std::string_view name() const override { return "cuda"; }
  Status supports(const ir::Graph&, const ir::Node& node) const override {
    return unsupported("cuda backend has no kernel for " + node.op_type);
  }
  Result<std::unique_ptr<Executable>> compile(const ir::Graph&, const UnitOptions&) const override {
    return unsupported("cuda backend is not built yet");
  }
};

}  // namespace

Result<std::unique_ptr<Backend>> make_cuda_backend() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) return unavailable("no CUDA device is present");
  return std::unique_ptr<Backend>(new CudaBackend());
}

}  // namespace tandem
