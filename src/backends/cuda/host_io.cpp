#include "backends/cuda/host_io.h"

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "tandem/tensor.h"

namespace tandem::cuda {
namespace {

constexpr size_t kChunkElems = size_t{1} << 19;   // 2 MiB of fp32 per enqueued copy
constexpr size_t kPerThreadMin = size_t{1} << 20;  // below 1 Mi elements per thread, fewer threads

__attribute__((target("avx,f16c"))) void to_half_f16c(const float* src, uint16_t* dst, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_loadu_ps(src + i);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
  }
  for (; i < n; ++i) dst[i] = float_to_half(src[i]);
}

void to_half(const float* src, uint16_t* dst, size_t n) {
  static const bool f16c = __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx");
  if (f16c) return to_half_f16c(src, dst, n);
  for (size_t i = 0; i < n; ++i) dst[i] = float_to_half(src[i]);
}

int threads_for(size_t count, int max_threads) {
  return static_cast<int>(std::clamp<size_t>(count / kPerThreadMin, 1, size_t(std::max(1, max_threads))));
}

}  // namespace

Status upload_floats(const float* src, size_t count, bool to_half_elems, void* pinned, void* device, int device_ordinal,
                     cudaStream_t stream, int max_threads) {
  const size_t esize = to_half_elems ? 2 : 4;
  auto work = [&](size_t begin, size_t end) -> cudaError_t {
    for (size_t b = begin; b < end; b += kChunkElems) {
      const size_t n = std::min(kChunkElems, end - b);
      char* p = static_cast<char*>(pinned) + b * esize;
      if (to_half_elems) to_half(src + b, reinterpret_cast<uint16_t*>(p), n);
      else std::memcpy(p, src + b, n * 4);
      cudaError_t e = cudaMemcpyAsync(static_cast<char*>(device) + b * esize, p, n * esize, cudaMemcpyHostToDevice, stream);
      if (e != cudaSuccess) return e;
    }
    return cudaSuccess;
  };
  const int t = threads_for(count, max_threads);
  if (t == 1) return cuda_status(work(0, count), "cudaMemcpyAsync (input)");
  std::vector<cudaError_t> errs(size_t(t), cudaSuccess);
  std::vector<std::thread> pool;
  const size_t per = (count + size_t(t) - 1) / size_t(t);
  for (int i = 0; i < t; ++i) {
    pool.emplace_back([&, i] {
      const size_t b = std::min(count, size_t(i) * per), e = std::min(count, b + per);
      errs[size_t(i)] = cudaSetDevice(device_ordinal);
      if (errs[size_t(i)] == cudaSuccess) errs[size_t(i)] = work(b, e);
    });
  }
  for (auto& th : pool) th.join();
  for (cudaError_t e : errs) TANDEM_RETURN_IF_ERROR(cuda_status(e, "cudaMemcpyAsync (input)"));
  return Status::ok();
}

void parallel_memcpy(void* dst, const void* src, size_t bytes, int max_threads) {
  const int t = threads_for(bytes / 4, max_threads);
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
