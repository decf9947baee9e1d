// Typed attributes of FusedAttention, the scaled dot-product attention that the fuse_attention
// pass makes out of MatMul -> [Mul/Div scale] -> [Add bias] -> Softmax -> MatMul. Internal: no
// file may contain it (OpDef::internal). Shape inference is in attention.cpp.
//
// Inputs Q [batch..., N, D], K [batch..., M, D], V [batch..., M, Dv], optional bias; rank 3 or
// 4, the same batch dims for Q, K and V. Output [batch..., N, Dv]:
//   Y = softmax(scale * Q K^T + bias, over M) V
// The transposed flags say an input (or the output) is stored with its last two dims swapped:
// K as K^T [.., D, M], V as V^T [.., Dv, M], Y as Y^T [.., Dv, N] — what the exporter wrote,
// read and written through strides, so no copy is made.
// The bias is right-aligned to the score shape [batch..., N, M]; each of its dims is 1
// (broadcast) or the score's, except its first batch dim, which may be any divisor P of the
// score's: score batch b reads bias batch b mod P (Swin's shifted windows: batch = images x
// windows, one mask per window).
#pragma once

#include <cstdint>

#include "tandem/tensor.h"

namespace tandem::ir {

struct AttentionAttrs {
  float scale = 1.0f;
  bool k_transposed = false;
  bool v_transposed = false;
  bool out_transposed = false;
  bool has_bias = false;  // input 3
};

// The dims of one FusedAttention node, from its input shapes (checked by attention_dims()).
struct AttentionDims {
  int64_t batch = 1, heads = 1;  // rank 3: batch = dim 0, heads = 1; rank 4: dims 0 and 1
  int64_t n = 0, m = 0, d = 0, dv = 0;
  // The bias right-aligned to 4-D [bias_batch, bias_heads, bias_n, bias_m] (1 where absent).
  int64_t bias_batch = 1, bias_heads = 1, bias_n = 1, bias_m = 1;
};

// Validates the shapes against `a` and returns the dims; the error names what disagrees.
// `bias` is null when there is none.
Result<AttentionDims> attention_dims(const AttentionAttrs& a, const Shape& q, const Shape& k, const Shape& v,
                                     const Shape* bias);
// The output shape for `q`'s batch dims and `d`.
Shape attention_output_shape(const AttentionAttrs& a, const Shape& q, const AttentionDims& d);

}  // namespace tandem::ir
