// Resize (and Upsample) of 4-D tensors over H, W: nearest or bilinear (our kernel).
#include "backends/cuda/cuda_context.h"
#include "backends/cuda/kernels/resize.cuh"

namespace tandem::cuda {
namespace {

int coord_mode(const std::string& m) {
  if (m == "asymmetric") return 1;
  if (m == "align_corners") return 2;
  if (m == "pytorch_half_pixel") return 3;
  if (m == "tf_half_pixel_for_nn") return 4;
  if (m == "half_pixel") return 0;
  return -1;
}

int nearest_mode(const std::string& m) {
  if (m == "round_prefer_ceil") return 1;
  if (m == "floor") return 2;
  if (m == "ceil") return 3;
  if (m == "round_prefer_floor") return 0;
  return -1;
}

Status supports_resize(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  const auto& a = std::get<ir::ResizeAttrs>(node.attrs);
  const auto& x = graph.info(node.inputs[0])->shape;
  const auto& y = graph.info(node.outputs[0])->shape;
  if (x.size() != 4) return unsupported("Resize of a non-4-D tensor");
  if (x[0] != y[0] || x[1] != y[1]) return unsupported("Resize over N or C");
  if (a.mode != "nearest" && a.mode != "linear") return unsupported("Resize mode '" + a.mode + "'");
  if (coord_mode(a.coordinate_transformation_mode) < 0)
    return unsupported("Resize coordinate_transformation_mode '" + a.coordinate_transformation_mode + "'");
  if (a.mode == "nearest" && nearest_mode(a.nearest_mode) < 0) return unsupported("Resize nearest_mode '" + a.nearest_mode + "'");
  return Status::ok();
}

Status build_resize(BuildContext& ctx, const OpInstance& op) {
  const auto& at = std::get<ir::ResizeAttrs>(op.node->attrs);
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  ResizeArgs r;
  r.x = x->data; r.y = y->data;
  r.n = int(x->shape[0]); r.c = int(x->shape[1]); r.ih = int(x->shape[2]); r.iw = int(x->shape[3]);
  r.oh = int(y->shape[2]); r.ow = int(y->shape[3]);
  const bool have_scales = at.scales.size() == 4 && at.scales[2] > 0 && at.scales[3] > 0;
  r.scale_h = have_scales ? at.scales[2] : float(r.oh) / float(r.ih);
  r.scale_w = have_scales ? at.scales[3] : float(r.ow) / float(r.iw);
  r.nhwc = x->nhwc;
  r.linear = at.mode == "linear";
  r.coord_mode = coord_mode(at.coordinate_transformation_mode);
  r.nearest_mode = std::max(0, nearest_mode(at.nearest_mode));
  const Elem el = ctx.elem();
  ctx.add_step([r, el](const RunEnv& env) { return launch_status(launch_resize(r, el, env.stream), "resize"); });
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaResize{"Resize", supports_resize, build_resize};
extern const CudaOp kCudaUpsample{"Upsample", supports_resize, build_resize};

}  // namespace tandem::cuda
