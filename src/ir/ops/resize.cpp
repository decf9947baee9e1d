// Resize (opset 10: inputs X, scales; opset >= 11: X, roi, scales, sizes) and opset-9 Upsample,
// which the importer turns into a Resize with inputs [X, scales]. Opset < 11 semantics are
// Upsample's: asymmetric coordinates, nearest = floor. Scales or sizes must be constant (after
// folding); inference resolves both `scales` (one per dim) and `sizes` (the output shape).
#include "ir/ops/resize.h"

#include <cmath>

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_resize(const AttrMap& a, int opset) {
  ResizeAttrs r;
  TANDEM_ASSIGN_OR_RETURN(r.mode, a.get_string("mode", "nearest"));
  if (r.mode == "bilinear") r.mode = "linear";  // old Upsample spelling
  if (r.mode == "cubic") return unsupported("Resize mode 'cubic' is not supported (only nearest and linear)");
  if (r.mode != "nearest" && r.mode != "linear")
    return invalid_argument("Resize mode '" + r.mode + "' is not one of nearest, linear, cubic");
  if (opset < 11) {
    r.coordinate_transformation_mode = "asymmetric";
    r.nearest_mode = "floor";
    return OpAttrs{r};
  }
  TANDEM_ASSIGN_OR_RETURN(r.coordinate_transformation_mode,
                          a.get_string("coordinate_transformation_mode", "half_pixel"));
  TANDEM_ASSIGN_OR_RETURN(r.nearest_mode, a.get_string("nearest_mode", "round_prefer_floor"));
  const std::string& ctm = r.coordinate_transformation_mode;
  if (ctm == "tf_crop_and_resize")
    return unsupported("Resize coordinate_transformation_mode 'tf_crop_and_resize' is not supported");
  if (ctm != "half_pixel" && ctm != "pytorch_half_pixel" && ctm != "align_corners" && ctm != "asymmetric" &&
      ctm != "tf_half_pixel_for_nn")
    return invalid_argument("unknown coordinate_transformation_mode '" + ctm + "'");
  const std::string& nm = r.nearest_mode;
  if (nm != "round_prefer_floor" && nm != "round_prefer_ceil" && nm != "floor" && nm != "ceil")
    return invalid_argument("unknown nearest_mode '" + nm + "'");
  return OpAttrs{r};
}

// Fills r.scales / r.sizes from whichever of scales/sizes is given, for X's shape.
Status resolve_scales_sizes(ResizeAttrs& r, const Shape& x, const Tensor* scales, const Tensor* sizes) {
  const size_t rank = x.size();
  if (scales) {
    if (static_cast<size_t>(scales->numel()) != rank)
      return invalid_argument("scales has " + std::to_string(scales->numel()) + " values, X has rank " +
                              std::to_string(rank));
    r.scales.assign(rank, 0.0f);
    Shape out(rank, -1);
    for (size_t i = 0; i < rank; ++i) {
      r.scales[i] = static_cast<float>(scales->float_at(static_cast<int64_t>(i)));
      if (r.scales[i] <= 0) return invalid_argument("scales must be > 0");
      if (x[i] >= 0) out[i] = static_cast<int64_t>(std::floor(static_cast<double>(x[i]) * r.scales[i]));
    }
    r.sizes = out;
    return Status::ok();
  }
  if (static_cast<size_t>(sizes->numel()) != rank)
    return invalid_argument("sizes has " + std::to_string(sizes->numel()) + " values, X has rank " +
                            std::to_string(rank));
  r.sizes = sizes->to_int_vector();
  r.scales.assign(rank, 0.0f);
  for (size_t i = 0; i < rank; ++i) {
    if (r.sizes[i] < 1) return invalid_argument("sizes must be >= 1, got " + shape_to_string(r.sizes));
    r.scales[i] = x[i] > 0 ? static_cast<float>(r.sizes[i]) / static_cast<float>(x[i]) : 0.0f;
  }
  return Status::ok();
}

Status infer_resize(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 1, "X"));
  auto& r = std::get<ResizeAttrs>(ctx.attrs);
  const ValueInfo& x = *ctx.inputs[0];
  const size_t scales_i = ctx.opset < 11 ? 1 : 2;
  const size_t sizes_i = 3;
  const Tensor* scales = optional_constant(ctx, scales_i);
  const Tensor* sizes = ctx.opset < 11 ? nullptr : optional_constant(ctx, sizes_i);
  if (scales && scales->numel() == 0) scales = nullptr;  // an empty tensor means "not given"
  if (sizes && sizes->numel() == 0) sizes = nullptr;
  const bool pending = input_given_not_constant(ctx, scales_i) || (ctx.opset >= 11 && input_given_not_constant(ctx, sizes_i));
  if (scales && sizes) return invalid_argument("give scales or sizes, not both");
  if (!scales && !sizes && !pending) return invalid_argument("needs scales or sizes");
  if (!x.rank_known) {
    ctx.outputs = {unknown_rank(x.dtype)};
    return Status::ok();
  }
  if (!scales && !sizes) {  // computed at run time for now; folding may make them constant
    ctx.outputs = {known_rank(x.dtype, Shape(x.shape.size(), -1))};
    return Status::ok();
  }
  TANDEM_RETURN_IF_ERROR(resolve_scales_sizes(r, x.shape, scales, sizes));
  if (r.mode == "linear" && x.shape.size() >= 3)  // bilinear (trilinear) on the spatial dims only
    for (size_t i = 0; i < 2; ++i)
      if (r.scales[i] != 1.0f) return unsupported("linear Resize of the batch or channel dim is not supported");
  ctx.outputs = {known_rank(x.dtype, r.sizes)};
  return Status::ok();
}

}  // namespace

extern const OpDef kResizeOpDef{"Resize", parse_resize, infer_resize, false};

}  // namespace tandem::ir
