// Cast on a cuda unit, whose tensors are all float32 in the graph (stored in the unit's element
// type, cuda_context.h): Cast(to=float32) of a float32 tensor is a device copy (what exporters
// write around autocast regions, e.g. EfficientViT's attention: x.float() on a float32 x), and
// Cast(to=float32) of a constant of any dtype (int64, int32, bool, float16, ...) is computed
// once at compile time with the reference backend's semantics and copied in each run.
// Cast(to=float16) of a float32 tensor converts into an fp16 tensor (cuda_context.h: stored as
// fp16 on every unit), which only the output copy reads: a model's fp16 outputs
// (EngineOptions::output_type). A cast to another dtype, or of a non-constant int/bool/float16
// tensor, has no device representation here: supports() refuses it so the planner places it on
// another unit.
#include "backends/cuda/cuda_context.h"
#include "ir/ops/cast.h"

namespace tandem::cuda {
namespace {

Status supports_cast(const ir::Graph& graph, const ir::Node& node) {
  const auto* a = std::get_if<ir::CastAttrs>(&node.attrs);
  if (!a) return internal_error("Cast without CastAttrs");
  if (node.inputs.size() != 1 || node.outputs.size() != 1) return invalid_argument("Cast takes 1 input and 1 output");
  const Tensor* c = graph.constant(node.inputs[0]);
  const ir::ValueInfo* y = graph.info(node.outputs[0]);
  if (!y || !y->fully_known()) return unsupported("Cast output has an unknown shape");
  if (a->to == DType::kFloat16 && !c) {
    const ir::ValueInfo* x = graph.info(node.inputs[0]);
    if (!x || x->dtype != DType::kFloat32) return unsupported("Cast to float16 of a tensor that is not float32");
    if (x->shape.size() > size_t(kMaxRank)) return unsupported("Cast of rank > 6");
    return Status::ok();
  }
  if (a->to != DType::kFloat32)
    return unsupported(std::string("Cast to ") + dtype_name(a->to) + ": cuda keeps float32 tensors only" +
                       (a->to == DType::kFloat16 ? " (and float16 ones cast from them)" : ""));
  if (c) {
    if (c->shape() != y->shape) return invalid_argument("Cast changes the shape");
    if (c->shape().size() > size_t(kMaxRank)) return unsupported("Cast of a constant of rank > 6");
    return Status::ok();
  }
  return float_tensors_only(graph, node);  // float32 -> float32
}

Status build_cast(BuildContext& ctx, const OpInstance& op) {
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  const std::string& in = op.node->inputs[0];
  const Tensor* c = ctx.constant(in);
  if (!c) {
    TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(in));
    TANDEM_ASSIGN_OR_RETURN(Step s, relayout_step(*x, *y));
    ctx.add_step(std::move(s));
    return Status::ok();
  }
  // A constant: the cast values (ints exactly as int64 -> float, bool as 0/1, floats rounded to
  // float32), uploaded row-major in the unit's type and copied into y's layout each run.
  const bool is_int = c->dtype() == DType::kInt64 || c->dtype() == DType::kInt32 || c->dtype() == DType::kInt8 ||
                      c->dtype() == DType::kUInt8 || c->dtype() == DType::kBool;
  std::vector<float> vals(size_t(c->numel()));
  for (int64_t i = 0; i < c->numel(); ++i)
    vals[size_t(i)] = is_int ? static_cast<float>(c->int_at(i)) : static_cast<float>(c->float_at(i));
  DevTensor src = *y;
  src.nhwc = false;
  TANDEM_ASSIGN_OR_RETURN(src.data, ctx.upload_elem(vals));
  TANDEM_ASSIGN_OR_RETURN(Step s, relayout_step(src, *y));
  ctx.add_step(std::move(s));
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaCast{"Cast", supports_cast, build_cast};

}  // namespace tandem::cuda
