// NonMaxSuppression: boxes [B, S, 4], scores [B, C, S], optional max_output_boxes_per_class,
// iou_threshold and score_threshold (one value each) -> selected_indices [K, 3] int64 rows
// (batch, class, box). K depends on the values: the output's dim 0 stays open (-1) after
// specialisation, so the node and everything that reads it run on a unit that takes
// data-dependent shapes (the reference backend; OpDef::data_dependent).
#include "ir/ops/nms.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_nms(const AttrMap& a, int /*opset*/) {
  NmsAttrs n;
  TANDEM_ASSIGN_OR_RETURN(int64_t c, a.get_int("center_point_box", 0));
  if (c != 0 && c != 1) return invalid_argument("center_point_box must be 0 or 1, got " + std::to_string(c));
  n.center_point_box = c == 1;
  return OpAttrs{n};
}

Status infer_nms(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 2, "boxes and scores"));
  const ValueInfo& boxes = *ctx.inputs[0];
  const ValueInfo& scores = *ctx.inputs[1];
  if (boxes.dtype != DType::kFloat32 || scores.dtype != DType::kFloat32)
    return unsupported("boxes and scores must be float32");
  if (boxes.rank_known && (boxes.shape.size() != 3 || (boxes.shape[2] >= 0 && boxes.shape[2] != 4)))
    return invalid_argument("boxes must be [batch, boxes, 4], got " + shape_to_string(boxes.shape));
  if (scores.rank_known && scores.shape.size() != 3)
    return invalid_argument("scores must be [batch, classes, boxes], got " + shape_to_string(scores.shape));
  if (boxes.rank_known && scores.rank_known) {
    const int64_t b0 = boxes.shape[0], s0 = scores.shape[0], b1 = boxes.shape[1], s2 = scores.shape[2];
    if ((b0 >= 0 && s0 >= 0 && b0 != s0) || (b1 >= 0 && s2 >= 0 && b1 != s2))
      return invalid_argument("boxes " + shape_to_string(boxes.shape) + " and scores " + shape_to_string(scores.shape) +
                              " disagree on batch or box count");
  }
  for (size_t i = 2; i < 5; ++i) {
    const ValueInfo* v = optional_input(ctx, i);
    if (v && v->fully_known() && shape_numel(v->shape) != 1)
      return invalid_argument("input " + std::to_string(i) + " must hold one value, got " + shape_to_string(v->shape));
  }
  ctx.outputs = {known_rank(DType::kInt64, {-1, 3})};
  return Status::ok();
}

}  // namespace

extern const OpDef kNmsOpDef{"NonMaxSuppression", parse_nms, infer_nms, false, false, true};

}  // namespace tandem::ir
