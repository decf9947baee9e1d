// Loading and checking: file -> ModelProto -> checks -> graph_from_model.
#include "onnx/import.h"

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "ir/ops/op_def.h"
#include "onnx/proto_convert.h"

namespace tandem {
namespace {

// One line: ONNX's messages span several lines ("==> Context: ...").
std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

Result<std::string> read_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return not_found(path + ": no such file");
  if (std::filesystem::is_directory(path, ec)) return invalid_argument(path + ": is a directory, not a file");
  std::ifstream f(path, std::ios::binary);
  if (!f) return not_found(path + ": cannot be opened");
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A serialized ModelProto starts with field 1 (ir_version, a small varint): tag byte 0x08.
bool looks_like_model_start(const std::string& bytes) {
  return bytes.size() >= 2 && bytes[0] == 0x08 && bytes[1] >= 1 && bytes[1] <= 20;
}

Result<onnx::ModelProto> parse_model(const std::string& bytes, const std::string& label) {
  onnx::ModelProto m;
  if (bytes.empty()) return invalid_argument(label + ": is empty, not an ONNX model");
  if (!m.ParseFromString(bytes)) {
    if (looks_like_model_start(bytes))
      return invalid_argument(label + ": truncated or corrupt ONNX file (protobuf parse failed after reading " +
                              std::to_string(bytes.size()) + " bytes)");
    return invalid_argument(label + ": not an ONNX model (not a protobuf ModelProto)");
  }
  if (m.ir_version() == 0 || !m.has_graph() || m.opset_import_size() == 0)
    return invalid_argument(label + ": not an ONNX model (no ir_version, graph or opset_import)");
  return m;
}

// Ops whose output shape depends on the values of their inputs that the IR does not know yet
// (NonMaxSuppression it knows: OpDef::data_dependent).
bool has_data_dependent_shape(const std::string& op_type) {
  static const char* const kOps[] = {"NonZero", "Unique", "Compress"};
  for (const char* op : kOps)
    if (op_type == op) return true;
  return false;
}

// Every op type neither the IR nor the importer knows, in one message.
Status check_supported_ops(const onnx::ModelProto& m, const std::string& label) {
  std::map<std::string, std::string> missing;  // op type -> first node of that type
  int count = 0;
  int index = -1;
  for (const auto& n : m.graph().node()) {
    ++index;
    const bool default_domain = n.domain().empty() || n.domain() == "ai.onnx";
    const std::string type = default_domain ? n.op_type() : n.domain() + "." + n.op_type();
    const ir::OpDef* def = ir::find_op_def(n.op_type());
    const bool known = default_domain && ((def && !def->internal) || n.op_type() == "Constant" ||
                                          n.op_type() == "Upsample");
    if (known) continue;
    ++count;
    std::string node = n.name();
    if (node.empty()) node.append("#").append(std::to_string(index));  // position in the file
    missing.emplace(type, node);
  }
  if (missing.empty()) return Status::ok();
  std::string msg = label + ": unsupported op";
  if (missing.size() > 1) msg += "s";
  bool first = true;
  for (const auto& [type, node] : missing) {
    msg += first ? " '" : ", '";
    msg += type;
    msg += "' (node '";
    msg += node;
    msg += "'";
    // `type` carries its domain unless it is ONNX's own.
    if (has_data_dependent_shape(type))
      msg += "; its output shape depends on the data, and Tandem does not run this one yet";
    msg += ")";
    first = false;
  }
  if (count > static_cast<int>(missing.size())) msg += " (" + std::to_string(count) + " nodes in all)";
  return unsupported(msg);
}

Status run_onnx_checks(onnx::ModelProto& m, const std::string& label) {
  try {
    onnx::checker::check_model(m);
  } catch (const std::exception& e) {
    return invalid_argument(label + ": ONNX checker: " + one_line(e.what()));
  }
  try {
    // Strict: node-level inference errors throw too. No data propagation: shape subgraphs
    // are folded by ir::specialize once the input shapes are known.
    onnx::ShapeInferenceOptions options(/*check_type_val=*/false, /*strict_mode_val=*/1, /*data_prop_val=*/false);
    onnx::shape_inference::InferShapes(m, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception& e) {
    return invalid_argument(label + ": ONNX shape inference: " + one_line(e.what()));
  }
  return Status::ok();
}

}  // namespace

Result<ir::Graph> import_onnx_bytes(const std::string& bytes, const std::string& label) {
  TANDEM_ASSIGN_OR_RETURN(onnx::ModelProto m, parse_model(bytes, label));
  TANDEM_RETURN_IF_ERROR(check_supported_ops(m, label));
  TANDEM_RETURN_IF_ERROR(run_onnx_checks(m, label));
  auto g = onnx_convert::graph_from_model(m);
  if (!g.is_ok()) return g.status().with_context(label);
  return g;
}

Result<ir::Graph> import_onnx_file(const std::string& path) {
  TANDEM_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  return import_onnx_bytes(bytes, path);
}

Result<Tensor> load_tensor_proto_file(const std::string& path) {
  TANDEM_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  onnx::TensorProto t;
  if (!t.ParseFromString(bytes)) return invalid_argument(path + ": not a serialized ONNX TensorProto");
  auto v = onnx_convert::tensor_from_proto(t, t.name().empty() ? path : t.name());
  if (!v.is_ok()) return v.status().with_context(path);
  return v;
}

}  // namespace tandem
