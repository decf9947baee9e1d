#include <cfloat>

#include "backends/cuda/kernels/kernel_common.cuh"
#include "backends/cuda/kernels/pool2d.cuh"

namespace tandem::cuda {
namespace {

// Calls f(offset of x's element from the pixel's base) for each element of output (oy, ox)'s
// window inside x; `padded` counts the window clipped to the padded input, `valid` the calls.
template <typename F>
__device__ __forceinline__ void for_window(const Pool2dArgs& a, int oy, int ox, int& valid, int& padded, F f) {
  for (int ky = 0; ky < a.kh; ++ky) {
    const int iy = oy * a.stride_h - a.pad_t + ky * a.dil_h;
    if (iy >= a.h + a.pad_b) break;
    for (int kx = 0; kx < a.kw; ++kx) {
      const int ix = ox * a.stride_w - a.pad_l + kx * a.dil_w;
      if (ix >= a.w + a.pad_r) break;
      ++padded;
      if (iy < 0 || iy >= a.h || ix < 0 || ix >= a.w) continue;
      f(iy * a.xs.s[2] + ix * a.xs.s[3]);
      ++valid;
    }
  }
}

// Average divisor as onnxruntime computes it: count_include_pad counts the window clipped to
// the padded input [-pad_begin, size + pad_end); otherwise the valid (unpadded) elements.
template <typename T>
__global__ void pool2d_kernel(Pool2dArgs a, int64_t total) {
  const T* x = static_cast<const T*>(a.x);
  T* y = static_cast<T*>(a.y);
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    // Neighbouring threads take neighbouring elements of y's storage, so that their loads of x
    // coalesce: channels fastest in NHWC, columns fastest in NCHW.
    int64_t r = i;
    int ox, oy, ch, n;
    if (a.channels_last) {
      ch = int(r % a.c); r /= a.c;
      ox = int(r % a.ow); r /= a.ow;
      oy = int(r % a.oh);
      n = int(r / a.oh);
    } else {
      ox = int(r % a.ow); r /= a.ow;
      oy = int(r % a.oh); r /= a.oh;
      ch = int(r % a.c);
      n = int(r / a.c);
    }
    const int64_t xb = n * a.xs.s[0] + ch * a.xs.s[1];
    float acc = a.is_max ? -FLT_MAX : 0.0f;
    int valid = 0, padded = 0;
    for_window(a, oy, ox, valid, padded, [&](int64_t at) {
      const float v = load_f(x, xb + at);
      acc = a.is_max ? fmaxf(acc, v) : acc + v;
    });
    if (!a.is_max) {
      const int div = a.count_include_pad ? padded : valid;
      acc = div > 0 ? acc / float(div) : 0.0f;
    }
    store_f(y, n * a.ys.s[0] + ch * a.ys.s[1] + oy * a.ys.s[2] + ox * a.ys.s[3], acc);
  }
}

// fp16 NHWC, channels % 8 == 0: one thread per 8 channels of an output pixel, 16-byte loads.
__global__ void pool2d_nhwc_h8_kernel(Pool2dArgs a, int64_t total8) {
  const __half* x = static_cast<const __half*>(a.x);
  __half* y = static_cast<__half*>(a.y);
  const int c8 = a.c / 8;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total8; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t r = i;
    const int cg = int(r % c8); r /= c8;
    const int ox = int(r % a.ow); r /= a.ow;
    const int oy = int(r % a.oh);
    const int n = int(r / a.oh);
    const int64_t xb = n * a.xs.s[0] + cg * 8;
    float acc[8];
#pragma unroll
    for (int k = 0; k < 8; ++k) acc[k] = a.is_max ? -FLT_MAX : 0.0f;
    int valid = 0, padded = 0;
    for_window(a, oy, ox, valid, padded, [&](int64_t at) {
      const uint4 v = *reinterpret_cast<const uint4*>(x + xb + at);
      const __half2* h = reinterpret_cast<const __half2*>(&v);
#pragma unroll
      for (int k = 0; k < 4; ++k) {
        const float2 f = __half22float2(h[k]);
        acc[2 * k] = a.is_max ? fmaxf(acc[2 * k], f.x) : acc[2 * k] + f.x;
        acc[2 * k + 1] = a.is_max ? fmaxf(acc[2 * k + 1], f.y) : acc[2 * k + 1] + f.y;
      }
    });
    const int div = a.count_include_pad ? padded : valid;
    const float scale = a.is_max ? 1.0f : (div > 0 ? 1.0f / float(div) : 0.0f);
    uint4 out;
    __half2* o = reinterpret_cast<__half2*>(&out);
#pragma unroll
    for (int k = 0; k < 4; ++k) o[k] = __floats2half2_rn(acc[2 * k] * scale, acc[2 * k + 1] * scale);
    *reinterpret_cast<uint4*>(y + n * a.ys.s[0] + oy * a.ys.s[2] + ox * a.ys.s[3] + cg * 8) = out;
  }
}

bool vectorizable(const Pool2dArgs& a) {
  const auto aligned = [](const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; };
  if (!a.channels_last || a.c % 8 != 0 || !aligned(a.x) || !aligned(a.y)) return false;
  for (int d : {0, 2, 3})
    if (a.xs.s[d] % 8 != 0 || a.ys.s[d] % 8 != 0) return false;
  return a.xs.s[1] == 1 && a.ys.s[1] == 1;
}

}  // namespace

cudaError_t launch_pool2d(const Pool2dArgs& a, Elem elem, cudaStream_t stream) {
  const int64_t total = int64_t(a.n) * a.c * a.oh * a.ow;
  if (total == 0) return cudaSuccess;
  constexpr int kBlock = 256;
  if (elem == Elem::kF16 && vectorizable(a)) {
    pool2d_nhwc_h8_kernel<<<grid_for(total / 8, kBlock), kBlock, 0, stream>>>(a, total / 8);
    return cudaGetLastError();
  }
  TANDEM_DISPATCH_ELEM(elem, pool2d_kernel<T><<<grid_for(total, kBlock), kBlock, 0, stream>>>(a, total));
  return cudaGetLastError();
}

}  // namespace tandem::cuda
