// NonMaxSuppression as ONNX (and onnxruntime) define it: per batch and class, boxes whose score
// is above score_threshold, taken greedily by descending score (equal scores: lower box index
// first), each suppressing the later boxes whose IoU with it is above iou_threshold, at most
// max_output_boxes_per_class (absent or 0: none). Boxes with no area suppress nothing. Output rows
// (batch, class, box) in that order. The row count depends on the data: the kernel allocates the
// output itself, whatever the graph's open shape says.
#include <algorithm>
#include <numeric>

#include "backends/reference/ref_util.h"
#include "ir/ops/nms.h"

namespace tandem::reference {
namespace {

struct Corners {
  float y1, x1, y2, x2;
};

Corners corners(const float* b, bool center_point_box) {
  if (center_point_box) {
    const float xc = b[0], yc = b[1], w = b[2], h = b[3];
    return {yc - h / 2, xc - w / 2, yc + h / 2, xc + w / 2};
  }
  return {std::min(b[0], b[2]), std::min(b[1], b[3]), std::max(b[0], b[2]), std::max(b[1], b[3])};
}

bool suppresses(const Corners& a, const Corners& b, float iou_threshold) {
  const float ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  const float iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  if (ih <= 0 || iw <= 0) return false;
  const float inter = ih * iw;
  const float area_a = (a.y2 - a.y1) * (a.x2 - a.x1), area_b = (b.y2 - b.y1) * (b.x2 - b.x1);
  const float uni = area_a + area_b - inter;
  if (area_a <= 0 || area_b <= 0 || uni <= 0) return false;
  return inter / uni > iou_threshold;
}

// One scalar input as float (absent: `fallback`).
Result<double> scalar_input(const RefOpContext& ctx, size_t i, double fallback) {
  if (!has_input(ctx.node, i) || ctx.inputs[i].empty()) return fallback;
  const Tensor& t = ctx.inputs[i];
  if (t.numel() != 1) return invalid_argument("input " + std::to_string(i) + " must hold one value, got " +
                                              shape_to_string(t.shape()));
  return t.float_at(0);
}

Status run_nms(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::NmsAttrs* a, attrs_of<ir::NmsAttrs>(ctx.node));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "boxes"));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 1, "scores"));
  const Tensor& boxes = ctx.inputs[0];
  const Tensor& scores = ctx.inputs[1];
  if (boxes.shape().size() != 3 || boxes.shape()[2] != 4 || scores.shape().size() != 3 ||
      scores.shape()[0] != boxes.shape()[0] || scores.shape()[2] != boxes.shape()[1])
    return invalid_argument("boxes " + shape_to_string(boxes.shape()) + " and scores " + shape_to_string(scores.shape()) +
                            " are not [B, S, 4] and [B, C, S]");
  TANDEM_ASSIGN_OR_RETURN(double max_per_class, scalar_input(ctx, 2, 0));
  TANDEM_ASSIGN_OR_RETURN(double iou_threshold, scalar_input(ctx, 3, 0));
  const bool filter = has_input(ctx.node, 4) && !ctx.inputs[4].empty();
  TANDEM_ASSIGN_OR_RETURN(double score_threshold, scalar_input(ctx, 4, 0));
  if (iou_threshold < 0 || iou_threshold > 1)
    return invalid_argument("iou_threshold " + std::to_string(iou_threshold) + " is outside [0, 1]");
  const int64_t nb = boxes.shape()[0], ns = boxes.shape()[1], nc = scores.shape()[1];
  const int64_t limit = std::max<int64_t>(0, static_cast<int64_t>(std::min<double>(max_per_class, 9.0e18)));
  const float* bx = boxes.data_as<float>();
  const float* sc = scores.data_as<float>();
  std::vector<int64_t> rows;
  std::vector<Corners> c(static_cast<size_t>(ns));
  std::vector<int64_t> order, kept;
  for (int64_t b = 0; b < nb && limit > 0; ++b) {
    for (int64_t s = 0; s < ns; ++s) c[static_cast<size_t>(s)] = corners(bx + (b * ns + s) * 4, a->center_point_box);
    for (int64_t k = 0; k < nc; ++k) {
      const float* line = sc + (b * nc + k) * ns;
      order.clear();
      for (int64_t s = 0; s < ns; ++s)
        if (!filter || line[s] > static_cast<float>(score_threshold)) order.push_back(s);
      std::stable_sort(order.begin(), order.end(), [&](int64_t p, int64_t q) { return line[p] > line[q]; });
      kept.clear();
      for (int64_t s : order) {
        if (static_cast<int64_t>(kept.size()) >= limit) break;
        bool drop = false;
        for (int64_t t : kept)
          if (suppresses(c[static_cast<size_t>(t)], c[static_cast<size_t>(s)], static_cast<float>(iou_threshold))) {
            drop = true;
            break;
          }
        if (drop) continue;
        kept.push_back(s);
        rows.insert(rows.end(), {b, k, s});
      }
    }
  }
  ctx.outputs.resize(ctx.node.outputs.size());
  ctx.outputs[0] = Tensor::from_vector<int64_t>({static_cast<int64_t>(rows.size() / 3), 3}, DType::kInt64, rows);
  return Status::ok();
}

}  // namespace

extern const RefOp kRefNonMaxSuppression{"NonMaxSuppression", nullptr, run_nms};

}  // namespace tandem::reference
