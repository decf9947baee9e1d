// out = act(a (op) b) with broadcasting: `shape` is the output's shape in its memory order
// (out is contiguous); a_strides / b_strides give each operand's element stride per dim (0 where
// broadcast). op (ir::BinaryOp's value): 0 add, 1 sub, 2 mul, 3 div, 4 pow, 5 fmod, 6 min, 7 max.
#pragma once

#include "backends/cuda/kernels/kernel_types.cuh"

namespace tandem::cuda {

struct BinaryArgs {
  const void* a = nullptr;
  const void* b = nullptr;
  void* out = nullptr;
  StridedShape shape;
  Strides a_strides;
  Strides b_strides;
  bool same_shape = false;  // a, b, out all contiguous with the same shape: no index math
  int op = 0;
  DevEpilogue act;
};

cudaError_t launch_binary(const BinaryArgs& args, Elem elem, cudaStream_t stream);

}  // namespace tandem::cuda
