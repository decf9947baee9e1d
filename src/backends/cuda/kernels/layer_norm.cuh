// LayerNormalization over `cols` elements per row, fp32 statistics (two passes: mean, then the
// mean of squared deviations), Scale and B in fp32. One warp per row (cols <= 1024) or one block.
// AddLayerNorm: the rows of x + residual (rounded to the element type, as an Add would store
// it), optionally written to `sum` in the same pass.
#pragma once

#include "backends/cuda/kernels/kernel_types.cuh"

namespace tandem::cuda {

struct LayerNormArgs {
  const void* x = nullptr;
  void* y = nullptr;            // the same layout as x
  const void* residual = nullptr;  // added to x before normalising (nullptr: none); x's layout
  void* sum = nullptr;             // x + residual written here (nullptr: not wanted); x's layout
  const float* scale = nullptr; // `cols` values, row-major over the normalised dims
  const float* bias = nullptr;  // the same, or nullptr
  int64_t rows = 0, cols = 0;
  float epsilon = 1e-5f;
  // Row r starts at r * cols and its element j is at + j when `contiguous` (x row-major); else
  // row r is at the offset of r over `outer` (the dims before the axis, with their element
  // strides) and element j at + the offset of j over `inner` (the normalised dims).
  bool contiguous = true;
  StridedShape outer, inner;
  Strides outer_strides, inner_strides;
};

cudaError_t launch_layer_norm(const LayerNormArgs& args, Elem elem, cudaStream_t stream);

}  // namespace tandem::cuda
