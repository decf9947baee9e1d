#include "backends/cuda/host_io.h"

#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

namespace tandem::cuda {
namespace {

constexpr size_t kChunkBytes = size_t{2} << 20;     // per enqueued copy
constexpr size_t kPerThreadMin = size_t{4} << 20;   // below 4 MiB per thread, fewer threads

int threads_for(size_t bytes, int max_threads) {
  return static_cast<int>(std::clamp<size_t>(bytes / kPerThreadMin, 1, size_t(std::max(1, max_threads))));
}

}  // namespace

bool is_dma_ready(const void* p) {
  cudaPointerAttributes a{};
  if (cudaPointerGetAttributes(&a, p) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky-free error of an unknown pointer
    return false;
  }
  return a.type == cudaMemoryTypeHost || a.type == cudaMemoryTypeDevice;
}

Status staged_upload(const void* src, size_t bytes, void* pinned, void* device, int device_ordinal, cudaStream_t stream,
                     int max_threads) {
  auto work = [&](size_t begin, size_t end) -> cudaError_t {
    for (size_t b = begin; b < end; b += kChunkBytes) {
      const size_t n = std::min(kChunkBytes, end - b);
      char* p = static_cast<char*>(pinned) + b;
      std::memcpy(p, static_cast<const char*>(src) + b, n);
      cudaError_t e = cudaMemcpyAsync(static_cast<char*>(device) + b, p, n, cudaMemcpyHostToDevice, stream);
      if (e != cudaSuccess) return e;
    }
    return cudaSuccess;
  };
  const int t = threads_for(bytes, max_threads);
  if (t == 1) return cuda_status(work(0, bytes), "cudaMemcpyAsync (input)");
  std::vector<cudaError_t> errs(size_t(t), cudaSuccess);
  std::vector<std::thread> pool;
  const size_t per = (bytes / size_t(t) + 63) & ~size_t{63};
  for (int i = 0; i < t; ++i) {
    pool.emplace_back([&, i] {
      const size_t b = std::min(bytes, size_t(i) * per), e = i + 1 == t ? bytes : std::min(bytes, b + per);
      errs[size_t(i)] = cudaSetDevice(device_ordinal);
      if (errs[size_t(i)] == cudaSuccess) errs[size_t(i)] = work(b, e);
    });
  }
  for (auto& th : pool) th.join();
  for (cudaError_t e : errs) TANDEM_RETURN_IF_ERROR(cuda_status(e, "cudaMemcpyAsync (input)"));
  return Status::ok();
}

void parallel_memcpy(void* dst, const void* src, size_t bytes, int max_threads) {
  const int t = threads_for(bytes, max_threads);
  if (t == 1) {
    std::memcpy(dst, src, bytes);
    return;
  }
  std::vector<std::thread> pool;
  const size_t per = (bytes + size_t(t) - 1) / size_t(t);
  for (int i = 0; i < t; ++i) {
    const size_t b = std::min(bytes, size_t(i) * per), e = std::min(bytes, b + per);
    pool.emplace_back([=] { std::memcpy(static_cast<char*>(dst) + b, static_cast<const char*>(src) + b, e - b); });
  }
  for (auto& th : pool) th.join();
}

}  // namespace tandem::cuda
