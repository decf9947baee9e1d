// Mean, Max or Sum over every spatial dim of an N x C x spatial tensor, in the layout it arrives
// in (plain, channels-last, or oneDNN's channel blocks of 4, 8 or 16: aBcd8b...), as a host loop over
// the unit's OpenMP threads. oneDNN 2.6 reduces those layouts only with its reference loop, and
// its pooling with a kernel as large as the image is not much better (5 ms for MnasNet's
// 4x1280x3x3 head mean on 2 cores, where onnxruntime takes 0.04 ms).
#pragma once

#include <optional>

#include "backends/cpu/cpu_op.h"
#include "backends/cpu/dnnl_util.h"

namespace tandem::cpu {

enum class SpatialReduce { kMean, kMax, kSum };

// How `md` (f32, dims N x C x S...) lays out channels: nullopt when the loop does not know the
// layout (the caller then uses oneDNN).
struct SpatialLayout {
  int64_t n = 0, c = 0, s = 0;  // batch, channels, spatial elements
  int64_t block = 0;            // 0: plain (N, C, S); 1: channels-last (N, S, C); 4/8/16: (N, C/b, S, b)
};
std::optional<SpatialLayout> spatial_layout(const Md& md);

// out[n * C + c] = reduce over s of x(n, c, s); `out` holds N x C floats, plain.
void spatial_reduce(const float* x, const SpatialLayout& l, SpatialReduce kind, float* out);

// Compiles `out` = the reduction of `in` over all its spatial dims as that loop, writing `out`
// plain (N x C values, whatever its rank: [N, C, 1, 1] and [N, C] are the same bytes). False
// when the loop does not know `in`'s layout (nothing added).
Result<bool> add_spatial_reduce(SegmentBuilder& b, const std::string& in, const std::string& out, SpatialReduce kind);

}  // namespace tandem::cpu
