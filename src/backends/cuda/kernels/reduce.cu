#include <cmath>

#include "backends/cuda/kernels/kernel_common.cuh"
#include "backends/cuda/kernels/reduce.cuh"

namespace tandem::cuda {
namespace {

constexpr int kBlock = 256;
using K = DevReduce;

template <K R>
__device__ __forceinline__ float init_of() {
  if constexpr (R == K::kMax) return -INFINITY;
  else if constexpr (R == K::kMin) return INFINITY;
  else if constexpr (R == K::kProd) return 1.0f;
  else return 0.0f;
}

// acc (+) f(v); `shift` is the group's max for LogSumExp.
template <K R>
__device__ __forceinline__ float step_of(float acc, float v, float shift) {
  if constexpr (R == K::kMax) return fmaxf(acc, v);
  else if constexpr (R == K::kMin) return fminf(acc, v);
  else if constexpr (R == K::kProd) return acc * v;
  else if constexpr (R == K::kL1) return acc + fabsf(v);
  else if constexpr (R == K::kL2 || R == K::kSumSquare) return fmaf(v, v, acc);
  else if constexpr (R == K::kLogSumExp) return acc + expf(v - shift);
  else return acc + v;
}

// Merges two partial accumulators.
template <K R>
__device__ __forceinline__ float merge_of(float a, float b) {
  if constexpr (R == K::kMax) return fmaxf(a, b);
  else if constexpr (R == K::kMin) return fminf(a, b);
  else if constexpr (R == K::kProd) return a * b;
  else return a + b;
}

template <K R>
__device__ __forceinline__ float finish_of(float acc, int64_t count, float shift) {
  if constexpr (R == K::kMean) return acc / static_cast<float>(count);
  else if constexpr (R == K::kL2) return sqrtf(acc);
  else if constexpr (R == K::kLogSum) return logf(acc);
  else if constexpr (R == K::kLogSumExp) return logf(acc) + shift;
  else return acc;
}

// A group whose max is infinite: exp(v - 0) keeps the sum right (0 for -inf, inf for +inf).
__device__ __forceinline__ float lse_shift(float m) { return isfinite(m) ? m : 0.0f; }

// Offsets of output i in x and in y.
__device__ __forceinline__ void output_offsets(const ReduceArgs& a, int64_t i, int64_t& xo, int64_t& yo) {
  xo = 0;
  yo = 0;
  for (int d = a.kept.rank - 1; d >= 0; --d) {
    const int64_t q = i % a.kept.shape[d];
    i /= a.kept.shape[d];
    xo += q * a.kept_x.s[d];
    yo += q * a.kept_y.s[d];
  }
}

// Offset in x of element r of a group (row-major over the reduced dims).
__device__ __forceinline__ int64_t group_offset(const ReduceArgs& a, int64_t r) {
  int64_t off = 0;
  for (int d = a.red.rank - 1; d >= 0; --d) {
    off += (r % a.red.shape[d]) * a.red_x.s[d];
    r /= a.red.shape[d];
  }
  return off;
}

// Advances `off` to the next element over reduced dims [0, last] (an odometer).
__device__ __forceinline__ void next_offset(const ReduceArgs& a, int last, int64_t* idx, int64_t& off) {
  for (int d = last; d >= 0; --d) {
    off += a.red_x.s[d];
    if (++idx[d] < a.red.shape[d]) return;
    off -= a.red_x.s[d] * a.red.shape[d];
    idx[d] = 0;
  }
}

// ---- one thread per output ----
template <K R, typename T>
__device__ float thread_group(const T* x, int64_t base, const ReduceArgs& a, float shift) {
  float acc = init_of<R>();
  int64_t idx[kMaxRank] = {};
  int64_t off = base;
  for (int64_t r = 0; r < a.count; ++r) {
    acc = step_of<R>(acc, load_f(x, off), shift);
    next_offset(a, a.red.rank - 1, idx, off);
  }
  return acc;
}

template <K R, typename T>
__global__ void reduce_thread_kernel(const T* x, T* y, ReduceArgs a) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < a.outputs; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t xo, yo;
    output_offsets(a, i, xo, yo);
    float shift = 0.0f;
    if constexpr (R == K::kLogSumExp) shift = lse_shift(thread_group<K::kMax>(x, xo, a, 0.0f));
    store_f(y, yo, finish_of<R>(thread_group<R>(x, xo, a, shift), a.count, shift));
  }
}

// ---- G threads per output (a warp, or the whole block), reading the innermost reduced run ----
// Every thread of the group gets the merged value. smem: kBlock / 32 floats (used when G > 32).
template <K R, int G>
__device__ float group_all_reduce(float v, float* smem) {
  for (int o = 16; o > 0; o /= 2) v = merge_of<R>(v, __shfl_xor_sync(0xffffffffu, v, o));
  if constexpr (G > 32) {
    __syncthreads();  // smem may still be read by the previous call
    if (threadIdx.x % 32 == 0) smem[threadIdx.x / 32] = v;
    __syncthreads();
    v = smem[0];
    for (int k = 1; k < G / 32; ++k) v = merge_of<R>(v, smem[k]);
  }
  return v;
}

template <K R, int G, typename T>
__device__ float rows_group(const T* x, int64_t base, const ReduceArgs& a, float shift, int lane, float* smem) {
  const int inner = a.red.rank - 1;
  const int64_t len = a.red.shape[inner];
  const int64_t runs = a.count / len;
  float acc = init_of<R>();
  int64_t idx[kMaxRank] = {};
  int64_t off = base;
  for (int64_t q = 0; q < runs; ++q) {
    for (int64_t j = lane; j < len; j += G) acc = step_of<R>(acc, load_f(x, off + j), shift);
    next_offset(a, inner - 1, idx, off);
  }
  return group_all_reduce<R, G>(acc, smem);
}

template <K R, int G, typename T>
__global__ void reduce_rows_kernel(const T* x, T* y, ReduceArgs a) {
  __shared__ float smem[kBlock / 32];
  constexpr int kGroups = kBlock / G;
  const int lane = threadIdx.x % G;
  // i is the same for the G threads of a group (for G = kBlock, for the whole block).
  for (int64_t i = blockIdx.x * int64_t(kGroups) + threadIdx.x / G; i < a.outputs; i += int64_t(gridDim.x) * kGroups) {
    int64_t xo, yo;
    output_offsets(a, i, xo, yo);
    float shift = 0.0f;
    if constexpr (R == K::kLogSumExp) shift = lse_shift(rows_group<K::kMax, G>(x, xo, a, 0.0f, lane, smem));
    const float acc = rows_group<R, G>(x, xo, a, shift, lane, smem);
    if (lane == 0) store_f(y, yo, finish_of<R>(acc, a.count, shift));
  }
}

// ---- 32 neighbouring outputs per block (the innermost stored dim is kept), the group split
// over blockDim.y rows of threads ----
template <K R, typename T>
__device__ float column_part(const T* x, int64_t base, const ReduceArgs& a, float shift) {
  float acc = init_of<R>();
  for (int64_t r = threadIdx.y; r < a.count; r += blockDim.y) acc = step_of<R>(acc, load_f(x, base + group_offset(a, r)), shift);
  return acc;
}

// Merges the blockDim.y partials of each column; every thread of the column gets the result.
template <K R>
__device__ float column_all_reduce(float v, float (*smem)[33]) {
  __syncthreads();  // smem may still be read by the previous call
  smem[threadIdx.y][threadIdx.x] = v;
  __syncthreads();
  float r = smem[0][threadIdx.x];
  for (unsigned k = 1; k < blockDim.y; ++k) r = merge_of<R>(r, smem[k][threadIdx.x]);
  return r;
}

template <K R, typename T>
__global__ void reduce_columns_kernel(const T* x, T* y, ReduceArgs a) {
  __shared__ float smem[32][33];
  for (int64_t tile = blockIdx.x; tile * 32 < a.outputs; tile += gridDim.x) {  // the same for the whole block
    const int64_t i = tile * 32 + threadIdx.x;
    const bool live = i < a.outputs;
    int64_t xo = 0, yo = 0;
    if (live) output_offsets(a, i, xo, yo);
    float shift = 0.0f;
    if constexpr (R == K::kLogSumExp) {
      const float m = live ? column_part<K::kMax>(x, xo, a, 0.0f) : init_of<K::kMax>();
      shift = lse_shift(column_all_reduce<K::kMax>(m, smem));
    }
    const float acc = column_all_reduce<R>(live ? column_part<R>(x, xo, a, shift) : init_of<R>(), smem);
    if (live && threadIdx.y == 0) store_f(y, yo, finish_of<R>(acc, a.count, shift));
  }
}

template <K R, typename T>
void launch_typed(const ReduceArgs& a, cudaStream_t stream) {
  const T* x = static_cast<const T*>(a.x);
  T* y = static_cast<T*>(a.y);
  const bool inner_reduced = a.red.rank > 0 && a.red_x.s[a.red.rank - 1] == 1 && a.red.shape[a.red.rank - 1] >= 8;
  const bool inner_kept = a.kept.rank > 0 && a.kept_x.s[a.kept.rank - 1] == 1;
  if (inner_reduced) {
    if (a.outputs < 2048 && a.count >= 4096)  // few large groups: a block each
      reduce_rows_kernel<R, kBlock, T><<<grid_for(a.outputs * kBlock, kBlock), kBlock, 0, stream>>>(x, y, a);
    else
      reduce_rows_kernel<R, 32, T><<<grid_for(a.outputs * 32, kBlock), kBlock, 0, stream>>>(x, y, a);
  } else if (inner_kept && a.count > 1) {
    const unsigned rows = a.count >= 256 ? 32 : 8;
    const int64_t tiles = (a.outputs + 31) / 32;
    reduce_columns_kernel<R, T><<<grid_for(tiles, 1), dim3(32, rows), 0, stream>>>(x, y, a);
  } else {
    reduce_thread_kernel<R, T><<<grid_for(a.outputs, kBlock), kBlock, 0, stream>>>(x, y, a);
  }
}

template <typename T>
void launch_kind(const ReduceArgs& a, cudaStream_t stream) {
  switch (a.kind) {
    case K::kSum: return launch_typed<K::kSum, T>(a, stream);
    case K::kMean: return launch_typed<K::kMean, T>(a, stream);
    case K::kMax: return launch_typed<K::kMax, T>(a, stream);
    case K::kMin: return launch_typed<K::kMin, T>(a, stream);
    case K::kProd: return launch_typed<K::kProd, T>(a, stream);
    case K::kL1: return launch_typed<K::kL1, T>(a, stream);
    case K::kL2: return launch_typed<K::kL2, T>(a, stream);
    case K::kSumSquare: return launch_typed<K::kSumSquare, T>(a, stream);
    case K::kLogSum: return launch_typed<K::kLogSum, T>(a, stream);
    case K::kLogSumExp: return launch_typed<K::kLogSumExp, T>(a, stream);
  }
}

}  // namespace

cudaError_t launch_reduce(const ReduceArgs& args, Elem elem, cudaStream_t stream) {
  if (args.outputs == 0) return cudaSuccess;
  if (args.red.rank > 0 && args.count == 0) return cudaErrorInvalidValue;  // an empty group: refused by the builder
  TANDEM_DISPATCH_ELEM(elem, launch_kind<T>(args, stream));
  return cudaGetLastError();
}

}  // namespace tandem::cuda
