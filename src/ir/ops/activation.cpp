// Relu, Clip, Sigmoid, HardSigmoid, HardSwish, LeakyRelu, Tanh, Gelu, Softplus, Elu, Selu, Mish:
// elementwise, output = input's type. Each is one ir::Epilogue, so it can fuse into a Conv/Gemm.
#include "ir/ops/activation.h"

#include <cmath>
#include <limits>

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

template <ActKind K>
Result<OpAttrs> parse_simple(const AttrMap& /*a*/, int /*opset*/) {
  ActivationAttrs s;
  s.act.kind = K;
  return OpAttrs{s};
}

Result<OpAttrs> parse_leaky_relu(const AttrMap& a, int /*opset*/) {
  ActivationAttrs s;
  s.act.kind = ActKind::kLeakyRelu;
  TANDEM_ASSIGN_OR_RETURN(s.act.alpha, a.get_float("alpha", 0.01f));
  return OpAttrs{s};
}

Result<OpAttrs> parse_hard_sigmoid(const AttrMap& a, int /*opset*/) {
  ActivationAttrs s;
  s.act.kind = ActKind::kHardSigmoid;
  TANDEM_ASSIGN_OR_RETURN(s.act.alpha, a.get_float("alpha", 0.2f));
  TANDEM_ASSIGN_OR_RETURN(s.act.beta, a.get_float("beta", 0.5f));
  return OpAttrs{s};
}

Result<OpAttrs> parse_elu(const AttrMap& a, int /*opset*/) {
  ActivationAttrs s;
  s.act.kind = ActKind::kElu;
  TANDEM_ASSIGN_OR_RETURN(s.act.alpha, a.get_float("alpha", 1.0f));
  return OpAttrs{s};
}

Result<OpAttrs> parse_selu(const AttrMap& a, int /*opset*/) {
  ActivationAttrs s;
  s.act.kind = ActKind::kSelu;
  TANDEM_ASSIGN_OR_RETURN(s.act.alpha, a.get_float("alpha", 1.67326319217681884765625f));
  TANDEM_ASSIGN_OR_RETURN(s.act.beta, a.get_float("gamma", 1.05070102214813232421875f));
  return OpAttrs{s};
}

// Gelu (opset 20; also what the GELU pattern pass writes): approximate = "none" | "tanh".
Result<OpAttrs> parse_gelu(const AttrMap& a, int /*opset*/) {
  TANDEM_ASSIGN_OR_RETURN(std::string approx, a.get_string("approximate", "none"));
  ActivationAttrs s;
  if (approx == "none") s.act.kind = ActKind::kGelu;
  else if (approx == "tanh") s.act.kind = ActKind::kGeluTanh;
  else return invalid_argument("Gelu approximate must be 'none' or 'tanh', got '" + approx + "'");
  return OpAttrs{s};
}

// Opset < 11: min/max attributes. Opset >= 11: optional constant inputs, resolved in infer.
Result<OpAttrs> parse_clip(const AttrMap& a, int opset) {
  ActivationAttrs s;
  s.act.kind = ActKind::kClip;
  s.act.alpha = -std::numeric_limits<float>::infinity();
  s.act.beta = std::numeric_limits<float>::infinity();
  if (opset < 11) {
    TANDEM_ASSIGN_OR_RETURN(s.act.alpha, a.get_float("min", s.act.alpha));
    TANDEM_ASSIGN_OR_RETURN(s.act.beta, a.get_float("max", s.act.beta));
  }
  return OpAttrs{s};
}

// Reads Clip's min (input 1) or max (input 2) when given; it must be a one-element constant.
Status resolve_clip_bound(InferContext& ctx, size_t i, float& bound) {
  if (i >= ctx.node.inputs.size() || ctx.node.inputs[i].empty()) return Status::ok();
  const char* what = i == 1 ? "min" : "max";
  const Tensor* t = optional_constant(ctx, i);
  if (!t) return unsupported(std::string("Clip ") + what + " must be a constant, '" + ctx.node.inputs[i] +
                             "' is computed at run time");
  if (t->numel() != 1)
    return invalid_argument(std::string("Clip ") + what + " must have one element, got " +
                            shape_to_string(t->shape()));
  bound = static_cast<float>(t->float_at(0));
  return Status::ok();
}

Status infer_activation(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 1, "X"));
  auto& s = std::get<ActivationAttrs>(ctx.attrs);
  if (s.act.kind == ActKind::kClip && ctx.opset >= 11) {
    TANDEM_RETURN_IF_ERROR(resolve_clip_bound(ctx, 1, s.act.alpha));
    TANDEM_RETURN_IF_ERROR(resolve_clip_bound(ctx, 2, s.act.beta));
  }
  const ValueInfo& x = *ctx.inputs[0];
  if (x.dtype != DType::kFloat32 && x.dtype != DType::kFloat16 && x.dtype != DType::kFloat64 &&
      s.act.kind != ActKind::kRelu && s.act.kind != ActKind::kClip)
    return invalid_argument(std::string("X must be a float tensor, got ") + dtype_name(x.dtype));
  ctx.outputs = {x};
  return Status::ok();
}

}  // namespace

extern const OpDef kReluOpDef{"Relu", parse_simple<ActKind::kRelu>, infer_activation, true};
extern const OpDef kClipOpDef{"Clip", parse_clip, infer_activation, true};
extern const OpDef kSigmoidOpDef{"Sigmoid", parse_simple<ActKind::kSigmoid>, infer_activation, true};
extern const OpDef kHardSigmoidOpDef{"HardSigmoid", parse_hard_sigmoid, infer_activation, true};
extern const OpDef kHardSwishOpDef{"HardSwish", parse_simple<ActKind::kHardSwish>, infer_activation, true};
extern const OpDef kLeakyReluOpDef{"LeakyRelu", parse_leaky_relu, infer_activation, true};
extern const OpDef kTanhOpDef{"Tanh", parse_simple<ActKind::kTanh>, infer_activation, true};
extern const OpDef kGeluOpDef{"Gelu", parse_gelu, infer_activation, true};
extern const OpDef kSoftplusOpDef{"Softplus", parse_simple<ActKind::kSoftplus>, infer_activation, true};
extern const OpDef kEluOpDef{"Elu", parse_elu, infer_activation, true};
extern const OpDef kSeluOpDef{"Selu", parse_selu, infer_activation, true};
extern const OpDef kMishOpDef{"Mish", parse_simple<ActKind::kMish>, infer_activation, true};

}  // namespace tandem::ir
