// The softmax of FusedAttention: fp32 scores plus an optional broadcast bias, softmax over each
// row, probabilities written in the unit's element type (fp32 accumulation throughout).
#pragma once

#include "backends/cuda/kernels/kernel_types.cuh"

namespace tandem::cuda {

// The additive bias read through strides: score (b, h, i, j) adds
// bias[(b % batch) * s_batch + h * s_head + i * s_row + j * s_col] (stride 0: broadcast dim).
struct AttentionBiasArgs {
  const void* data = nullptr;  // null: no bias; else in the unit's element type
  int64_t batch = 1;
  int64_t s_batch = 0, s_head = 0, s_row = 0, s_col = 0;
};

// For each row r = (b * heads + h) * n + i of the fp32 scores s [rows, m]:
//   p[r, j] = exp(x_j - max x) / sum exp(x - max x),  x_j = s[r, j] + bias(b, h, i, j).
// p is in `elem`; it may be s itself when elem is fp32 (in place). One warp per row.
cudaError_t launch_attention_softmax(const float* s, void* p, const AttentionBiasArgs& bias, int64_t rows, int64_t n,
                                     int64_t heads, int64_t m, Elem elem, cudaStream_t stream);

}  // namespace tandem::cuda
