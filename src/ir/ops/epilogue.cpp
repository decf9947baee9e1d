#include "ir/ops/epilogue.h"

#include <sstream>

namespace tandem::ir {

const char* act_kind_name(ActKind k) {
  switch (k) {
    case ActKind::kNone: return "";
    case ActKind::kRelu: return "Relu";
    case ActKind::kClip: return "Clip";
    case ActKind::kHardSigmoid: return "HardSigmoid";
    case ActKind::kHardSwish: return "HardSwish";
    case ActKind::kSigmoid: return "Sigmoid";
    case ActKind::kSiLU: return "SiLU";
    case ActKind::kLeakyRelu: return "LeakyRelu";
    case ActKind::kTanh: return "Tanh";
    case ActKind::kGelu: return "Gelu";
    case ActKind::kGeluTanh: return "GeluTanh";
    case ActKind::kSoftplus: return "Softplus";
    case ActKind::kElu: return "Elu";
    case ActKind::kSelu: return "Selu";
    case ActKind::kMish: return "Mish";
  }
  return "";
}

std::string epilogue_to_string(const Epilogue& e) {
  std::ostringstream os;
  os << act_kind_name(e.kind);
  if (e.kind == ActKind::kClip || e.kind == ActKind::kHardSigmoid || e.kind == ActKind::kSelu) os << '(' << e.alpha << ',' << e.beta << ')';
  if (e.kind == ActKind::kLeakyRelu || e.kind == ActKind::kElu) os << '(' << e.alpha << ')';
  return os.str();
}

}  // namespace tandem::ir
