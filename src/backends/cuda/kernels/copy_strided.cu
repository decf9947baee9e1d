#include <cstdint>

#include "backends/cuda/kernels/copy_strided.cuh"
#include "backends/cuda/kernels/kernel_common.cuh"

namespace tandem::cuda {
namespace {

// A copy's index space after simplification: dims of extent 1 dropped, neighbours that are
// contiguous in both tensors merged (a channel slice of an NHWC concat becomes [N*H*W, C_in]).
struct CopyDims {
  int rank = 0;
  int64_t shape[kMaxRank] = {};
  int64_t is[kMaxRank] = {};
  int64_t os[kMaxRank] = {};
};

CopyDims simplify(const StridedShape& sh, const Strides& in, const Strides& out) {
  CopyDims c;
  for (int d = 0; d < sh.rank; ++d) {
    if (sh.shape[d] == 1) continue;
    const int r = c.rank - 1;
    if (r >= 0 && c.is[r] == in.s[d] * sh.shape[d] && c.os[r] == out.s[d] * sh.shape[d]) {
      c.shape[r] *= sh.shape[d];
      c.is[r] = in.s[d];
      c.os[r] = out.s[d];
      continue;
    }
    c.shape[c.rank] = sh.shape[d];
    c.is[c.rank] = in.s[d];
    c.os[c.rank] = out.s[d];
    ++c.rank;
  }
  return c;
}

// Offsets of element i (row-major over c.shape) in both tensors; Index is 32-bit when every
// offset fits, which makes the divisions several times cheaper than 64-bit ones.
template <typename Index>
__device__ __forceinline__ void offsets(const CopyDims& c, Index i, Index& io, Index& oo) {
  io = 0, oo = 0;
#pragma unroll
  for (int d = kMaxRank - 1; d >= 0; --d) {
    if (d >= c.rank) continue;
    const Index n = Index(c.shape[d]);
    const Index k = i % n;
    i /= n;
    io += k * Index(c.is[d]);
    oo += k * Index(c.os[d]);
  }
}

template <typename Tin, typename Tout, typename Index>
__global__ void convert_kernel(const Tin* in, Tout* out, CopyDims c, Index n) {
  for (Index i = blockIdx.x * Index(blockDim.x) + threadIdx.x; i < n; i += Index(gridDim.x) * blockDim.x) {
    Index io, oo;
    offsets(c, i, io, oo);
    store_f(out, int64_t(oo), load_f(in, int64_t(io)));
  }
}

// Same element type: words of W bytes move unchanged (W up to 16 when the layout allows).
template <typename Word, typename Index>
__global__ void move_kernel(const Word* in, Word* out, CopyDims c, Index n) {
  for (Index i = blockIdx.x * Index(blockDim.x) + threadIdx.x; i < n; i += Index(gridDim.x) * blockDim.x) {
    Index io, oo;
    offsets(c, i, io, oo);
    out[oo] = in[io];
  }
}

int64_t numel(const CopyDims& c) {
  int64_t n = 1;
  for (int d = 0; d < c.rank; ++d) n *= c.shape[d];
  return n;
}

// Whether unsigned 32-bit offsets hold every offset (none negative: a reversed Slice's are).
bool fits_32(const CopyDims& c, int64_t n) {
  int64_t mi = 0, mo = 0;
  for (int d = 0; d < c.rank; ++d) {
    if (c.is[d] < 0 || c.os[d] < 0) return false;
    mi += (c.shape[d] - 1) * c.is[d];
    mo += (c.shape[d] - 1) * c.os[d];
  }
  constexpr int64_t kMax = (int64_t(1) << 31) - 1;
  return n < kMax && mi < kMax && mo < kMax;
}

constexpr int kBlock = 256;

template <typename Tin, typename Tout>
cudaError_t convert(const void* in, void* out, const CopyDims& c, cudaStream_t stream) {
  const int64_t n = numel(c);
  if (fits_32(c, n))
    convert_kernel<Tin, Tout, uint32_t><<<grid_for(n, kBlock), kBlock, 0, stream>>>(
        static_cast<const Tin*>(in), static_cast<Tout*>(out), c, uint32_t(n));
  else
    convert_kernel<Tin, Tout, int64_t><<<grid_for(n, kBlock), kBlock, 0, stream>>>(
        static_cast<const Tin*>(in), static_cast<Tout*>(out), c, n);
  return cudaGetLastError();
}

template <typename Word>
cudaError_t move(const void* in, void* out, const CopyDims& c, cudaStream_t stream) {
  const int64_t n = numel(c);
  if (fits_32(c, n))
    move_kernel<Word, uint32_t><<<grid_for(n, kBlock), kBlock, 0, stream>>>(
        static_cast<const Word*>(in), static_cast<Word*>(out), c, uint32_t(n));
  else
    move_kernel<Word, int64_t><<<grid_for(n, kBlock), kBlock, 0, stream>>>(
        static_cast<const Word*>(in), static_cast<Word*>(out), c, n);
  return cudaGetLastError();
}

// The widest word (16, 8 or 4 bytes) that the innermost run, every stride and both pointers allow;
// the dims rescaled to it. 0 when the innermost dim is not contiguous in both tensors.
int64_t widen(CopyDims& c, int64_t esize, const void* in, const void* out) {
  const int r = c.rank - 1;
  if (r < 0 || c.is[r] != 1 || c.os[r] != 1) return 0;
  for (int64_t w : {16, 8, 4}) {
    if (w <= esize || (reinterpret_cast<uintptr_t>(in) | reinterpret_cast<uintptr_t>(out)) % uintptr_t(w)) continue;
    const int64_t k = w / esize;  // elements per word
    bool ok = c.shape[r] % k == 0;
    for (int d = 0; d < r && ok; ++d) ok = c.is[d] % k == 0 && c.os[d] % k == 0;
    if (!ok) continue;
    c.shape[r] /= k;
    for (int d = 0; d < r; ++d) c.is[d] /= k, c.os[d] /= k;
    return w;
  }
  return 0;
}

}  // namespace

cudaError_t launch_copy_strided(const void* in, Elem in_elem, const Strides& in_strides, void* out, Elem out_elem,
                                const Strides& out_strides, const StridedShape& shape, cudaStream_t stream) {
  for (int d = 0; d < shape.rank; ++d)
    if (shape.shape[d] == 0) return cudaSuccess;
  CopyDims c = simplify(shape, in_strides, out_strides);
  if (in_elem == Elem::kF32 && out_elem == Elem::kF16) return convert<float, __half>(in, out, c, stream);
  if (in_elem == Elem::kF16 && out_elem == Elem::kF32) return convert<__half, float>(in, out, c, stream);
  const int64_t esize = in_elem == Elem::kF16 ? 2 : 4;
  switch (widen(c, esize, in, out)) {
    case 16: return move<uint4>(in, out, c, stream);
    case 8: return move<uint2>(in, out, c, stream);
    case 4: return move<uint32_t>(in, out, c, stream);
  }
  return esize == 2 ? move<uint16_t>(in, out, c, stream) : move<uint32_t>(in, out, c, stream);
}

}  // namespace tandem::cuda
