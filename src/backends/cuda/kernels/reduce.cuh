// Reduction over any set of axes of a tensor in any stored layout (NCHW, NHWC, row-major), with
// fp32 accumulation. The op builder describes the kept and reduced dims by their element strides
// (dims of size 1 dropped, mergeable neighbours merged); the launcher picks a kernel:
// - the innermost stored dim is reduced: a warp (or, for a few large groups, a block) per output
//   reads contiguous runs;
// - the innermost stored dim is kept (the SE mean over H, W of NHWC): 32 neighbouring outputs per
//   block, the group split over the block's rows;
// - otherwise one thread per output.
#pragma once

#include "backends/cuda/kernels/kernel_types.cuh"

namespace tandem::cuda {

// Mirrors ir::ReduceKind.
enum class DevReduce : int { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kSumSquare, kLogSum, kLogSumExp };

struct ReduceArgs {
  const void* x = nullptr;
  void* y = nullptr;
  StridedShape kept;   // kept dims in y's storage order (slowest first)
  Strides kept_x;      // their element strides in x
  Strides kept_y;      // their element strides in y
  StridedShape red;    // reduced dims, by falling x stride (the last is the innermost)
  Strides red_x;       // their element strides in x
  int64_t outputs = 1; // product of the kept dims
  int64_t count = 1;   // product of the reduced dims (the group size)
  DevReduce kind = DevReduce::kSum;
};

cudaError_t launch_reduce(const ReduceArgs& args, Elem elem, cudaStream_t stream);

}  // namespace tandem::cuda
