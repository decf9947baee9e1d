// Typed attributes of the elementwise math ops Erf, Sqrt, Exp, Log, Neg, Abs, Reciprocal, Sin, Cos,
// Ceil, Floor, Round, Sign and Not. Parse and shape inference are in unary.cpp. Activations that
// are worth fusing into a Conv/Gemm (Gelu, Softplus, Elu, ...) are ActivationAttrs instead.
#pragma once

#include "tandem/tensor.h"

namespace tandem::ir {

enum class UnaryOp { kErf, kSqrt, kExp, kLog, kNeg, kAbs, kReciprocal, kSin, kCos, kCeil, kFloor, kRound, kSign, kNot };

struct UnaryAttrs {
  UnaryOp op = UnaryOp::kNeg;
};

// The ONNX op type of `op` ("Erf", ...).
const char* unary_op_name(UnaryOp op);
// Neg, Abs and Sign also take integers; Not takes bool; the others take floats only.
inline bool unary_takes_integers(UnaryOp op) { return op == UnaryOp::kNeg || op == UnaryOp::kAbs || op == UnaryOp::kSign; }

}  // namespace tandem::ir
