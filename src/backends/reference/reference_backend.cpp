#include "backends/reference/reference_backend.h"

#include <cstring>
#include <unordered_map>

#include "backends/reference/ref_op.h"

namespace tandem {
namespace {

using reference::find_ref_op;
using reference::RefOpContext;

Status node_error(const ir::Node& node, const Status& st) {
  return st.with_context("node '" + node.name + "' (" + node.op_type + ")");
}

// Interprets the segment node by node; tensors live in a name -> Tensor map.
class ReferenceExecutable final : public Executable {
 public:
  explicit ReferenceExecutable(ir::Graph g) : graph_(std::move(g)) {}

  Status run(std::span<const TensorView> inputs, std::span<const TensorView> outputs) override {
    if (inputs.size() != graph_.inputs.size() || outputs.size() != graph_.outputs.size())
      return invalid_argument("reference: wrong number of inputs or outputs");
    std::unordered_map<std::string, Tensor> env;
    for (const auto& [name, t] : graph_.initializers) env[name] = t;
    for (size_t i = 0; i < inputs.size(); ++i) env[graph_.inputs[i]] = Tensor::wrap(inputs[i]);
    for (const auto& node : graph_.nodes) {
      std::vector<Tensor> ins;
      ins.reserve(node.inputs.size());
      for (const auto& name : node.inputs) ins.push_back(name.empty() ? Tensor() : env.at(name));
      TANDEM_ASSIGN_OR_RETURN(auto outs, reference_evaluate_node(graph_, node, ins));
      for (size_t k = 0; k < node.outputs.size() && k < outs.size(); ++k) env[node.outputs[k]] = std::move(outs[k]);
    }
    for (size_t i = 0; i < outputs.size(); ++i) {
      const Tensor& t = env.at(graph_.outputs[i]);
      if (t.nbytes() != outputs[i].nbytes())
        return internal_error("reference: output '" + graph_.outputs[i] + "' has " + shape_to_string(t.shape()) +
                              ", caller expects " + shape_to_string(outputs[i].shape));
      std::memcpy(outputs[i].data, t.data(), t.nbytes());
    }
    return Status::ok();
  }

 private:
  ir::Graph graph_;
};

class ReferenceBackend final : public Backend {
 public:
  std::string_view name() const override { return "reference"; }

  Status supports(const ir::Graph& graph, const ir::Node& node) const override {
    return reference_supports(graph, node);
  }

  Result<std::unique_ptr<Executable>> compile(const ir::Graph& segment, const UnitOptions&) const override {
    for (const auto& node : segment.nodes) {
      Status st = supports(segment, node);
      if (!st.is_ok()) return node_error(node, st);
    }
    return std::unique_ptr<Executable>(new ReferenceExecutable(segment));
  }
};

}  // namespace

Result<std::unique_ptr<Backend>> make_reference_backend() { return std::unique_ptr<Backend>(new ReferenceBackend()); }

Status reference_supports(const ir::Graph& graph, const ir::Node& node) {
  const auto* op = find_ref_op(node.op_type);
  if (!op) return unsupported("reference backend has no kernel for " + node.op_type);
  // Kernels allocate outputs with the shapes of the specialised graph, so those must be known.
  for (const auto& out : node.outputs) {
    if (out.empty()) continue;
    const ir::ValueInfo* info = graph.info(out);
    if (!info || !info->fully_known())
      return unsupported("output '" + out + "' has no fully known shape (is the graph specialised?)");
  }
  return op->supports ? op->supports(graph, node) : Status::ok();
}

Result<std::vector<Tensor>> reference_evaluate_node(const ir::Graph& graph, const ir::Node& node,
                                                    const std::vector<Tensor>& inputs) {
  const auto* op = find_ref_op(node.op_type);
  if (!op) return node_error(node, unsupported("reference backend has no kernel for " + node.op_type));
  std::vector<Tensor> outs;
  RefOpContext ctx{graph, node, inputs, outs};
  TANDEM_RETURN_IF_ERROR(node_error(node, op->run(ctx)));
  return outs;
}

}  // namespace tandem
