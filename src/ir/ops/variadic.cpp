// Sum, Mean, Min, Max: one or more inputs of one dtype, broadcast together (NumPy rules).
#include "ir/ops/variadic.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

template <VariadicOp K>
Result<OpAttrs> parse_variadic(const AttrMap& /*a*/, int /*opset*/) {
  return OpAttrs{VariadicAttrs{K}};
}

Status infer_variadic(InferContext& ctx) {
  if (ctx.inputs.empty()) return invalid_argument("needs at least one input");
  for (size_t i = 0; i < ctx.inputs.size(); ++i)
    if (!ctx.inputs[i]) return invalid_argument("input " + std::to_string(i) + " is missing");
  const DType dt = ctx.inputs[0]->dtype;
  const auto& a = std::get<VariadicAttrs>(ctx.attrs);
  if (dt == DType::kBool) return invalid_argument("inputs must be numbers, got bool");
  const bool is_float = dt == DType::kFloat32 || dt == DType::kFloat16 || dt == DType::kFloat64;
  if ((a.op == VariadicOp::kSum || a.op == VariadicOp::kMean) && !is_float)
    return invalid_argument(std::string("Sum and Mean take float inputs, got ") + dtype_name(dt));
  bool rank_known = true;
  Shape out;
  for (size_t i = 0; i < ctx.inputs.size(); ++i) {
    const ValueInfo& v = *ctx.inputs[i];
    if (v.dtype != dt)
      return invalid_argument("input " + std::to_string(i) + " is " + dtype_name(v.dtype) + ", input 0 is " + dtype_name(dt));
    if (!v.rank_known) rank_known = false;
    if (rank_known) {
      TANDEM_ASSIGN_OR_RETURN(out, i == 0 ? Result<Shape>(v.shape) : broadcast_shapes(out, v.shape));
    }
  }
  ctx.outputs = {rank_known ? known_rank(dt, std::move(out)) : unknown_rank(dt)};
  return Status::ok();
}

}  // namespace

extern const OpDef kSumOpDef{"Sum", parse_variadic<VariadicOp::kSum>, infer_variadic, true};
extern const OpDef kMeanOpDef{"Mean", parse_variadic<VariadicOp::kMean>, infer_variadic, true};
extern const OpDef kMinOpDef{"Min", parse_variadic<VariadicOp::kMin>, infer_variadic, true};
extern const OpDef kMaxOpDef{"Max", parse_variadic<VariadicOp::kMax>, infer_variadic, true};

}  // namespace tandem::ir
