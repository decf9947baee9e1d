// Epilogue: an elementwise activation applied to an op's output, either as its own node
// (Relu, Clip, ...) or fused into the producing Conv/Gemm by the fuse_activation pass.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>

namespace tandem::ir {

// The order is part of the CUDA backend's contract (DevEpilogue::kind is the enum's value): add
// new kinds at the end.
enum class ActKind {
  kNone, kRelu, kClip, kHardSigmoid, kHardSwish, kSigmoid, kSiLU, kLeakyRelu, kTanh,
  kGelu,      // 0.5 x (1 + erf(x / sqrt 2)), ONNX Gelu approximate="none"
  kGeluTanh,  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), approximate="tanh"
  kSoftplus,  // log(1 + exp(x))
  kElu,       // x > 0 ? x : alpha (exp(x) - 1)
  kSelu,      // beta * (x > 0 ? x : alpha (exp(x) - 1)); beta is ONNX's gamma
  kMish,      // x tanh(softplus(x))
};

struct Epilogue {
  ActKind kind = ActKind::kNone;
  // kClip: [alpha, beta] = [min, max]; kHardSigmoid: y = clamp(alpha*x + beta, 0, 1);
  // kLeakyRelu: alpha = slope; kElu: alpha; kSelu: [alpha, beta] = [alpha, gamma]. Unused otherwise.
  float alpha = 0.0f;
  float beta = 0.0f;

  bool is_none() const { return kind == ActKind::kNone; }
  bool operator==(const Epilogue&) const = default;
};

const char* act_kind_name(ActKind k);  // "Relu", "Clip", ..., "" for kNone
std::string epilogue_to_string(const Epilogue& e);  // "Clip(0,6)", "HardSwish", ""

// log(1 + exp(x)) without overflow for large x (onnxruntime's form).
inline float softplus(float x) { return std::max(x, 0.0f) + std::log1p(std::exp(-std::fabs(x))); }

// Plain scalar definition; backends use it as their reference semantics.
inline float apply_epilogue(const Epilogue& e, float x) {
  switch (e.kind) {
    case ActKind::kNone: return x;
    case ActKind::kRelu: return x > 0.0f ? x : 0.0f;
    case ActKind::kClip: return std::min(std::max(x, e.alpha), e.beta);
    case ActKind::kHardSigmoid: return std::min(std::max(e.alpha * x + e.beta, 0.0f), 1.0f);
    case ActKind::kHardSwish: return x * std::min(std::max(x / 6.0f + 0.5f, 0.0f), 1.0f);
    case ActKind::kSigmoid: return 1.0f / (1.0f + std::exp(-x));
    case ActKind::kSiLU: return x / (1.0f + std::exp(-x));
    case ActKind::kLeakyRelu: return x >= 0.0f ? x : e.alpha * x;
    case ActKind::kTanh: return std::tanh(x);
    case ActKind::kGelu: return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
    case ActKind::kGeluTanh:
      return 0.5f * x * (1.0f + std::tanh(0.79788456080286536f * (x + 0.044715f * x * x * x)));
    case ActKind::kSoftplus: return softplus(x);
    case ActKind::kElu: return x > 0.0f ? x : e.alpha * std::expm1(x);
    case ActKind::kSelu: return e.beta * (x > 0.0f ? x : e.alpha * std::expm1(x));
    case ActKind::kMish: return x * std::tanh(softplus(x));
  }
  return x;
}

}  // namespace tandem::ir
