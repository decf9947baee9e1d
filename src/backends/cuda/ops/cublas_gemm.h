// cuBLAS matrix products shared by Gemm and MatMul (fp32: exact fp32 compute, no TF32; tf32: fp32
// data, TF32 tensor cores with fp32 accumulation; fp16: tensor cores with fp32 accumulation), and
// the in-place bias + activation pass after them.
#pragma once

#include <vector>

#include "backends/cuda/cuda_context.h"

namespace tandem::cuda {

// Row-major Y[M,N] = alpha * op(A) op(B), `batch` times with element strides between batches
// (0: the same matrix for every batch). ld_first / op_first describe B, ld_second / op_second A
// (cuBLAS is column-major: it computes Y^T = op(B)^T op(A)^T).
struct GemmShape {
  cublasOperation_t op_first = CUBLAS_OP_N, op_second = CUBLAS_OP_N;
  int m = 0, n = 0, k = 0, ld_first = 0, ld_second = 0, ld_out = 0;
  int64_t batch = 1, stride_a = 0, stride_b = 0, stride_y = 0;
  float alpha = 1.0f;
  bool y_f32 = false;  // Y is fp32 even when A and B are fp16 (attention scores)
};

// Enqueues one cublasGemmStridedBatchedEx on env's stream in `precision`, now: for steps that
// find their buffers at run time (RunEnv::workspace).
Status run_gemm(const RunEnv& env, const GemmShape& g, const void* a, const void* b, void* y, Precision precision);

// The step running one cublasGemmStridedBatchedEx in the unit's precision; the buffers are
// borrowed (arena/owned).
Step gemm_step(GemmShape g, const void* a, const void* b, void* y, Precision precision);

// In place on y: y[.., j] += bias[j] (bias indexed by the last logical dim; y must be stored
// row-major when bias is non-empty), then `act`. Adds nothing when both are empty.
Status add_gemm_epilogue(BuildContext& ctx, const DevTensor& y, std::vector<float> bias, const ir::Epilogue& act);

}  // namespace tandem::cuda
