// Epilogue: an elementwise activation applied to an op's output, either as its own node
// (Relu, Clip, ...) or fused into the producing Conv/Gemm by the fuse_activation pass.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>

namespace tandem::ir {

enum class ActKind { kNone, kRelu, kClip, kHardSigmoid, kHardSwish, kSigmoid, kSiLU, kLeakyRelu, kTanh };

struct Epilogue {
  ActKind kind = ActKind::kNone;
  // kClip: [alpha, beta] = [min, max]; kHardSigmoid: y = clamp(alpha*x + beta, 0, 1);
  // kLeakyRelu: alpha = slope. Unused otherwise.
  float alpha = 0.0f;
  float beta = 0.0f;

  bool is_none() const { return kind == ActKind::kNone; }
  bool operator==(const Epilogue&) const = default;
};

const char* act_kind_name(ActKind k);  // "Relu", "Clip", ..., "" for kNone
std::string epilogue_to_string(const Epilogue& e);  // "Clip(0,6)", "HardSwish", ""

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
  }
  return x;
}

}  // namespace tandem::ir
