// Small helpers shared by the ops' parse and shape-inference functions (ops/*.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ir/ops/op_def.h"
#include "tandem/status.h"
#include "tandem/tensor.h"

namespace tandem::ir {

// A ValueInfo of known rank (dims may still be -1).
ValueInfo known_rank(DType dtype, Shape shape);
// A ValueInfo whose rank is unknown.
ValueInfo unknown_rank(DType dtype);

// Error unless inputs [0, n) are present; `names` is used in the message ("X and W").
Status require_inputs(const InferContext& ctx, size_t n, const char* names);
// The input's info when present, else nullptr.
const ValueInfo* optional_input(const InferContext& ctx, size_t i);
// The input's constant value when the input is present and constant, else nullptr.
const Tensor* optional_constant(const InferContext& ctx, size_t i);
// True when input i is given (present and not "") but is not a constant.
bool input_given_not_constant(const InferContext& ctx, size_t i);

// Maps axis in [-rank, rank) (or [-rank, rank] with `inclusive_end`) to [0, rank).
Result<int64_t> normalize_axis(int64_t axis, int64_t rank, const std::string& what, bool inclusive_end = false);
// Normalizes every axis; rejects duplicates.
Result<std::vector<int64_t>> normalize_axes(const std::vector<int64_t>& axes, int64_t rank, const std::string& what);

// NumPy broadcasting of two shapes; unknown dims (-1) stay unknown unless the other dim decides.
Result<Shape> broadcast_shapes(const Shape& a, const Shape& b);

// Product of dims [begin, end); -1 when any of them is unknown.
int64_t product_or_unknown(const Shape& s, size_t begin, size_t end);

// ONNX TensorProto.DataType code -> DType; nullopt for types Tandem does not handle.
std::optional<DType> dtype_from_onnx_code(int64_t code);

}  // namespace tandem::ir
