// Typed attributes of LayerNormalization (opset 17), and of AddLayerNorm: the internal op of the
// fuse_add_layer_norm pass (no file may contain it) with inputs A, B (the same shape), Scale and
// the optional B(ias) as LayerNormalization's, and outputs Y = LayerNormalization(A + B) and the
// optional S = A + B (written only when the node has a second output). Parse and shape inference
// are in layer_norm.cpp.
#pragma once

#include <cstdint>

#include "tandem/tensor.h"

namespace tandem::ir {

struct LayerNormAttrs {
  // The first normalised axis: each group is X[i0, ..., i_{axis-1}, :, ..., :]. Normalised to
  // [0, rank) by inference.
  int64_t axis = -1;
  float epsilon = 1e-5f;
  // ONNX TensorProto type code of the statistics (Mean, InvStdDev) and of the computation;
  // 1 = float32 (the default; every backend computes in at least float32).
  int64_t stash_type = 1;
};

// True when `scale` (the shape of Scale or B) broadcasts to X's shape (right-aligned) without
// growing it and without varying along the dims before `axis`: each dim of the group equal or 1,
// every other dim 1. Backends that index the parameter as a flat row of
// prod(X.shape[axis:]) need `scale` to have exactly those elements in that order (see
// layer_norm_param_is_row).
bool layer_norm_param_broadcasts(const Shape& scale, const Shape& x, int64_t axis);
// True when `scale` is X.shape[axis:] possibly with leading 1s added or removed: the same
// elements in the same row-major order as the normalised group.
bool layer_norm_param_is_row(const Shape& scale, const Shape& x, int64_t axis);

}  // namespace tandem::ir
