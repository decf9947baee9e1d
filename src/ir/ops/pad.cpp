// Pad: pads from the `pads` attribute before opset 11 and from the constant input 1 from
// opset 11 (often a shape subgraph folded at specialisation); the constant from `value` or the
// optional constant input 2. Modes constant, reflect and edge ("wrap", opset 19, is refused).
// Negative pads crop. Reflect and edge need every kept dim to be non-empty, and reflect a pad
// smaller than the kept dim (one reflection, as onnxruntime does).
#include "ir/ops/pad.h"

#include <algorithm>

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {

const char* pad_mode_name(PadMode m) {
  switch (m) {
    case PadMode::kConstant: return "constant";
    case PadMode::kReflect: return "reflect";
    case PadMode::kEdge: return "edge";
  }
  return "?";
}

namespace {

Result<OpAttrs> parse_pad(const AttrMap& a, int opset) {
  PadAttrs p;
  TANDEM_ASSIGN_OR_RETURN(std::string mode, a.get_string("mode", "constant"));
  if (mode == "constant") p.mode = PadMode::kConstant;
  else if (mode == "reflect") p.mode = PadMode::kReflect;
  else if (mode == "edge") p.mode = PadMode::kEdge;
  else if (mode == "wrap") return unsupported("Pad mode 'wrap' is not supported");
  else return invalid_argument("Pad mode '" + mode + "' is not one of constant, reflect, edge");
  if (opset < 11) {
    if (!a.has("pads")) return invalid_argument("attribute 'pads' is required");
    TANDEM_ASSIGN_OR_RETURN(p.pads, a.get_ints("pads", {}));
    TANDEM_ASSIGN_OR_RETURN(p.value, a.get_float("value", 0.0f));
  }
  return OpAttrs{p};
}

// Reads pads and constant_value from the inputs (opset >= 11). False when one is not constant yet.
Result<bool> read_inputs(const InferContext& ctx, PadAttrs& p) {
  if (ctx.node.inputs.size() < 2 || ctx.node.inputs[1].empty()) return invalid_argument("needs the pads input");
  if (ctx.node.inputs.size() > 3 && !ctx.node.inputs[3].empty()) return unsupported("Pad with an axes input");
  const Tensor* pads = optional_constant(ctx, 1);
  if (!pads) return false;
  if (pads->dtype() != DType::kInt64) return invalid_argument("pads must be int64");
  p.pads = pads->to_int_vector();
  if (ctx.node.inputs.size() > 2 && !ctx.node.inputs[2].empty()) {
    const Tensor* v = optional_constant(ctx, 2);
    if (!v) return unsupported("Pad constant_value must be a constant");
    if (v->numel() != 1) return invalid_argument("constant_value must have one element");
    p.value = static_cast<float>(v->float_at(0));
  }
  return true;
}

// Checks one dim's pads against its size (when known) and returns the output size (-1 unknown).
Result<int64_t> padded_dim(const PadAttrs& p, int64_t dim, int64_t begin, int64_t end) {
  if (dim < 0) return int64_t{-1};
  const int64_t out = dim + begin + end;
  if (out < 0) return invalid_argument("pads crop more than the dim of size " + std::to_string(dim));
  if (p.mode == PadMode::kConstant || (begin <= 0 && end <= 0)) return out;
  const int64_t kept = dim + std::min<int64_t>(begin, 0) + std::min<int64_t>(end, 0);
  if (kept <= 0) return invalid_argument(std::string(pad_mode_name(p.mode)) + " pad of an empty dim");
  if (p.mode == PadMode::kReflect && std::max(begin, end) >= kept)
    return invalid_argument("reflect pad " + std::to_string(std::max(begin, end)) + " is not smaller than the dim (" +
                            std::to_string(kept) + ")");
  return out;
}

Status infer_pad(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 1, "data"));
  auto& p = std::get<PadAttrs>(ctx.attrs);
  const ValueInfo& x = *ctx.inputs[0];
  if (ctx.opset >= 11) {
    TANDEM_ASSIGN_OR_RETURN(bool known, read_inputs(ctx, p));
    if (!known) {
      ctx.outputs = {x.rank_known ? known_rank(x.dtype, Shape(x.shape.size(), -1)) : unknown_rank(x.dtype)};
      return Status::ok();
    }
  }
  if (!x.rank_known) {
    ctx.outputs = {unknown_rank(x.dtype)};
    return Status::ok();
  }
  const size_t r = x.shape.size();
  if (p.pads.size() != 2 * r)
    return invalid_argument("pads has " + std::to_string(p.pads.size()) + " values for rank " + std::to_string(r) +
                            " (needs " + std::to_string(2 * r) + ")");
  Shape y(r);
  for (size_t d = 0; d < r; ++d) {
    TANDEM_ASSIGN_OR_RETURN(y[d], padded_dim(p, x.shape[d], p.pads[d], p.pads[d + r]));
  }
  ctx.outputs = {known_rank(x.dtype, std::move(y))};
  return Status::ok();
}

}  // namespace

extern const OpDef kPadOpDef{"Pad", parse_pad, infer_pad, true};

}  // namespace tandem::ir
