#include "backends/cuda/kernels/depthwise_conv.cuh"
#include "backends/cuda/kernels/kernel_common.cuh"

namespace tandem::cuda {
namespace {

// One thread per output element; consecutive threads take consecutive channels, so loads and
// stores coalesce along C and the KHxKW window is re-read from L1/L2.
// IA: the input activation's kind at compile time (0: none, -1: read at run time), so a kernel
// without one has no branch in its inner loop (a run-time switch there made MobileNetV2's
// depthwise layers 2.5x slower on an H200).
template <typename T, int IA>
__global__ void depthwise_nhwc_kernel(DepthwiseArgs a, int64_t total) {
  const T* x = static_cast<const T*>(a.x);
  const T* w = static_cast<const T*>(a.w);
  T* y = static_cast<T*>(a.y);
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    int c = static_cast<int>(i % a.c);
    int64_t r = i / a.c;
    int ox = static_cast<int>(r % a.ow);
    r /= a.ow;
    int oy = static_cast<int>(r % a.oh);
    int n = static_cast<int>(r / a.oh);
    float acc = a.bias ? a.bias[c] : 0.0f;
    const int64_t img = static_cast<int64_t>(n) * a.h * a.w_in * a.c;
    for (int ky = 0; ky < a.kh; ++ky) {
      int iy = oy * a.stride_h - a.pad_t + ky * a.dil_h;
      if (iy < 0 || iy >= a.h) continue;
      for (int kx = 0; kx < a.kw; ++kx) {
        int ix = ox * a.stride_w - a.pad_l + kx * a.dil_w;
        if (ix < 0 || ix >= a.w_in) continue;
        acc += act_k<IA>(a.in_act, load_f(x, img + (static_cast<int64_t>(iy) * a.w_in + ix) * a.c + c)) *
               load_f(w, (static_cast<int64_t>(ky) * a.kw + kx) * a.c + c);
      }
    }
    store_f(y, i, apply_act(a.act, acc));
  }
}

// fp16, C % 8 == 0: one thread per output pixel and 8 channels; 16-byte loads and stores,
// 32-bit index arithmetic (the caller checks the sizes fit), fp32 accumulation.
// Tried and measured slower on an H200 (MobileNetV2 at batch 256 and 1024, whole model):
// the window and stride fixed at compile time with unrolled loops, -14% (80 registers against
// fewer here, so fewer warps to hide the loads); the same with two outputs along W sharing input
// columns and weights, -8%; four outputs per thread, slower on every layer
// (bench/results/depthwise_trial_h200.md).
template <int IA>
__global__ void depthwise_nhwc_h8_kernel(DepthwiseArgs a, int total8) {
  const int c8 = a.c / 8;
  const uint4* x = static_cast<const uint4*>(a.x);
  const uint4* w = static_cast<const uint4*>(a.w);
  uint4* y = static_cast<uint4*>(a.y);
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < total8; i += gridDim.x * blockDim.x) {
    const int cv = i % c8;
    int r = i / c8;
    const int ox = r % a.ow;
    r /= a.ow;
    const int oy = r % a.oh;
    const int n = r / a.oh;
    float acc[8];
#pragma unroll
    for (int k = 0; k < 8; ++k) acc[k] = a.bias ? a.bias[cv * 8 + k] : 0.0f;
    const uint4* img = x + static_cast<int64_t>(n) * a.h * a.w_in * c8;
    const int iy0 = oy * a.stride_h - a.pad_t, ix0 = ox * a.stride_w - a.pad_l;
    for (int ky = 0; ky < a.kh; ++ky) {
      const int iy = iy0 + ky * a.dil_h;
      if (iy < 0 || iy >= a.h) continue;
      for (int kx = 0; kx < a.kw; ++kx) {
        const int ix = ix0 + kx * a.dil_w;
        if (ix < 0 || ix >= a.w_in) continue;
        uint4 xv = __ldg(img + (iy * a.w_in + ix) * c8 + cv);
        uint4 wv = __ldg(w + (ky * a.kw + kx) * c8 + cv);
        const __half2* xh = reinterpret_cast<const __half2*>(&xv);
        const __half2* wh = reinterpret_cast<const __half2*>(&wv);
#pragma unroll
        for (int k = 0; k < 4; ++k) {
          float2 xf = __half22float2(xh[k]), wf = __half22float2(wh[k]);
          acc[2 * k] = fmaf(act_k<IA>(a.in_act, xf.x), wf.x, acc[2 * k]);
          acc[2 * k + 1] = fmaf(act_k<IA>(a.in_act, xf.y), wf.y, acc[2 * k + 1]);
        }
      }
    }
    uint4 out;
    __half2* oh = reinterpret_cast<__half2*>(&out);
#pragma unroll
    for (int k = 0; k < 4; ++k) oh[k] = __floats2half2_rn(apply_act(a.act, acc[2 * k]), apply_act(a.act, acc[2 * k + 1]));
    y[i] = out;
  }
}

// fp32 NCHW: one thread per output element, consecutive threads along OW, so stores coalesce
// and the loads of a warp touch a few input rows (the KHxKW window is re-read from L1).
// K > 0 fixes a KxK window at compile time (the loops unroll); K == 0 reads it from `a`.
// Index is int when every offset fits in 32 bits (cheaper divisions), else int64_t.
template <typename Index, int K, int IA>
__global__ void depthwise_nchw_f32_kernel(DepthwiseArgs a, Index total) {
  const float* __restrict__ x = static_cast<const float*>(a.x);
  const float* __restrict__ w = static_cast<const float*>(a.w);
  float* __restrict__ y = static_cast<float*>(a.y);
  const int kh = K > 0 ? K : a.kh, kw = K > 0 ? K : a.kw;
  for (Index i = blockIdx.x * Index(blockDim.x) + threadIdx.x; i < total; i += Index(gridDim.x) * blockDim.x) {
    const int ox = static_cast<int>(i % a.ow);
    const Index r = i / a.ow;
    const int oy = static_cast<int>(r % a.oh);
    const Index plane = r / a.oh;  // n * C + c
    const int c = static_cast<int>(plane % a.c);
    const float* xp = x + plane * Index(a.h) * a.w_in;
    const float* wp = w + c * kh * kw;
    float acc = a.bias ? __ldg(a.bias + c) : 0.0f;
    const int iy0 = oy * a.stride_h - a.pad_t, ix0 = ox * a.stride_w - a.pad_l;
#pragma unroll
    for (int ky = 0; ky < kh; ++ky) {
      const int iy = iy0 + ky * a.dil_h;
      if (iy < 0 || iy >= a.h) continue;
      const float* row = xp + Index(iy) * a.w_in;
#pragma unroll
      for (int kx = 0; kx < kw; ++kx) {
        const int ix = ix0 + kx * a.dil_w;
        if (ix < 0 || ix >= a.w_in) continue;
        acc = fmaf(act_k<IA>(a.in_act, __ldg(row + ix)), __ldg(wp + ky * kw + kx), acc);
      }
    }
    y[i] = apply_act(a.act, acc);
  }
}

// fp32 NCHW, KxK window, stride S, no dilation: each thread computes kVec consecutive outputs of
// one row, so one row of (kVec - 1) * S + K inputs serves kVec outputs from registers (about
// half the loads of one output per thread at 3x3 stride 1, and a quarter of the index math).
// Measured on an H100 over MobileNetV2's 17 depthwise layers at batch 256: 3.7 ms with 4
// (2: 3.8 ms, 8: 6.4 ms; one output per thread: 6.4 ms; cuDNN grouped via PyTorch: 5.8 ms).
constexpr int kVec = 4;

template <typename Index, int K, int S, int IA>
__global__ void depthwise_nchw_f32_vec_kernel(DepthwiseArgs a, Index total) {
  constexpr int kSpan = (kVec - 1) * S + K;
  const float* __restrict__ x = static_cast<const float*>(a.x);
  float* __restrict__ y = static_cast<float*>(a.y);
  const int owv = (a.ow + kVec - 1) / kVec;
  for (Index i = blockIdx.x * Index(blockDim.x) + threadIdx.x; i < total; i += Index(gridDim.x) * blockDim.x) {
    const int ox0 = static_cast<int>(i % owv) * kVec;
    const Index r = i / owv;
    const int oy = static_cast<int>(r % a.oh);
    const Index plane = r / a.oh;  // n * C + c
    const int c = static_cast<int>(plane % a.c);
    const float* xp = x + plane * Index(a.h) * a.w_in;
    const float* wp = static_cast<const float*>(a.w) + c * K * K;
    const float b = a.bias ? __ldg(a.bias + c) : 0.0f;
    float acc[kVec];
#pragma unroll
    for (int v = 0; v < kVec; ++v) acc[v] = b;
    const int iy0 = oy * S - a.pad_t, ix0 = ox0 * S - a.pad_l;
#pragma unroll
    for (int ky = 0; ky < K; ++ky) {
      const int iy = iy0 + ky;
      if (iy < 0 || iy >= a.h) continue;
      const float* row = xp + Index(iy) * a.w_in;
      float in[kSpan];
#pragma unroll
      for (int j = 0; j < kSpan; ++j) {
        const int ix = ix0 + j;
        in[j] = ix >= 0 && ix < a.w_in ? act_k<IA>(a.in_act, __ldg(row + ix)) : 0.0f;
      }
#pragma unroll
      for (int kx = 0; kx < K; ++kx) {
        const float wv = __ldg(wp + ky * K + kx);
#pragma unroll
        for (int v = 0; v < kVec; ++v) acc[v] = fmaf(in[v * S + kx], wv, acc[v]);
      }
    }
    float* yp = y + (plane * a.oh + oy) * Index(a.ow) + ox0;
#pragma unroll
    for (int v = 0; v < kVec; ++v)
      if (ox0 + v < a.ow) yp[v] = apply_act(a.act, acc[v]);
  }
}

template <typename Index, int K, int S, int IA>
void launch_vec(const DepthwiseArgs& a, cudaStream_t stream) {
  constexpr int kBlock = 256;
  const int64_t total = static_cast<int64_t>(a.n) * a.c * a.oh * ((a.ow + kVec - 1) / kVec);
  depthwise_nchw_f32_vec_kernel<Index, K, S, IA><<<grid_for(total, kBlock), kBlock, 0, stream>>>(a, static_cast<Index>(total));
}

template <typename Index, int IA>
void launch_nchw_f32(const DepthwiseArgs& a, int64_t total, cudaStream_t stream) {
  constexpr int kBlock = 256;
  const unsigned grid = grid_for(total, kBlock);
  const Index t = static_cast<Index>(total);
  const bool plain = a.dil_h == 1 && a.dil_w == 1 && a.stride_h == a.stride_w && a.kh == a.kw;
  if (plain && (a.stride_h == 1 || a.stride_h == 2) && (a.kh == 3 || a.kh == 5)) {
    if (a.kh == 3) {
      a.stride_h == 1 ? launch_vec<Index, 3, 1, IA>(a, stream) : launch_vec<Index, 3, 2, IA>(a, stream);
    } else {
      a.stride_h == 1 ? launch_vec<Index, 5, 1, IA>(a, stream) : launch_vec<Index, 5, 2, IA>(a, stream);
    }
  } else if (a.kh == 3 && a.kw == 3) {
    depthwise_nchw_f32_kernel<Index, 3, IA><<<grid, kBlock, 0, stream>>>(a, t);
  } else if (a.kh == 5 && a.kw == 5) {
    depthwise_nchw_f32_kernel<Index, 5, IA><<<grid, kBlock, 0, stream>>>(a, t);
  } else {
    depthwise_nchw_f32_kernel<Index, 0, IA><<<grid, kBlock, 0, stream>>>(a, t);
  }
}

}  // namespace

cudaError_t launch_depthwise_nhwc(const DepthwiseArgs& a, Elem elem, cudaStream_t stream) {
  int64_t total = static_cast<int64_t>(a.n) * a.oh * a.ow * a.c;
  if (total == 0) return cudaSuccess;
  constexpr int kBlock = 256;
  const int64_t in_elems = static_cast<int64_t>(a.n) * a.h * a.w_in * a.c;
  if (elem == Elem::kF16 && a.c % 8 == 0 && total < (int64_t{1} << 31) && in_elems / a.n < (int64_t{1} << 31)) {
    const int total8 = static_cast<int>(total / 8);
    TANDEM_DISPATCH_ACT(a.in_act.kind, depthwise_nhwc_h8_kernel<A><<<grid_for(total8, kBlock), kBlock, 0, stream>>>(a, total8));
    return cudaGetLastError();
  }
  if (a.in_act.kind != 0) {
    TANDEM_DISPATCH_ELEM(elem, depthwise_nhwc_kernel<T, -1><<<grid_for(total, kBlock), kBlock, 0, stream>>>(a, total));
  } else {
    TANDEM_DISPATCH_ELEM(elem, depthwise_nhwc_kernel<T, 0><<<grid_for(total, kBlock), kBlock, 0, stream>>>(a, total));
  }
  return cudaGetLastError();
}

cudaError_t launch_depthwise_nchw_f32(const DepthwiseArgs& a, cudaStream_t stream) {
  const int64_t total = static_cast<int64_t>(a.n) * a.c * a.oh * a.ow;
  if (total == 0) return cudaSuccess;
  const int64_t in_elems = static_cast<int64_t>(a.n) * a.c * a.h * a.w_in;
  // 2^30 leaves room for the grid-stride step (at most 65535 * 32 * 256 < 2^30) without overflow.
  constexpr int64_t kMax32 = int64_t{1} << 30;
  const bool in_act = a.in_act.kind != 0;
  if (total <= kMax32 && in_elems <= kMax32) {
    in_act ? launch_nchw_f32<int, -1>(a, total, stream) : launch_nchw_f32<int, 0>(a, total, stream);
  } else {
    in_act ? launch_nchw_f32<int64_t, -1>(a, total, stream) : launch_nchw_f32<int64_t, 0>(a, total, stream);
  }
  return cudaGetLastError();
}

}  // namespace tandem::cuda
