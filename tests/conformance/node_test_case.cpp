#include "conformance/node_test_case.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "backends/reference/reference_backend.h"
#include "ir/specialize.h"
#include "onnx/import.h"

namespace tandem::conformance {
namespace fs = std::filesystem;
namespace {

// Input slots whose value our IR resolves into typed attributes at specialisation time.
const std::map<std::string, std::set<size_t>, std::less<>> kParameterSlots = {
    {"Reshape", {1}}, {"Slice", {1, 2, 3, 4}}, {"Resize", {1, 2, 3}}, {"Squeeze", {1}},
    {"Unsqueeze", {1}}, {"Clip", {1, 2}}, {"Dropout", {1, 2}},
    {"Split", {1}}, {"Pad", {1, 2}}, {"Expand", {1}}, {"Tile", {1}}, {"ConstantOfShape", {0}}, {"Range", {0, 1, 2}},
    {"Gather", {1}},  // cpu and cuda take constant indices (a model's Gather indices are constants)
    {"ReduceSum", {1}},
};

// Moves graph inputs that feed a parameter slot into the initializers.
void bake_parameter_inputs(NodeTest& t) {
  std::set<std::string> params;
  for (const auto& node : t.graph.nodes) {
    auto it = kParameterSlots.find(node.op_type);
    if (it == kParameterSlots.end()) continue;
    for (size_t i : it->second)
      if (i < node.inputs.size() && !node.inputs[i].empty()) params.insert(node.inputs[i]);
  }
  std::vector<std::string> inputs;
  std::vector<Tensor> values;
  for (size_t i = 0; i < t.graph.inputs.size(); ++i) {
    if (params.count(t.graph.inputs[i])) t.graph.initializers[t.graph.inputs[i]] = t.inputs[i];
    else {
      inputs.push_back(t.graph.inputs[i]);
      values.push_back(t.inputs[i]);
    }
  }
  t.graph.inputs = std::move(inputs);
  t.inputs = std::move(values);
}

Result<std::vector<Tensor>> load_pbs(const fs::path& dir, const char* prefix, size_t count) {
  std::vector<Tensor> v;
  for (size_t i = 0; i < count; ++i) {
    const fs::path p = dir / (std::string(prefix) + std::to_string(i) + ".pb");
    TANDEM_ASSIGN_OR_RETURN(Tensor t, load_tensor_proto_file(p.string()));
    v.push_back(std::move(t));
  }
  return v;
}

}  // namespace

std::vector<std::string> list_node_tests(const std::string& root) {
  std::vector<std::string> v;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return v;
  for (const auto& e : fs::directory_iterator(root, ec))
    if (e.is_directory() && e.path().filename().string().rfind("test_", 0) == 0) v.push_back(e.path().string());
  std::sort(v.begin(), v.end());
  return v;
}

Result<NodeTest> load_node_test(const std::string& dir) {
  NodeTest t;
  t.name = fs::path(dir).filename().string();
  TANDEM_ASSIGN_OR_RETURN(t.graph, import_onnx_file((fs::path(dir) / "model.onnx").string()));
  const fs::path data = fs::path(dir) / "test_data_set_0";
  TANDEM_ASSIGN_OR_RETURN(t.inputs, load_pbs(data, "input_", t.graph.inputs.size()));
  TANDEM_ASSIGN_OR_RETURN(t.expected, load_pbs(data, "output_", t.graph.outputs.size()));
  std::set<std::string> ops;
  for (const auto& node : t.graph.nodes) ops.insert(node.op_type);
  for (const auto& op : ops) t.op_key += (t.op_key.empty() ? "" : "+") + op;
  if (t.op_key.empty()) t.op_key = "(constants only)";
  bake_parameter_inputs(t);
  std::map<std::string, Shape> shapes;
  for (size_t i = 0; i < t.inputs.size(); ++i) shapes[t.graph.inputs[i]] = t.inputs[i].shape();
  TANDEM_ASSIGN_OR_RETURN(t.graph, ir::specialize(t.graph, shapes, reference_evaluate_node));
  return t;
}

Status compare_tensors(const Tensor& got, const Tensor& want) {
  if (got.dtype() != want.dtype())
    return invalid_argument(std::string("dtype ") + dtype_name(got.dtype()) + ", expected " + dtype_name(want.dtype()));
  if (got.shape() != want.shape())
    return invalid_argument("shape " + shape_to_string(got.shape()) + ", expected " + shape_to_string(want.shape()));
  const bool is_float = want.dtype() == DType::kFloat32 || want.dtype() == DType::kFloat64 || want.dtype() == DType::kFloat16;
  const double atol = want.dtype() == DType::kFloat16 ? 1e-2 : 1e-4;
  const double rtol = want.dtype() == DType::kFloat16 ? 1e-2 : 1e-3;
  for (int64_t i = 0; i < want.numel(); ++i) {
    if (is_float) {
      const double g = got.float_at(i), w = want.float_at(i);
      if (std::isnan(w) && std::isnan(g)) continue;
      if (g == w) continue;  // equal infinities
      if (!(std::fabs(g - w) <= atol + rtol * std::fabs(w)))
        return invalid_argument("element " + std::to_string(i) + " is " + std::to_string(g) + ", expected " +
                                std::to_string(w));
    } else if (got.int_at(i) != want.int_at(i)) {
      return invalid_argument("element " + std::to_string(i) + " is " + std::to_string(got.int_at(i)) + ", expected " +
                              std::to_string(want.int_at(i)));
    }
  }
  return Status::ok();
}

CaseResult run_node_test(const Backend& backend, NodeTest& t) {
  CaseResult r;
  r.test = t.name;
  r.op_key = t.op_key;
  for (const auto& node : t.graph.nodes) {
    Status st = backend.supports(t.graph, node);
    if (!st.is_ok()) {
      r.outcome = Outcome::kNotClaimed;
      r.detail = node.op_type + ": " + st.message();
      return r;
    }
  }
  r.outcome = Outcome::kFailed;
  auto exe = backend.compile(t.graph, UnitOptions{});
  if (!exe.is_ok()) {
    r.detail = "compile: " + exe.status().to_string();
    return r;
  }
  std::vector<Tensor> outs;
  std::vector<TensorView> in_views, out_views;
  for (const Tensor& x : t.inputs) in_views.push_back(x.view());
  bool dynamic = false;  // data-dependent output shapes (NonMaxSuppression): the backend sizes them
  for (size_t i = 0; i < t.graph.outputs.size(); ++i) {
    const ir::ValueInfo* info = t.graph.info(t.graph.outputs[i]);
    if (!info || !info->rank_known) {
      r.detail = "output '" + t.graph.outputs[i] + "' has no known shape after specialisation";
      return r;
    }
    dynamic |= !info->fully_known();
    if (dynamic) continue;
    outs.emplace_back(info->shape, info->dtype);
    out_views.push_back(outs.back().view());
  }
  Status st;
  if (dynamic) {
    auto got = (*exe)->run_dynamic(in_views);
    if (got) outs = std::move(*got);
    st = got.status();
  } else {
    st = (*exe)->run(in_views, out_views);
  }
  if (!st.is_ok()) {
    r.detail = "run: " + st.to_string();
    return r;
  }
  for (size_t i = 0; i < outs.size(); ++i) {
    Status c = compare_tensors(outs[i], t.expected[i]);
    if (!c.is_ok()) {
      r.detail = "output '" + t.graph.outputs[i] + "': " + c.message();
      return r;
    }
  }
  r.outcome = Outcome::kPassed;
  return r;
}

}  // namespace tandem::conformance
