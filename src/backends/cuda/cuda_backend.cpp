#include "backends/cuda/cuda_backend.h"

#include "backends/cuda/cuda_context.h"
#include "backends/cuda/cuda_executable.h"

namespace tandem {
namespace {

class CudaBackend final : public Backend {
 public:
  std::string_view name() const override { return "cuda"; }

  Status supports(const ir::Graph& graph, const ir::Node& node) const override {
    const cuda::CudaOp* op = cuda::find_cuda_op(node.op_type);
    if (!op) return unsupported("cuda backend has no kernel for " + node.op_type);
    return op->supports ? op->supports(graph, node) : Status::ok();
  }

  Result<std::unique_ptr<Executable>> compile(const ir::Graph& segment, const UnitOptions& options) const override {
    return cuda::compile_segment(segment, options);
  }

  // Past ~1024 images of 224x224 some activation tensors exceed 2^31 elements, which cuDNN's
  // legacy descriptors and our 32-bit-indexed kernels do not take (MobileNetV2 failed at 2048):
  // larger slices run in chunks. `cuda:0/max_batch=N` overrides.
  int max_batch() const override { return 1024; }

  // Two runs overlap: the next slice uploads while the current one computes.
  int max_runs_in_flight() const override { return 2; }

  // Page-locked and portable: every device's copy engines read and write it directly.
  void* allocate_host_memory(size_t bytes) const override {
    void* p = nullptr;
    if (cudaHostAlloc(&p, bytes, cudaHostAllocPortable) != cudaSuccess) {
      cudaGetLastError();
      return nullptr;
    }
    return p;
  }
  void free_host_memory(void* ptr) const override { cudaFreeHost(ptr); }

  Status bind_thread(const UnitOptions& options) const override {
    CUDA_TRY(cudaSetDevice(options.device));
    return Status::ok();
  }
};

}  // namespace

Result<std::unique_ptr<Backend>> make_cuda_backend() {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess || n == 0)
    return unavailable(std::string("no CUDA device is present (") + (e != cudaSuccess ? cudaGetErrorString(e) : "0 devices") + ")");
  return std::unique_ptr<Backend>(new CudaBackend());
}

}  // namespace tandem
