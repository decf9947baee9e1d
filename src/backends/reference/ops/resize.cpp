// Resize (and opset-9 Upsample), float32:
//  - nearest, with every coordinate_transformation_mode except tf_crop_and_resize and every
//    nearest_mode;
//  - linear: N-linear interpolation over every dim whose size changes (on NCHW that is bilinear
//    over H and W), the source coordinate clamped into the input.
// Other modes (cubic, tf_crop_and_resize's roi) are refused with the reason.
#include <cmath>

#include "backends/reference/ref_util.h"
#include "ir/ops/resize.h"

namespace tandem::reference {
namespace {

bool known_transform(const std::string& m) {
  return m == "half_pixel" || m == "pytorch_half_pixel" || m == "align_corners" || m == "asymmetric" ||
         m == "tf_half_pixel_for_nn";
}

bool known_nearest(const std::string& m) {
  return m == "round_prefer_floor" || m == "round_prefer_ceil" || m == "floor" || m == "ceil";
}

Status supports_resize(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_ASSIGN_OR_RETURN(const ir::ResizeAttrs* a, attrs_of<ir::ResizeAttrs>(node));
  if (a->mode != "nearest" && a->mode != "linear") return unsupported("Resize mode '" + a->mode + "'");
  if (!known_transform(a->coordinate_transformation_mode))
    return unsupported("Resize coordinate_transformation_mode '" + a->coordinate_transformation_mode + "'");
  if (a->mode == "nearest" && !known_nearest(a->nearest_mode))
    return unsupported("Resize nearest_mode '" + a->nearest_mode + "'");
  if (node.raw_attrs.has("antialias")) {
    auto aa = node.raw_attrs.get_int("antialias", 0);
    if (!aa.is_ok() || *aa != 0) return unsupported("Resize with antialias");
  }
  if (node.raw_attrs.has("keep_aspect_ratio_policy")) {
    auto p = node.raw_attrs.get_string("keep_aspect_ratio_policy", "stretch");
    if (!p.is_ok() || *p != "stretch") return unsupported("Resize keep_aspect_ratio_policy other than 'stretch'");
  }
  if (node.raw_attrs.has("axes")) return unsupported("Resize with the 'axes' attribute");
  TANDEM_ASSIGN_OR_RETURN(DType t, input_dtype(graph, node, 0));
  if (t != DType::kFloat32) return unsupported(std::string("reference Resize runs float32 only, not ") + dtype_name(t));
  return Status::ok();
}

// Source coordinate of output coordinate `x` along one dim.
float source_coord(const std::string& mode, int64_t x, float scale, int64_t in_len, int64_t out_len) {
  const float xf = static_cast<float>(x);
  if (mode == "half_pixel") return (xf + 0.5f) / scale - 0.5f;
  if (mode == "pytorch_half_pixel") return out_len > 1 ? (xf + 0.5f) / scale - 0.5f : 0.0f;
  // ONNX defines align_corners with the unrounded resized length in_len * scale (it differs from
  // out_len when the scale does not divide evenly; the node tests check this).
  if (mode == "align_corners")
    return out_len == 1 ? 0.0f : xf * static_cast<float>(in_len - 1) / (static_cast<float>(in_len) * scale - 1.0f);
  if (mode == "tf_half_pixel_for_nn") return (xf + 0.5f) / scale;
  return xf / scale;  // asymmetric
}

int64_t nearest_index(const std::string& mode, float c, int64_t in_len) {
  int64_t i;
  if (mode == "floor") {
    i = static_cast<int64_t>(std::floor(c));
  } else if (mode == "ceil") {
    i = static_cast<int64_t>(std::ceil(c));
  } else {
    const float f = std::floor(c);
    const bool tie = c - f == 0.5f;
    if (tie) i = static_cast<int64_t>(mode == "round_prefer_ceil" ? f + 1.0f : f);
    else i = static_cast<int64_t>(std::round(c));
  }
  return std::min<int64_t>(std::max<int64_t>(i, 0), in_len - 1);
}

// Per output position along one dim: up to two source indices and the weight of the second.
struct Taps {
  std::vector<int64_t> i0, i1;
  std::vector<float> w1;
};

Taps dim_taps(const ir::ResizeAttrs& a, int64_t in_len, int64_t out_len, float scale) {
  Taps t;
  for (int64_t x = 0; x < out_len; ++x) {
    float c = source_coord(a.coordinate_transformation_mode, x, scale, in_len, out_len);
    if (a.mode == "nearest") {
      t.i0.push_back(nearest_index(a.nearest_mode, c, in_len));
      t.i1.push_back(t.i0.back());
      t.w1.push_back(0.0f);
      continue;
    }
    c = std::min(std::max(c, 0.0f), static_cast<float>(in_len - 1));
    const int64_t lo = static_cast<int64_t>(std::floor(c));
    t.i0.push_back(lo);
    t.i1.push_back(std::min(lo + 1, in_len - 1));
    t.w1.push_back(c - static_cast<float>(lo));
  }
  return t;
}

Status run_resize(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::ResizeAttrs* a, attrs_of<ir::ResizeAttrs>(ctx.node));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "X"));
  const Tensor& x = ctx.inputs[0];
  const Shape& xs = x.shape();
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, DType::kFloat32));
  const Shape& ys = y.shape();
  const size_t rank = xs.size();
  if (ys.size() != rank) return internal_error("Y rank differs from X rank");
  if (y.numel() == 0) return Status::ok();
  std::vector<Taps> taps(rank);
  for (size_t d = 0; d < rank; ++d) {
    // Scales as resolved by shape inference; derived from the sizes when only those were given.
    const float scale = a->scales.size() == rank && a->scales[d] > 0.0f
                            ? a->scales[d]
                            : static_cast<float>(ys[d]) / static_cast<float>(xs[d]);
    taps[d] = dim_taps(*a, xs[d], ys[d], scale);
  }
  const auto xstr = strides_of(xs);
  const float* px = x.data_as<float>();
  float* py = y.data_as<float>();
  std::vector<int64_t> idx(rank, 0);
  do {
    // Sum over the 2^rank corners; a corner with zero weight adds nothing.
    double acc = 0.0;
    for (uint64_t corner = 0; corner < (uint64_t{1} << rank); ++corner) {
      double w = 1.0;
      int64_t off = 0;
      for (size_t d = 0; d < rank && w != 0.0; ++d) {
        const bool hi = (corner >> d) & 1;
        const float w1 = taps[d].w1[idx[d]];
        w *= hi ? w1 : 1.0f - w1;
        off += (hi ? taps[d].i1[idx[d]] : taps[d].i0[idx[d]]) * xstr[d];
      }
      if (w != 0.0) acc += w * px[off];
    }
    *py++ = static_cast<float>(acc);
  } while (next_index(idx, ys));
  return Status::ok();
}

}  // namespace

extern const RefOp kRefResize{"Resize", supports_resize, run_resize};
extern const RefOp kRefUpsample{"Upsample", supports_resize, run_resize};

}  // namespace tandem::reference
