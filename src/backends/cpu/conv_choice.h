// Which oneDNN convolution runs a Conv: the direct one (format_tag::any: brgconv on avx512), or
// another algorithm oneDNN has for the shape (Winograd F(4x4,3x3) / F(2x2,3x3) for float32 3x3
// stride-1 convs on avx512) when it measures faster here, its layout changes included. oneDNN's
// own convolution_auto never picks Winograd for these shapes, though it runs ResNet's and VGG's
// 3x3 convs 1.5-2.2x faster on Sapphire Rapids (bench/results/cpu_winograd_*.md).
#pragma once

#include <dnnl.hpp>

#include "backends/cpu/dnnl_util.h"

namespace tandem::cpu {

using ConvPd = dnnl::convolution_forward::primitive_desc;

// Times `direct` against `other` on zeroed scratch buffers under the calling thread's OpenMP team,
// in alternating rounds, each from a source in layout `src_now` (a reorder first where a
// primitive wants another) to a result in `direct`'s destination layout (`other`'s reordered
// there: what its readers get), cycling over copies of the buffers that together outgrow the
// caches (as in a model's run, where weights come from memory). True when `other` takes at most
// `margin` of `direct`'s time.
// The answer is kept per process for the same shapes, layouts, kernels and thread count.
// `log`: one line per timed choice on stderr.
bool measured_faster(const dnnl::engine& engine, const Md& src_now, const ConvPd& direct, const ConvPd& other,
                     bool log, double margin = 0.9);

}  // namespace tandem::cpu
