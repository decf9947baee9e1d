// ScatterND(data, indices, updates): a copy of data with the slices indices[i...] replaced by
// (or combined with) updates[i...]. indices' last dim k <= rank(data) indexes the first k dims;
// updates.shape = indices.shape[:-1] + data.shape[k:]. Output = data's type and shape. Exporters
// write it for slice assignments (Swin's shifted-window mask); it folds when its inputs are constant.
#include "ir/ops/scatter_nd.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_scatter_nd(const AttrMap& a, int /*opset*/) {
  ScatterNDAttrs s;
  TANDEM_ASSIGN_OR_RETURN(std::string r, a.get_string("reduction", "none"));
  if (r == "add") s.reduction = ScatterReduction::kAdd;
  else if (r == "mul") s.reduction = ScatterReduction::kMul;
  else if (r != "none") return unsupported("ScatterND reduction '" + r + "'");
  return OpAttrs{s};
}

Status infer_scatter_nd(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 3, "data, indices and updates"));
  const ValueInfo& data = *ctx.inputs[0];
  const ValueInfo& idx = *ctx.inputs[1];
  const ValueInfo& upd = *ctx.inputs[2];
  if (idx.dtype != DType::kInt64) return invalid_argument(std::string("indices must be int64, got ") + dtype_name(idx.dtype));
  if (upd.dtype != data.dtype)
    return invalid_argument(std::string("updates are ") + dtype_name(upd.dtype) + " but data is " + dtype_name(data.dtype));
  if (data.rank_known && idx.rank_known && upd.rank_known && idx.fully_known()) {
    if (idx.shape.empty()) return invalid_argument("indices must have rank >= 1");
    const int64_t k = idx.shape.back();
    const int64_t r = static_cast<int64_t>(data.shape.size());
    if (k < 1 || k > r) return invalid_argument("indices' last dim " + std::to_string(k) + " must be in [1, rank(data)]");
    Shape want(idx.shape.begin(), idx.shape.end() - 1);
    want.insert(want.end(), data.shape.begin() + k, data.shape.end());
    if (upd.shape.size() != want.size())
      return invalid_argument("updates have shape " + shape_to_string(upd.shape) + ", want " + shape_to_string(want));
    for (size_t i = 0; i < want.size(); ++i)
      if (want[i] >= 0 && upd.shape[i] >= 0 && want[i] != upd.shape[i])
        return invalid_argument("updates have shape " + shape_to_string(upd.shape) + ", want " + shape_to_string(want));
  }
  ctx.outputs = {data};
  return Status::ok();
}

}  // namespace

extern const OpDef kScatterNDOpDef{"ScatterND", parse_scatter_nd, infer_scatter_nd, true};

}  // namespace tandem::ir
