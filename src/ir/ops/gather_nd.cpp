// GatherND: indices[..., m] picks slices of data; with b = batch_dims leading dims shared by data
// and indices, out = indices.shape[:-1] + data.shape[b + m:]. Indices are int64 (ONNX allows
// nothing else).
#include "ir/ops/gather_nd.h"

#include <algorithm>

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_gather_nd(const AttrMap& a, int /*opset*/) {
  GatherNDAttrs g;
  TANDEM_ASSIGN_OR_RETURN(g.batch_dims, a.get_int("batch_dims", 0));
  if (g.batch_dims < 0) return invalid_argument("batch_dims must be >= 0");
  return OpAttrs{g};
}

Status infer_gather_nd(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 2, "data and indices"));
  const int64_t b = std::get<GatherNDAttrs>(ctx.attrs).batch_dims;
  const ValueInfo& data = *ctx.inputs[0];
  const ValueInfo& idx = *ctx.inputs[1];
  if (idx.dtype != DType::kInt64) return invalid_argument(std::string("indices must be int64, got ") + dtype_name(idx.dtype));
  if (!data.rank_known || !idx.rank_known) {
    ctx.outputs = {unknown_rank(data.dtype)};
    return Status::ok();
  }
  const int64_t r = static_cast<int64_t>(data.shape.size()), q = static_cast<int64_t>(idx.shape.size());
  if (r < 1 || q < 1) return invalid_argument("data and indices must have rank >= 1");
  if (b >= std::min(r, q)) return invalid_argument("batch_dims " + std::to_string(b) + " is not below both ranks");
  const int64_t m = idx.shape.back();
  if (m < 0) {  // the tuple length fixes the output rank: wait for it
    ctx.outputs = {unknown_rank(data.dtype)};
    return Status::ok();
  }
  if (m < 1 || m > r - b)
    return invalid_argument("indices' last dim " + std::to_string(m) + " must be in [1, " + std::to_string(r - b) + "]");
  for (int64_t d = 0; d < b; ++d)
    if (data.shape[d] >= 0 && idx.shape[d] >= 0 && data.shape[d] != idx.shape[d])
      return invalid_argument("batch dim " + std::to_string(d) + " differs: data " + shape_to_string(data.shape) +
                              ", indices " + shape_to_string(idx.shape));
  Shape out(idx.shape.begin(), idx.shape.end() - 1);
  out.insert(out.end(), data.shape.begin() + b + m, data.shape.end());
  ctx.outputs = {known_rank(data.dtype, std::move(out))};
  return Status::ok();
}

}  // namespace

extern const OpDef kGatherNDOpDef{"GatherND", parse_gather_nd, infer_gather_nd, true};

}  // namespace tandem::ir
