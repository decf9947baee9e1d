// Small helpers shared by the CPU backend's ops: oneDNN error handling, plain (row-major)
// memory descriptors, and the mapping of our Epilogue onto oneDNN eltwise algorithms.
// Only files under src/backends/cpu/ include this (it pulls in dnnl.hpp).
#pragma once

#include <dnnl.hpp>

#include <exception>
#include <string>
#include <vector>

#include "ir/ops/epilogue.h"
#include "tandem/status.h"
#include "tandem/tensor.h"

namespace tandem::cpu {

// The one place a oneDNN (or std) exception becomes a Status: `what` names the failing call.
Status dnnl_error_status(const std::string& what, const std::exception& e);

// Runs `stmt`; a dnnl::error (or any std::exception) thrown by it returns a Status from the
// enclosing function naming `what` and oneDNN's message.
#define DNNL_TRY(what, stmt)                                                    \
  do {                                                                          \
    try {                                                                       \
      stmt;                                                                     \
    } catch (const std::exception& dnnl_try_e_) {                               \
      return ::tandem::cpu::dnnl_error_status((what), dnnl_try_e_);             \
    }                                                                           \
  } while (0)

using Dims = dnnl::memory::dims;
using Md = dnnl::memory::desc;

// Our Shape as oneDNN dims (the same vector type); a scalar becomes {1}.
Dims to_dims(const Shape& s);
// Row-major f32 descriptor of `dims` (the graph's logical layout); a scalar's {} is {1}.
Md plain_md(const Dims& dims);
// A descriptor with every format left to the primitive (format_tag::any).
Md any_md(const Dims& dims);
bool is_plain(const Md& md);
// Channels-last f32 descriptor of `dims` (nwc, nhwc, ndhwc for ranks 3-5; plain otherwise).
Md channels_last_md(const Dims& dims);
// Whether oneDNN picked its reference (scalar, unvectorised) implementation for `pd`.
bool is_reference_impl(const dnnl::primitive_desc_base& pd);
// A plain buffer for a tensor of `dtype`: plain_md for float32, else its bytes (u8, 1-D).
Md host_md(const Shape& shape, DType dtype);
// Row-major element strides of `dims` (as plain_md uses).
Dims plain_strides(const Dims& dims);
// The part of a row-major f32 buffer of shape `full` that starts at `offsets` and takes `dims`
// elements every `steps` along each dim (0: the same element repeated), as a strided descriptor
// of that buffer (offset0 and strides; no copy). A dim of one element keeps its plain stride.
Md strided_part_md(const Dims& full, const Dims& dims, const Dims& offsets, const Dims& steps);
// A part of a stepped part: `dims` elements starting `at` elements (in steps) into it.
struct StridedPiece {
  Dims dims, at;
};
// Cuts the part of `dims` elements every `steps` of a buffer of shape `full` into pieces that
// strided_part_md can describe: oneDNN refuses strides whose elements interleave with the next
// dim's (count * step > the dim, e.g. [0:3:2] of 3), so such a dim loses its last element to
// a piece of its own. One piece (the whole part) in the common case; at most 2^rank.
std::vector<StridedPiece> strided_pieces(const Dims& full, const Dims& dims, const Dims& steps);
// Bytes from the buffer's start up to the last one `md` touches; 0 for blocked (inner-block)
// descriptors, which only oneDNN itself derives (sub-memories) and checks.
size_t strided_extent(const Md& md);

// One oneDNN eltwise step: y = alg(x; alpha, beta).
struct EltwiseStep {
  dnnl::algorithm alg;
  float alpha = 0.0f;
  float beta = 0.0f;
};
// The eltwise steps that compute `e` exactly (HardSigmoid is linear then clip: oneDNN 2.6 has no
// hardsigmoid; Selu is elu then linear). Empty for kNone; an error for a kind with no oneDNN 2.6 equivalent.
Result<std::vector<EltwiseStep>> eltwise_steps(const ir::Epilogue& e);
// Appends `e` to `ops` as eltwise post-ops.
Status append_epilogue(dnnl::post_ops& ops, const ir::Epilogue& e);

// ONNX window attrs -> oneDNN: dilation is 0-based in oneDNN; pads split into begin/end.
Dims onednn_dilations(const std::vector<int64_t>& onnx_dilations, size_t spatial);
Dims pads_begin(const std::vector<int64_t>& pads, size_t spatial);
Dims pads_end(const std::vector<int64_t>& pads, size_t spatial);
Dims ints_or(const std::vector<int64_t>& v, size_t n, int64_t def);

}  // namespace tandem::cpu
