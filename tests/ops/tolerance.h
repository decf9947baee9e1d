// The one tolerance table of the op tests (tests/ops) and the CUDA tests (tests/cuda): what a
// backend's result must meet against the reference backend (ops) or onnxruntime (whole models).
//
// | precision    | graph of                      | float outputs                                  |
// |--------------|-------------------------------|------------------------------------------------|
// | fp32         | arithmetic ops                | every element: |got - ref| <= 1e-4 + 1e-3 |ref| |
// | tf32         | arithmetic ops                | relative L2 ||got - ref|| / ||ref|| <= 1e-2     |
// | fp16         | arithmetic ops                | relative L2 <= 1e-2                            |
// | every one    | data movement only            | every element equal                            |
// | every one    | integer or bool outputs       | every element equal                            |
// | fp32         | a whole model vs onnxruntime  | as fp32 arithmetic ops                         |
// | tf32, fp16   | a whole model vs onnxruntime  | relative L2 <= 1e-2 (kModelRelL2)              |
// | every one    | float16 outputs (fp16 output  | as the float32 row of the precision, the fp32  |
// |              | dtype) vs float32 onnxruntime | one widened by fp16's rounding (kFp16OutputTol) |
// | every one    | argmax of float logits vs     | equal, except where the reference's two largest |
// |              | onnxruntime's (class maps)    | logits are within argmax_tie_margin()           |
//
// fp16 models may also reach 1.1 x the error of an ideal fp16-storage engine (kIdealFp16Factor),
// and twice kModelRelL2 with a forced conv plan (kForcedConvPlanFactor); see tests/cuda.
// Data movement (Split, Slice, Pad, Gather, Concat, Transpose, ...) copies values, so it is exact
// in every precision: the op tests round fp16 columns' inputs and weights to fp16 first, so that
// the reference sees the values the unit stores.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "backends/backend.h"
#include "tandem/tensor.h"

namespace tandem::optest {

// What a graph's arithmetic is, for the tolerance: data movement only copies values.
enum class OpClass { kArithmetic, kDataMovement };

// One row of the table. Per element: |got - ref| <= abs + rel * |ref|; else (rel_l2 >= 0) the
// relative L2 error of the whole tensor.
struct Tolerance {
  double abs = 0.0;
  double rel = 0.0;
  double rel_l2 = -1.0;  // < 0: per element
  bool per_element() const { return rel_l2 < 0.0; }
};

constexpr Tolerance kFp32Tol{1e-4, 1e-3};
constexpr Tolerance kReducedPrecisionTol{0.0, 0.0, 1e-2};  // tf32 and fp16: the same contract
constexpr Tolerance kExactTol{0.0, 0.0};

inline Tolerance tolerance(Precision p, OpClass c) {
  if (c == OpClass::kDataMovement) return kExactTol;
  return p == Precision::kFloat32 ? kFp32Tol : kReducedPrecisionTol;
}

// An fp32 unit's float16 output against onnxruntime's float32: the fp32 row plus half an fp16
// ulp (2^-11 relative).
constexpr Tolerance kFp16OutputTol{1e-4, 1e-3 + 4.9e-4};
// Two logits closer than this may swap places in a backend's argmax: per element as the fp32 row
// for fp32; for tf32 and fp16 3% of the logits' RMS (their relative L2 contract is 1%).
inline double argmax_tie_margin(Precision p, double top, double logits_rms) {
  return p == Precision::kFloat32 ? 1e-4 + 1e-3 * std::fabs(top) : 3e-2 * logits_rms;
}

// Whole models (tests/cuda) in tf32 and fp16 against onnxruntime.
constexpr double kModelRelL2 = 1e-2;
// fp16 models: randomly weighted MobileNets lose 1.0-1.2% to fp16 storage alone (make_models.py's
// ideal fp16 engine), so their bound is the larger of kModelRelL2 and this factor x that error.
constexpr double kIdealFp16Factor = 1.1;
// With one conv plan forced everywhere: conv + epilogue rounds to fp16 twice (as PyTorch's
// separate bias add does); a wrong plan is off by O(1), not by 2e-2.
constexpr double kForcedConvPlanFactor = 2.0;
// Two runs that must have taken the same kernels.
constexpr double kSameKernelsRelL2 = 1e-6;

inline const char* precision_name(Precision p) {
  switch (p) {
    case Precision::kFloat32: return "fp32";
    case Precision::kTF32: return "tf32";
    case Precision::kFloat16: return "fp16";
  }
  return "?";
}

// Relative L2 error ||got - want|| / ||want|| of float32 tensors; infinity when the shapes differ.
inline double rel_l2(const Tensor& want, const Tensor& got) {
  if (want.shape() != got.shape()) return INFINITY;
  double num = 0, den = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double w = want.data_as<float>()[i], g = got.data_as<float>()[i];
    num += (g - w) * (g - w);
    den += w * w;
  }
  return std::sqrt(num / std::max(den, 1e-30));
}

// `got` against `want` within `tol`; tensors of another dtype than float32 must be equal. Names
// the first bad element (per element) or the error (relative L2).
inline ::testing::AssertionResult within(const Tolerance& tol, const Tensor& want, const Tensor& got,
                                         const std::string& what) {
  if (want.shape() != got.shape() || want.dtype() != got.dtype())
    return ::testing::AssertionFailure() << what << ": " << dtype_name(got.dtype()) << shape_to_string(got.shape())
                                         << " vs reference " << dtype_name(want.dtype()) << shape_to_string(want.shape());
  if (want.dtype() != DType::kFloat32) {
    for (int64_t i = 0; i < want.numel(); ++i)
      if (want.int_at(i) != got.int_at(i) || !(want.float_at(i) == got.float_at(i)))
        return ::testing::AssertionFailure() << what << ": element " << i << " is " << got.float_at(i)
                                             << ", reference " << want.float_at(i);
    return ::testing::AssertionSuccess();
  }
  if (!tol.per_element()) {
    const double err = rel_l2(want, got);
    if (err <= tol.rel_l2) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << what << ": relative L2 error " << err << " > " << tol.rel_l2;
  }
  int64_t bad = 0, first = -1;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const float w = want.data_as<float>()[i], x = got.data_as<float>()[i];
    if (!(std::abs(w - x) <= tol.abs + tol.rel * std::abs(w))) {
      if (first < 0) first = i;
      ++bad;
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << ": " << bad << " of " << want.numel() << " elements differ by more than "
                                       << tol.abs << " + " << tol.rel << " |ref|; first at " << first << ": got "
                                       << got.data_as<float>()[first] << ", reference " << want.data_as<float>()[first];
}

}  // namespace tandem::optest
