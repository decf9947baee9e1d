// Test inputs: float32 tensors of uniform random values from a fixed seed (mt19937), shared by
// every test folder so the same seed means the same data everywhere.
#pragma once

#include <cstdint>
#include <random>

#include "tandem/tensor.h"

namespace tandem::test_common {

inline Tensor random_tensor(const Shape& shape, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Tensor t(shape, DType::kFloat32);
  for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] = dist(rng);
  return t;
}

}  // namespace tandem::test_common
