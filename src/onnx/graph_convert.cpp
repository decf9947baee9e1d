// ModelProto (checked, shape-inferred) -> ir::Graph.
#include <cctype>
#include <set>

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"
#include "onnx/import.h"
#include "onnx/proto_convert.h"

namespace tandem::onnx_convert {
namespace {

Result<int> default_opset(const onnx::ModelProto& m) {
  for (const auto& o : m.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") {
      const int v = static_cast<int>(o.version());
      if (v < kMinOnnxOpset || v > kMaxOnnxOpset)
        return unsupported("opset " + std::to_string(v) + " is not supported (" + std::to_string(kMinOnnxOpset) +
                           " to " + std::to_string(kMaxOnnxOpset) + ")");
      return v;
    }
  return invalid_argument("the model imports no opset of the default ONNX domain");
}

// Tensor type of a value; nullopt when it has none we can represent (sequences, strings, ...).
std::optional<ir::ValueInfo> value_info_from_proto(const onnx::ValueInfoProto& v) {
  if (!v.type().has_tensor_type()) return std::nullopt;
  const auto& tt = v.type().tensor_type();
  auto dtype = ir::dtype_from_onnx_code(tt.elem_type());
  if (!dtype) return std::nullopt;
  ir::ValueInfo info;
  info.dtype = *dtype;
  if (tt.has_shape()) {
    info.rank_known = true;
    for (const auto& d : tt.shape().dim()) info.shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
  }
  return info;
}

Status add_values(const onnx::GraphProto& gp, ir::Graph& g) {
  for (const auto& v : gp.value_info())
    if (auto info = value_info_from_proto(v)) g.values[v.name()] = *info;
  auto add_io = [&](const onnx::ValueInfoProto& v, const char* kind) -> Status {
    auto info = value_info_from_proto(v);
    if (!info)
      return unsupported(std::string(kind) + " '" + v.name() +
                         "' is not a tensor of a supported type (float32/16/64, int64/32/8, uint8, bool)");
    g.values[v.name()] = *info;
    return Status::ok();
  };
  for (const auto& v : gp.input())
    if (!g.is_constant(v.name())) TANDEM_RETURN_IF_ERROR(add_io(v, "input"));
  for (const auto& v : gp.output()) TANDEM_RETURN_IF_ERROR(add_io(v, "output"));
  for (const auto& [name, t] : g.initializers) {
    ir::ValueInfo info;
    info.dtype = t.dtype();
    info.shape = t.shape();
    info.rank_known = true;
    g.values[name] = info;
  }
  return Status::ok();
}

// A Constant node's value: `value` (a tensor) or value_float(s) / value_int(s).
Result<Tensor> constant_value(const onnx::NodeProto& n) {
  for (const auto& a : n.attribute()) {
    const std::string& k = a.name();
    if (k == "value") return tensor_from_proto(a.t(), n.output(0));
    if (k == "value_float") return Tensor::from_vector<float>({}, DType::kFloat32, {a.f()});
    if (k == "value_int") return Tensor::from_vector<int64_t>({}, DType::kInt64, {a.i()});
    if (k == "value_floats")
      return Tensor::from_vector<float>({a.floats_size()}, DType::kFloat32, {a.floats().begin(), a.floats().end()});
    if (k == "value_ints")
      return Tensor::from_vector<int64_t>({a.ints_size()}, DType::kInt64, {a.ints().begin(), a.ints().end()});
    return unsupported("Constant with attribute '" + k + "' is not supported");
  }
  return invalid_argument("Constant has no value");
}

// A unique node name: the file's when it has a unique one, else "<op>_<index>".
std::string unique_node_name(const onnx::NodeProto& n, size_t index, std::set<std::string>& used) {
  if (!n.name().empty() && used.insert(n.name()).second) return n.name();
  std::string base;
  for (char c : n.op_type()) base += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  base += "_" + std::to_string(index);
  std::string name = base;
  for (int k = 1; !used.insert(name).second; ++k) name = base + "_" + std::to_string(k);
  return name;
}

// Opset-9 Upsample (scales as input; opset-7 style as attribute) -> Resize [X, scales].
Status upsample_to_resize(ir::Node& node, ir::Graph& g) {
  std::vector<std::string> in = node.inputs;
  if (in.empty()) return invalid_argument("Upsample needs X");
  std::string scales = in.size() > 1 ? in[1] : "";
  if (node.raw_attrs.has("scales")) {
    TANDEM_ASSIGN_OR_RETURN(auto s, node.raw_attrs.get_floats("scales", {}));
    scales = node.name + "_scales";
    g.initializers[scales] = Tensor::from_vector<float>({static_cast<int64_t>(s.size())}, DType::kFloat32, s);
    g.values[scales] = ir::ValueInfo{DType::kFloat32, {static_cast<int64_t>(s.size())}, true};
  }
  if (scales.empty()) return invalid_argument("Upsample needs scales");
  ir::AttrMap attrs;
  TANDEM_ASSIGN_OR_RETURN(std::string mode, node.raw_attrs.get_string("mode", "nearest"));
  attrs.set("mode", mode);
  node.raw_attrs = attrs;
  node.op_type = "Resize";
  node.inputs = g.opset < 11 ? std::vector<std::string>{in[0], scales} : std::vector<std::string>{in[0], "", scales};
  return Status::ok();
}

Status add_node(const onnx::NodeProto& np, size_t index, std::set<std::string>& used, ir::Graph& g) {
  ir::Node node;
  node.name = unique_node_name(np, index, used);
  node.op_type = np.op_type();
  node.inputs.assign(np.input().begin(), np.input().end());
  node.outputs.assign(np.output().begin(), np.output().end());
  auto context = [&] { return "node '" + node.name + "' (" + np.op_type() + ")"; };
  auto raw = attrs_from_proto(np);
  if (!raw.is_ok()) return raw.status().with_context(context());
  node.raw_attrs = std::move(raw).value();
  if (node.op_type == "Upsample") TANDEM_RETURN_IF_ERROR(upsample_to_resize(node, g).with_context(context()));
  const ir::OpDef* def = ir::find_op_def(node.op_type);
  if (!def || def->internal) return unsupported("unsupported op '" + node.op_type + "' (" + context() + ")");
  auto attrs = def->parse(node.raw_attrs, g.opset);
  if (!attrs.is_ok()) return attrs.status().with_context(context());
  node.attrs = std::move(attrs).value();
  g.nodes.push_back(std::move(node));
  return Status::ok();
}

}  // namespace

Result<ir::Graph> graph_from_model(const onnx::ModelProto& m) {
  const auto& gp = m.graph();
  ir::Graph g;
  g.name = gp.name();
  TANDEM_ASSIGN_OR_RETURN(g.opset, default_opset(m));
  for (const auto& t : gp.initializer()) {
    TANDEM_ASSIGN_OR_RETURN(Tensor v, tensor_from_proto(t, t.name()));
    g.initializers[t.name()] = std::move(v);
  }
  for (const auto& n : gp.node()) {
    if (n.op_type() != "Constant" || n.output_size() != 1) continue;
    auto v = constant_value(n);
    if (!v.is_ok()) return v.status().with_context("node '" + n.name() + "' (Constant)");
    g.initializers[n.output(0)] = std::move(v).value();
  }
  TANDEM_RETURN_IF_ERROR(add_values(gp, g));
  for (const auto& v : gp.input())
    if (!g.is_constant(v.name())) g.inputs.push_back(v.name());
  for (const auto& v : gp.output()) g.outputs.push_back(v.name());
  std::set<std::string> used;  // claimed in order: the first of a duplicated name keeps it
  size_t index = 0;
  for (const auto& n : gp.node()) {
    if (n.op_type() == "Constant") continue;
    TANDEM_RETURN_IF_ERROR(add_node(n, index++, used, g));
  }
  TANDEM_RETURN_IF_ERROR(g.verify());
  return g;
}

}  // namespace tandem::onnx_convert
