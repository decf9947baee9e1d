// Resize / Upsample -> oneDNN resampling, in the input's layout. oneDNN maps output to input
// coordinates as half_pixel ((o + 0.5) * in/out - 0.5; nearest rounds half away from zero,
// linear clamps at the borders). We claim only the ONNX modes that give exactly that:
//  - linear: half_pixel, or pytorch_half_pixel (equal when every output dim > 1), with
//    scales equal to out/in;
//  - nearest: integer upsampling factors, where half_pixel with round_prefer_floor/ceil,
//    asymmetric with floor and tf_half_pixel_for_nn with floor all pick the same pixel.
#include <cmath>

#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

Status check_nearest(const ir::ResizeAttrs& a, const Shape& in, const Shape& out) {
  const std::string& ct = a.coordinate_transformation_mode;
  const std::string& nm = a.nearest_mode;
  const bool half = ct == "half_pixel" || ct == "pytorch_half_pixel";
  const bool ok_mode = (half && (nm == "round_prefer_floor" || nm == "round_prefer_ceil")) ||
                       ((ct == "asymmetric" || ct == "tf_half_pixel_for_nn") && nm == "floor");
  if (!ok_mode)
    return unsupported("Resize nearest with coordinate_transformation_mode '" + ct + "' and nearest_mode '" + nm +
                       "' (oneDNN rounds half_pixel coordinates)");
  for (size_t i = 2; i < in.size(); ++i)
    if (out[i] < in[i] || out[i] % in[i] != 0)
      return unsupported("Resize nearest by a non-integer or downscaling factor " + std::to_string(out[i]) + "/" +
                         std::to_string(in[i]));
  return Status::ok();
}

Status check_linear(const ir::ResizeAttrs& a, const Shape& in, const Shape& out) {
  const std::string& ct = a.coordinate_transformation_mode;
  bool ok = ct == "half_pixel";
  if (ct == "pytorch_half_pixel") {
    ok = true;
    for (size_t i = 2; i < out.size(); ++i) ok = ok && out[i] > 1;
  }
  if (!ok) return unsupported("Resize linear with coordinate_transformation_mode '" + ct + "' (oneDNN uses half_pixel)");
  // ONNX maps coordinates with the given scale, oneDNN with out/in: they must agree.
  for (size_t i = 2; i < in.size() && i < a.scales.size(); ++i) {
    const double ratio = static_cast<double>(out[i]) / static_cast<double>(in[i]);
    if (std::abs(a.scales[i] - ratio) > 1e-6 * ratio)
      return unsupported("Resize linear with scale " + std::to_string(a.scales[i]) + " != output/input size");
  }
  return Status::ok();
}

Status resize_supports(const ir::Graph& graph, const ir::Node& node) {
  const auto* a = attrs_of<ir::ResizeAttrs>(node);
  if (!a) return internal_error(node.op_type + " without ResizeAttrs");
  const Shape& in = *shape_of(graph, node.inputs[0]);
  const Shape& out = *shape_of(graph, node.outputs[0]);
  if (in.size() < 3 || in.size() > 5 || out.size() != in.size()) return unsupported("Resize on rank " + std::to_string(in.size()));
  if (out[0] != in[0] || out[1] != in[1]) return unsupported("Resize of the batch or channel dims");
  if (a->mode == "nearest") return check_nearest(*a, in, out);
  if (a->mode == "linear") return check_linear(*a, in, out);
  return unsupported("Resize mode '" + a->mode + "'");
}

Status resize_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::ResizeAttrs>(node.attrs);
  TANDEM_ASSIGN_OR_RETURN(auto src, b.value(node.inputs[0]));
  auto alg = a.mode == "nearest" ? dnnl::algorithm::resampling_nearest : dnnl::algorithm::resampling_linear;
  dnnl::resampling_forward::desc d(dnnl::prop_kind::forward_inference, alg, src.get_desc(),
                                   any_md(to_dims(b.shape(node.outputs[0]))));
  dnnl::resampling_forward::primitive_desc pd(d, b.engine());
  dnnl::memory dst = b.define(node.outputs[0], pd.dst_desc());
  b.add_step(dnnl::resampling_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuResize{"Resize", 1, resize_supports, resize_compile};
extern const CpuOp kCpuUpsample{"Upsample", 1, resize_supports, resize_compile};

}  // namespace tandem::cpu
