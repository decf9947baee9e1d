#include "backends/reference/reference_backend.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "backends/reference/ref_op.h"
#include "ir/ops/op_def.h"

namespace tandem {
namespace {

using reference::find_ref_op;
using reference::RefOpContext;

Status node_error(const ir::Node& node, const Status& st) {
  return st.with_context("node '" + node.name + "' (" + node.op_type + ")");
}

// Infers `node` again on the actual tensors (every input's value is known now, so each counts
// as a constant: shape arithmetic on data-dependent sizes resolves too) and records the output
// infos in `work`; returns the node with its attributes resolved for these inputs.
Result<ir::Node> infer_at_run_time(ir::Graph& work, const ir::Node& node, const std::vector<Tensor>& ins) {
  const ir::OpDef* def = ir::find_op_def(node.op_type);
  if (!def) return unsupported("op '" + node.op_type + "' is not known to the IR");
  ir::Node n = node;
  std::vector<ir::ValueInfo> infos(ins.size());
  ir::InferContext ctx{n, n.attrs, work.opset, {}, {}, {}};
  for (size_t i = 0; i < ins.size(); ++i) {
    const bool absent = node.inputs[i].empty() || ins[i].empty();
    infos[i] = ir::ValueInfo{absent ? DType::kFloat32 : ins[i].dtype(), absent ? Shape{} : ins[i].shape(), true};
    ctx.inputs.push_back(absent ? nullptr : &infos[i]);
    ctx.constants.push_back(absent ? nullptr : &ins[i]);
  }
  TANDEM_RETURN_IF_ERROR(def->infer(ctx));
  for (size_t k = 0; k < n.outputs.size() && k < ctx.outputs.size(); ++k)
    if (!n.outputs[k].empty()) work.values[n.outputs[k]] = ctx.outputs[k];
  return n;
}

// Interprets the segment node by node; tensors live in a name -> Tensor map. A segment with
// data-dependent shapes (open dims) re-infers each node on its actual inputs as it goes
// (`dynamic_`), and its kernels allocate what the data sizes.
class ReferenceExecutable final : public Executable {
 public:
  explicit ReferenceExecutable(ir::Graph g) : graph_(std::move(g)), dynamic_(graph_.has_open_dims()) {
    if (dynamic_) work_ = graph_;
  }

  Status run(std::span<const TensorView> inputs, std::span<const TensorView> outputs) override {
    if (outputs.size() != graph_.outputs.size()) return invalid_argument("reference: wrong number of outputs");
    TANDEM_ASSIGN_OR_RETURN(auto outs, run_dynamic(inputs));
    for (size_t i = 0; i < outputs.size(); ++i) {
      const Tensor& t = outs[i];
      if (t.nbytes() != outputs[i].nbytes())
        return internal_error("reference: output '" + graph_.outputs[i] + "' has " + shape_to_string(t.shape()) +
                              ", caller expects " + shape_to_string(outputs[i].shape));
      std::memcpy(outputs[i].data, t.data(), t.nbytes());
    }
    return Status::ok();
  }

  Result<std::vector<Tensor>> run_dynamic(std::span<const TensorView> inputs) override {
    if (inputs.size() != graph_.inputs.size()) return invalid_argument("reference: wrong number of inputs");
    std::unordered_map<std::string, Tensor> env;
    for (const auto& [name, t] : graph_.initializers) env[name] = t;
    for (size_t i = 0; i < inputs.size(); ++i) env[graph_.inputs[i]] = Tensor::wrap(inputs[i]);
    for (const auto& node : graph_.nodes) {
      std::vector<Tensor> ins;
      ins.reserve(node.inputs.size());
      for (const auto& name : node.inputs) ins.push_back(name.empty() ? Tensor() : env.at(name));
      std::vector<Tensor> outs;
      if (dynamic_) {
        auto n = infer_at_run_time(work_, node, ins);
        if (!n) return node_error(node, n.status());
        TANDEM_ASSIGN_OR_RETURN(outs, reference_evaluate_node(work_, *n, ins));
        for (size_t k = 0; k < node.outputs.size() && k < outs.size(); ++k)
          if (!node.outputs[k].empty()) work_.values[node.outputs[k]].shape = outs[k].shape();
      } else {
        TANDEM_ASSIGN_OR_RETURN(outs, reference_evaluate_node(graph_, node, ins));
      }
      for (size_t k = 0; k < node.outputs.size() && k < outs.size(); ++k) env[node.outputs[k]] = std::move(outs[k]);
    }
    std::vector<Tensor> result;
    for (const auto& name : graph_.outputs) {
      Tensor& t = env.at(name);
      // A graph input or constant passed straight through is not ours to hand out.
      const bool borrowed = t.data() != nullptr && (graph_.is_constant(name) || std::find(graph_.inputs.begin(),
                                                    graph_.inputs.end(), name) != graph_.inputs.end());
      result.push_back(borrowed ? t.clone() : t);
    }
    return result;
  }

 private:
  ir::Graph graph_;
  bool dynamic_;
  ir::Graph work_;  // graph_ with the infos of the current run (dynamic_ only)
};

class ReferenceBackend final : public Backend {
 public:
  std::string_view name() const override { return "reference"; }
  bool takes_dynamic_shapes() const override { return true; }

  Status supports(const ir::Graph& graph, const ir::Node& node) const override {
    if (!graph.has_open_dims(node)) return reference_supports(graph, node);
    // Open dims are fixed at run time (ReferenceExecutable re-infers); ranks must be known.
    const auto* op = find_ref_op(node.op_type);
    if (!op) return unsupported("reference backend has no kernel for " + node.op_type);
    for (const auto& out : node.outputs)
      if (const ir::ValueInfo* info = out.empty() ? nullptr : graph.info(out); !out.empty() && (!info || !info->rank_known))
        return unsupported("output '" + out + "' has no known rank");
    return Status::ok();
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
