// Plain types shared by the kernel launchers (.cu) and the op builders (.cpp, compiled by the
// host compiler): no device code here.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace tandem::cuda {

// Storage element types. Float tensors are kF32 or kF16 (cuda_context.h's layout rule); kI64
// holds int64 results (ArgMax) that only leave the unit: no kernel but their producer's sees one.
enum class Elem : int { kF32 = 0, kF16 = 1, kI64 = 2 };

constexpr int elem_bytes(Elem e) { return e == Elem::kF16 ? 2 : e == Elem::kI64 ? 8 : 4; }

constexpr int kMaxRank = 6;

// An activation applied in a kernel's epilogue; kinds mirror ir::ActKind.
struct DevEpilogue {
  // 0 none, 1 relu, 2 clip, 3 hardsigmoid, 4 hardswish, 5 sigmoid, 6 silu, 7 leakyrelu, 8 tanh,
  // 9 gelu (erf), 10 gelu (tanh), 11 softplus, 12 elu, 13 selu (alpha, beta = gamma), 14 mish
  int kind = 0;
  float alpha = 0.0f;
  float beta = 0.0f;
};

// A strided view: `rank` dims, element strides per dim (0 = broadcast).
struct StridedShape {
  int rank = 0;
  int64_t shape[kMaxRank] = {};
};
struct Strides {
  int64_t s[kMaxRank] = {};
};

}  // namespace tandem::cuda
