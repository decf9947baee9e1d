// Shared by the broadcasting elementwise ops (binary.cpp, variadic.cpp, where.cpp): operand
// strides seen through the output's dims, and the walk of the output in its memory order.
#pragma once

#include <vector>

#include "backends/cuda/cuda_context.h"
#include "backends/cuda/kernels/binary.cuh"

namespace tandem::cuda {

// Element strides of `t` seen through the output's dims (right-aligned; 0 where broadcast).
Strides operand_strides(const DevTensor& t, const Shape& out);

// The output's dims in its memory order (outermost first) and each operand's strides in that
// order, so a kernel walking them stores contiguously.
struct BroadcastWalk {
  StridedShape shape;
  std::vector<Strides> strides;  // one per operand, same order as given
};
BroadcastWalk broadcast_walk(const DevTensor& y, const std::vector<const DevTensor*>& operands);

// out = a (op) b; `op` is ir::BinaryOp's value (0..7), then `act`.
BinaryArgs binary_args(const DevTensor& a, const DevTensor& b, const DevTensor& y, int op, const ir::Epilogue& act);

}  // namespace tandem::cuda
