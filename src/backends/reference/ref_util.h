// Helpers shared by the reference kernels: typed attrs, output allocation, dtype checks,
// row-major strides and NumPy broadcasting. Plain code; speed is not a goal here.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "backends/reference/ref_op.h"
#include "ir/graph.h"
#include "tandem/status.h"
#include "tandem/tensor.h"

namespace tandem::reference {

// The node's typed attributes, or an internal error when the node carries another kind.
template <typename A>
Result<const A*> attrs_of(const ir::Node& node) {
  const A* a = std::get_if<A>(&node.attrs);
  if (!a) return internal_error("node has no typed attributes of the expected kind (was it parsed?)");
  return a;
}

// The shape graph.values records for `value`; an error when it is missing or not fully known.
Result<Shape> known_shape(const ir::Graph& graph, const std::string& value);

// Allocates ctx.outputs[k] with the shape and dtype recorded in graph.values for node.outputs[k]
// (ctx.outputs is grown to the node's output count first). Returns the new tensor (shared storage).
// When the caller put a tensor of that shape and dtype in ctx.outputs[k] already, that tensor is
// returned instead and the kernel writes into the caller's buffer (contents undefined before).
Result<Tensor> alloc_output(RefOpContext& ctx, size_t k);
// Same, but with the given dtype (for kernels whose output dtype is fixed, e.g. Shape).
Result<Tensor> alloc_output(RefOpContext& ctx, size_t k, DType dtype);

// The dtype of input `i` as recorded in graph.values (falls back to nothing: error if absent).
Result<DType> input_dtype(const ir::Graph& graph, const ir::Node& node, size_t i);
// OK when input 0 is of a dtype whose values compare (float32/64, int64/32/8, uint8): what
// ArgMax and TopK order; else unsupported, naming the op and the dtype.
Status ordered_input(const ir::Graph& graph, const ir::Node& node);
// The element counts before and after dim `axis` of `shape` (a row-major tensor is then
// [outer, shape[axis], inner]).
struct AroundAxis {
  int64_t outer = 1, inner = 1;
};
AroundAxis around_axis(const Shape& shape, int64_t axis);
Result<Shape> input_shape(const ir::Graph& graph, const ir::Node& node, size_t i);
bool has_input(const ir::Node& node, size_t i);
bool has_output(const ir::Node& node, size_t i);

// kUnsupported unless every present input and output of the node is float32.
Status require_all_float32(const ir::Graph& graph, const ir::Node& node);
// kInvalidArgument unless input i exists and is non-empty.
Status require_input(const RefOpContext& ctx, size_t i, const char* what);

// Row-major element strides of `shape`.
std::vector<int64_t> strides_of(const Shape& shape);
// Strides to read `in` as if broadcast to `out` (NumPy rules, right-aligned): 0 on broadcast dims.
std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out);
// Advances a row-major multi-index over `shape`; returns false after the last element.
bool next_index(std::vector<int64_t>& idx, const Shape& shape);
// A one-element tensor of `dtype` holding `value` (converted as a static_cast would; fp16 rounded).
Tensor scalar_tensor(DType dtype, double value);
// Normalises a possibly negative axis into [0, rank).
Result<int64_t> normalize_axis(int64_t axis, int64_t rank);

}  // namespace tandem::reference
