#include "backends/reference/ref_util.h"

namespace tandem::reference {

Result<Shape> known_shape(const ir::Graph& graph, const std::string& value) {
  const ir::ValueInfo* info = graph.info(value);
  if (!info) return internal_error("no shape recorded for tensor '" + value + "'");
  if (!info->fully_known())
    return internal_error("tensor '" + value + "' has shape " + shape_to_string(info->shape) +
                          "; the graph must be specialised first");
  return info->shape;
}

Result<Tensor> alloc_output(RefOpContext& ctx, size_t k) {
  const ir::ValueInfo* info = ctx.graph.info(ctx.node.outputs.at(k));
  if (!info) return internal_error("no shape recorded for output '" + ctx.node.outputs[k] + "'");
  return alloc_output(ctx, k, info->dtype);
}

Result<Tensor> alloc_output(RefOpContext& ctx, size_t k, DType dtype) {
  if (k >= ctx.node.outputs.size()) return internal_error("output index out of range");
  TANDEM_ASSIGN_OR_RETURN(Shape shape, known_shape(ctx.graph, ctx.node.outputs[k]));
  if (ctx.outputs.size() < ctx.node.outputs.size()) ctx.outputs.resize(ctx.node.outputs.size());
  const Tensor& given = ctx.outputs[k];
  // A caller's buffer of the right kind is written in place (the cpu backend's host steps).
  const bool reuse = !given.empty() && given.shape() == shape && given.dtype() == dtype;
  if (!reuse) ctx.outputs[k] = Tensor(std::move(shape), dtype);
  return ctx.outputs[k];
}

bool has_input(const ir::Node& node, size_t i) { return i < node.inputs.size() && !node.inputs[i].empty(); }
bool has_output(const ir::Node& node, size_t i) { return i < node.outputs.size() && !node.outputs[i].empty(); }

Result<DType> input_dtype(const ir::Graph& graph, const ir::Node& node, size_t i) {
  if (!has_input(node, i)) return internal_error("input " + std::to_string(i) + " is absent");
  if (const Tensor* c = graph.constant(node.inputs[i])) return c->dtype();
  const ir::ValueInfo* info = graph.info(node.inputs[i]);
  if (!info) return internal_error("no type recorded for tensor '" + node.inputs[i] + "'");
  return info->dtype;
}

Result<Shape> input_shape(const ir::Graph& graph, const ir::Node& node, size_t i) {
  if (!has_input(node, i)) return internal_error("input " + std::to_string(i) + " is absent");
  if (const Tensor* c = graph.constant(node.inputs[i])) return c->shape();
  return known_shape(graph, node.inputs[i]);
}

Status require_all_float32(const ir::Graph& graph, const ir::Node& node) {
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (!has_input(node, i)) continue;
    TANDEM_ASSIGN_OR_RETURN(DType t, input_dtype(graph, node, i));
    if (t != DType::kFloat32)
      return unsupported("reference " + node.op_type + " runs float32 only; input '" + node.inputs[i] + "' is " +
                         dtype_name(t));
  }
  for (const auto& o : node.outputs) {
    if (o.empty()) continue;
    const ir::ValueInfo* info = graph.info(o);
    if (info && info->dtype != DType::kFloat32)
      return unsupported("reference " + node.op_type + " runs float32 only; output '" + o + "' is " +
                         dtype_name(info->dtype));
  }
  return Status::ok();
}

Status require_input(const RefOpContext& ctx, size_t i, const char* what) {
  if (i >= ctx.inputs.size() || ctx.inputs[i].empty())
    return invalid_argument(std::string("missing input ") + what);
  return Status::ok();
}

std::vector<int64_t> strides_of(const Shape& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d) s[d] = s[d + 1] * shape[d + 1];
  return s;
}

std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out) {
  std::vector<int64_t> s(out.size(), 0);
  const std::vector<int64_t> own = strides_of(in);
  const size_t lead = out.size() - in.size();
  for (size_t d = 0; d < in.size(); ++d) s[lead + d] = in[d] == 1 ? 0 : own[d];
  return s;
}

bool next_index(std::vector<int64_t>& idx, const Shape& shape) {
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    if (++idx[d] < shape[d]) return true;
    idx[d] = 0;
  }
  return false;
}

Tensor scalar_tensor(DType dtype, double value) {
  Tensor t({1}, dtype);
  switch (dtype) {
    case DType::kFloat32: *t.data_as<float>() = static_cast<float>(value); break;
    case DType::kFloat16: *t.data_as<uint16_t>() = float_to_half(static_cast<float>(value)); break;
    case DType::kFloat64: *t.data_as<double>() = value; break;
    case DType::kInt64: *t.data_as<int64_t>() = static_cast<int64_t>(value); break;
    case DType::kInt32: *t.data_as<int32_t>() = static_cast<int32_t>(value); break;
    case DType::kInt8: *t.data_as<int8_t>() = static_cast<int8_t>(value); break;
    case DType::kUInt8: *t.data_as<uint8_t>() = static_cast<uint8_t>(value); break;
    case DType::kBool: *t.data_as<uint8_t>() = value != 0 ? 1 : 0; break;
  }
  return t;
}

Result<int64_t> normalize_axis(int64_t axis, int64_t rank) {
  const int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank)
    return invalid_argument("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return a;
}

AroundAxis around_axis(const Shape& shape, int64_t axis) {
  AroundAxis r;
  for (int64_t d = 0; d < axis; ++d) r.outer *= shape[static_cast<size_t>(d)];
  for (size_t d = static_cast<size_t>(axis) + 1; d < shape.size(); ++d) r.inner *= shape[d];
  return r;
}

Status ordered_input(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_ASSIGN_OR_RETURN(DType t, input_dtype(graph, node, 0));
  switch (t) {
    case DType::kFloat32: case DType::kFloat64: case DType::kInt64: case DType::kInt32: case DType::kInt8:
    case DType::kUInt8:
      return Status::ok();
    default: return unsupported(node.op_type + " of " + dtype_name(t));
  }
}

}  // namespace tandem::reference
