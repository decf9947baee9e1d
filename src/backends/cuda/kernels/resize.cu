#include "backends/cuda/kernels/kernel_common.cuh"
#include "backends/cuda/kernels/resize.cuh"

namespace tandem::cuda {
namespace {

__device__ float source_coord(int mode, int out_i, float scale, int in_len, int out_len) {
  switch (mode) {
    case 1: return out_i / scale;
    case 2: {  // ONNX: length_resized = in * scale, unrounded
      const float len = in_len * scale;
      return len > 1.0f ? out_i * float(in_len - 1) / (len - 1.0f) : 0.0f;
    }
    case 3: return out_len > 1 ? (out_i + 0.5f) / scale - 0.5f : 0.0f;
    case 4: return (out_i + 0.5f) / scale;
    default: return (out_i + 0.5f) / scale - 0.5f;
  }
}

__device__ int nearest_index(int mode, float x, int in_len) {
  float f = floorf(x);
  int i;
  switch (mode) {
    case 1: i = (x - f == 0.5f) ? int(f) + 1 : int(rintf(x)); break;
    case 2: i = int(f); break;
    case 3: i = int(ceilf(x)); break;
    default: i = (x - f == 0.5f) ? int(f) : int(rintf(x)); break;
  }
  return min(max(i, 0), in_len - 1);
}

template <typename T>
__global__ void resize_kernel(ResizeArgs a, int64_t total) {
  const T* x = static_cast<const T*>(a.x);
  T* y = static_cast<T*>(a.y);
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t r = i;
    int c, ox, oy;
    if (a.nhwc) {
      c = int(r % a.c); r /= a.c; ox = int(r % a.ow); r /= a.ow; oy = int(r % a.oh); r /= a.oh;
    } else {
      ox = int(r % a.ow); r /= a.ow; oy = int(r % a.oh); r /= a.oh; c = int(r % a.c); r /= a.c;
    }
    const int64_t n = r;
    auto at = [&](int yy, int xx) {
      int64_t off = a.nhwc ? ((n * a.ih + yy) * a.iw + xx) * a.c + c : ((n * a.c + c) * a.ih + yy) * int64_t(a.iw) + xx;
      return load_f(x, off);
    };
    float sy = source_coord(a.coord_mode, oy, a.scale_h, a.ih, a.oh);
    float sx = source_coord(a.coord_mode, ox, a.scale_w, a.iw, a.ow);
    float v;
    if (!a.linear) {
      v = at(nearest_index(a.nearest_mode, sy, a.ih), nearest_index(a.nearest_mode, sx, a.iw));
    } else {
      sy = fminf(fmaxf(sy, 0.0f), float(a.ih - 1));
      sx = fminf(fmaxf(sx, 0.0f), float(a.iw - 1));
      int y0 = int(sy), x0 = int(sx);
      int y1 = min(y0 + 1, a.ih - 1), x1 = min(x0 + 1, a.iw - 1);
      float dy = sy - y0, dx = sx - x0;
      v = (1 - dy) * ((1 - dx) * at(y0, x0) + dx * at(y0, x1)) + dy * ((1 - dx) * at(y1, x0) + dx * at(y1, x1));
    }
    store_f(y, i, v);
  }
}

}  // namespace

cudaError_t launch_resize(const ResizeArgs& a, Elem elem, cudaStream_t stream) {
  int64_t total = int64_t(a.n) * a.c * a.oh * a.ow;
  if (total == 0) return cudaSuccess;
  constexpr int kBlock = 256;
  TANDEM_DISPATCH_ELEM(elem, resize_kernel<T><<<grid_for(total, kBlock), kBlock, 0, stream>>>(a, total));
  return cudaGetLastError();
}

}  // namespace tandem::cuda
