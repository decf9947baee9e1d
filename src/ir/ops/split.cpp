// Split: the input cut along `axis` into one piece per output. The sizes come from the `split`
// attribute before opset 13 and from the constant input 1 from opset 13; without them the
// axis is cut into equal parts (it must divide evenly: opset 18's uneven num_outputs form is
// not reachable from the opsets the importer takes).
#include "ir/ops/split.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_split(const AttrMap& a, int opset) {
  SplitAttrs s;
  TANDEM_ASSIGN_OR_RETURN(s.axis, a.get_int("axis", 0));
  if (opset < 13) {
    TANDEM_ASSIGN_OR_RETURN(s.split, a.get_ints("split", {}));
  }
  return OpAttrs{s};
}

// The requested sizes: the attribute, the constant input, or empty (equal parts).
// False when input 1 is given but not constant yet.
Result<bool> requested_sizes(const InferContext& ctx, std::vector<int64_t>& sizes) {
  if (ctx.opset < 13) return true;
  if (ctx.node.inputs.size() < 2 || ctx.node.inputs[1].empty()) {
    sizes.clear();
    return true;
  }
  const Tensor* t = optional_constant(ctx, 1);
  if (!t) return false;
  if (t->dtype() != DType::kInt64 && t->dtype() != DType::kInt32) return invalid_argument("split must be int64");
  sizes = t->to_int_vector();
  return true;
}

// Checks `sizes` against the outputs and the dim (when known); fills equal parts when empty.
Status resolve_sizes(std::vector<int64_t>& sizes, size_t outputs, int64_t dim) {
  if (outputs == 0) return invalid_argument("needs at least one output");
  if (sizes.empty()) {
    if (dim < 0) return Status::ok();  // resolved once the dim is known
    if (dim % static_cast<int64_t>(outputs) != 0)
      return invalid_argument("dim of size " + std::to_string(dim) + " does not split into " +
                              std::to_string(outputs) + " equal parts");
    sizes.assign(outputs, dim / static_cast<int64_t>(outputs));
    return Status::ok();
  }
  if (sizes.size() != outputs)
    return invalid_argument("split has " + std::to_string(sizes.size()) + " sizes for " + std::to_string(outputs) +
                            " outputs");
  int64_t total = 0;
  for (int64_t v : sizes) {
    if (v < 0) return invalid_argument("split sizes must be >= 0");
    total += v;
  }
  if (dim >= 0 && total != dim)
    return invalid_argument("split sizes add up to " + std::to_string(total) + ", the dim is " + std::to_string(dim));
  return Status::ok();
}

Status infer_split(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 1, "input"));
  auto& s = std::get<SplitAttrs>(ctx.attrs);
  const ValueInfo& x = *ctx.inputs[0];
  const size_t n = ctx.node.outputs.size();
  std::vector<int64_t> sizes = s.split;
  TANDEM_ASSIGN_OR_RETURN(bool known, requested_sizes(ctx, sizes));
  if (!x.rank_known || !known) {
    ctx.outputs.assign(n, x.rank_known ? known_rank(x.dtype, Shape(x.shape.size(), -1)) : unknown_rank(x.dtype));
    return Status::ok();
  }
  const int64_t r = static_cast<int64_t>(x.shape.size());
  TANDEM_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(s.axis, r, "axis"));
  TANDEM_RETURN_IF_ERROR(resolve_sizes(sizes, n, x.shape[axis]));
  s.axis = axis;
  s.split = sizes;
  ctx.outputs.clear();
  for (size_t k = 0; k < n; ++k) {
    Shape y = x.shape;
    y[axis] = sizes.empty() ? -1 : sizes[k];
    ctx.outputs.push_back(known_rank(x.dtype, std::move(y)));
  }
  return Status::ok();
}

}  // namespace

extern const OpDef kSplitOpDef{"Split", parse_split, infer_split, true};

}  // namespace tandem::ir
