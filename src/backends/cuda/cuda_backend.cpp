#include "backends/cuda/cuda_backend.h"

#include <algorithm>

#include "backends/cuda/cuda_context.h"
#include "backends/cuda/cuda_executable.h"

namespace tandem {
namespace {

class CudaBackend final : public Backend {
 public:
  std::string_view name() const override { return "cuda"; }

  Status supports(const ir::Graph& graph, const ir::Node& node) const override { return cuda_supports(graph, node); }

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

  // On the unit's device; the calling thread's current device is restored.
  void* allocate_device_memory(const UnitOptions& options, size_t bytes) const override {
    int prev = 0;
    void* p = nullptr;
    if (cudaGetDevice(&prev) != cudaSuccess || cudaSetDevice(options.device) != cudaSuccess ||
        cudaMalloc(&p, std::max<size_t>(bytes, 256)) != cudaSuccess)
      p = nullptr;
    cudaGetLastError();
    cudaSetDevice(prev);
    return p;
  }
  void free_device_memory(const UnitOptions& options, void* ptr) const override {
    int prev = 0;
    cudaGetDevice(&prev);
    cudaSetDevice(options.device);
    cudaFree(ptr);
    cudaSetDevice(prev);
  }

  // Also lets this device reach every peer it can (NVLink / PCIe P2P): device-to-device copies
  // between units then go straight across instead of through the host.
  Status bind_thread(const UnitOptions& options) const override {
    CUDA_TRY(cudaSetDevice(options.device));
    int n = 0;
    CUDA_TRY(cudaGetDeviceCount(&n));
    for (int d = 0; d < n; ++d) {
      int ok = 0;
      if (d == options.device || cudaDeviceCanAccessPeer(&ok, options.device, d) != cudaSuccess || !ok) continue;
      cudaError_t e = cudaDeviceEnablePeerAccess(d, 0);
      if (e == cudaErrorPeerAccessAlreadyEnabled) cudaGetLastError();
      else CUDA_TRY(e);
    }
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
