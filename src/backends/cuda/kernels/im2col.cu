#include "backends/cuda/kernels/im2col.cuh"
#include "backends/cuda/kernels/kernel_common.cuh"

namespace tandem::cuda {
namespace {

// One thread per `kVec` consecutive columns of one row (8 halves = 16 bytes when a group's C % 8
// == 0, so that a vector never straddles two taps or two groups; else one half).
template <int kVec>
__global__ void im2col_nhwc(Im2colArgs a, int64_t total) {
  const int cg = a.c / a.groups;  // channels per group
  const int row = a.kpad * a.groups;
  const int per_row = row / kVec;
  const int k = a.kh * a.kw * cg;
  const __half* x = static_cast<const __half*>(a.x);
  __half* col = static_cast<__half*>(a.col);
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t m = i / per_row;
    const int jr = int(i % per_row) * kVec;
    const int g = jr / a.kpad, j = jr % a.kpad;
    const int ox = int(m % a.ow);
    const int64_t t = m / a.ow;
    const int oy = int(t % a.oh);
    const int64_t img = t / a.oh;
    __half* dst = col + m * row + jr;
    bool inside = j < k;
    int64_t src = 0;
    if (inside) {
      const int ci = g * cg + j % cg, tap = j / cg;
      const int ky = tap / a.kw, kx = tap % a.kw;
      const int iy = oy * a.stride_h - a.pad_t + ky * a.dil_h;
      const int ix = ox * a.stride_w - a.pad_l + kx * a.dil_w;
      inside = iy >= 0 && iy < a.h && ix >= 0 && ix < a.w;
      src = ((img * a.h + iy) * a.w + ix) * a.c + ci;
    }
    if constexpr (kVec == 8) {
      *reinterpret_cast<uint4*>(dst) = inside ? *reinterpret_cast<const uint4*>(x + src) : make_uint4(0, 0, 0, 0);
    } else {
      *dst = inside ? x[src] : __float2half(0.0f);
    }
  }
}

}  // namespace

cudaError_t launch_im2col_nhwc_f16(const Im2colArgs& a, cudaStream_t stream) {
  const int64_t rows = int64_t(a.n) * a.oh * a.ow;
  constexpr int kBlock = 256;
  const int cg = a.c / a.groups;
  if (cg % 8 == 0 && a.kpad == a.kh * a.kw * cg) {
    const int64_t total = rows * a.groups * (a.kpad / 8);
    im2col_nhwc<8><<<grid_for(total, kBlock), kBlock, 0, stream>>>(a, total);
  } else {
    const int64_t total = rows * a.groups * a.kpad;
    im2col_nhwc<1><<<grid_for(total, kBlock), kBlock, 0, stream>>>(a, total);
  }
  return cudaGetLastError();
}

}  // namespace tandem::cuda
