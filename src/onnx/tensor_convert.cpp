// TensorProto -> Tensor and AttributeProto -> AttrValue.
#include <cstring>

#include "ir/ops/infer_util.h"
#include "onnx/proto_convert.h"

namespace tandem::onnx_convert {
namespace {

// Copies a repeated typed field into `t`, converting each element to T.
template <typename T, typename Field>
Status copy_field(const Field& f, Tensor& t, const std::string& what, const char* field_name) {
  if (static_cast<int64_t>(f.size()) != t.numel())
    return invalid_argument("tensor '" + what + "': " + field_name + " has " + std::to_string(f.size()) +
                            " values, its shape " + shape_to_string(t.shape()) + " needs " +
                            std::to_string(t.numel()));
  T* p = t.data_as<T>();
  for (int i = 0; i < f.size(); ++i) p[i] = static_cast<T>(f.Get(i));
  return Status::ok();
}

Status copy_typed(const onnx::TensorProto& tp, Tensor& t, const std::string& what) {
  switch (t.dtype()) {
    case DType::kFloat32: return copy_field<float>(tp.float_data(), t, what, "float_data");
    case DType::kFloat64: return copy_field<double>(tp.double_data(), t, what, "double_data");
    case DType::kInt64: return copy_field<int64_t>(tp.int64_data(), t, what, "int64_data");
    case DType::kInt32: return copy_field<int32_t>(tp.int32_data(), t, what, "int32_data");
    case DType::kInt8: return copy_field<int8_t>(tp.int32_data(), t, what, "int32_data");
    case DType::kUInt8: return copy_field<uint8_t>(tp.int32_data(), t, what, "int32_data");
    case DType::kBool: return copy_field<uint8_t>(tp.int32_data(), t, what, "int32_data");
    case DType::kFloat16: return copy_field<uint16_t>(tp.int32_data(), t, what, "int32_data");  // bit patterns
  }
  return internal_error("unhandled dtype");
}

}  // namespace

Result<Tensor> tensor_from_proto(const onnx::TensorProto& tp, const std::string& what) {
  if (tp.data_location() == onnx::TensorProto::EXTERNAL)
    return unsupported("tensor '" + what + "' keeps its data in an external file, which is not supported");
  if (tp.has_segment()) return unsupported("tensor '" + what + "' is segmented, which is not supported");
  auto dtype = ir::dtype_from_onnx_code(tp.data_type());
  if (!dtype) return unsupported("tensor '" + what + "' has ONNX data type " + std::to_string(tp.data_type()) +
                                 ", which is not supported");
  Shape shape(tp.dims().begin(), tp.dims().end());
  for (int64_t d : shape)
    if (d < 0) return invalid_argument("tensor '" + what + "' has a negative dim: " + shape_to_string(shape));
  Tensor t(shape, *dtype);
  if (tp.has_raw_data()) {
    if (tp.raw_data().size() != t.nbytes())
      return invalid_argument("tensor '" + what + "': raw_data has " + std::to_string(tp.raw_data().size()) +
                              " bytes, its shape " + shape_to_string(shape) + " x " + dtype_name(*dtype) + " needs " +
                              std::to_string(t.nbytes()));
    if (t.nbytes()) std::memcpy(t.data(), tp.raw_data().data(), t.nbytes());  // ONNX raw data is little-endian
    return t;
  }
  TANDEM_RETURN_IF_ERROR(copy_typed(tp, t, what));
  return t;
}

Result<ir::AttrMap> attrs_from_proto(const onnx::NodeProto& n) {
  ir::AttrMap m;
  for (const auto& a : n.attribute()) {
    using A = onnx::AttributeProto;
    switch (a.type()) {
      case A::FLOAT: m.set(a.name(), a.f()); break;
      case A::INT: m.set(a.name(), static_cast<int64_t>(a.i())); break;
      case A::STRING: m.set(a.name(), a.s()); break;
      case A::FLOATS: m.set(a.name(), std::vector<float>(a.floats().begin(), a.floats().end())); break;
      case A::INTS: m.set(a.name(), std::vector<int64_t>(a.ints().begin(), a.ints().end())); break;
      case A::STRINGS: m.set(a.name(), std::vector<std::string>(a.strings().begin(), a.strings().end())); break;
      case A::TENSOR: {
        TANDEM_ASSIGN_OR_RETURN(Tensor t, tensor_from_proto(a.t(), n.name() + "." + a.name()));
        m.set(a.name(), std::move(t));
        break;
      }
      default:
        return unsupported("attribute '" + a.name() + "' has a graph, sparse or type value, which is not supported");
    }
  }
  return m;
}

}  // namespace tandem::onnx_convert
