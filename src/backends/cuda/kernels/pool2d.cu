#include <cfloat>

#include "backends/cuda/kernels/kernel_common.cuh"
#include "backends/cuda/kernels/pool2d.cuh"

namespace tandem::cuda {
namespace {

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
    for (int ky = 0; ky < a.kh; ++ky) {
      const int iy = oy * a.stride_h - a.pad_t + ky * a.dil_h;
      if (iy >= a.h + a.pad_b) break;
      for (int kx = 0; kx < a.kw; ++kx) {
        const int ix = ox * a.stride_w - a.pad_l + kx * a.dil_w;
        if (ix >= a.w + a.pad_r) break;
        ++padded;
        if (iy < 0 || iy >= a.h || ix < 0 || ix >= a.w) continue;
        const float v = load_f(x, xb + iy * a.xs.s[2] + ix * a.xs.s[3]);
        acc = a.is_max ? fmaxf(acc, v) : acc + v;
        ++valid;
      }
    }
    if (!a.is_max) {
      const int div = a.count_include_pad ? padded : valid;
      acc = div > 0 ? acc / float(div) : 0.0f;
    }
    store_f(y, n * a.ys.s[0] + ch * a.ys.s[1] + oy * a.ys.s[2] + ox * a.ys.s[3], acc);
  }
}

}  // namespace

cudaError_t launch_pool2d(const Pool2dArgs& a, Elem elem, cudaStream_t stream) {
  const int64_t total = int64_t(a.n) * a.c * a.oh * a.ow;
  if (total == 0) return cudaSuccess;
  constexpr int kBlock = 256;
  TANDEM_DISPATCH_ELEM(elem, pool2d_kernel<T><<<grid_for(total, kBlock), kBlock, 0, stream>>>(a, total));
  return cudaGetLastError();
}

}  // namespace tandem::cuda
