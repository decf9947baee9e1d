// A first Engine: the whole model on one unit. The co-execution runtime replaces the single
// executable with a plan of stages; the public API stays.
#include "tandem/engine.h"

#include <mutex>

#include "backends/backend.h"
#include "backends/reference/reference_backend.h"
#include "ir/passes/passes.h"
#include "ir/specialize.h"
#include "onnx/import.h"

namespace tandem {
namespace {

std::vector<TensorInfo> describe(const ir::Graph& g, const std::vector<std::string>& names) {
  std::vector<TensorInfo> v;
  for (const auto& n : names) {
    TensorInfo t{n, DType::kFloat32, {}};
    if (const auto* vi = g.info(n)) {
      t.dtype = vi->dtype;
      t.shape = vi->shape;
    }
    v.push_back(std::move(t));
  }
  return v;
}

class SingleUnitEngine final : public Engine {
 public:
  SingleUnitEngine(ir::Graph g, std::unique_ptr<Backend> backend, UnitOptions options)
      : graph_(std::move(g)), backend_(std::move(backend)), options_(std::move(options)) {
    inputs_ = describe(graph_, graph_.inputs);
    outputs_ = describe(graph_, graph_.outputs);
  }

  const std::vector<TensorInfo>& inputs() const override { return inputs_; }
  const std::vector<TensorInfo>& outputs() const override { return outputs_; }
  std::string plan_description() const override { return plan_; }

  Result<std::vector<Tensor>> run(const std::vector<Tensor>& inputs) override {
    if (inputs.size() != inputs_.size())
      return invalid_argument("model takes " + std::to_string(inputs_.size()) + " input(s), got " +
                              std::to_string(inputs.size()));
    std::map<std::string, Shape> shapes;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].dtype() != inputs_[i].dtype)
        return invalid_argument("input '" + inputs_[i].name + "' must be " + dtype_name(inputs_[i].dtype) +
                                ", got " + dtype_name(inputs[i].dtype()));
      shapes[inputs_[i].name] = inputs[i].shape();
    }
    TANDEM_ASSIGN_OR_RETURN(Compiled * c, compiled_for(shapes));
    std::vector<TensorView> in_views, out_views;
    std::vector<Tensor> outs;
    for (const auto& t : inputs) in_views.push_back(t.view());
    for (const auto& name : c->graph.outputs) {
      const ir::ValueInfo* vi = c->graph.info(name);
      outs.emplace_back(vi->shape, vi->dtype);
      out_views.push_back(outs.back().view());
    }
    TANDEM_RETURN_IF_ERROR(c->exe->run(in_views, out_views));
    return outs;
  }

 private:
  struct Compiled {
    ir::Graph graph;
    std::unique_ptr<Executable> exe;
  };

  Result<Compiled*> compiled_for(const std::map<std::string, Shape>& shapes) {
    auto it = cache_.find(shapes);
    if (it != cache_.end()) return it->second.get();
    if (!thread_bound_) {
      TANDEM_RETURN_IF_ERROR(backend_->bind_thread(options_));
      thread_bound_ = true;
    }
    TANDEM_ASSIGN_OR_RETURN(ir::Graph g, ir::specialize(graph_, shapes, reference_evaluate_node));
    TANDEM_RETURN_IF_ERROR(ir::run_passes(g));
    for (const auto& node : g.nodes) {
      Status st = backend_->supports(g, node);
      if (st.is_ok() && options_.excluded_ops.count(node.op_type))
        st = unsupported("unit excludes " + node.op_type);
      if (!st.is_ok())
        return st.with_context("unit '" + std::string(backend_->name()) + "' cannot run node '" + node.name +
                               "' (" + node.op_type + ")");
    }
    TANDEM_ASSIGN_OR_RETURN(auto exe, backend_->compile(g, options_));
    plan_ = "[all: " + std::string(backend_->name()) + " 1]";
    auto c = std::make_unique<Compiled>(Compiled{std::move(g), std::move(exe)});
    Compiled* p = c.get();
    cache_.emplace(shapes, std::move(c));
    return p;
  }

  ir::Graph graph_;
  std::unique_ptr<Backend> backend_;
  UnitOptions options_;
  std::vector<TensorInfo> inputs_, outputs_;
  std::map<std::map<std::string, Shape>, std::unique_ptr<Compiled>> cache_;
  std::string plan_;
  bool thread_bound_ = false;
};

}  // namespace

Result<std::unique_ptr<Engine>> Engine::load(const std::string& model_path, const EngineOptions& options) {
  TANDEM_ASSIGN_OR_RETURN(ir::Graph g, import_onnx_file(model_path));
  std::string kind = options.units.substr(0, options.units.find_first_of(":/,"));
  TANDEM_ASSIGN_OR_RETURN(auto backend, make_backend(kind));
  return std::unique_ptr<Engine>(new SingleUnitEngine(std::move(g), std::move(backend), UnitOptions{}));
}

}  // namespace tandem
